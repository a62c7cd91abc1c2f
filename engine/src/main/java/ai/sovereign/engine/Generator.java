package ai.sovereign.engine;

/**
 * Generation on one {@link Session}: feed the prompt, then repeatedly choose a token, report it and
 * feed it back, until the token limit, the context end, an end-of-generation token, a stop string
 * or cancellation (see {@link Generation} for how text is released).
 */
public final class Generator {
    private Generator() {}

    public static GenerationResult generate(Session session, Tokenizer tokenizer, int[] prompt,
                                            GenerationSettings settings, TokenListener listener) {
        Generation generation = new Generation(tokenizer, prompt, settings, listener);
        if (generation.finished()) {
            return generation.result();
        }
        float[] logits = session.feed(prompt);
        while (generation.step(logits, session.position() - 1, session.remaining() > 0)) {
            logits = session.feed(generation.lastToken());
        }
        return generation.result();
    }
}
