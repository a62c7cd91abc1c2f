package ai.sovereign.engine;

/**
 * The forward pass of llama-family decoders (llama, qwen2, qwen3, exaone), one token at a time,
 * written to follow llama.cpp's graph and ggml's CPU numerics:
 * RMSNorm (sum of squares in double, scale {@code 1/sqrtf(mean + eps)}), Q/K/V projections (+ qwen2
 * biases, + qwen3 per-head Q/K RMSNorm), RoPE with ggml's running {@code theta *= theta_scale} and
 * optional frequency factors ({@code rope_freqs}, Llama 3.1 scaling), grouped-query attention over a
 * float32 KV cache with scale {@code 1/sqrt(headDim)}, SwiGLU feed-forward, final norm and output
 * projection. Matrix products round activations per weight type exactly as ggml does.
 */
final class Transformer {
    final ModelConfig config;
    final Weights weights;
    private final float attentionScale;
    private final float ropeThetaScale;

    Transformer(ModelConfig config, Weights weights) {
        this.config = config;
        this.weights = weights;
        this.attentionScale = (float) (1.0 / Math.sqrt(config.headDim()));
        this.ropeThetaScale = (float) Math.pow(config.ropeBase(), -2.0 / config.ropeDimensions());
    }

    /** Per-sequence state: the KV cache and scratch buffers, allocated once. */
    static final class State {
        final int contextLength;
        final float[][] keyCache;    // (layer) -> (position, kvDim)
        final float[][] valueCache;  // (layer) -> (position, kvDim)
        final float[] x, xb, xb2, q, k, v, attention, hb, hb2, scores, logits, rope;
        final PreparedActivations prepared;

        State(ModelConfig c, int contextLength) {
            this.contextLength = contextLength;
            long cacheFloats = (long) contextLength * c.kvDim();
            if (cacheFloats > Integer.MAX_VALUE - 8) {
                throw new IllegalArgumentException("KV cache of " + contextLength + " positions x " + c.kvDim()
                        + " values exceeds one array per layer; lower the context length");
            }
            keyCache = new float[c.layers()][(int) cacheFloats];
            valueCache = new float[c.layers()][(int) cacheFloats];
            x = new float[c.embeddingLength()];
            xb = new float[Math.max(c.embeddingLength(), c.queryDim())];
            xb2 = new float[c.embeddingLength()];
            q = new float[c.queryDim()];
            k = new float[c.kvDim()];
            v = new float[c.kvDim()];
            attention = new float[c.queryDim()];
            hb = new float[c.feedForwardLength()];
            hb2 = new float[c.feedForwardLength()];
            scores = new float[contextLength];
            logits = new float[c.vocabularySize()];
            rope = new float[c.ropeDimensions()];
            int widest = Math.max(Math.max(c.embeddingLength(), c.queryDim()), c.feedForwardLength());
            prepared = new PreparedActivations((widest + 255) / 256 * 256);
        }

        static long bytesFor(ModelConfig c, int contextLength) {
            return 2L * c.layers() * contextLength * c.kvDim() * Float.BYTES;
        }
    }

    /**
     * Runs {@code token} at {@code position} (all earlier positions must be in the cache) and, when
     * {@code computeLogits}, returns the state's logits array filled for the next token.
     */
    float[] forward(State s, int token, int position, boolean computeLogits) {
        ModelConfig c = config;
        Weights w = weights;
        int dim = c.embeddingLength();
        int headDim = c.headDim();
        int kvDim = c.kvDim();
        int group = c.heads() / c.kvHeads();
        w.tokenEmbedding.row(token, s.x);
        fillRope(s.rope, position);

        for (int l = 0; l < c.layers(); l++) {
            Weights.Layer layer = w.layers[l];
            rmsNorm(s.xb, s.x, layer.attentionNorm(), dim, c.rmsEpsilon());
            layer.wq().multiply(s.xb, s.q, s.prepared);
            layer.wk().multiply(s.xb, s.k, s.prepared);
            layer.wv().multiply(s.xb, s.v, s.prepared);
            if (layer.bq() != null) {
                add(s.q, layer.bq(), c.queryDim());
                add(s.k, layer.bk(), kvDim);
                add(s.v, layer.bv(), kvDim);
            }
            if (layer.qNorm() != null) {
                for (int h = 0; h < c.heads(); h++) {
                    rmsNormInPlace(s.q, h * headDim, layer.qNorm(), headDim, c.rmsEpsilon());
                }
                for (int h = 0; h < c.kvHeads(); h++) {
                    rmsNormInPlace(s.k, h * headDim, layer.kNorm(), headDim, c.rmsEpsilon());
                }
            }
            for (int h = 0; h < c.heads(); h++) {
                rotate(s.q, h * headDim, s.rope);
            }
            for (int h = 0; h < c.kvHeads(); h++) {
                rotate(s.k, h * headDim, s.rope);
            }
            System.arraycopy(s.k, 0, s.keyCache[l], position * kvDim, kvDim);
            System.arraycopy(s.v, 0, s.valueCache[l], position * kvDim, kvDim);

            float[] keys = s.keyCache[l];
            float[] values = s.valueCache[l];
            for (int h = 0; h < c.heads(); h++) {
                int qOffset = h * headDim;
                int kvOffset = (h / group) * headDim;
                float max = Float.NEGATIVE_INFINITY;
                for (int t = 0; t <= position; t++) {
                    int kOffset = t * kvDim + kvOffset;
                    float dot = 0f;
                    for (int i = 0; i < headDim; i++) {
                        dot += s.q[qOffset + i] * keys[kOffset + i];
                    }
                    float score = dot * attentionScale;
                    s.scores[t] = score;
                    max = Math.max(max, score);
                }
                double sum = 0;
                for (int t = 0; t <= position; t++) {
                    float e = (float) Math.exp(s.scores[t] - max);
                    s.scores[t] = e;
                    sum += e;
                }
                float inverse = (float) (1.0 / sum);
                java.util.Arrays.fill(s.attention, qOffset, qOffset + headDim, 0f);
                for (int t = 0; t <= position; t++) {
                    float a = s.scores[t] * inverse;
                    int vOffset = t * kvDim + kvOffset;
                    for (int i = 0; i < headDim; i++) {
                        s.attention[qOffset + i] += a * values[vOffset + i];
                    }
                }
            }
            layer.wo().multiply(s.attention, s.xb2, s.prepared);
            add(s.x, s.xb2, dim);

            rmsNorm(s.xb, s.x, layer.ffnNorm(), dim, c.rmsEpsilon());
            layer.gate().multiply(s.xb, s.hb, s.prepared);
            layer.up().multiply(s.xb, s.hb2, s.prepared);
            for (int i = 0; i < c.feedForwardLength(); i++) {
                float g = s.hb[i];
                s.hb[i] = g / (1f + (float) Math.exp(-g)) * s.hb2[i];
            }
            layer.down().multiply(s.hb, s.xb2, s.prepared);
            add(s.x, s.xb2, dim);
        }
        if (!computeLogits) {
            return null;
        }
        rmsNorm(s.xb, s.x, w.outputNorm, dim, c.rmsEpsilon());
        w.output.multiply(s.xb, s.logits, s.prepared);
        return s.logits;
    }

    /** cos/sin pairs for one position, as ggml_rope_cache_init computes them. */
    private void fillRope(float[] rope, int position) {
        float theta = position;
        float[] factors = weights.ropeFactors;
        for (int i = 0; i < rope.length; i += 2) {
            float ff = factors != null ? factors[i / 2] : 1f;
            double angle = theta / ff;
            rope[i] = (float) Math.cos(angle);
            rope[i + 1] = (float) Math.sin(angle);
            theta *= ropeThetaScale;
        }
    }

    private void rotate(float[] vec, int offset, float[] rope) {
        int dims = config.ropeDimensions();
        if (config.ropeNeox()) {
            int half = dims / 2;
            for (int i = 0; i < half; i++) {
                float cos = rope[2 * i];
                float sin = rope[2 * i + 1];
                float x0 = vec[offset + i];
                float x1 = vec[offset + i + half];
                vec[offset + i] = x0 * cos - x1 * sin;
                vec[offset + i + half] = x0 * sin + x1 * cos;
            }
        } else {
            for (int i = 0; i < dims; i += 2) {
                float cos = rope[i];
                float sin = rope[i + 1];
                float x0 = vec[offset + i];
                float x1 = vec[offset + i + 1];
                vec[offset + i] = x0 * cos - x1 * sin;
                vec[offset + i + 1] = x0 * sin + x1 * cos;
            }
        }
    }

    static void rmsNorm(float[] out, float[] x, float[] weight, int n, float eps) {
        double sum = 0;
        for (int i = 0; i < n; i++) {
            sum += x[i] * x[i];
        }
        float mean = (float) (sum / n);
        float scale = 1f / (float) Math.sqrt(mean + eps);
        for (int i = 0; i < n; i++) {
            out[i] = x[i] * scale * weight[i];
        }
    }

    private static void rmsNormInPlace(float[] x, int offset, float[] weight, int n, float eps) {
        double sum = 0;
        for (int i = 0; i < n; i++) {
            sum += x[offset + i] * x[offset + i];
        }
        float scale = 1f / (float) Math.sqrt((float) (sum / n) + eps);
        for (int i = 0; i < n; i++) {
            x[offset + i] = x[offset + i] * scale * weight[i];
        }
    }

    private static void add(float[] target, float[] addend, int n) {
        for (int i = 0; i < n; i++) {
            target[i] += addend[i];
        }
    }
}
