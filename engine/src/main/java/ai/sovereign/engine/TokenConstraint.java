package ai.sovereign.engine;

/**
 * Restricts which tokens may come next (grammar-constrained decoding, e.g. output that must be
 * JSON matching a schema). Stateful: one instance per generation, created by the factory in
 * {@link GenerationSettings#constraint()}.
 */
public interface TokenConstraint {
    /** Sets the logits of tokens that may not come next to negative infinity. */
    void mask(float[] logits);

    /** Advances the state by the chosen token. */
    void accept(int token);

    /** Whether the output so far is complete: generation ends after the token that completed it. */
    boolean complete();

    /** Creates a fresh constraint for one generation. */
    interface Factory {
        TokenConstraint create(Tokenizer tokenizer);
    }
}
