package ai.sovereign.engine;

/**
 * One sequence in a model: feeds tokens through the transformer in chunks (a prompt is processed as
 * matrix × matrix products, each weight read once per chunk) and keeps their keys and values.
 * Not thread-safe; one generation at a time.
 */
public final class Session {
    private final Transformer transformer;
    final Transformer.KvCache cache;
    private final Transformer.Scratch scratch;
    private final Transformer.KvCache[] caches;
    private final int[] positions;
    private final float[][] logitsOut;
    private final float[] logits;
    private int position;

    Session(Transformer transformer, int contextLength, int batchSize) {
        ModelConfig c = transformer.config;
        this.transformer = transformer;
        this.cache = new Transformer.KvCache(c, contextLength);
        int capacity = Math.max(1, Math.min(batchSize, contextLength));
        this.scratch = new Transformer.Scratch(c, capacity, contextLength, transformer.pool.threads());
        this.caches = new Transformer.KvCache[capacity];
        java.util.Arrays.fill(caches, cache);
        this.positions = new int[capacity];
        this.logitsOut = new float[capacity][];
        this.logits = new float[c.vocabularySize()];
    }

    public int position() {
        return position;
    }

    public int contextLength() {
        return cache.contextLength;
    }

    /** Positions still free in the KV cache. */
    public int remaining() {
        return cache.contextLength - position;
    }

    /**
     * Feeds {@code tokens} and returns the logits after the last one (a view that the next call
     * overwrites). Throws {@link ContextOverflowException} when they do not fit.
     */
    public float[] feed(int... tokens) {
        if (tokens.length == 0) {
            throw new IllegalArgumentException("no tokens to feed");
        }
        if (tokens.length > remaining()) {
            throw new ContextOverflowException(position + tokens.length, cache.contextLength);
        }
        int vocabulary = transformer.config.vocabularySize();
        for (int token : tokens) {
            if (token < 0 || token >= vocabulary) {
                throw new IllegalArgumentException("token id " + token + " is outside the vocabulary (0.." + (vocabulary - 1) + ")");
            }
        }
        for (int start = 0; start < tokens.length; start += scratch.capacity) {
            int count = Math.min(scratch.capacity, tokens.length - start);
            int[] chunk = start == 0 && count == tokens.length ? tokens : java.util.Arrays.copyOfRange(tokens, start, start + count);
            for (int i = 0; i < count; i++) {
                positions[i] = position + i;
                logitsOut[i] = null;
            }
            if (start + count == tokens.length) {
                logitsOut[count - 1] = logits;
            }
            transformer.forward(scratch, caches, chunk, positions, count, logitsOut);
            position += count;
        }
        return logits;
    }

    /** Forgets everything after {@code newPosition} (e.g. to reuse a shared prefix). */
    public void rewind(int newPosition) {
        if (newPosition < 0 || newPosition > position) {
            throw new IllegalArgumentException("cannot rewind to " + newPosition + " from " + position);
        }
        position = newPosition;
    }
}
