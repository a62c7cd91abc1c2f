package ai.sovereign.engine;

import java.util.Arrays;

/**
 * The forward pass of llama-family decoders (llama, qwen2, qwen3, exaone) over a batch of tokens,
 * written to follow llama.cpp's graph and ggml's CPU numerics: RMSNorm (sum of squares in double,
 * scale {@code 1/sqrtf(mean + eps)}), Q/K/V projections (+ qwen2 biases, + qwen3 per-head Q/K
 * RMSNorm), RoPE with ggml's running {@code theta *= theta_scale} and optional frequency factors
 * ({@code rope_freqs}, Llama 3.1 scaling), grouped-query attention over float32 KV caches with scale
 * {@code 1/sqrt(headDim)}, SwiGLU feed-forward, final norm and output projection. Matrix products
 * round activations per weight type exactly as ggml does (see {@link PreparedActivations}).
 *
 * <p>Batching: a call runs {@code count} entries, each a token at a position of some sequence's
 * {@link KvCache}. Every weight matrix is read once per call for all entries (prefill of a prompt,
 * or one decode step of many sequences). All entries' keys and values are stored before attention,
 * and each entry attends to its own cache up to its own position, so a prompt chunk is causal.
 */
final class Transformer {
    final ModelConfig config;
    final Weights weights;
    final WorkerPool pool;
    /** Below this many multiply-adds per layer, attention runs on the calling thread. */
    private static final long PARALLEL_ATTENTION_THRESHOLD = 1L << 15;

    private final ActivationMath math;
    private final float attentionScale;
    private final float ropeThetaScale;

    Transformer(ModelConfig config, Weights weights, WorkerPool pool) {
        this.config = config;
        this.weights = weights;
        this.pool = pool;
        this.math = weights.kernelBits == 0 ? ActivationMath.SCALAR : ActivationMath.fastest();
        this.attentionScale = (float) (1.0 / Math.sqrt(config.headDim()));
        this.ropeThetaScale = (float) Math.pow(config.ropeBase(), -2.0 / config.ropeDimensions());
    }

    /**
     * One sequence's keys and values, float32, per layer. Values are (position, kvDim); keys are stored
     * transposed, (kvDim, position), so that attention scores for consecutive positions are contiguous
     * vectors ({@link ActivationMath#scores}). The arrays hold {@link #capacity} positions and grow by
     * doubling up to {@link #contextLength} as the sequence does ({@link #ensure}), so a short request
     * holds a short cache; {@link #bytesFor} is the worst case, what admission must plan for.
     */
    static final class KvCache {
        /** Positions a new cache holds before it first grows. */
        static final int INITIAL_CAPACITY = 256;

        final int contextLength;
        private final int kvDim;
        /** Positions the arrays hold now: the keys' row stride. */
        int capacity;
        final float[][] keys;
        final float[][] values;

        KvCache(ModelConfig c, int contextLength) {
            long floats = (long) contextLength * c.kvDim();
            if (floats > Integer.MAX_VALUE - 8) {
                throw new IllegalArgumentException("KV cache of " + contextLength + " positions x " + c.kvDim()
                        + " values exceeds one array per layer; lower the context length");
            }
            this.contextLength = contextLength;
            this.kvDim = c.kvDim();
            this.capacity = Math.min(contextLength, INITIAL_CAPACITY);
            keys = new float[c.layers()][capacity * kvDim];
            values = new float[c.layers()][capacity * kvDim];
        }

        /** Grows the arrays so position {@code position} fits (positions below it keep their values). */
        void ensure(int position) {
            if (position < capacity) {
                return;
            }
            if (position >= contextLength) {
                throw new ContextOverflowException(position + 1, contextLength);
            }
            int grown = Math.max(position + 1, (int) Math.min(contextLength, 2L * capacity));
            for (int l = 0; l < keys.length; l++) {
                float[] oldKeys = keys[l];
                float[] newKeys = new float[grown * kvDim];
                for (int d = 0; d < kvDim; d++) {
                    System.arraycopy(oldKeys, d * capacity, newKeys, d * grown, capacity);
                }
                keys[l] = newKeys;
                values[l] = java.util.Arrays.copyOf(values[l], grown * kvDim);
            }
            capacity = grown;
        }

        static long bytesFor(ModelConfig c, int contextLength) {
            return 2L * c.layers() * contextLength * c.kvDim() * Float.BYTES;
        }
    }

    /** Activation buffers for up to {@code capacity} entries per call; allocated once, reused. */
    static final class Scratch {
        final int capacity;
        final float[][] x, xb, xb2, q, k, v, attention, hb, hb2, rope, normalized, logits;
        final float[][] scores; // (worker) -> (position)
        final PreparedActivations[] prepared;

        Scratch(ModelConfig c, int capacity, int maxContext, int workers) {
            this.capacity = capacity;
            x = new float[capacity][c.embeddingLength()];
            xb = new float[capacity][c.embeddingLength()];
            xb2 = new float[capacity][c.embeddingLength()];
            q = new float[capacity][c.queryDim()];
            k = new float[capacity][c.kvDim()];
            v = new float[capacity][c.kvDim()];
            attention = new float[capacity][c.queryDim()];
            hb = new float[capacity][c.feedForwardLength()];
            hb2 = new float[capacity][c.feedForwardLength()];
            rope = new float[capacity][c.ropeDimensions()];
            normalized = new float[capacity][];
            logits = new float[capacity][];
            scores = new float[workers][maxContext];
            int widest = Math.max(Math.max(c.embeddingLength(), c.queryDim()), c.feedForwardLength());
            prepared = new PreparedActivations[capacity];
            for (int i = 0; i < capacity; i++) {
                prepared[i] = new PreparedActivations(widest);
            }
        }
    }

    /**
     * Runs entries [0, count): token {@code tokens[i]} at {@code positions[i]} of {@code caches[i]}.
     * For each i with {@code logitsOut[i] != null}, writes the next-token logits there.
     */
    void forward(Scratch s, KvCache[] caches, int[] tokens, int[] positions, int count, float[][] logitsOut) {
        if (count > s.capacity) {
            throw new IllegalArgumentException("batch of " + count + " exceeds the scratch capacity " + s.capacity);
        }
        ModelConfig c = config;
        Weights w = weights;
        int dim = c.embeddingLength();
        int headDim = c.headDim();
        int kvDim = c.kvDim();
        long attendedPositions = 0;
        for (int i = 0; i < count; i++) {
            caches[i].ensure(positions[i]);
            w.tokenEmbedding.row(tokens[i], s.x[i]);
            fillRope(s.rope[i], positions[i]);
            attendedPositions += positions[i] + 1;
        }
        for (int l = 0; l < c.layers(); l++) {
            Weights.Layer layer = w.layers[l];
            for (int i = 0; i < count; i++) {
                rmsNorm(s.xb[i], s.x[i], layer.attentionNorm(), dim, c.rmsEpsilon());
            }
            layer.wq().multiply(s.xb, s.q, count, s.prepared, pool);
            layer.wk().multiply(s.xb, s.k, count, s.prepared, pool);
            layer.wv().multiply(s.xb, s.v, count, s.prepared, pool);
            for (int i = 0; i < count; i++) {
                if (layer.bq() != null) {
                    add(s.q[i], layer.bq(), c.queryDim());
                    add(s.k[i], layer.bk(), kvDim);
                    add(s.v[i], layer.bv(), kvDim);
                }
                if (layer.qNorm() != null) {
                    for (int h = 0; h < c.heads(); h++) {
                        rmsNorm(s.q[i], h * headDim, layer.qNorm(), headDim, c.rmsEpsilon());
                    }
                    for (int h = 0; h < c.kvHeads(); h++) {
                        rmsNorm(s.k[i], h * headDim, layer.kNorm(), headDim, c.rmsEpsilon());
                    }
                }
                for (int h = 0; h < c.heads(); h++) {
                    rotate(s.q[i], h * headDim, s.rope[i]);
                }
                for (int h = 0; h < c.kvHeads(); h++) {
                    rotate(s.k[i], h * headDim, s.rope[i]);
                }
                float[] keys = caches[i].keys[l];
                int stride = caches[i].capacity;
                for (int d = 0; d < kvDim; d++) {
                    keys[d * stride + positions[i]] = s.k[i][d];
                }
                System.arraycopy(s.v[i], 0, caches[i].values[l], positions[i] * kvDim, kvDim);
            }
            int layerIndex = l;
            WorkerPool.RangeTask attention = (worker, from, to) -> {
                for (int item = from; item < to; item++) {
                    int i = item / c.heads();
                    attend(s, s.scores[worker], caches[i], layerIndex, i, item % c.heads(), positions[i]);
                }
            };
            if (attendedPositions * c.queryDim() < PARALLEL_ATTENTION_THRESHOLD) {
                attention.run(0, 0, count * c.heads());
            } else {
                pool.run(count * c.heads(), 1, attention);
            }
            layer.wo().multiply(s.attention, s.xb2, count, s.prepared, pool);
            for (int i = 0; i < count; i++) {
                add(s.x[i], s.xb2[i], dim);
                rmsNorm(s.xb[i], s.x[i], layer.ffnNorm(), dim, c.rmsEpsilon());
            }
            layer.gate().multiply(s.xb, s.hb, count, s.prepared, pool);
            layer.up().multiply(s.xb, s.hb2, count, s.prepared, pool);
            for (int i = 0; i < count; i++) {
                float[] gate = s.hb[i];
                float[] up = s.hb2[i];
                for (int j = 0; j < c.feedForwardLength(); j++) {
                    float g = gate[j];
                    gate[j] = g / (1f + (float) Math.exp(-g)) * up[j];
                }
            }
            layer.down().multiply(s.hb, s.xb2, count, s.prepared, pool);
            for (int i = 0; i < count; i++) {
                add(s.x[i], s.xb2[i], dim);
            }
        }
        int outputs = 0;
        for (int i = 0; i < count; i++) {
            if (logitsOut[i] != null) {
                rmsNorm(s.xb[i], s.x[i], w.outputNorm, dim, c.rmsEpsilon());
                s.normalized[outputs] = s.xb[i];
                s.logits[outputs] = logitsOut[i];
                outputs++;
            }
        }
        if (outputs > 0) {
            w.output.multiply(s.normalized, s.logits, outputs, s.prepared, pool);
            Arrays.fill(s.normalized, 0, outputs, null);
            Arrays.fill(s.logits, 0, outputs, null);
        }
    }

    /** One head of one entry: softmax(q·K^T · scale) · V over positions [0, position]. */
    private void attend(Scratch s, float[] scores, KvCache cache, int layer, int entry, int head, int position) {
        int headDim = config.headDim();
        int kvDim = config.kvDim();
        int qOffset = head * headDim;
        int kvOffset = head / (config.heads() / config.kvHeads()) * headDim;
        float[] q = s.q[entry];
        float[] keys = cache.keys[layer];
        float[] values = cache.values[layer];
        math.scores(q, qOffset, keys, kvOffset * cache.capacity, cache.capacity, headDim, position + 1, attentionScale, scores);
        float max = Float.NEGATIVE_INFINITY;
        for (int t = 0; t <= position; t++) {
            max = Math.max(max, scores[t]);
        }
        double sum = 0;
        for (int t = 0; t <= position; t++) {
            float e = (float) Math.exp(scores[t] - max);
            scores[t] = e;
            sum += e;
        }
        float inverse = (float) (1.0 / sum);
        float[] out = s.attention[entry];
        Arrays.fill(out, qOffset, qOffset + headDim, 0f);
        for (int t = 0; t <= position; t++) {
            math.addScaled(out, qOffset, values, t * kvDim + kvOffset, scores[t] * inverse, headDim);
        }
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
        float scale = 1f / (float) Math.sqrt((float) (sum / n) + eps);
        for (int i = 0; i < n; i++) {
            out[i] = x[i] * scale * weight[i];
        }
    }

    /** In place over x[offset, offset + n) (qwen3's per-head Q/K norm). */
    private static void rmsNorm(float[] x, int offset, float[] weight, int n, float eps) {
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
