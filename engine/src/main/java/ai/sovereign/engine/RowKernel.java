package ai.sovereign.engine;

import java.lang.foreign.MemorySegment;

/**
 * Row operations on tensor data of one GGML type: the scalar reference, written to give the same
 * floats as ggml's CPU backend (generic C paths of ggml-cpu/quants.c and vec.c, activation rounding
 * of the x86 build). A faster implementation may sit beside it behind this interface; it must agree.
 *
 * <p>Implementations are stateless and thread-safe. Byte offsets are absolute within the segment and
 * need no alignment; element counts must be whole blocks of the type.
 */
interface RowKernel {
    GgmlType type();

    /** The activation format this type's dot product consumes. */
    PreparedActivations.Format activationFormat();

    /** Rounds x[offset, offset+n) the way ggml does for this type's vec-dot type into {@code into}. */
    default void prepare(float[] x, int offset, int n, PreparedActivations into) {
        switch (activationFormat()) {
            case F32 -> into.prepareF32(x, offset, n);
            case F16 -> into.prepareF16(x, offset, n);
            case BF16 -> into.prepareBf16(x, offset, n);
            case Q8_0 -> into.prepareQ8_0(x, offset, n);
            case Q8_1 -> into.prepareQ8_1(x, offset, n);
            case Q8_K -> into.prepareQ8_K(x, offset, n);
        }
    }

    /** Dot product of the n-element row at byte offset {@code rowOffset} with the first n prepared activations. */
    float dot(MemorySegment weights, long rowOffset, PreparedActivations x, int n);

    /**
     * Batched dot products (the matrix × matrix step of prefill and batched decode):
     * {@code outs[t][outRow + i] = dot(weights, rowOffset + i·rowBytes, xs[t], n)} for rows i in
     * [0, rows) and inputs t in [0, count), <b>bit-identical</b> to those single dots. A fast kernel
     * decodes each weight block once for several inputs; this reference simply loops over {@link #dot}.
     */
    default void dotRows(MemorySegment weights, long rowOffset, long rowBytes, int rows,
            PreparedActivations[] xs, int count, int n, float[][] outs, int outRow) {
        for (int i = 0; i < rows; i++) {
            long row = rowOffset + i * rowBytes;
            for (int t = 0; t < count; t++) {
                outs[t][outRow + i] = dot(weights, row, xs[t], n);
            }
        }
    }

    /** Dequantizes n elements starting at byte offset {@code offset} into out[outOffset, outOffset+n). */
    void dequantize(MemorySegment weights, long offset, float[] out, int outOffset, int n);

    /**
     * The fastest kernel for {@code type} on this JVM: a Vector API kernel when the
     * {@code jdk.incubator.vector} module is present and not disabled ({@code -Dsovereign.vector.bits=0}),
     * else the scalar reference. See {@link VectorKernels} for the choice of vector width.
     */
    static RowKernel fastest(GgmlType type) {
        return VectorKernels.fastest(type);
    }

    /** The scalar reference kernel for {@code type}. */
    static RowKernel of(GgmlType type) {
        return switch (type) {
            case F32 -> FloatRowKernels.F32;
            case F16 -> FloatRowKernels.F16;
            case BF16 -> FloatRowKernels.BF16;
            case Q4_0 -> BlockRowKernels.Q4_0;
            case Q4_1 -> BlockRowKernels.Q4_1;
            case Q5_0 -> BlockRowKernels.Q5_0;
            case Q5_1 -> BlockRowKernels.Q5_1;
            case Q8_0 -> BlockRowKernels.Q8_0;
            case Q4_K -> KQuantRowKernels.Q4_K;
            case Q5_K -> KQuantRowKernels.Q5_K;
            case Q6_K -> KQuantRowKernels.Q6_K;
            default -> throw new IllegalArgumentException("no row kernel for tensor type " + type + " (id " + type.id() + ")");
        };
    }
}
