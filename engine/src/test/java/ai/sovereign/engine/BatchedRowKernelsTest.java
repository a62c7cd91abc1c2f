package ai.sovereign.engine;

import static org.junit.jupiter.api.Assertions.assertEquals;

import java.lang.foreign.MemorySegment;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Random;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * Differential test of {@link RowKernel#dotRows} (the batched products of prefill and batched decode)
 * against the same kernel's single {@link RowKernel#dot}: results must be <b>bit-identical</b>, for
 * every type, the scalar reference and all three vector widths, on awkward shapes: input counts 1, 2,
 * 3, 5, 8, 13 (partial tiles), row counts that are not multiples of the row block, odd byte offsets,
 * a non-zero output row, quantized real values with an outlier and raw random bytes (every quant
 * value, extreme scales, −128 activation quants).
 */
class BatchedRowKernelsTest {
    private static final int[] COUNTS = {1, 2, 3, 5, 8, 13};
    private static final int[] ROWS = {1, 3, 17, 34};

    static Stream<Arguments> kernels() {
        List<Arguments> all = new ArrayList<>();
        for (int bits : new int[] {0, 128, 256, 512}) {
            for (GgmlType type : VectorRowKernelsTest.TYPES) {
                all.add(Arguments.of(bits, type));
            }
        }
        return all.stream();
    }

    private static RowKernel kernel(int bits, GgmlType type) {
        return bits == 0 ? RowKernel.of(type) : VectorKernels.forBits(bits, type).orElseThrow();
    }

    private static boolean isFloat(GgmlType type) {
        return type == GgmlType.F32 || type == GgmlType.F16 || type == GgmlType.BF16;
    }

    @ParameterizedTest(name = "{1} at {0} bits")
    @MethodSource("kernels")
    void batchedEqualsSingleDots(int bits, GgmlType type) {
        RowKernel kernel = kernel(bits, type);
        Random random = new Random(bits * 131L + type.ordinal());
        int unit = Math.max(type.blockLength(), 32);
        for (int blocks : new int[] {1, 3, 5}) {
            int n = blocks * unit;
            for (int rows : ROWS) {
                for (boolean raw : new boolean[] {false, true}) {
                    long pad = 1 + random.nextInt(7);
                    long rowBytes = type.bytesFor(n);
                    byte[] bytes = new byte[(int) (pad + rows * rowBytes)];
                    MemorySegment segment = MemorySegment.ofArray(bytes);
                    if (raw && !isFloat(type)) {
                        random.nextBytes(bytes);
                    } else {
                        float[] w = new float[n];
                        for (int r = 0; r < rows; r++) {
                            for (int i = 0; i < n; i++) {
                                w[i] = (float) random.nextGaussian();
                            }
                            w[random.nextInt(n)] *= 20;
                            Quantizer.quantize(type, w, 0, n, segment, pad + r * rowBytes);
                        }
                    }
                    for (int count : COUNTS) {
                        PreparedActivations[] xs = prepare(kernel, random, count, n, raw);
                        check(kernel, segment, pad, rowBytes, rows, xs, count, n, "n=" + n + " rows=" + rows
                                + " count=" + count + " pad=" + pad + (raw ? " raw" : ""));
                    }
                }
            }
        }
    }

    private static PreparedActivations[] prepare(RowKernel kernel, Random random, int count, int n, boolean raw) {
        PreparedActivations[] xs = new PreparedActivations[count];
        for (int t = 0; t < count; t++) {
            float[] a = new float[n];
            for (int i = 0; i < n; i++) {
                a[i] = (float) (random.nextGaussian() * 3);
            }
            a[random.nextInt(n)] *= 30;
            xs[t] = new PreparedActivations(n + 64);
            kernel.prepare(a, 0, n, xs[t]);
            PreparedActivations.Format format = xs[t].format();
            if (raw && format != PreparedActivations.Format.F32 && format != PreparedActivations.Format.BF16) {
                overwriteQuants(xs[t], random, n);
            }
        }
        return xs;
    }

    /** Replaces the activation quants by raw bytes (−128 included), keeping bsums and derived arrays consistent. */
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

    private static void check(RowKernel kernel, MemorySegment segment, long pad, long rowBytes, int rows,
            PreparedActivations[] xs, int count, int n, String where) {
        int outRow = 2;
        float[][] outs = new float[count][outRow + rows + 1];
        for (float[] out : outs) {
            Arrays.fill(out, -7f);
        }
        kernel.dotRows(segment, pad, rowBytes, rows, xs, count, n, outs, outRow);
        for (int t = 0; t < count; t++) {
            assertEquals(-7f, outs[t][0], where + ": wrote before outRow");
            assertEquals(-7f, outs[t][outRow + rows], where + ": wrote past the rows");
            for (int r = 0; r < rows; r++) {
                float expected = kernel.dot(segment, pad + r * rowBytes, xs[t], n);
                float actual = outs[t][outRow + r];
                if (Float.floatToIntBits(expected) != Float.floatToIntBits(actual)) {
                    throw new AssertionError(kernel + " " + where + " input " + t + " row " + r + ": batched "
                            + actual + " vs dot " + expected);
                }
            }
        }
    }

    @Test
    void extremeQuantsBatchExactlyAndAgree() {
        // all weight and activation quants at their extremes: the largest products and sums in the float accumulators
        for (int bits : new int[] {128, 256, 512}) {
            for (GgmlType type : VectorRowKernelsTest.TYPES) {
                if (isFloat(type)) {
                    continue;
                }
                RowKernel kernel = kernel(bits, type);
                int n = 3 * Math.max(type.blockLength(), 32);
                int rows = 5;
                int count = 6;
                long rowBytes = type.bytesFor(n);
                PreparedActivations[] xs = new PreparedActivations[count];
                float[] a = new float[n];
                Arrays.fill(a, 1f);
                for (int t = 0; t < count; t++) {
                    xs[t] = new PreparedActivations(n);
                    kernel.prepare(a, 0, n, xs[t]);
                }
                for (byte fill : new byte[] {(byte) 0xFF, 0x00, (byte) 0x80, 0x77, (byte) 0xE0}) {
                    byte[] bytes = new byte[(int) (rows * rowBytes)];
                    Arrays.fill(bytes, fill);
                    MemorySegment segment = MemorySegment.ofArray(bytes);
                    for (byte q : new byte[] {127, -128, -127}) {
                        for (PreparedActivations x : xs) {
                            Arrays.fill(x.qs, 0, n, q);
                            if (x.format() == PreparedActivations.Format.Q8_K) {
                                Arrays.fill(x.bsums, 0, n / 16, (short) (16 * q));
                            }
                            x.refreshDerived();
                        }
                        check(kernel, segment, 0, rowBytes, rows, xs, count, n, "fill " + fill + " q " + q);
                        // and against the scalar reference, within the vector kernels' bound
                        float expected = RowKernel.of(type).dot(segment, rowBytes, xs[0], n);
                        VectorRowKernelsTest.assertAgrees(RowKernel.of(type), segment, rowBytes, xs[0], n, expected,
                                kernel.dot(segment, rowBytes, xs[0], n), kernel + " fill " + fill + " q " + q);
                    }
                }
            }
        }
    }
}
