package ai.sovereign.engine;

import java.io.IOException;
import java.nio.file.Path;

/**
 * A GGUF language model loaded in process: the engine's entry point. The file stays memory-mapped
 * (weights are never copied); each {@link Session} owns a KV cache sized for its context length.
 */
public final class LanguageModel implements AutoCloseable {
    /** Context length used when neither the caller nor a smaller trained context sets one. */
    public static final int DEFAULT_CONTEXT_LENGTH = 4096;

    private final GgufFile file;
    private final ModelConfig config;
    private final Tokenizer tokenizer;
    private final Transformer transformer;
    private final int contextLength;

    private LanguageModel(GgufFile file, int contextLength) {
        this.file = file;
        this.tokenizer = Tokenizer.fromGguf(file.metadata());
        this.config = ModelConfig.from(file.metadata(), tokenizer.size());
        this.transformer = new Transformer(config, new Weights(file, config));
        int wanted = contextLength > 0 ? contextLength : Math.min(config.trainedContextLength(), DEFAULT_CONTEXT_LENGTH);
        if (wanted > config.trainedContextLength()) {
            System.err.println("warning: context length " + wanted + " exceeds the trained " + config.trainedContextLength());
        }
        this.contextLength = wanted;
    }

    /**
     * Loads {@code path}. {@code contextLength} of 0 takes the trained context length, capped at
     * {@value #DEFAULT_CONTEXT_LENGTH}.
     */
    public static LanguageModel load(Path path, int contextLength) throws IOException {
        GgufFile file = GgufFile.open(path);
        try {
            return new LanguageModel(file, contextLength);
        } catch (RuntimeException e) {
            file.close();
            if (e instanceof GgufException g) {
                throw new GgufException(path.getFileName() + ": " + g.getMessage());
            }
            throw e;
        }
    }

    public ModelConfig config() {
        return config;
    }

    public Tokenizer tokenizer() {
        return tokenizer;
    }

    public int contextLength() {
        return contextLength;
    }

    public GgufFile file() {
        return file;
    }

    /** Bytes a new session's KV cache takes. */
    public long sessionBytes() {
        return Transformer.State.bytesFor(config, contextLength);
    }

    public Session newSession() {
        return new Session(transformer, contextLength);
    }

    @Override
    public void close() {
        file.close();
    }
}
