package ai.sovereign.engine;

import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;

/**
 * Kernels for ggml's 256-element "K" super-blocks (ggml-common.h, little endian):
 * <pre>
 * Q4_K (144 B): half d; half dmin; u8 scales[12]; u8 qs[128]
 * Q5_K (176 B): half d; half dmin; u8 scales[12]; u8 qh[32]; u8 qs[128]
 * Q6_K (210 B): u8 ql[128]; u8 qh[64]; i8 scales[16]; half d
 * </pre>
 * Q4_K/Q5_K: 8 sub-blocks of 32 with 6-bit scale and min packed as get_scale_min_k4 reads them;
 * element e of a 64-element chunk c takes the low nibble of qs[32c + e] for e &lt; 32 (sub-block 2c),
 * the high nibble of qs[32c + e − 32] otherwise (sub-block 2c+1); Q5_K's fifth bit of element e
 * (0..255) is bit e/32 of qh[e % 32]. x = d·sc·q − dmin·m.
 * Q6_K: 16 sub-blocks of 16 with int8 scales; per 128-element half n the quarters 0..3 take
 * ql[64n + l] low, ql[64n + l + 32] low, ql[64n + l] high, ql[64n + l + 32] high, with bits 2k..2k+1
 * of qh[32n + l] above them; x = d·sc·(q − 32).
 *
 * <p>Dequantization follows dequantize_row_q{4,5,6}_K. Dot products follow the generic
 * ggml_vec_dot_q{4,5,6}_K_q8_K exactly: integer products per element, scaled per sub-block and summed
 * into 8 integer lanes (element index mod 8); each super-block adds d·lane into 8 float lane sums and
 * subtracts dmin·Σ(bsums·min) from the running sum, and the 8 lane sums are added at the end in
 * lane order. Integer sums are exact, so only that float structure matters for bit-exactness.
 */
enum KQuantRowKernels implements RowKernel {
    Q4_K(GgmlType.Q4_K) {
        @Override
        int quant(MemorySegment w, long block, int e) {
            int packed = w.get(ValueLayout.JAVA_BYTE, block + 16 + ((e >>> 6) << 5) + (e & 31)) & 0xFF;
            return (e & 32) == 0 ? packed & 0x0F : packed >>> 4;
        }
    },
    Q5_K(GgmlType.Q5_K) {
        @Override
        int quant(MemorySegment w, long block, int e) {
            int packed = w.get(ValueLayout.JAVA_BYTE, block + 48 + ((e >>> 6) << 5) + (e & 31)) & 0xFF;
            int low = (e & 32) == 0 ? packed & 0x0F : packed >>> 4;
            int high = (w.get(ValueLayout.JAVA_BYTE, block + 16 + (e & 31)) >>> (e >>> 5)) & 1;
            return low | (high << 4);
        }
    },
    Q6_K(GgmlType.Q6_K) {
        @Override
        int quant(MemorySegment w, long block, int e) {
            int half = e >>> 7;
            int quarter = (e >>> 5) & 3;
            int l = e & 31;
            int packed = w.get(ValueLayout.JAVA_BYTE, block + 64 * half + l + ((quarter & 1) << 5)) & 0xFF;
            int low = quarter < 2 ? packed & 0x0F : packed >>> 4;
            int high = (w.get(ValueLayout.JAVA_BYTE, block + 128 + 32 * half + l) >>> (2 * quarter)) & 3;
            return (low | (high << 4)) - 32;
        }

        @Override
        public float dot(MemorySegment w, long rowOffset, PreparedActivations x, int n) {
            int blocks = KernelMath.blocks(GgmlType.Q6_K, n);
            x.require(PreparedActivations.Format.Q8_K, n);
            float sum0 = 0, sum1 = 0, sum2 = 0, sum3 = 0, sum4 = 0, sum5 = 0, sum6 = 0, sum7 = 0;
            for (int b = 0; b < blocks; b++) {
                long block = rowOffset + (long) b * 210;
                int q8 = b * 256;
                int lane0 = 0, lane1 = 0, lane2 = 0, lane3 = 0, lane4 = 0, lane5 = 0, lane6 = 0, lane7 = 0;
                for (int e = 0; e < 256; e += 8) {
                    int scale = w.get(ValueLayout.JAVA_BYTE, block + 192 + (e >>> 4));
                    lane0 += scale * (x.qs[q8 + e] * quant(w, block, e));
                    lane1 += scale * (x.qs[q8 + e + 1] * quant(w, block, e + 1));
                    lane2 += scale * (x.qs[q8 + e + 2] * quant(w, block, e + 2));
                    lane3 += scale * (x.qs[q8 + e + 3] * quant(w, block, e + 3));
                    lane4 += scale * (x.qs[q8 + e + 4] * quant(w, block, e + 4));
                    lane5 += scale * (x.qs[q8 + e + 5] * quant(w, block, e + 5));
                    lane6 += scale * (x.qs[q8 + e + 6] * quant(w, block, e + 6));
                    lane7 += scale * (x.qs[q8 + e + 7] * quant(w, block, e + 7));
                }
                float d = BlockRowKernels.half(w, block + 208) * x.d[b];
                sum0 += d * lane0;
                sum1 += d * lane1;
                sum2 += d * lane2;
                sum3 += d * lane3;
                sum4 += d * lane4;
                sum5 += d * lane5;
                sum6 += d * lane6;
                sum7 += d * lane7;
            }
            float sum = 0f;
            sum += sum0;
            sum += sum1;
            sum += sum2;
            sum += sum3;
            sum += sum4;
            sum += sum5;
            sum += sum6;
            sum += sum7;
            return sum;
        }

        @Override
        public void dequantize(MemorySegment w, long offset, float[] out, int outOffset, int n) {
            int blocks = KernelMath.blocks(GgmlType.Q6_K, n);
            KernelMath.checkOutput(out, outOffset, n);
            for (int b = 0; b < blocks; b++) {
                long block = offset + (long) b * 210;
                float d = BlockRowKernels.half(w, block + 208);
                int at = outOffset + b * 256;
                for (int e = 0; e < 256; e++) {
                    int scale = w.get(ValueLayout.JAVA_BYTE, block + 192 + (e >>> 4));
                    out[at + e] = d * scale * quant(w, block, e);
                }
            }
        }
    };

    private final GgmlType type;

    KQuantRowKernels(GgmlType type) {
        this.type = type;
    }

    /** The integer quant of element e (0..255) of the super-block at {@code block}; Q6_K's is already centred. */
    abstract int quant(MemorySegment weights, long block, int e);

    @Override
    public GgmlType type() {
        return type;
    }

    @Override
    public PreparedActivations.Format activationFormat() {
        return PreparedActivations.Format.Q8_K;
    }

    /** Q4_K / Q5_K: the 8 six-bit sub-block scales of a block, packed 6 bits each (sub-block j at bit 6j). */
    static long scalesOf(MemorySegment w, long block) {
        long packed = 0;
        for (int j = 0; j < 8; j++) {
            packed |= (long) scaleMin(w, block + 4, j, false) << (6 * j);
        }
        return packed;
    }

    /** Q4_K / Q5_K: the 8 six-bit sub-block mins, packed like {@link #scalesOf}. */
    static long minsOf(MemorySegment w, long block) {
        long packed = 0;
        for (int j = 0; j < 8; j++) {
            packed |= (long) scaleMin(w, block + 4, j, true) << (6 * j);
        }
        return packed;
    }

    /** get_scale_min_k4: sub-block j's 6-bit scale (or min) from the 12 packed bytes at {@code scales}. */
    static int scaleMin(MemorySegment w, long scales, int j, boolean min) {
        if (j < 4) {
            return w.get(ValueLayout.JAVA_BYTE, scales + j + (min ? 4 : 0)) & 63;
        }
        int low = w.get(ValueLayout.JAVA_BYTE, scales + j + 4) & 0xFF;
        int top = (w.get(ValueLayout.JAVA_BYTE, scales + j - (min ? 0 : 4)) & 0xFF) >>> 6;
        return (min ? low >>> 4 : low & 0x0F) | (top << 4);
    }

    private static int sixBits(long packed, int j) {
        return (int) (packed >>> (6 * j)) & 63;
    }

    @Override
    public float dot(MemorySegment w, long rowOffset, PreparedActivations x, int n) {
        int blocks = KernelMath.blocks(type, n);
        x.require(PreparedActivations.Format.Q8_K, n);
        int blockBytes = type.blockBytes();
        float sum = 0f;
        float sum0 = 0, sum1 = 0, sum2 = 0, sum3 = 0, sum4 = 0, sum5 = 0, sum6 = 0, sum7 = 0;
        for (int b = 0; b < blocks; b++) {
            long block = rowOffset + (long) b * blockBytes;
            long scales = scalesOf(w, block);
            long mins = minsOf(w, block);
            int q8 = b * 256;
            int minSum = 0;
            for (int j = 0; j < 16; j++) {
                minSum += x.bsums[b * 16 + j] * sixBits(mins, j >>> 1);
            }
            int lane0 = 0, lane1 = 0, lane2 = 0, lane3 = 0, lane4 = 0, lane5 = 0, lane6 = 0, lane7 = 0;
            for (int e = 0; e < 256; e += 8) {
                int scale = sixBits(scales, e >>> 5);
                lane0 += scale * (x.qs[q8 + e] * quant(w, block, e));
                lane1 += scale * (x.qs[q8 + e + 1] * quant(w, block, e + 1));
                lane2 += scale * (x.qs[q8 + e + 2] * quant(w, block, e + 2));
                lane3 += scale * (x.qs[q8 + e + 3] * quant(w, block, e + 3));
                lane4 += scale * (x.qs[q8 + e + 4] * quant(w, block, e + 4));
                lane5 += scale * (x.qs[q8 + e + 5] * quant(w, block, e + 5));
                lane6 += scale * (x.qs[q8 + e + 6] * quant(w, block, e + 6));
                lane7 += scale * (x.qs[q8 + e + 7] * quant(w, block, e + 7));
            }
            float d = BlockRowKernels.half(w, block) * x.d[b];
            sum0 += d * lane0;
            sum1 += d * lane1;
            sum2 += d * lane2;
            sum3 += d * lane3;
            sum4 += d * lane4;
            sum5 += d * lane5;
            sum6 += d * lane6;
            sum7 += d * lane7;
            float dmin = BlockRowKernels.half(w, block + 2) * x.d[b];
            sum -= dmin * minSum;
        }
        sum += sum0;
        sum += sum1;
        sum += sum2;
        sum += sum3;
        sum += sum4;
        sum += sum5;
        sum += sum6;
        sum += sum7;
        return sum;
    }

    @Override
    public void dequantize(MemorySegment w, long offset, float[] out, int outOffset, int n) {
        int blocks = KernelMath.blocks(type, n);
        KernelMath.checkOutput(out, outOffset, n);
        int blockBytes = type.blockBytes();
        for (int b = 0; b < blocks; b++) {
            long block = offset + (long) b * blockBytes;
            float d = BlockRowKernels.half(w, block);
            float min = BlockRowKernels.half(w, block + 2);
            int at = outOffset + b * 256;
            for (int sub = 0; sub < 8; sub++) {
                float scaled = d * scaleMin(w, block + 4, sub, false);
                float offsetTerm = min * scaleMin(w, block + 4, sub, true);
                for (int l = 0; l < 32; l++) {
                    int e = sub * 32 + l;
                    out[at + e] = scaled * quant(w, block, e) - offsetTerm;
                }
            }
        }
    }
}
