package ai.sovereign.server.tenancy;

import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.SQLException;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.ArrayBlockingQueue;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.locks.LockSupport;
import java.util.concurrent.locks.ReentrantLock;

/**
 * Writes the metering rows of unlimited tenants in batches: one transaction per batch of up to
 * {@value #BATCH} rows, at most {@value #DELAY_MS} ms after the first of them, from one daemon thread.
 * Readers of usage call {@link #flush} first, so this instance's reports never miss a settled request;
 * a full queue writes the row on the caller's thread (nothing is dropped). A crash loses at most the
 * rows of the last {@value #DELAY_MS} ms; the ledger's outcome entries hold the same counts durably.
 */
final class MeteringWriter implements AutoCloseable {
    static final int BATCH = 512;
    static final int DELAY_MS = 100;
    private static final int CAPACITY = 16_384;

    /** One served request's usage, for {@code usage_record}. */
    record Row(String requestId, Reservations.Reservation reservation, Metering.Usage usage) {}

    private final Store store;
    private final BlockingQueue<Row> queue = new ArrayBlockingQueue<>(CAPACITY);
    private static final System.Logger LOG = System.getLogger("sovereign.tenancy");
    private final ReentrantLock writing = new ReentrantLock();
    /** Rows taken from the queue and not yet written (guarded by {@link #writing}). */
    private final List<Row> pending = new ArrayList<>();
    /** Rows put in the queue, and rows of the queue written: flush waits until the second reaches the first. */
    private final AtomicLong queued = new AtomicLong(), written = new AtomicLong();
    private final Thread thread;
    private volatile boolean closed;

    MeteringWriter(Store store) {
        this.store = store;
        this.thread = Thread.ofPlatform().daemon().name("sovereign-metering").start(this::run);
    }

    void add(Row row) {
        if (!closed && queue.offer(row)) {
            queued.incrementAndGet();
            return;
        }
        store.write(c -> {
            insert(c, List.of(row));
            return null;
        });
    }

    /**
     * Writes every row queued before this call now, including one the writer thread has just taken (it puts it in
     * {@link #pending} at once, so this loop sees it); a store failure is thrown to the caller.
     */
    void flush() {
        long target = queued.get();
        while (true) {
            writing.lock();
            try {
                queue.drainTo(pending, BATCH - pending.size());
                if (!pending.isEmpty()) {
                    write(pending);
                }
                if (written.get() >= target && queue.isEmpty()) {
                    return;
                }
            } finally {
                writing.unlock();
            }
            LockSupport.parkNanos(50_000);
        }
    }

    private void run() {
        while (!closed) {
            try {
                Row first = queue.poll(1, TimeUnit.SECONDS);
                if (first == null) {
                    continue;
                }
                writing.lock();
                try {
                    pending.add(first);
                } finally {
                    writing.unlock();
                }
                Thread.sleep(DELAY_MS);
                writing.lock();
                try {
                    queue.drainTo(pending, BATCH - pending.size());
                    if (!pending.isEmpty()) {
                        write(pending);
                    }
                } finally {
                    writing.unlock();
                }
            } catch (InterruptedException e) {
                return;
            } catch (RuntimeException e) {
                LOG.log(System.Logger.Level.WARNING, "metering: cannot write " + pending.size() + " usage rows now (" + e.getMessage()
                        + "); they are kept and retried");
                try {
                    Thread.sleep(1_000);
                } catch (InterruptedException stop) {
                    return;
                }
            }
        }
    }

    /** Writes {@code batch} in one transaction and empties it (kept whole when the write fails). */
    private void write(List<Row> batch) {
        store.write(c -> {
            insert(c, batch);
            return null;
        });
        written.addAndGet(batch.size());
        batch.clear();
    }

    static void insert(Connection c, List<Row> rows) throws SQLException {
        try (PreparedStatement s = c.prepareStatement("INSERT INTO usage_record (request_id, tenant_id, organization_id, model, node, "
                + "started_at, duration_ms, tokens_in, tokens_out, energy_joules) VALUES (?,?,?,?,?,?,?,?,?,?)")) {
            for (Row row : rows) {
                Reservations.Reservation res = row.reservation();
                Metering.Usage usage = row.usage();
                s.setString(1, row.requestId());
                s.setString(2, res.tenant());
                s.setString(3, res.organization());
                s.setString(4, res.model());
                s.setString(5, usage.node());
                s.setLong(6, res.admittedAt());
                s.setLong(7, usage.durationMillis());
                s.setLong(8, usage.tokensIn());
                s.setLong(9, usage.tokensOut());
                s.setDouble(10, usage.energyJoules());
                s.addBatch();
            }
            s.executeBatch();
        }
    }

    @Override
    public void close() {
        closed = true;
        thread.interrupt();
        try {
            thread.join(5_000);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
        flush();
    }
}
