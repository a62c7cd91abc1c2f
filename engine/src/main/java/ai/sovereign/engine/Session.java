package ai.sovereign.engine;

/**
 * One sequence's position in a model: feeds tokens through the transformer and keeps their keys and
 * values. Not thread-safe; one generation at a time.
 */
public final class Session {
    private final Transformer transformer;
    private final Transformer.State state;
    private int position;

    Session(Transformer transformer, int contextLength) {
        this.transformer = transformer;
        this.state = new Transformer.State(transformer.config, contextLength);
    }

    public int position() {
        return position;
    }

    public int contextLength() {
        return state.contextLength;
    }

    /** Positions still free in the KV cache. */
    public int remaining() {
        return state.contextLength - position;
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
            throw new ContextOverflowException(position + tokens.length, state.contextLength);
        }
        int vocabulary = transformer.config.vocabularySize();
        float[] logits = null;
        for (int i = 0; i < tokens.length; i++) {
            int token = tokens[i];
            if (token < 0 || token >= vocabulary) {
                throw new IllegalArgumentException("token id " + token + " is outside the vocabulary (0.." + (vocabulary - 1) + ")");
            }
            logits = transformer.forward(state, token, position, i == tokens.length - 1);
            position++;
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
