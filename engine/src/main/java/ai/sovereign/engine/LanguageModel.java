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
    /** Prompt tokens processed per forward call (llama.cpp's micro-batch). */
    public static final int DEFAULT_BATCH_SIZE = 64;

    private final GgufFile file;
    private final ModelConfig config;
    private final Tokenizer tokenizer;
    private final Transformer transformer;
    private final WorkerPool pool;
    private final int contextLength;
    private final int batchSize;

    private LanguageModel(GgufFile file, Options options, int kernelBits) {
        this.file = file;
        this.tokenizer = Tokenizer.fromGguf(file.metadata());
        this.config = ModelConfig.from(file.metadata(), tokenizer.size());
        Weights weights = new Weights(file, config, kernelBits);
        this.pool = new WorkerPool(options.threads() > 0 ? options.threads() : WorkerPool.defaultThreads());
        this.transformer = new Transformer(config, weights, pool);
        this.batchSize = options.batchSize() > 0 ? options.batchSize() : DEFAULT_BATCH_SIZE;
        int contextLength = options.contextLength();
        int wanted = contextLength > 0 ? contextLength : Math.min(config.trainedContextLength(), DEFAULT_CONTEXT_LENGTH);
        if (wanted > config.trainedContextLength()) {
            System.err.println("warning: context length " + wanted + " exceeds the trained " + config.trainedContextLength());
        }
        this.contextLength = wanted;
    }

    /**
     * How to load: {@code contextLength} 0 takes the trained context length capped at
     * {@value #DEFAULT_CONTEXT_LENGTH}; {@code threads} 0 takes the available cores;
     * {@code batchSize} 0 takes {@value #DEFAULT_BATCH_SIZE} prompt tokens per forward call.
     */
    public record Options(int contextLength, int threads, int batchSize) {
        public static final Options DEFAULTS = new Options(0, 0, 0);

        public Options {
            if (contextLength < 0 || threads < 0 || batchSize < 0) {
                throw new IllegalArgumentException("context length, threads and batch size must be >= 0");
            }
        }
    }

    /** Loads {@code path} with the default threads and batch size. */
    public static LanguageModel load(Path path, int contextLength) throws IOException {
        return load(path, new Options(contextLength, 0, 0));
    }

    public static LanguageModel load(Path path, Options options) throws IOException {
        return load(path, options, -1);
    }

    /** Tests: {@code kernelBits} 0 runs the scalar reference kernels (ggml's generic numerics), -1 the fastest. */
    static LanguageModel load(Path path, Options options, int kernelBits) throws IOException {
        GgufFile file = GgufFile.open(path);
        try {
            return new LanguageModel(file, options, kernelBits);
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
        return Transformer.KvCache.bytesFor(config, contextLength);
    }

    public int threads() {
        return pool.threads();
    }

    Transformer transformer() {
        return transformer;
    }

    public Session newSession() {
        return new Session(transformer, contextLength, batchSize);
    }

    @Override
    public void close() {
        pool.close();
        file.close();
    }
}
