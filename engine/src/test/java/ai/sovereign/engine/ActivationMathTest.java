package ai.sovereign.engine;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertNotSame;

import java.util.Arrays;
import java.util.Random;
import org.junit.jupiter.api.Test;

/**
 * The vector {@link ActivationMath} against the scalar reference: bit-identical on awkward position
 * counts (0, 1, tails of every size, several vectors), head dimensions, strides and offsets, with
 * signed zeros, subnormals and large values among the inputs.
 */
class ActivationMathTest {
    private static final int[] COUNTS = {0, 1, 3, 7, 8, 15, 16, 17, 31, 33, 64, 100, 257};

    private final ActivationMath vector = VectorKernels.activationMath();
    private final ActivationMath scalar = ActivationMath.SCALAR;

    @Test
    void fastestIsTheVectorVersionWhenVectorKernelsAreOn() {
        if (VectorKernels.choice().bits() != 0) {
            assertNotSame(ActivationMath.SCALAR, ActivationMath.fastest());
        }
    }

    @Test
    void scoresAreBitIdentical() {
        Random random = new Random(7);
        for (int count : COUNTS) {
            for (int headDim : new int[] {1, 5, 64}) {
                int stride = count + 3;
                int keyBase = 2 * stride + 1;
                float[] keys = values(random, keyBase + headDim * stride + 4);
                float[] q = values(random, headDim + 6);
                float[] expected = new float[count + 2];
                float[] actual = new float[count + 2];
                Arrays.fill(expected, -7f);
                Arrays.fill(actual, -7f);
                scalar.scores(q, 6, keys, keyBase, stride, headDim, count, 0.125f, expected);
                vector.scores(q, 6, keys, keyBase, stride, headDim, count, 0.125f, actual);
                assertArrayEquals(expected, actual, "count=" + count + " headDim=" + headDim);
            }
        }
    }

    @Test
    void weightedSumsAreBitIdentical() {
        Random random = new Random(8);
        for (int n : COUNTS) {
            float[] x = values(random, n + 5);
            float[] expected = values(random, n + 4);
            float[] actual = expected.clone();
            for (float scale : new float[] {0.37f, -3e-39f, 1e30f}) {
                scalar.addScaled(expected, 2, x, 5, scale, n);
                vector.addScaled(actual, 2, x, 5, scale, n);
                assertArrayEquals(expected, actual, "n=" + n + " scale=" + scale);
            }
        }
    }

    private static float[] values(Random random, int n) {
        float[] v = new float[n];
        for (int i = 0; i < n; i++) {
            v[i] = switch (random.nextInt(20)) {
                case 0 -> -0f;
                case 1 -> 1e-40f;
                case 2 -> 3e20f;
                default -> (float) (random.nextGaussian() * 3);
            };
        }
        return v;
    }
}
