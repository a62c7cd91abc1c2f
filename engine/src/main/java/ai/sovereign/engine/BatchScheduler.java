package ai.sovereign.engine;

import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.locks.Condition;
import java.util.concurrent.locks.ReentrantLock;

/**
 * Continuous batching for one model: many generations share each forward pass, so every weight is
 * read once per step for all of them.
 *
 * <p>One scheduler thread loops: admit queued requests while fewer than {@code maxSequences} run
 * (each gets its own KV cache); build one batch holding the next token of every decoding sequence
 * and, in the room left (up to {@code maxBatchTokens}), chunks of prompts still being read; run the
 * transformer once; hand each sequence its logits. Sequences join at token boundaries and leave
 * when done or cancelled without stalling the others. Queued requests are served first come, first
 * served; a full queue refuses new ones at once.
 *
 * <p>Listener callbacks run on the scheduler thread and must return quickly (hand text to another
 * thread). {@link Ticket#cancel()} takes effect before the sequence's next token.
 */
public final class BatchScheduler implements AutoCloseable {
    private final LanguageModel model;
    private final int maxSequences;
    private final int maxQueued;
    private final int maxBatchTokens;
    private final ReentrantLock lock = new ReentrantLock();
    private final Condition workArrived = lock.newCondition();
    private final ArrayDeque<Sequence> queue = new ArrayDeque<>();
    private final List<Sequence> active = new ArrayList<>();
    private final ArrayDeque<FreeCache> freeCaches = new ArrayDeque<>();
    private final Transformer.Scratch scratch;
    private final Transformer.KvCache[] batchCaches;
    private final int[] batchTokens;
    private final int[] batchPositions;
    private final float[][] batchLogits;
    private final Sequence[] batchOwners;
    private final Thread thread;
    private volatile boolean closed;
    private volatile long steps;
    private volatile long tokensGenerated;
    private volatile long promptTokensReused;

    /** A queued or running generation. */
    public interface Ticket {
        /** Ends the generation before its next token (no effect once finished). */
        void cancel();

        /** Completes with the result, or exceptionally if the generation failed. */
        CompletableFuture<GenerationResult> result();
    }

    /** The queue is full: try again later. */
    public static final class QueueFullException extends RuntimeException {
        private final int queued;

        QueueFullException(int queued) {
            super("the model's queue is full (" + queued + " waiting); retry later or raise the queue limit");
            this.queued = queued;
        }

        public int queued() {
            return queued;
        }
    }

    public BatchScheduler(LanguageModel model, int maxSequences, int maxQueued, int maxBatchTokens) {
        if (maxSequences < 1 || maxQueued < 0 || maxBatchTokens < maxSequences) {
            throw new IllegalArgumentException("need maxSequences >= 1, maxQueued >= 0 and maxBatchTokens >= maxSequences; got "
                    + maxSequences + ", " + maxQueued + ", " + maxBatchTokens);
        }
        this.model = model;
        this.maxSequences = maxSequences;
        this.maxQueued = maxQueued;
        this.maxBatchTokens = maxBatchTokens;
        Transformer transformer = model.transformer();
        this.scratch = new Transformer.Scratch(transformer.config, maxBatchTokens, model.contextLength(), transformer.pool.threads());
        this.batchCaches = new Transformer.KvCache[maxBatchTokens];
        this.batchTokens = new int[maxBatchTokens];
        this.batchPositions = new int[maxBatchTokens];
        this.batchLogits = new float[maxBatchTokens][];
        this.batchOwners = new Sequence[maxBatchTokens];
        this.thread = Thread.ofPlatform().name("sovereign-scheduler").daemon().start(this::loop);
    }

    /**
     * Queues a generation. Throws {@link QueueFullException} when the queue is full and
     * {@link ContextOverflowException} when the prompt alone does not fit the context.
     */
    public Ticket submit(int[] prompt, GenerationSettings settings, TokenListener listener) {
        if (prompt.length == 0) {
            throw new IllegalArgumentException("the prompt has no tokens");
        }
        if (prompt.length >= model.contextLength()) {
            throw new ContextOverflowException(prompt.length + 1, model.contextLength());
        }
        int vocabulary = model.config().vocabularySize();
        for (int token : prompt) {
            if (token < 0 || token >= vocabulary) {
                throw new IllegalArgumentException("token id " + token + " is outside the vocabulary (0.." + (vocabulary - 1) + ")");
            }
        }
        Sequence sequence = new Sequence(prompt.clone(), new Generation(model.tokenizer(), prompt, settings, listener));
        if (sequence.generation.finished()) { // nothing to generate (max tokens 0)
            sequence.future.complete(sequence.generation.result());
            return sequence;
        }
        lock.lock();
        try {
            if (closed) {
                throw new IllegalStateException("the scheduler is shut down");
            }
            if (queue.size() >= maxQueued && active.size() >= maxSequences) {
                throw new QueueFullException(queue.size());
            }
            queue.add(sequence);
            workArrived.signal();
        } finally {
            lock.unlock();
        }
        return sequence;
    }

    /** Generations reading their prompt or generating now. */
    public int running() {
        lock.lock();
        try {
            return active.size();
        } finally {
            lock.unlock();
        }
    }

    /** Generations waiting for a free slot. */
    public int waiting() {
        lock.lock();
        try {
            return queue.size();
        } finally {
            lock.unlock();
        }
    }

    public int maxSequences() {
        return maxSequences;
    }

    /** Forward passes run so far. */
    public long steps() {
        return steps;
    }

    /** Tokens chosen so far, all sequences together. */
    public long tokensGenerated() {
        return tokensGenerated;
    }

    private void loop() {
        while (!closed) {
            try {
                if (!admit()) {
                    continue;
                }
                step();
            } catch (Throwable t) {
                failAll(t);
            }
        }
        failAll(new IllegalStateException("the scheduler is shut down"));
    }

    /** Moves queued requests into free slots; waits while there is nothing to do. Returns whether to step. */
    private boolean admit() throws InterruptedException {
        lock.lock();
        try {
            while (queue.isEmpty() && active.isEmpty() && !closed) {
                workArrived.await();
            }
            while (!queue.isEmpty() && active.size() < maxSequences) {
                Sequence s = queue.poll();
                if (s.cancelled) {
                    s.generation.cancel();
                    s.future.complete(s.generation.result());
                    continue;
                }
                assignCache(s);
                s.logits = new float[model.config().vocabularySize()];
                active.add(s);
            }
            return !active.isEmpty();
        } finally {
            lock.unlock();
        }
    }

    /**
     * Gives {@code s} the free KV cache whose recorded tokens share the longest prefix with its
     * prompt, and starts it after that prefix: a shared system prompt is read once, not per request.
     * The reused keys and values were computed from the same tokens at the same positions, so the
     * results are bit-identical to reading the prompt again. At least one prompt token is always
     * fed, for fresh logits.
     */
    private void assignCache(Sequence s) {
        FreeCache best = null;
        int bestShared = 0;
        for (FreeCache free : freeCaches) {
            int shared = free.sharedPrefix(s.prompt);
            if (best == null || shared > bestShared) {
                best = free;
                bestShared = shared;
            }
        }
        if (best == null) {
            s.cache = new Transformer.KvCache(model.config(), model.contextLength());
            return;
        }
        freeCaches.remove(best);
        s.cache = best.cache;
        int reuse = Math.min(bestShared, s.prompt.length - 1);
        s.promptRead = reuse;
        s.position = reuse;
        promptTokensReused += reuse;
    }

    /** A cache no sequence uses, with the tokens whose keys and values it holds at positions [0, tokens.length). */
    private record FreeCache(Transformer.KvCache cache, int[] tokens) {
        int sharedPrefix(int[] prompt) {
            int n = Math.min(tokens.length, prompt.length);
            int i = 0;
            while (i < n && tokens[i] == prompt[i]) {
                i++;
            }
            return i;
        }
    }

    /** Prompt tokens not computed because a free cache already held them (prefix reuse). */
    public long promptTokensReused() {
        return promptTokensReused;
    }

    private void step() {
        int count = 0;
        for (Sequence s : active) { // decoding sequences first: one token each
            if (s.cancelled) {
                continue;
            }
            if (s.promptRead == s.prompt.length) {
                batchCaches[count] = s.cache;
                batchTokens[count] = s.generation.lastToken();
                batchPositions[count] = s.position;
                batchLogits[count] = s.logits;
                batchOwners[count] = s;
                count++;
            }
        }
        for (Sequence s : active) { // then prompt chunks in the room left
            if (s.cancelled || s.promptRead == s.prompt.length || count == maxBatchTokens) {
                continue;
            }
            int n = Math.min(s.prompt.length - s.promptRead, maxBatchTokens - count);
            for (int i = 0; i < n; i++) {
                batchCaches[count] = s.cache;
                batchTokens[count] = s.prompt[s.promptRead + i];
                batchPositions[count] = s.position + i;
                batchLogits[count] = null;
                batchOwners[count] = null;
                count++;
            }
            s.promptRead += n;
            s.position += n;
            if (s.promptRead == s.prompt.length) {
                batchLogits[count - 1] = s.logits;
                batchOwners[count - 1] = s;
                s.position--; // the owner entry below advances it again
            }
        }
        if (count > 0) {
            model.transformer().forward(scratch, batchCaches, batchTokens, batchPositions, count, batchLogits);
            steps++;
        }
        for (int i = 0; i < count; i++) {
            Sequence s = batchOwners[i];
            if (s == null) {
                continue;
            }
            s.position++;
            tokensGenerated++;
            try {
                if (s.cancelled || !s.generation.step(s.logits, s.position - 1, s.position < model.contextLength())) {
                    s.done = true;
                }
            } catch (RuntimeException | Error e) { // one failing listener must not stop the others
                s.failure = e;
                s.done = true;
            }
            batchOwners[i] = null;
            batchCaches[i] = null;
        }
        lock.lock();
        try {
            for (int i = active.size() - 1; i >= 0; i--) {
                Sequence s = active.get(i);
                if (s.done || s.cancelled) {
                    s.generation.cancel();
                    active.remove(i);
                    freeCaches.push(new FreeCache(s.cache, s.fedTokens()));
                    s.cache = null;
                    s.logits = null;
                    if (s.failure != null) {
                        s.future.completeExceptionally(s.failure);
                    } else {
                        s.future.complete(s.generation.result());
                    }
                }
            }
        } finally {
            lock.unlock();
        }
    }

    private void failAll(Throwable t) {
        lock.lock();
        try {
            for (Sequence s : active) {
                s.future.completeExceptionally(t);
            }
            active.clear();
            if (closed) {
                for (Sequence s : queue) {
                    s.future.completeExceptionally(t);
                }
                queue.clear();
            }
        } finally {
            lock.unlock();
        }
    }

    /** Stops the scheduler thread; running and queued generations complete exceptionally. */
    @Override
    public void close() {
        lock.lock();
        try {
            closed = true;
            workArrived.signalAll();
        } finally {
            lock.unlock();
        }
        try {
            thread.join(10_000);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }

    private static final class Sequence implements Ticket {
        final int[] prompt;
        final Generation generation;
        final CompletableFuture<GenerationResult> future = new CompletableFuture<>();
        Transformer.KvCache cache;
        float[] logits;
        int promptRead;
        int position;
        boolean done;
        Throwable failure;
        volatile boolean cancelled;

        Sequence(int[] prompt, Generation generation) {
            this.prompt = prompt;
            this.generation = generation;
        }

        @Override
        public void cancel() {
            cancelled = true;
        }

        /** The tokens whose keys and values the cache holds: the prompt read so far, then the generated tokens fed back. */
        int[] fedTokens() {
            int[] generated = generation.result().tokens();
            int fromGeneration = Math.max(0, Math.min(position - promptRead, generated.length));
            int[] fed = java.util.Arrays.copyOf(prompt, promptRead + fromGeneration);
            System.arraycopy(generated, 0, fed, promptRead, fromGeneration);
            return fed;
        }

        @Override
        public CompletableFuture<GenerationResult> result() {
            return future;
        }
    }
}
