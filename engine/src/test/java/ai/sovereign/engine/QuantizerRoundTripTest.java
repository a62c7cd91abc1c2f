package ai.sovereign.engine;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.lang.foreign.MemorySegment;
import java.util.Random;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

/**
 * Quantize → dequantize for every supported type on seeded Gaussian data and edge cases, against
 * these per-element bounds (amax, min, range taken over the element's block; h = 2^-11 is fp16's
 * relative rounding error, which the stored scales carry):
 * <pre>
 * F32  exact      F16  max(|x|·2^-11, 2^-25)      BF16  |x|·2^-8
 * Q8_0 amax·(0.5/127 + h)       Q4_0 amax·(1/8 + h)       Q5_0  amax·(1/16 + h)
 *      (Q4_0/Q5_0: a value opposite in sign to the largest is clamped at +7 / +15, costing one step)
 * Q4_1 range·(0.5/15 + h) + |min|·h                        Q5_1  range·(0.5/31 + h) + |min|·h
 * Q4_K amax·0.13   Q5_K amax·0.065   Q6_K amax·0.035   (per 256-block; ggml's searched scales)
 * </pre>
 * K-quants are also held to a root-mean-square error on N(0,1) data: Q4_K 0.10, Q5_K 0.05, Q6_K 0.025.
 */
class QuantizerRoundTripTest {
    private static final double H = 0x1p-11;

    @ParameterizedTest
    @EnumSource(names = {"F32", "F16", "BF16", "Q4_0", "Q4_1", "Q5_0", "Q5_1", "Q8_0", "Q4_K", "Q5_K", "Q6_K"})
    void roundTripStaysWithinTheTypeBound(GgmlType type) {
        Random random = new Random(42 + type.ordinal());
        int n = 7 * 256;
        check(type, RowKernelDotTest.gaussian(random, n, 1.0), "gaussian");
        check(type, new float[n], "zeros");

        float[] huge = RowKernelDotTest.gaussian(random, n, 0.01);
        huge[37] = 1000f;
        huge[300] = -1000f;
        huge[1023] = 3e4f;
        check(type, huge, "huge values");

        float[] negative = new float[n];
        for (int i = 0; i < n; i++) {
            negative[i] = -60000f + (float) random.nextDouble() * 100f;
        }
        negative[5] = 60000f;
        check(type, negative, "negative extremes");

        float[] constant = new float[n];
        java.util.Arrays.fill(constant, -0.75f);
        check(type, constant, "constant");
    }

    @ParameterizedTest
    @EnumSource(names = {"Q4_K", "Q5_K", "Q6_K"})
    void kQuantRootMeanSquareError(GgmlType type) {
        float[] x = RowKernelDotTest.gaussian(new Random(7), 64 * 256, 1.0);
        float[] back = roundTrip(type, x);
        double squared = 0;
        for (int i = 0; i < x.length; i++) {
            squared += (back[i] - x[i]) * (double) (back[i] - x[i]);
        }
        double rmse = Math.sqrt(squared / x.length);
        double bound = switch (type) {
            case Q4_K -> 0.10;
            case Q5_K -> 0.05;
            default -> 0.025;
        };
        assertTrue(rmse <= bound, type + " rmse " + rmse + " > " + bound);
    }

    static float[] roundTrip(GgmlType type, float[] x) {
        int n = x.length;
        MemorySegment segment = MemorySegment.ofArray(new byte[(int) type.bytesFor(n) + 9]);
        Quantizer.quantize(type, x, 0, n, segment, 5);
        float[] back = new float[n];
        RowKernel.of(type).dequantize(segment, 5, back, 0, n);
        return back;
    }

    private static void check(GgmlType type, float[] x, String what) {
        float[] back = roundTrip(type, x);
        int block = type.blockLength() == 1 ? 1 : type.blockLength();
        for (int start = 0; start < x.length; start += block) {
            double amax = 0;
            double min = Double.MAX_VALUE;
            double max = -Double.MAX_VALUE;
            for (int i = start; i < start + block; i++) {
                amax = Math.max(amax, Math.abs(x[i]));
                min = Math.min(min, x[i]);
                max = Math.max(max, x[i]);
            }
            double range = max - min;
            for (int i = start; i < start + block; i++) {
                double bound = switch (type) {
                    case F32 -> 0;
                    case F16 -> Math.max(Math.abs(x[i]) * H, 0x1p-25); // 2^-25: half the subnormal step
                    case BF16 -> Math.abs(x[i]) * 0x1p-8;
                    case Q8_0 -> amax * (0.5 / 127 + H);
                    case Q4_0 -> amax * (1.0 / 8 + H);
                    case Q5_0 -> amax * (1.0 / 16 + H);
                    case Q4_1 -> range * (0.5 / 15 + H) + Math.abs(min) * H;
                    case Q5_1 -> range * (0.5 / 31 + H) + Math.abs(min) * H;
                    case Q4_K -> amax * 0.13;
                    case Q5_K -> amax * 0.065;
                    case Q6_K -> amax * 0.035;
                    default -> throw new IllegalArgumentException(type.toString());
                };
                double error = Math.abs((double) back[i] - x[i]);
                assertTrue(error <= bound * (1 + 1e-6) + 1e-30, type + " " + what + " element " + i + ": " + x[i]
                        + " came back as " + back[i] + " (error " + error + ", bound " + bound + ")");
            }
        }
        if (what.equals("zeros")) {
            for (float v : back) {
                assertEquals(0f, Math.abs(v), type + " zeros must decode to zero");
            }
        }
    }
}
