package ai.sovereign.engine;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.lang.foreign.MemorySegment;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * Differential test of the Vector API kernels against the scalar reference, for every type and for
 * all three vector widths (the Vector API runs widths the CPU lacks in software, so all three are
 * covered on any machine). Rows of 1, 2, 3, 5, 7 and 13 blocks at odd byte offsets; quantized weights
 * from real values with an outlier, and raw random bytes (every quant value, extreme and NaN/inf
 * scales, −128 activation quants).
 *
 * <p>Expected agreement: every dequantization is bit-identical; every dot agrees within
 * {@link #tolerance}, (n/8 + 16)·2⁻²⁴·Σ|w·a| over the dequantized weights and the activations as the
 * kernels see them (the vector kernels accumulate in lanes, the reference in ggml's generic order),
 * plus one ulp of the result; a non-finite reference (inf or NaN scales) must give a non-finite result.
 */
class VectorRowKernelsTest {
    static final GgmlType[] TYPES = {
        GgmlType.F32, GgmlType.F16, GgmlType.BF16, GgmlType.Q4_0, GgmlType.Q4_1, GgmlType.Q5_0,
        GgmlType.Q5_1, GgmlType.Q8_0, GgmlType.Q4_K, GgmlType.Q5_K, GgmlType.Q6_K
    };
    private static final int[] BLOCK_COUNTS = {1, 2, 3, 5, 7, 13};
    private static final long[] PADS = {0, 1, 3, 7};

    static Stream<Arguments> kernels() {
        List<Arguments> all = new ArrayList<>();
        for (int bits : new int[] {128, 256, 512}) {
            for (GgmlType type : TYPES) {
                all.add(Arguments.of(bits, type));
            }
        }
        return all.stream();
    }

    private static boolean isFloat(GgmlType type) {
        return type == GgmlType.F32 || type == GgmlType.F16 || type == GgmlType.BF16;
    }

    @ParameterizedTest(name = "{1} at {0} bits")
    @MethodSource("kernels")
    void agreesWithScalarReference(int bits, GgmlType type) {
        RowKernel scalar = RowKernel.of(type);
        RowKernel vector = VectorKernels.forBits(bits, type).orElseThrow();
        assertEquals(type, vector.type());
        assertEquals(scalar.activationFormat(), vector.activationFormat());
        Random random = new Random(bits * 31L + type.ordinal());
        int unit = Math.max(type.blockLength(), 32);
        PreparedActivations prepared = new PreparedActivations(13 * 256 + 64);
        for (int blocks : BLOCK_COUNTS) {
            // float types also get lengths that leave a scalar tail
            int[] lengths = isFloat(type) ? new int[] {blocks * unit, blocks * 7, blocks * unit + blocks} : new int[] {blocks * unit};
            for (int n : lengths) {
                for (long pad : PADS) {
                    for (boolean raw : new boolean[] {false, true}) {
                        check(type, scalar, vector, prepared, random, n, pad, raw);
                    }
                }
            }
        }
    }

    private static void check(GgmlType type, RowKernel scalar, RowKernel vector, PreparedActivations prepared,
            Random random, int n, long pad, boolean raw) {
        String where = vector + " n=" + n + " pad=" + pad + (raw ? " raw" : "");
        long rowBytes = type.bytesFor(n);
        byte[] bytes = new byte[(int) (pad + rowBytes)];
        MemorySegment segment = MemorySegment.ofArray(bytes);
        // the row ends exactly at the segment's end: a vector load past it would throw
        if (raw && !isFloat(type)) {
            random.nextBytes(bytes);
        } else {
            float[] w = new float[n];
            for (int i = 0; i < n; i++) {
                w[i] = (float) random.nextGaussian();
            }
            w[random.nextInt(n)] *= 20;
            if (raw) {
                w[random.nextInt(n)] = 0f; // float raw case: zeros, signed zeros and subnormals
                w[random.nextInt(n)] = -0f;
                w[random.nextInt(n)] = 3e-6f;
            }
            Quantizer.quantize(type, w, 0, n, segment, pad);
        }
        float[] a = new float[n];
        for (int i = 0; i < n; i++) {
            a[i] = (float) (random.nextGaussian() * 3);
        }
        a[random.nextInt(n)] *= 30;
        scalar.prepare(a, 0, n, prepared);
        if (raw && prepared.format() != PreparedActivations.Format.F32 && prepared.format() != PreparedActivations.Format.BF16) {
            overwriteQuants(prepared, random, n);
        }

        float expected = scalar.dot(segment, pad, prepared, n);
        float actual = vector.dot(segment, pad, prepared, n);
        assertAgrees(scalar, segment, pad, prepared, n, expected, actual, where);

        float[] expectedRow = new float[n + 5];
        float[] actualRow = new float[n + 5];
        scalar.dequantize(segment, pad, expectedRow, 3, n);
        vector.dequantize(segment, pad, actualRow, 3, n);
        for (int i = 0; i < n + 5; i++) {
            if (Float.floatToIntBits(expectedRow[i]) != Float.floatToIntBits(actualRow[i])) {
                throw new AssertionError(where + ": dequantized element " + (i - 3) + " is " + actualRow[i]
                        + ", scalar " + expectedRow[i]);
            }
        }
    }

    /** The bound on |vector − scalar| for a dot of n elements whose products sum to {@code magnitude} in absolute value. */
    static double tolerance(int n, double magnitude, float expected) {
        return (n / 8.0 + 16) * 0x1p-24 * magnitude + Math.ulp(expected);
    }

    /** Σ|w·a| over the reference's dequantized weights and the prepared activations. */
    static double magnitude(RowKernel scalar, MemorySegment segment, long offset, PreparedActivations prepared, int n) {
        float[] weights = new float[n];
        scalar.dequantize(segment, offset, weights, 0, n);
        double magnitude = 0;
        for (int i = 0; i < n; i++) {
            magnitude += Math.abs((double) weights[i] * prepared.values[i]);
        }
        return magnitude;
    }

    static void assertAgrees(RowKernel scalar, MemorySegment segment, long offset, PreparedActivations prepared, int n,
            float expected, float actual, String where) {
        if (!Float.isFinite(expected)) {
            assertTrue(!Float.isFinite(actual), where + ": reference " + expected + " is not finite, vector gave " + actual);
            return;
        }
        double magnitude = magnitude(scalar, segment, offset, prepared, n);
        double tolerance = tolerance(n, magnitude, expected);
        assertTrue(Math.abs((double) actual - expected) <= tolerance,
                where + ": vector " + actual + " vs scalar " + expected + " (tolerance " + tolerance + ")");
    }

    /** Replaces the activation quants by raw bytes (−128 included), keeping Q8_K's bsums consistent. */
    private static void overwriteQuants(PreparedActivations prepared, Random random, int n) {
        for (int i = 0; i < n; i++) {
            prepared.qs[i] = (byte) random.nextInt(256);
        }
        prepared.qs[random.nextInt(n)] = -128;
        if (prepared.format() == PreparedActivations.Format.Q8_K) {
            for (int group = 0; group < n / 16; group++) {
                int sum = 0;
                for (int j = 0; j < 16; j++) {
                    sum += prepared.qs[group * 16 + j];
                }
                prepared.bsums[group] = (short) sum;
            }
        }
        prepared.refreshDerived();
    }

    @Test
    void extremeQuantsAgree() {
        // all weight and activation quants at their extremes: the largest products and sums
        for (int bits : new int[] {128, 256, 512}) {
            for (GgmlType type : TYPES) {
                if (isFloat(type)) {
                    continue;
                }
                int n = 3 * Math.max(type.blockLength(), 32);
                RowKernel scalar = RowKernel.of(type);
                RowKernel vector = VectorKernels.forBits(bits, type).orElseThrow();
                PreparedActivations prepared = new PreparedActivations(n);
                float[] a = new float[n];
                java.util.Arrays.fill(a, 1f);
                scalar.prepare(a, 0, n, prepared);
                for (byte fill : new byte[] {(byte) 0xFF, 0x00, (byte) 0x80, 0x77}) {
                    byte[] bytes = new byte[(int) type.bytesFor(n)];
                    java.util.Arrays.fill(bytes, fill);
                    // keep the scales finite: fp16 0x3C00 = 1.0 where a scale sits at the block start
                    MemorySegment segment = MemorySegment.ofArray(bytes);
                    for (byte q : new byte[] {127, -128, -127}) {
                        java.util.Arrays.fill(prepared.qs, 0, n, q);
                        if (prepared.format() == PreparedActivations.Format.Q8_K) {
                            java.util.Arrays.fill(prepared.bsums, 0, n / 16, (short) (16 * q));
                        }
                        prepared.refreshDerived();
                        float expected = scalar.dot(segment, 0, prepared, n);
                        float actual = vector.dot(segment, 0, prepared, n);
                        assertAgrees(scalar, segment, 0, prepared, n, expected, actual, vector + " fill " + fill + " q " + q);
                    }
                }
            }
        }
    }

    @Test
    void halfDecodingMatchesFloat16ToFloatForEveryBitPattern() {
        for (int bits : new int[] {128, 256, 512}) {
            RowKernel vector = VectorKernels.forBits(bits, GgmlType.F16).orElseThrow();
            byte[] bytes = new byte[2 * 65536];
            for (int h = 0; h < 65536; h++) {
                bytes[2 * h] = (byte) h;
                bytes[2 * h + 1] = (byte) (h >>> 8);
            }
            float[] out = new float[65536];
            vector.dequantize(MemorySegment.ofArray(bytes), 0, out, 0, 65536);
            for (int h = 0; h < 65536; h++) {
                float expected = Float.float16ToFloat((short) h);
                assertEquals(Float.floatToIntBits(expected), Float.floatToIntBits(out[h]),
                        bits + "-bit: fp16 0x" + Integer.toHexString(h));
            }
        }
    }

    @Test
    void fastestReturnsAWorkingKernelForEveryType() {
        VectorKernels.Choice choice = VectorKernels.choice();
        assertTrue(choice.bits() == 0 || choice.bits() == 128 || choice.bits() == 256 || choice.bits() == 512, choice.toString());
        for (GgmlType type : TYPES) {
            RowKernel fastest = RowKernel.fastest(type);
            assertEquals(type, fastest.type());
            if (choice.bits() == 0) {
                assertSame(RowKernel.of(type), fastest);
            }
            int n = 2 * Math.max(type.blockLength(), 32);
            Random random = new Random(type.ordinal());
            float[] w = new float[n];
            float[] a = new float[n];
            for (int i = 0; i < n; i++) {
                w[i] = (float) random.nextGaussian();
                a[i] = (float) random.nextGaussian();
            }
            MemorySegment segment = MemorySegment.ofArray(new byte[(int) type.bytesFor(n)]);
            Quantizer.quantize(type, w, 0, n, segment, 0);
            PreparedActivations prepared = new PreparedActivations(n);
            fastest.prepare(a, 0, n, prepared);
            float expected = RowKernel.of(type).dot(segment, 0, prepared, n);
            float actual = fastest.dot(segment, 0, prepared, n);
            assertAgrees(RowKernel.of(type), segment, 0, prepared, n, expected, actual, type + " via " + fastest);
        }
        // RowKernel.of stays the scalar reference
        assertTrue(RowKernel.of(GgmlType.Q4_0) instanceof BlockRowKernels);
    }
}
