package ai.sovereign.server;

import dev.langchain4j.data.embedding.Embedding;
import dev.langchain4j.data.segment.TextSegment;
import dev.langchain4j.model.embedding.onnx.allminilml6v2.AllMiniLmL6V2EmbeddingModel;
import dev.langchain4j.model.output.Response;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.URL;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.Semaphore;
import java.util.concurrent.TimeUnit;

/**
 * The embedded sentence-embedding model, {@value #MODEL_ID} (384 dimensions, L2-normalized, mean
 * pooling), from LangChain4j's in-process ONNX module on Maven Central, so embeddings work on a fresh
 * machine with no download. At most {@code parallelism} batches run at once; callers beyond that
 * wait briefly and then get a 429. The ONNX session (1.3 s to load) is built on a background thread,
 * so it does not hold up the server's start; an embeddings request that comes first waits for it.
 */
final class Embeddings {
    static final String MODEL_ID = "all-minilm-l6-v2";
    static final int DIMENSIONS = 384;
    static final int MAX_INPUTS = 2048;

    /** The bundled ONNX weights, as a class-path resource of LangChain4j's module. */
    static final String WEIGHTS = "/all-minilm-l6-v2.onnx";

    private final java.util.concurrent.CompletableFuture<AllMiniLmL6V2EmbeddingModel> model;
    private final Semaphore slots;
    private final String sha256;

    record Result(List<float[]> vectors, int tokens) {}

    /** Loads the model; its weights' SHA-256 (for ledger entries) comes from {@code hashes}, computed on first start. */
    Embeddings(int parallelism, ModelHashes hashes) {
        long start = System.nanoTime();
        this.slots = new Semaphore(parallelism, true);
        URL weights = AllMiniLmL6V2EmbeddingModel.class.getResource(WEIGHTS);
        if (weights == null) {
            throw new IllegalStateException("the embedding model's weights " + WEIGHTS + " are not on the class path");
        }
        try {
            this.sha256 = hashes.sha256(weights);
        } catch (IOException e) {
            throw new UncheckedIOException("cannot hash the embedding model's weights " + WEIGHTS + ": " + e.getMessage(), e);
        }
        this.model = java.util.concurrent.CompletableFuture.supplyAsync(() -> {
            AllMiniLmL6V2EmbeddingModel loaded = new AllMiniLmL6V2EmbeddingModel(Runnable::run);
            Log.info("embedding model " + MODEL_ID + " (sha256 " + sha256 + ") ready in " + (System.nanoTime() - start) / 1_000_000 + " ms");
            return loaded;
        }, runnable -> Thread.ofPlatform().daemon().name("sovereign-embedding-load").start(runnable));
    }

    /** The loaded model, waiting for the background load if it is still running. */
    private AllMiniLmL6V2EmbeddingModel model() {
        try {
            return model.join();
        } catch (java.util.concurrent.CompletionException e) {
            throw new IllegalStateException("the embedding model " + MODEL_ID + " failed to load: " + e.getCause(), e.getCause());
        }
    }

    /** The SHA-256 (hex) of the ONNX weight file the model runs. */
    String sha256() {
        return sha256;
    }

    Result embed(List<String> inputs) {
        boolean acquired;
        try {
            acquired = slots.tryAcquire(10, TimeUnit.SECONDS);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw ApiException.overloaded("interrupted while waiting for the embedding model", 1);
        }
        if (!acquired) {
            throw ApiException.overloaded("the embedding model is busy; retry after 1 s", 1);
        }
        try {
            List<TextSegment> segments = new ArrayList<>(inputs.size());
            for (String input : inputs) {
                segments.add(TextSegment.from(input));
            }
            Response<List<Embedding>> response = model().embedAll(segments);
            List<float[]> vectors = new ArrayList<>(inputs.size());
            for (Embedding e : response.content()) {
                vectors.add(e.vector());
            }
            Integer tokens = response.tokenUsage() == null ? null : response.tokenUsage().inputTokenCount();
            return new Result(vectors, tokens == null ? 0 : tokens);
        } finally {
            slots.release();
        }
    }
}
