package ai.sovereign.engine;

import java.lang.foreign.MemorySegment;

/**
 * A weight matrix of {@code rows} rows of {@code cols} elements (ggml {@code ne = [cols, rows]}),
 * read in place from the mapped file. Multiplication rounds the input the way ggml does for the
 * weight type (see {@link RowKernel}) so results match llama.cpp's.
 */
final class Matrix {
    final String name;
    final GgmlType type;
    final int rows;
    final int cols;
    private final MemorySegment data;
    private final RowKernel kernel;
    private final long rowBytes;

    Matrix(GgufTensor tensor, MemorySegment data) {
        this(tensor, data, -1);
    }

    /** {@code kernelBits}: -1 the fastest kernels ({@link RowKernel#fastest}), 0 the scalar reference, else that vector width. */
    Matrix(GgufTensor tensor, MemorySegment data, int kernelBits) {
        if (tensor.dimensions() > 2) {
            throw new UnsupportedModelException("tensor " + tensor.name() + " has " + tensor.dimensions() + " dimensions; a matrix has at most 2");
        }
        if (!tensor.type().computable()) {
            throw new UnsupportedModelException("tensor " + tensor.name() + " has type " + tensor.type()
                    + ", which this engine cannot compute (supported: F32, F16, BF16, Q8_0, Q4_0, Q4_1, Q5_0, Q5_1, Q4_K, Q5_K, Q6_K)");
        }
        this.name = tensor.name();
        this.type = tensor.type();
        this.cols = Math.toIntExact(tensor.dimension(0));
        this.rows = Math.toIntExact(tensor.dimension(1));
        this.data = data;
        this.kernel = kernelBits < 0 ? RowKernel.fastest(type)
                : VectorKernels.forBits(kernelBits, type).orElseGet(() -> RowKernel.of(type));
        this.rowBytes = type.bytesFor(cols);
    }

    /** Below this many multiply-adds a product runs on the calling thread: waking workers costs more. */
    private static final long PARALLEL_THRESHOLD = 1L << 16;

    /**
     * outs[t][0, rows) = this · xs[t][0, cols) for t in [0, count): each weight row is read once for
     * all {@code count} inputs. {@code prepared[t]} receive the rounded inputs.
     */
    void multiply(float[][] xs, float[][] outs, int count, PreparedActivations[] prepared, WorkerPool pool) {
        for (int t = 0; t < count; t++) {
            kernel.prepare(xs[t], 0, cols, prepared[t]);
        }
        WorkerPool.RangeTask rowsTask = (worker, from, to) ->
                kernel.dotRows(data, from * rowBytes, rowBytes, to - from, prepared, count, cols, outs, from);
        if ((long) rows * cols * count < PARALLEL_THRESHOLD) {
            rowsTask.run(0, 0, rows);
        } else {
            pool.run(rows, 16, rowsTask);
        }
    }

    /** Bytes of weight data (what one product reads). */
    long bytes() {
        return rowBytes * rows;
    }

    /** Row {@code r} as floats (embedding lookup). */
    void row(int r, float[] out) {
        kernel.dequantize(data, r * rowBytes, out, 0, cols);
    }

    /** All elements as floats (small vectors: norms, biases, RoPE factors). */
    float[] toFloats() {
        float[] out = new float[Math.multiplyExact(rows, cols)];
        for (int r = 0; r < rows; r++) {
            kernel.dequantize(data, r * rowBytes, out, r * cols, cols);
        }
        return out;
    }
}
