package ai.sovereign.engine;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.util.Random;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

/**
 * Dot products against prepared activations: bit-identical to a literal transliteration of ggml's
 * generic C ({@link GgmlLiteralDots}), and within a tight relative bound of an independent double
 * computation (dequantized weights times dequantized activations). Block counts 1, 2, 3 and 7; rows
 * at odd byte offsets.
 */
class RowKernelDotTest {
    private static final int[] BLOCK_COUNTS = {1, 2, 3, 7};
    private static final long[] PADS = {0, 1, 3, 7};

    /** Relative bound of |kernel − exact| against Σ|w·a| (plus Q8_1's fp16 s term, see below). */
    static final double RELATIVE_BOUND = 2e-6;

    @ParameterizedTest
    @EnumSource(names = {"F32", "F16", "BF16", "Q4_0", "Q4_1", "Q5_0", "Q5_1", "Q8_0", "Q4_K", "Q5_K", "Q6_K"})
    void matchesGgmlBitForBitAndExactWithinBound(GgmlType type) {
        RowKernel kernel = RowKernel.of(type);
        assertEquals(type, kernel.type());
        Random random = new Random(type.ordinal() * 7919L + 11);
        PreparedActivations prepared = new PreparedActivations(7 * 256);
        for (int blocks : BLOCK_COUNTS) {
            int n = blocks * Math.max(type.blockLength(), 32);
            for (long pad : PADS) {
                float[] w = gaussian(random, n, 1.0);
                float[] a = gaussian(random, n + 8, 3.0);
                w[random.nextInt(n)] *= 8; // an outlier per row
                long rowBytes = type.bytesFor(n);
                MemorySegment segment = MemorySegment.ofArray(new byte[(int) (pad + 2 * rowBytes + 3)]);
                Quantizer.quantize(type, w, 0, n, segment, pad + rowBytes);
                int activationOffset = (int) pad;
                kernel.prepare(a, activationOffset, n, prepared);
                float actual = kernel.dot(segment, pad + rowBytes, prepared, n);

                byte[] row = segment.asSlice(pad + rowBytes, rowBytes).toArray(ValueLayout.JAVA_BYTE);
                float literal = GgmlLiteralDots.dot(type, row, n, prepared);
                assertEquals(Float.floatToIntBits(literal), Float.floatToIntBits(actual),
                        type + " n=" + n + " pad=" + pad + ": kernel " + actual + " vs ggml literal " + literal);

                float[] weights = new float[n];
                kernel.dequantize(segment, pad + rowBytes, weights, 0, n);
                double exact = 0;
                double magnitude = 0;
                for (int i = 0; i < n; i++) {
                    double activation = dequantizedActivation(prepared, i);
                    exact += (double) weights[i] * activation;
                    magnitude += Math.abs((double) weights[i] * activation);
                }
                double tolerance = RELATIVE_BOUND * magnitude + q8_1SumSlack(type, row, prepared, blocks);
                assertTrue(Math.abs(actual - exact) <= tolerance, type + " n=" + n + " pad=" + pad + ": "
                        + actual + " vs exact " + exact + " (tolerance " + tolerance + ")");
            }
        }
    }

    /** The activation value the vec-dot type denotes: the rounded float, or d·q. */
    static double dequantizedActivation(PreparedActivations p, int i) {
        return switch (p.format()) {
            case F32, F16, BF16 -> p.values[i];
            case Q8_0, Q8_1 -> (double) p.d[i / 32] * p.qs[i];
            case Q8_K -> (double) p.d[i / 256] * p.qs[i];
        };
    }

    /**
     * Q4_1/Q5_1 multiply each block's min by ggml's s = fp16(d·Σq) rather than by fp16(d)·Σq, so the
     * result may differ from the exact product by up to |m|·|s|·2^-10 per block.
     */
    private static double q8_1SumSlack(GgmlType type, byte[] row, PreparedActivations p, int blocks) {
        if (type != GgmlType.Q4_1 && type != GgmlType.Q5_1) {
            return 0;
        }
        int blockBytes = type.blockBytes();
        double slack = 0;
        for (int b = 0; b < blocks; b++) {
            float m = Float.float16ToFloat((short) ((row[b * blockBytes + 2] & 0xFF) | (row[b * blockBytes + 3] << 8)));
            slack += Math.abs(m) * Math.abs(p.s[b]) * 0x1p-10;
        }
        return slack;
    }

    static float[] gaussian(Random random, int n, double sigma) {
        float[] x = new float[n];
        for (int i = 0; i < n; i++) {
            x[i] = (float) (random.nextGaussian() * sigma);
        }
        return x;
    }
}
