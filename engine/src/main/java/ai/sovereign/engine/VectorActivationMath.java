package ai.sovereign.engine;

import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.VectorSpecies;

/**
 * {@link ActivationMath} on the Vector API's preferred float species, bit-identical to the scalar
 * reference: scores take L positions per vector (a broadcast query element times a row of transposed
 * keys, added in increasing i), weighted sums L dimensions per vector; scalar tails. Loaded only
 * after {@link VectorKernels} has found the vector module.
 */
final class VectorActivationMath implements ActivationMath {
    static final VectorActivationMath INSTANCE = new VectorActivationMath();
    private static final VectorSpecies<Float> F = FloatVector.SPECIES_PREFERRED;
    private static final int L = F.length();

    private VectorActivationMath() {}

    @Override
    public void scores(float[] q, int qOffset, float[] keys, int keyBase, int stride, int n, int count, float scale, float[] scores) {
        int t = 0;
        for (; t <= count - L; t += L) {
            FloatVector dot = FloatVector.zero(F);
            for (int i = 0; i < n; i++) {
                dot = dot.add(FloatVector.fromArray(F, keys, keyBase + i * stride + t).mul(q[qOffset + i]));
            }
            dot.mul(scale).intoArray(scores, t);
        }
        for (; t < count; t++) {
            float dot = 0f;
            for (int i = 0; i < n; i++) {
                dot += q[qOffset + i] * keys[keyBase + i * stride + t];
            }
            scores[t] = dot * scale;
        }
    }

    @Override
    public void addScaled(float[] out, int outOffset, float[] x, int xOffset, float scale, int n) {
        int i = 0;
        for (; i <= n - L; i += L) {
            FloatVector.fromArray(F, x, xOffset + i).mul(scale).add(FloatVector.fromArray(F, out, outOffset + i)).intoArray(out, outOffset + i);
        }
        for (; i < n; i++) {
            out[outOffset + i] += scale * x[xOffset + i];
        }
    }

    @Override
    public String toString() {
        return "vector" + F.vectorBitSize();
    }
}
