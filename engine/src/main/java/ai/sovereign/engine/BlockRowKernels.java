package ai.sovereign.engine;

import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;

/**
 * Kernels for ggml's 32-element block types (ggml-common.h layouts, little endian):
 * <pre>
 * Q4_0 (18 B): half d; u8 qs[16]             x = d·(q − 8),  q 4-bit
 * Q4_1 (20 B): half d; half m; u8 qs[16]     x = d·q + m
 * Q5_0 (22 B): half d; u8 qh[4]; u8 qs[16]   x = d·(q − 16), q 5-bit, high bit j from bit j of qh
 * Q5_1 (24 B): half d; half m; u8 qh[4]; u8 qs[16]   x = d·q + m
 * Q8_0 (34 B): half d; i8 qs[32]             x = d·q
 * </pre>
 * Nibble order: byte j holds element j in its low and element j+16 in its high nibble.
 * Dequantization follows dequantize_row_*; dot products follow ggml_vec_dot_*_q8_{0,1}_generic:
 * an exact integer sum per block, then the block's float term in ggml's operand order (which differs
 * between types and matters for bit-exact results), accumulated in float.
 */
enum BlockRowKernels implements RowKernel {
    Q4_0(GgmlType.Q4_0, PreparedActivations.Format.Q8_0) {
        @Override
        float blockDot(MemorySegment w, long block, PreparedActivations x, int index) {
            int sumi = 0;
            int a = index * 32;
            for (int j = 0; j < 16; j++) {
                int packed = w.get(ValueLayout.JAVA_BYTE, block + 2 + j) & 0xFF;
                sumi += ((packed & 0x0F) - 8) * x.qs[a + j];
                sumi += ((packed >>> 4) - 8) * x.qs[a + j + 16];
            }
            return sumi * half(w, block) * x.d[index];
        }

        @Override
        void dequantizeBlock(MemorySegment w, long block, float[] out, int at) {
            float d = half(w, block);
            for (int j = 0; j < 16; j++) {
                int packed = w.get(ValueLayout.JAVA_BYTE, block + 2 + j) & 0xFF;
                out[at + j] = ((packed & 0x0F) - 8) * d;
                out[at + j + 16] = ((packed >>> 4) - 8) * d;
            }
        }
    },
    Q4_1(GgmlType.Q4_1, PreparedActivations.Format.Q8_1) {
        @Override
        float blockDot(MemorySegment w, long block, PreparedActivations x, int index) {
            int sumi = 0;
            int a = index * 32;
            for (int j = 0; j < 16; j++) {
                int packed = w.get(ValueLayout.JAVA_BYTE, block + 4 + j) & 0xFF;
                sumi += (packed & 0x0F) * x.qs[a + j];
                sumi += (packed >>> 4) * x.qs[a + j + 16];
            }
            return (half(w, block) * x.d[index]) * sumi + half(w, block + 2) * x.s[index];
        }

        @Override
        void dequantizeBlock(MemorySegment w, long block, float[] out, int at) {
            float d = half(w, block);
            float m = half(w, block + 2);
            for (int j = 0; j < 16; j++) {
                int packed = w.get(ValueLayout.JAVA_BYTE, block + 4 + j) & 0xFF;
                out[at + j] = (packed & 0x0F) * d + m;
                out[at + j + 16] = (packed >>> 4) * d + m;
            }
        }
    },
    Q5_0(GgmlType.Q5_0, PreparedActivations.Format.Q8_0) {
        @Override
        float blockDot(MemorySegment w, long block, PreparedActivations x, int index) {
            int qh = w.get(KernelMath.INT_LE, block + 2);
            int sumi = 0;
            int a = index * 32;
            for (int j = 0; j < 16; j++) {
                int packed = w.get(ValueLayout.JAVA_BYTE, block + 6 + j) & 0xFF;
                int low = ((packed & 0x0F) | (((qh >>> j) & 1) << 4)) - 16;
                int high = ((packed >>> 4) | (((qh >>> (j + 16)) & 1) << 4)) - 16;
                sumi += low * x.qs[a + j];
                sumi += high * x.qs[a + j + 16];
            }
            return (half(w, block) * x.d[index]) * sumi;
        }

        @Override
        void dequantizeBlock(MemorySegment w, long block, float[] out, int at) {
            float d = half(w, block);
            int qh = w.get(KernelMath.INT_LE, block + 2);
            for (int j = 0; j < 16; j++) {
                int packed = w.get(ValueLayout.JAVA_BYTE, block + 6 + j) & 0xFF;
                out[at + j] = (((packed & 0x0F) | (((qh >>> j) & 1) << 4)) - 16) * d;
                out[at + j + 16] = (((packed >>> 4) | (((qh >>> (j + 16)) & 1) << 4)) - 16) * d;
            }
        }
    },
    Q5_1(GgmlType.Q5_1, PreparedActivations.Format.Q8_1) {
        @Override
        float blockDot(MemorySegment w, long block, PreparedActivations x, int index) {
            int qh = w.get(KernelMath.INT_LE, block + 4);
            int sumi = 0;
            int a = index * 32;
            for (int j = 0; j < 16; j++) {
                int packed = w.get(ValueLayout.JAVA_BYTE, block + 8 + j) & 0xFF;
                int low = (packed & 0x0F) | (((qh >>> j) & 1) << 4);
                int high = (packed >>> 4) | (((qh >>> (j + 16)) & 1) << 4);
                sumi += low * x.qs[a + j];
                sumi += high * x.qs[a + j + 16];
            }
            return (half(w, block) * x.d[index]) * sumi + half(w, block + 2) * x.s[index];
        }

        @Override
        void dequantizeBlock(MemorySegment w, long block, float[] out, int at) {
            float d = half(w, block);
            float m = half(w, block + 2);
            int qh = w.get(KernelMath.INT_LE, block + 4);
            for (int j = 0; j < 16; j++) {
                int packed = w.get(ValueLayout.JAVA_BYTE, block + 8 + j) & 0xFF;
                out[at + j] = ((packed & 0x0F) | (((qh >>> j) & 1) << 4)) * d + m;
                out[at + j + 16] = ((packed >>> 4) | (((qh >>> (j + 16)) & 1) << 4)) * d + m;
            }
        }
    },
    Q8_0(GgmlType.Q8_0, PreparedActivations.Format.Q8_0) {
        @Override
        float blockDot(MemorySegment w, long block, PreparedActivations x, int index) {
            int sumi = 0;
            int a = index * 32;
            for (int j = 0; j < 32; j++) {
                sumi += w.get(ValueLayout.JAVA_BYTE, block + 2 + j) * x.qs[a + j];
            }
            return sumi * (half(w, block) * x.d[index]);
        }

        @Override
        void dequantizeBlock(MemorySegment w, long block, float[] out, int at) {
            float d = half(w, block);
            for (int j = 0; j < 32; j++) {
                out[at + j] = w.get(ValueLayout.JAVA_BYTE, block + 2 + j) * d;
            }
        }
    };

    private final GgmlType type;
    private final PreparedActivations.Format format;

    BlockRowKernels(GgmlType type, PreparedActivations.Format format) {
        this.type = type;
        this.format = format;
    }

    /** The float term ggml adds to its running sum for block {@code index} of the row. */
    abstract float blockDot(MemorySegment weights, long block, PreparedActivations x, int index);

    abstract void dequantizeBlock(MemorySegment weights, long block, float[] out, int at);

    static float half(MemorySegment weights, long address) {
        return KernelMath.fromHalf(weights.get(KernelMath.SHORT_LE, address));
    }

    @Override
    public GgmlType type() {
        return type;
    }

    @Override
    public PreparedActivations.Format activationFormat() {
        return format;
    }

    @Override
    public float dot(MemorySegment weights, long rowOffset, PreparedActivations x, int n) {
        int blocks = KernelMath.blocks(type, n);
        x.require(format, n);
        int blockBytes = type.blockBytes();
        float sum = 0f;
        for (int b = 0; b < blocks; b++) {
            sum += blockDot(weights, rowOffset + (long) b * blockBytes, x, b);
        }
        return sum;
    }

    @Override
    public void dequantize(MemorySegment weights, long offset, float[] out, int outOffset, int n) {
        int blocks = KernelMath.blocks(type, n);
        KernelMath.checkOutput(out, outOffset, n);
        int blockBytes = type.blockBytes();
        for (int b = 0; b < blocks; b++) {
            dequantizeBlock(weights, offset + (long) b * blockBytes, out, outOffset + b * 32);
        }
    }
}
