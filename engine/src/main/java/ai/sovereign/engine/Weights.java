package ai.sovereign.engine;

/**
 * The tensors of a llama-family model under llama.cpp's GGUF names, with shapes checked against the
 * configuration. Matrices stay in the mapped file; small vectors are copied to float arrays.
 */
final class Weights {
    final Matrix tokenEmbedding;     // (vocab, dim)
    final float[] outputNorm;        // (dim)
    final Matrix output;             // (vocab, dim); token_embd when tied
    final float[] ropeFactors;       // (ropeDims / 2) or null
    final Layer[] layers;

    record Layer(
            float[] attentionNorm,   // (dim)
            Matrix wq,               // (heads * headDim, dim)
            Matrix wk,               // (kvHeads * headDim, dim)
            Matrix wv,               // (kvHeads * headDim, dim)
            float[] bq, float[] bk, float[] bv, // qwen2: biases, else null
            float[] qNorm, float[] kNorm,       // qwen3: (headDim), else null
            Matrix wo,               // (dim, heads * headDim)
            float[] ffnNorm,         // (dim)
            Matrix gate,             // (ff, dim)
            Matrix up,               // (ff, dim)
            Matrix down) {}          // (dim, ff)

    /** The row kernels the matrices use (see {@link Matrix#Matrix(GgufTensor, MemorySegment, int)}). */
    final int kernelBits;

    Weights(GgufFile file, ModelConfig c) {
        this(file, c, -1);
    }

    /** {@code kernelBits} as {@link Matrix#Matrix(GgufTensor, MemorySegment, int)}. */
    Weights(GgufFile file, ModelConfig c, int kernelBits) {
        this.kernelBits = kernelBits;
        tokenEmbedding = matrix(file, "token_embd.weight", c.embeddingLength(), c.vocabularySize());
        outputNorm = vector(file, "output_norm.weight", c.embeddingLength());
        output = file.tensor("output.weight") != null
                ? matrix(file, "output.weight", c.embeddingLength(), c.vocabularySize())
                : tokenEmbedding;
        ropeFactors = file.tensor("rope_freqs.weight") != null ? vector(file, "rope_freqs.weight", c.ropeDimensions() / 2) : null;
        layers = new Layer[c.layers()];
        for (int i = 0; i < layers.length; i++) {
            String p = "blk." + i + ".";
            boolean bias = file.tensor(p + "attn_q.bias") != null;
            layers[i] = new Layer(
                    vector(file, p + "attn_norm.weight", c.embeddingLength()),
                    matrix(file, p + "attn_q.weight", c.embeddingLength(), c.queryDim()),
                    matrix(file, p + "attn_k.weight", c.embeddingLength(), c.kvDim()),
                    matrix(file, p + "attn_v.weight", c.embeddingLength(), c.kvDim()),
                    bias ? vector(file, p + "attn_q.bias", c.queryDim()) : null,
                    bias ? vector(file, p + "attn_k.bias", c.kvDim()) : null,
                    bias ? vector(file, p + "attn_v.bias", c.kvDim()) : null,
                    c.qkNorm() ? vector(file, p + "attn_q_norm.weight", c.headDim()) : null,
                    c.qkNorm() ? vector(file, p + "attn_k_norm.weight", c.headDim()) : null,
                    matrix(file, p + "attn_output.weight", c.queryDim(), c.embeddingLength()),
                    vector(file, p + "ffn_norm.weight", c.embeddingLength()),
                    matrix(file, p + "ffn_gate.weight", c.embeddingLength(), c.feedForwardLength()),
                    matrix(file, p + "ffn_up.weight", c.embeddingLength(), c.feedForwardLength()),
                    matrix(file, p + "ffn_down.weight", c.feedForwardLength(), c.embeddingLength()));
        }
    }

    private static GgufTensor require(GgufFile file, String name, long cols, long rows) {
        GgufTensor t = file.tensor(name);
        if (t == null) {
            throw new UnsupportedModelException("tensor " + name + " is missing");
        }
        if (t.dimension(0) != cols || t.dimension(1) != rows || t.dimensions() > 2) {
            throw new UnsupportedModelException("tensor " + name + " has shape " + java.util.Arrays.toString(t.shape())
                    + ", expected [" + cols + (rows == 1 ? "" : ", " + rows) + "]");
        }
        return t;
    }

    private Matrix matrix(GgufFile file, String name, int cols, int rows) {
        GgufTensor t = require(file, name, cols, rows);
        return new Matrix(t, file.data(t), kernelBits);
    }

    private static float[] vector(GgufFile file, String name, int length) {
        GgufTensor t = require(file, name, length, 1);
        return new Matrix(t, file.data(t)).toFloats();
    }
}
