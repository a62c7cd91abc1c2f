package ai.sovereign.engine;

/** A finished generation: its tokens, its text (stop string excluded) and why it ended. */
public record GenerationResult(int[] tokens, String text, FinishReason finishReason, int promptTokens) {

    public enum FinishReason {
        /** An end-of-generation token or a stop string. */
        STOP,
        /** The token limit or the context length. */
        LENGTH,
        /** The listener asked to stop (client gone, timeout). */
        CANCELLED
    }

    public int completionTokens() {
        return tokens.length;
    }
}
