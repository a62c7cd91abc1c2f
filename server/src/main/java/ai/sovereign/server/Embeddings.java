package ai.sovereign.server;

import dev.langchain4j.data.embedding.Embedding;
import dev.langchain4j.data.segment.TextSegment;
import dev.langchain4j.model.embedding.onnx.allminilml6v2.AllMiniLmL6V2EmbeddingModel;
import dev.langchain4j.model.output.Response;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.Semaphore;
import java.util.concurrent.TimeUnit;

/**
 * The embedded sentence-embedding model, {@value #MODEL_ID} (384 dimensions, L2-normalized, mean
 * pooling), from LangChain4j's in-process ONNX module on Maven Central, so embeddings work on a fresh
 * machine with no download. At most {@code parallelism} batches run at once; callers beyond that
 * wait briefly and then get a 429.
 */
final class Embeddings {
    static final String MODEL_ID = "all-minilm-l6-v2";
    static final int DIMENSIONS = 384;
    static final int MAX_INPUTS = 2048;

    private final AllMiniLmL6V2EmbeddingModel model;
    private final Semaphore slots;

    record Result(List<float[]> vectors, int tokens) {}

    Embeddings(int parallelism) {
        long start = System.nanoTime();
        this.model = new AllMiniLmL6V2EmbeddingModel(Runnable::run);
        this.slots = new Semaphore(parallelism, true);
        Log.info("embedding model " + MODEL_ID + " ready in " + (System.nanoTime() - start) / 1_000_000 + " ms");
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
            Response<List<Embedding>> response = model.embedAll(segments);
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
