package ai.sovereign.engine;

import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.locks.LockSupport;

/**
 * A persistent pool of platform threads that splits a range of work (matrix rows) across cores.
 * The caller takes the first share itself; workers spin briefly for the next job and then park, so
 * a token's many small matrix products pay no thread creation and little wake-up latency.
 * One job runs at a time: a caller that finds the pool busy with another thread's job runs its own
 * job alone on its own thread rather than wait (results are the same; only speed differs).
 */
final class WorkerPool implements AutoCloseable {
    /** A share of a job: items [from, to), run by worker {@code worker} (0 = the caller) of {@link #threads()}. */
    interface RangeTask {
        void run(int worker, int from, int to);
    }

    private static final int SPIN_ITERATIONS = 20_000;

    private final int threads;
    private final Thread[] workers;
    private final AtomicInteger pending = new AtomicInteger();
    private final java.util.concurrent.atomic.AtomicBoolean busy = new java.util.concurrent.atomic.AtomicBoolean();
    private volatile long generation;
    private volatile boolean closed;
    private volatile RangeTask task;
    private volatile int items;
    private volatile int grain;
    private volatile Throwable failure;

    WorkerPool(int threads) {
        if (threads < 1) {
            throw new IllegalArgumentException("threads must be >= 1, was " + threads);
        }
        this.threads = threads;
        this.workers = new Thread[threads - 1];
        for (int i = 0; i < workers.length; i++) {
            int share = i + 1;
            workers[i] = Thread.ofPlatform().daemon().name("sovereign-matmul-" + share).start(() -> work(share));
        }
    }

    /** Physical cores when the OS tells them apart from hardware threads, else available processors. */
    static int defaultThreads() {
        return Math.max(1, Runtime.getRuntime().availableProcessors());
    }

    int threads() {
        return threads;
    }

    /**
     * Runs {@code task} over [0, n) split into contiguous shares whose sizes are multiples of
     * {@code granularity} (except the last); returns when every share is done.
     */
    void run(int n, int granularity, RangeTask task) {
        if (threads == 1 || n <= granularity || !busy.compareAndSet(false, true)) {
            task.run(0, 0, n);
            return;
        }
        try {
            runShared(n, granularity, task);
        } finally {
            busy.set(false);
        }
    }

    private void runShared(int n, int granularity, RangeTask task) {
        this.task = task;
        this.items = n;
        this.grain = granularity;
        pending.set(workers.length);
        generation++;
        for (Thread worker : workers) {
            LockSupport.unpark(worker);
        }
        try {
            runShare(0, task, n, granularity);
        } finally {
            while (pending.get() != 0) {
                Thread.onSpinWait();
            }
            this.task = null;
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

    private void runShare(int share, RangeTask task, int n, int granularity) {
        int units = (n + granularity - 1) / granularity;
        int from = (int) ((long) units * share / threads) * granularity;
        int to = Math.min(n, (int) ((long) units * (share + 1) / threads) * granularity);
        if (from < to) {
            task.run(share, from, to);
        }
    }

    private void work(int share) {
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
            try {
                runShare(share, task, items, grain);
            } catch (Throwable t) {
                failure = t;
            } finally {
                pending.decrementAndGet();
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
