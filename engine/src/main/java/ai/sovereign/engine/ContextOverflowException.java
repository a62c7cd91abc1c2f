package ai.sovereign.engine;

/** The prompt plus generation would exceed the session's KV cache. */
public final class ContextOverflowException extends RuntimeException {
    private final int needed;
    private final int contextLength;

    public ContextOverflowException(int needed, int contextLength) {
        super("needs " + needed + " positions but the context holds " + contextLength
                + " (shorten the prompt or raise the context length, e.g. --context)");
        this.needed = needed;
        this.contextLength = contextLength;
    }

    public int needed() {
        return needed;
    }

    public int contextLength() {
        return contextLength;
    }
}
