package ai.sovereign.engine;

/**
 * An activation vector rounded the way llama.cpp's CPU backend rounds it before a matrix product
 * (the weight type's "vec_dot_type"), so that integer dot products against quantized weights give
 * the same floats as ggml. Sized once, reused for every token; preparing never allocates.
 *
 * <p>Formats and the ggml code each follows:
 * <ul>
 *   <li>{@link Format#F32}: the values as given (ggml_vec_dot_f32).</li>
 *   <li>{@link Format#F16}, {@link Format#BF16}: each value rounded to nearest even (ggml_cpu_fp32_to_fp16,
 *       GGML_FP32_TO_BF16) and kept as the float it denotes.</li>
 *   <li>{@link Format#Q8_0}: blocks of 32, the x86 AVX quantize_row_q8_0: amax = max|x|, d = amax/127
 *       stored as fp16, id = 127/amax (0 when amax is 0), q = rint(x·id) (ties to even). {@code d[]}
 *       holds the fp16-rounded scale.</li>
 *   <li>{@link Format#Q8_1}: Q8_0 plus {@code s[]} = fp16(d · Σq) with the fp32 d (quantize_row_q8_1).</li>
 *   <li>{@link Format#Q8_K}: blocks of 256, quantize_row_q8_K_ref: v = the signed element of largest
 *       magnitude (first on ties), iscale = -127/v, q = min(127, nearest_int(iscale·x)), d = 1/iscale in
 *       fp32, {@code bsums[]} = sums of each 16 quants; an all-zero block gets d = 0 and q = 0.</li>
 * </ul>
 * Fields are read directly by the kernels; the instance may be shared read-only by threads once prepared.
 */
final class PreparedActivations {
    enum Format { F32, F16, BF16, Q8_0, Q8_1, Q8_K }

    private static final int Q8_BLOCK = 32;
    private static final int Q8K_BLOCK = 256;

    final int capacity;
    /**
     * The activations as the dot product sees them: F32 / F16 / BF16 the (rounded) values; Q8_* each
     * quant times its block's scale (exact for Q8_0/Q8_1, whose scales are fp16), what the vector kernels
     * multiply decoded weights with. Filled by the prepare methods; code that writes {@code qs} or
     * {@code d} directly must call {@link #refreshDerived()}.
     */
    final float[] values;
    /** Q8_*: the int8 quants, one per element. */
    final byte[] qs;
    /** Q8_0 / Q8_1: per 32-block fp16-rounded scale; Q8_K: per 256-block fp32 scale. */
    final float[] d;
    /** Q8_1: per 32-block fp16-rounded d·Σq. */
    final float[] s;
    /** Q8_K: per 16 elements, the sum of their quants. */
    final short[] bsums;
    int length;
    Format format;

    PreparedActivations(int capacity) {
        if (capacity < 0) {
            throw new IllegalArgumentException("capacity must not be negative: " + capacity);
        }
        this.capacity = capacity;
        int padded = (capacity + Q8K_BLOCK - 1) / Q8K_BLOCK * Q8K_BLOCK;
        this.values = new float[capacity];
        this.qs = new byte[padded];
        this.d = new float[padded / Q8_BLOCK];
        this.s = new float[padded / Q8_BLOCK];
        this.bsums = new short[padded / 16];
    }

    /** Recomputes {@link #values} of a Q8_* format from {@link #qs} and {@link #d}. */
    void refreshDerived() {
        int block = switch (format) {
            case Q8_0, Q8_1 -> Q8_BLOCK;
            case Q8_K -> Q8K_BLOCK;
            default -> 0;
        };
        if (block != 0) {
            for (int i = 0; i < length; i++) {
                values[i] = qs[i] * d[i / block];
            }
        }
    }

    int length() {
        return length;
    }

    Format format() {
        return format;
    }

    /** Throws unless this holds at least {@code n} elements in {@code expected} format. */
    void require(Format expected, int n) {
        if (format != expected || n > length || n < 0) {
            throw new IllegalArgumentException("dot of " + n + " elements needs " + expected
                    + " activations; prepared are " + length + " in " + format);
        }
    }

    void prepareF32(float[] x, int offset, int n) {
        check(x, offset, n, 1);
        System.arraycopy(x, offset, values, 0, n);
        finish(Format.F32, n);
    }

    void prepareF16(float[] x, int offset, int n) {
        check(x, offset, n, 1);
        for (int i = 0; i < n; i++) {
            values[i] = KernelMath.roundToHalf(x[offset + i]);
        }
        finish(Format.F16, n);
    }

    void prepareBf16(float[] x, int offset, int n) {
        check(x, offset, n, 1);
        for (int i = 0; i < n; i++) {
            values[i] = KernelMath.roundToBf16(x[offset + i]);
        }
        finish(Format.BF16, n);
    }

    void prepareQ8_0(float[] x, int offset, int n) {
        quantizeQ8(x, offset, n, false);
        finish(Format.Q8_0, n);
    }

    void prepareQ8_1(float[] x, int offset, int n) {
        quantizeQ8(x, offset, n, true);
        finish(Format.Q8_1, n);
    }

    private void quantizeQ8(float[] x, int offset, int n, boolean withSums) {
        check(x, offset, n, Q8_BLOCK);
        for (int block = 0; block < n / Q8_BLOCK; block++) {
            int start = offset + block * Q8_BLOCK;
            float amax = 0f;
            for (int j = 0; j < Q8_BLOCK; j++) {
                amax = Math.max(amax, Math.abs(x[start + j]));
            }
            float scale = amax / 127.f;
            float inverse = amax != 0f ? 127.f / amax : 0f;
            int sum = 0;
            for (int j = 0; j < Q8_BLOCK; j++) {
                int q = (int) Math.rint(x[start + j] * inverse);
                q = Math.max(-128, Math.min(127, q));
                qs[block * Q8_BLOCK + j] = (byte) q;
                sum += q;
            }
            d[block] = KernelMath.roundToHalf(scale);
            s[block] = withSums ? KernelMath.roundToHalf(scale * sum) : 0f;
        }
    }

    void prepareQ8_K(float[] x, int offset, int n) {
        check(x, offset, n, Q8K_BLOCK);
        for (int block = 0; block < n / Q8K_BLOCK; block++) {
            int start = offset + block * Q8K_BLOCK;
            int out = block * Q8K_BLOCK;
            float max = 0f;
            float amax = 0f;
            for (int j = 0; j < Q8K_BLOCK; j++) {
                float ax = Math.abs(x[start + j]);
                if (ax > amax) {
                    amax = ax;
                    max = x[start + j];
                }
            }
            if (amax == 0f) {
                d[block] = 0f;
                java.util.Arrays.fill(qs, out, out + Q8K_BLOCK, (byte) 0);
                java.util.Arrays.fill(bsums, block * 16, block * 16 + 16, (short) 0);
                continue;
            }
            float iscale = -127.f / max;
            for (int j = 0; j < Q8K_BLOCK; j++) {
                qs[out + j] = (byte) Math.min(127, KernelMath.nearestInt(iscale * x[start + j]));
            }
            for (int group = 0; group < Q8K_BLOCK / 16; group++) {
                int sum = 0;
                for (int j = 0; j < 16; j++) {
                    sum += qs[out + group * 16 + j];
                }
                bsums[block * 16 + group] = (short) sum;
            }
            d[block] = 1 / iscale;
        }
        finish(Format.Q8_K, n);
    }

    private void check(float[] x, int offset, int n, int blockLength) {
        if (n < 0 || n > capacity) {
            throw new IllegalArgumentException("cannot prepare " + n + " activations in a capacity of " + capacity);
        }
        if (n % blockLength != 0) {
            throw new IllegalArgumentException(n + " activations are not a whole number of blocks of " + blockLength);
        }
        if (offset < 0 || offset > x.length - n) {
            throw new IndexOutOfBoundsException("activations [" + offset + ", " + ((long) offset + n)
                    + ") lie outside an array of " + x.length);
        }
    }

    private void finish(Format prepared, int n) {
        format = prepared;
        length = n;
        refreshDerived();
    }
}
