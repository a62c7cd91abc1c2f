package ai.sovereign.engine;

import java.lang.foreign.MemorySegment;

/**
 * Kernels for the unquantized types. BF16 weights take activations rounded to bf16 (ggml's
 * vec_dot_type). F16 weights take float activations, as ggml's AVX-512/AMX path does (the golden
 * files' reference); ggml's generic path rounds them to fp16 first, which moves logits by ~0.006.
 * Each product is formed in float and summed in double, as the scalar ggml_vec_dot_* do.
 */
enum FloatRowKernels implements RowKernel {
    F32(GgmlType.F32, PreparedActivations.Format.F32) {
        @Override
        float weight(MemorySegment weights, long address) {
            return weights.get(KernelMath.FLOAT_LE, address);
        }
    },
    F16(GgmlType.F16, PreparedActivations.Format.F32) {
        @Override
        float weight(MemorySegment weights, long address) {
            return KernelMath.fromHalf(weights.get(KernelMath.SHORT_LE, address));
        }
    },
    BF16(GgmlType.BF16, PreparedActivations.Format.BF16) {
        @Override
        float weight(MemorySegment weights, long address) {
            return KernelMath.fromBf16(weights.get(KernelMath.SHORT_LE, address));
        }
    };

    private final GgmlType type;
    private final PreparedActivations.Format format;
    private final int width;

    FloatRowKernels(GgmlType type, PreparedActivations.Format format) {
        this.type = type;
        this.format = format;
        this.width = type.blockBytes();
    }

    abstract float weight(MemorySegment weights, long address);

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
        x.require(format, n);
        float[] values = x.values;
        double sum = 0.0;
        for (int i = 0; i < n; i++) {
            sum += weight(weights, rowOffset + (long) i * width) * values[i];
        }
        return (float) sum;
    }

    @Override
    public void dequantize(MemorySegment weights, long offset, float[] out, int outOffset, int n) {
        KernelMath.checkOutput(out, outOffset, n);
        for (int i = 0; i < n; i++) {
            out[outOffset + i] = weight(weights, offset + (long) i * width);
        }
    }
}
