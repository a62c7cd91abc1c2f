package ai.sovereign.engine;

/** Receives a generation as it happens; returning false from {@link #onToken} cancels it at once. */
public interface TokenListener {
    boolean onToken(GeneratedToken token);

    /** The raw logits for the token at {@code position} + 1 (before penalties), when the caller wants them. */
    default void onLogits(int position, float[] logits) {}

    /** Whether {@link #onLogits} should be called (copying logits costs time). */
    default boolean wantsLogits() {
        return false;
    }

    TokenListener NONE = token -> true;
}
