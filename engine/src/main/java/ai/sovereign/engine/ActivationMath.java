package ai.sovereign.engine;

/**
 * The forward pass's vector loops outside the matrix products: attention's q·k scores and its
 * weighted sums of values. {@link #SCALAR} is the reference; {@link #fastest()} a Vector API version
 * of the platform's preferred width when the vector module is present. The vector version lays its
 * lanes across positions (scores: keys are stored transposed) or across dimensions (weighted sums),
 * so each output element sees exactly the reference's operations in the reference's order — a
 * multiply, then an add, never fused — and the two are bit-identical ({@code ActivationMathTest}):
 * attention stays as close to ggml's as before (the goldens move by 1e-7 when sums are reordered,
 * and activations rounded to bf16 later turn that into 2e-2). Stateless and thread-safe.
 */
interface ActivationMath {
    /**
     * scores[t] = (Σ_i q[qOffset + i]·keys[keyBase + i·stride + t]) · scale for t in [0, count), the sum
     * in increasing i: one head's attention scores over transposed keys.
     */
    void scores(float[] q, int qOffset, float[] keys, int keyBase, int stride, int n, int count, float scale, float[] scores);

    /** out[outOffset + i] += scale·x[xOffset + i] for i in [0, n) (a multiply, then an add). */
    void addScaled(float[] out, int outOffset, float[] x, int xOffset, float scale, int n);

    ActivationMath SCALAR = new ActivationMath() {
        @Override
        public void scores(float[] q, int qOffset, float[] keys, int keyBase, int stride, int n, int count, float scale, float[] scores) {
            for (int t = 0; t < count; t++) {
                float dot = 0f;
                for (int i = 0; i < n; i++) {
                    dot += q[qOffset + i] * keys[keyBase + i * stride + t];
                }
                scores[t] = dot * scale;
            }
        }

        @Override
        public void addScaled(float[] out, int outOffset, float[] x, int xOffset, float scale, int n) {
            for (int i = 0; i < n; i++) {
                out[outOffset + i] += scale * x[xOffset + i];
            }
        }

        @Override
        public String toString() {
            return "scalar";
        }
    };

    /** The Vector API version when the row kernels are vector kernels (same choice, see {@link VectorKernels}), else {@link #SCALAR}. */
    static ActivationMath fastest() {
        return VectorKernels.choice().bits() == 0 ? SCALAR : VectorKernels.activationMath();
    }
}
