package ai.sovereign.server.tenancy;

import java.util.HashMap;
import java.util.Map;
import java.util.PriorityQueue;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.locks.Condition;
import java.util.concurrent.locks.ReentrantLock;

/**
 * The admission queue of one model on this instance: at most {@code capacity} requests run; the rest
 * wait, at most {@code maxQueued} of them, and a full queue refuses at once with a Retry-After.
 *
 * <p>Design note: weighted fair queuing with start-time virtual clock tags (Goyal et al.'s SFQ,
 * ordered by finish tag). A request of cost c from a tenant of weight w gets start = max(V, the
 * tenant's last finish) and finish = start + c/w; free slots go to the waiting request with the
 * highest priority class, then the smallest finish tag, and V moves to that request's start. A
 * tenant that is alone gets every slot (idle share is borrowed: the queue is work-conserving); one
 * returning from idle starts at V, so it cannot spend credit saved while idle. A higher class always
 * goes first among waiting requests and never preempts running ones; a lower class can wait as long
 * as higher classes keep the model saturated (the operator's choice when giving out classes).
 * Everything is guarded by one lock: the work per call is a heap operation.
 */
final class FairQueue {
    private final String model;
    private final int capacity;
    private final int maxQueued;
    private final ReentrantLock lock = new ReentrantLock();
    private final PriorityQueue<Waiter> waiting = new PriorityQueue<>((a, b) -> {
        int c = a.priority.compareTo(b.priority);
        if (c != 0) {
            return c;
        }
        c = Double.compare(a.finish, b.finish);
        return c != 0 ? c : Long.compare(a.seq, b.seq);
    });
    private final Map<String, Double> lastFinish = new HashMap<>();
    private double virtualTime;
    private long seq;
    private int running;
    private double holdMillis = 1_000;

    FairQueue(String model, int capacity, int maxQueued) {
        if (capacity < 1 || maxQueued < 0) {
            throw new IllegalArgumentException("model " + model + ": capacity " + capacity + " must be at least 1 and max queued "
                    + maxQueued + " at least 0");
        }
        this.model = model;
        this.capacity = capacity;
        this.maxQueued = maxQueued;
    }

    sealed interface Outcome {}

    /** A refusal: the queue is full, or the wait ran out. */
    record Full(String message, long retryAfterSeconds) implements Outcome {}

    private static final class Waiter {
        final String tenant;
        final Tenant.Priority priority;
        final double start, finish;
        final long seq;
        final Condition turn;
        boolean granted;

        Waiter(String tenant, Tenant.Priority priority, double start, double finish, long seq, Condition turn) {
            this.tenant = tenant;
            this.priority = priority;
            this.start = start;
            this.finish = finish;
            this.seq = seq;
            this.turn = turn;
        }
    }

    /** A running request's place; {@link #close()} hands it to the next waiter. */
    final class Slot implements Outcome, AutoCloseable {
        private final long since = System.nanoTime();
        private final AtomicBoolean closed = new AtomicBoolean();

        @Override
        public void close() {
            if (closed.compareAndSet(false, true)) {
                release((System.nanoTime() - since) / 1e6);
            }
        }
    }

    /**
     * Takes a slot for a request of {@code cost} (its reserved tokens) now, or waits up to {@code maxWaitMillis}
     * for one in fair order.
     */
    Outcome acquire(String tenant, int weight, Tenant.Priority priority, long cost, long maxWaitMillis) throws InterruptedException {
        lock.lock();
        try {
            double start = Math.max(virtualTime, lastFinish.getOrDefault(tenant, 0.0));
            double finish = start + (double) Math.max(1, cost) / weight;
            if (running < capacity && waiting.isEmpty()) {
                lastFinish.put(tenant, finish);
                virtualTime = start;
                running++;
                return new Slot();
            }
            if (waiting.size() >= maxQueued) {
                return new Full("model " + model + " is saturated: " + running + " of " + capacity + " slots running and " + waiting.size()
                        + " of " + maxQueued + " queued (the model's max queued)", retryAfterSeconds());
            }
            Double previous = lastFinish.put(tenant, finish);
            Waiter w = new Waiter(tenant, priority, start, finish, seq++, lock.newCondition());
            waiting.add(w);
            long left = TimeUnit.MILLISECONDS.toNanos(maxWaitMillis);
            try {
                while (!w.granted && left > 0) {
                    left = w.turn.awaitNanos(left);
                }
            } catch (InterruptedException e) {
                if (!w.granted) {
                    waiting.remove(w);
                    undo(tenant, finish, previous);
                    throw e;
                }
            }
            if (w.granted) {
                return new Slot();
            }
            waiting.remove(w);
            undo(tenant, finish, previous);
            return new Full("model " + model + ": no slot within " + maxWaitMillis + " ms (" + running + " of " + capacity + " running, "
                    + waiting.size() + " queued)", retryAfterSeconds());
        } finally {
            lock.unlock();
        }
    }

    private void undo(String tenant, double finish, Double previous) {
        if (lastFinish.getOrDefault(tenant, 0.0) == finish) {
            if (previous == null) {
                lastFinish.remove(tenant);
            } else {
                lastFinish.put(tenant, previous);
            }
        }
    }

    private void release(double heldMillis) {
        lock.lock();
        try {
            holdMillis = 0.8 * holdMillis + 0.2 * heldMillis;
            running--;
            while (running < capacity && !waiting.isEmpty()) {
                Waiter next = waiting.poll();
                virtualTime = Math.max(virtualTime, next.start);
                running++;
                next.granted = true;
                next.turn.signal();
            }
        } finally {
            lock.unlock();
        }
    }

    int running() {
        lock.lock();
        try {
            return running;
        } finally {
            lock.unlock();
        }
    }

    int queued() {
        lock.lock();
        try {
            return waiting.size();
        } finally {
            lock.unlock();
        }
    }

    private long retryAfterSeconds() {
        return Math.max(1, (long) Math.ceil(holdMillis * (waiting.size() + 1) / capacity / 1000.0));
    }
}
