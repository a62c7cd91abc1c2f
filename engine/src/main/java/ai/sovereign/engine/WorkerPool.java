package ai.sovereign.engine;

import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.locks.LockSupport;

/**
 * A persistent pool of platform threads that splits a range of work (matrix rows, attention heads)
 * across cores, so a token's many small products pay no thread creation.
 *
 * <p>A job is cut into a few chunks per thread; the caller and the workers claim chunks from one
 * counter until none are left. The caller therefore never waits for a worker that has not started
 * (on a busy machine a worker may not be scheduled for milliseconds): it does the work itself and
 * waits only for chunks already claimed. Workers spin briefly for the next job, then park.
 *
 * <p>One job runs at a time: a caller that finds the pool busy with another thread's job runs its
 * own job alone rather than wait (results are the same; only speed differs).
 */
final class WorkerPool implements AutoCloseable {
    /** A share of a job: items [from, to), run by participant {@code worker} (0 = the caller) of {@link #threads()}. */
    interface RangeTask {
        void run(int worker, int from, int to);
    }

    private static final int SPIN_ITERATIONS = 20_000;
    private static final int CHUNKS_PER_THREAD = 4;

    /** One job: its chunks are claimed through {@code next} and counted down in {@code unfinished}. */
    private record Job(RangeTask task, int items, int chunkItems, int chunks, AtomicInteger next, AtomicInteger unfinished) {}

    private final int threads;
    private final Thread[] workers;
    private final AtomicBoolean busy = new AtomicBoolean();
    private volatile Job job;
    private volatile long generation;
    private volatile boolean closed;
    private volatile Throwable failure;

    WorkerPool(int threads) {
        if (threads < 1) {
            throw new IllegalArgumentException("threads must be >= 1, was " + threads);
        }
        this.threads = threads;
        this.workers = new Thread[threads - 1];
        for (int i = 0; i < workers.length; i++) {
            int index = i + 1;
            workers[i] = Thread.ofPlatform().daemon().name("sovereign-matmul-" + index).start(() -> work(index));
        }
    }

    /** The available processors (the JDK does not tell physical cores from hardware threads). */
    static int defaultThreads() {
        return Math.max(1, Runtime.getRuntime().availableProcessors());
    }

    int threads() {
        return threads;
    }

    /**
     * Runs {@code task} over [0, n) in contiguous pieces whose sizes are multiples of
     * {@code granularity} (except the last); returns when all are done.
     */
    void run(int n, int granularity, RangeTask task) {
        if (threads == 1 || n <= granularity || !busy.compareAndSet(false, true)) {
            task.run(0, 0, n);
            return;
        }
        try {
            int units = (n + granularity - 1) / granularity;
            int chunks = Math.min(units, threads * CHUNKS_PER_THREAD);
            int chunkItems = (units + chunks - 1) / chunks * granularity;
            chunks = (n + chunkItems - 1) / chunkItems;
            Job current = new Job(task, n, chunkItems, chunks, new AtomicInteger(), new AtomicInteger(chunks));
            job = current;
            generation++;
            for (Thread worker : workers) {
                LockSupport.unpark(worker);
            }
            participate(current, 0);
            while (current.unfinished().get() != 0) {
                Thread.onSpinWait();
            }
        } finally {
            busy.set(false);
        }
        Throwable failed = failure;
        if (failed != null) {
            failure = null;
            if (failed instanceof RuntimeException r) {
                throw r;
            }
            if (failed instanceof Error e) {
                throw e;
            }
            throw new IllegalStateException(failed);
        }
    }

    private void participate(Job j, int worker) {
        int chunk;
        while ((chunk = j.next().getAndIncrement()) < j.chunks()) {
            int from = chunk * j.chunkItems();
            int to = Math.min(j.items(), from + j.chunkItems());
            try {
                j.task().run(worker, from, to);
            } catch (Throwable t) {
                failure = t;
            } finally {
                j.unfinished().decrementAndGet();
            }
        }
    }

    private void work(int index) {
        long seen = 0;
        while (!closed) {
            int spins = 0;
            while (generation == seen && !closed) {
                if (++spins < SPIN_ITERATIONS) {
                    Thread.onSpinWait();
                } else {
                    LockSupport.park(this);
                }
            }
            if (closed) {
                return;
            }
            seen = generation;
            Job current = job;
            if (current != null) {
                participate(current, index);
            }
        }
    }

    @Override
    public void close() {
        closed = true;
        for (Thread worker : workers) {
            LockSupport.unpark(worker);
        }
    }
}
