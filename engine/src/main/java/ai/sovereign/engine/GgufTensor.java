package ai.sovereign.engine;

/**
 * One tensor's description in a GGUF file. {@code shape} is in ggml order: {@code shape[0]} is the
 * row length (the contiguous dimension). {@code offset} is relative to the start of the tensor data
 * section.
 */
public record GgufTensor(String name, GgmlType type, long[] shape, long offset, long byteSize) {

    public GgufTensor {
        shape = shape.clone();
    }

    @Override
    public long[] shape() {
        return shape.clone();
    }

    public int dimensions() {
        return shape.length;
    }

    public long dimension(int i) {
        return i < shape.length ? shape[i] : 1;
    }

    public long elementCount() {
        long n = 1;
        for (long d : shape) {
            n = Math.multiplyExact(n, d);
        }
        return n;
    }

    /** Elements per row (ggml's ne[0]). */
    public long rowLength() {
        return shape.length == 0 ? 1 : shape[0];
    }

    /** Number of rows: the product of all dimensions but the first. */
    public long rows() {
        return elementCount() / Math.max(1, rowLength());
    }
}
