package ai.sovereign.engine;

/**
 * An independent float64 forward pass written from the architecture descriptions (RMSNorm, RoPE in
 * adjacent-pair or NeoX layout with optional frequency factors, GQA, Q/K/V biases, per-head Q/K
 * RMSNorm, SwiGLU), with weights dequantized and activations never rounded. It recomputes attention
 * over all positions for every token: slow, simple, and sharing no code with {@link Transformer}.
 */
final class ReferenceTransformer {
    private final GgufFile file;
    private final ModelConfig c;
    private final double[][] keys;    // [layer][position * kvDim + i]
    private final double[][] values;
    private int position;

    ReferenceTransformer(GgufFile file, ModelConfig config, int maxPositions) {
        this.file = file;
        this.c = config;
        keys = new double[c.layers()][maxPositions * c.kvDim()];
        values = new double[c.layers()][maxPositions * c.kvDim()];
    }

    double[] forward(int token) {
        int dim = c.embeddingLength();
        double[] x = row("token_embd.weight", token, dim);
        for (int l = 0; l < c.layers(); l++) {
            String p = "blk." + l + ".";
            double[] h = rmsNorm(x, vector(p + "attn_norm.weight"));
            double[] q = matmul(p + "attn_q.weight", h);
            double[] k = matmul(p + "attn_k.weight", h);
            double[] v = matmul(p + "attn_v.weight", h);
            if (file.tensor(p + "attn_q.bias") != null) {
                addInPlace(q, vector(p + "attn_q.bias"));
                addInPlace(k, vector(p + "attn_k.bias"));
                addInPlace(v, vector(p + "attn_v.bias"));
            }
            if (file.tensor(p + "attn_q_norm.weight") != null) {
                normalizeHeads(q, c.heads(), vector(p + "attn_q_norm.weight"));
                normalizeHeads(k, c.kvHeads(), vector(p + "attn_k_norm.weight"));
            }
            rope(q, c.heads());
            rope(k, c.kvHeads());
            System.arraycopy(k, 0, keys[l], position * c.kvDim(), c.kvDim());
            System.arraycopy(v, 0, values[l], position * c.kvDim(), c.kvDim());
            double[] attention = new double[c.queryDim()];
            int group = c.heads() / c.kvHeads();
            for (int head = 0; head < c.heads(); head++) {
                int kvHead = head / group;
                double[] scores = new double[position + 1];
                double max = Double.NEGATIVE_INFINITY;
                for (int t = 0; t <= position; t++) {
                    double s = 0;
                    for (int i = 0; i < c.headDim(); i++) {
                        s += q[head * c.headDim() + i] * keys[l][t * c.kvDim() + kvHead * c.headDim() + i];
                    }
                    scores[t] = s / Math.sqrt(c.headDim());
                    max = Math.max(max, scores[t]);
                }
                double sum = 0;
                for (int t = 0; t <= position; t++) {
                    scores[t] = Math.exp(scores[t] - max);
                    sum += scores[t];
                }
                for (int t = 0; t <= position; t++) {
                    for (int i = 0; i < c.headDim(); i++) {
                        attention[head * c.headDim() + i] += scores[t] / sum * values[l][t * c.kvDim() + kvHead * c.headDim() + i];
                    }
                }
            }
            addInPlace(x, matmul(p + "attn_output.weight", attention));
            double[] f = rmsNorm(x, vector(p + "ffn_norm.weight"));
            double[] gate = matmul(p + "ffn_gate.weight", f);
            double[] up = matmul(p + "ffn_up.weight", f);
            for (int i = 0; i < gate.length; i++) {
                gate[i] = gate[i] / (1 + Math.exp(-gate[i])) * up[i];
            }
            addInPlace(x, matmul(p + "ffn_down.weight", gate));
        }
        double[] out = rmsNorm(x, vector("output_norm.weight"));
        position++;
        return matmul(file.tensor("output.weight") != null ? "output.weight" : "token_embd.weight", out);
    }

    private void rope(double[] vec, int heads) {
        int dims = c.ropeDimensions();
        double[] factors = file.tensor("rope_freqs.weight") != null ? vector("rope_freqs.weight") : null;
        for (int head = 0; head < heads; head++) {
            int base = head * c.headDim();
            for (int pair = 0; pair < dims / 2; pair++) {
                double frequency = Math.pow(c.ropeBase(), -2.0 * pair / dims) / (factors == null ? 1 : factors[pair]);
                double angle = position * frequency;
                int a = c.ropeNeox() ? base + pair : base + 2 * pair;
                int b = c.ropeNeox() ? base + pair + dims / 2 : base + 2 * pair + 1;
                double x0 = vec[a];
                double x1 = vec[b];
                vec[a] = x0 * Math.cos(angle) - x1 * Math.sin(angle);
                vec[b] = x0 * Math.sin(angle) + x1 * Math.cos(angle);
            }
        }
    }

    private void normalizeHeads(double[] vec, int heads, double[] weight) {
        for (int head = 0; head < heads; head++) {
            double[] part = new double[c.headDim()];
            System.arraycopy(vec, head * c.headDim(), part, 0, c.headDim());
            System.arraycopy(rmsNorm(part, weight), 0, vec, head * c.headDim(), c.headDim());
        }
    }

    private double[] rmsNorm(double[] x, double[] weight) {
        double sum = 0;
        for (double v : x) {
            sum += v * v;
        }
        double scale = 1 / Math.sqrt(sum / x.length + c.rmsEpsilon());
        double[] out = new double[x.length];
        for (int i = 0; i < x.length; i++) {
            out[i] = x[i] * scale * weight[i];
        }
        return out;
    }

    private double[] matmul(String name, double[] x) {
        GgufTensor t = file.tensor(name);
        int cols = (int) t.dimension(0);
        int rows = (int) t.dimension(1);
        double[] out = new double[rows];
        for (int r = 0; r < rows; r++) {
            double[] w = row(name, r, cols);
            double s = 0;
            for (int i = 0; i < cols; i++) {
                s += w[i] * x[i];
            }
            out[r] = s;
        }
        return out;
    }

    private double[] row(String name, int r, int cols) {
        GgufTensor t = file.tensor(name);
        float[] f = new float[cols];
        RowKernel.of(t.type()).dequantize(file.data(t), r * t.type().bytesFor(cols), f, 0, cols);
        double[] d = new double[cols];
        for (int i = 0; i < cols; i++) {
            d[i] = f[i];
        }
        return d;
    }

    private double[] vector(String name) {
        GgufTensor t = file.tensor(name);
        return row(name, 0, (int) t.elementCount());
    }

    private static void addInPlace(double[] target, double[] addend) {
        for (int i = 0; i < target.length; i++) {
            target[i] += addend[i];
        }
    }
}
