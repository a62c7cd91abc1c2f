package ai.sovereign.server.tenancy;

import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.SQLException;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.ArrayBlockingQueue;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.locks.ReentrantLock;

/**
 * Writes the metering rows of unlimited tenants in batches: one transaction per batch of up to
 * {@value #BATCH} rows, every {@value #DELAY_MS} ms, from one daemon thread. Readers of usage call
 * {@link #flush} first, so this instance's reports never miss a settled request; a full queue writes the
 * row on the caller's thread (nothing is dropped). A crash loses at most the rows of the last
 * {@value #DELAY_MS} ms; the ledger's outcome entries hold the same counts durably.
 *
 * <p>Rows leave the queue only under {@link #writing}, so they are written in queue order, and a row's
 * slot is counted before it is offered: once {@code written} reaches the count a flush read at its start,
 * every row whose {@link #add} had returned by then is in the store.
 */
final class MeteringWriter implements AutoCloseable {
    static final int BATCH = 512;
    static final int DELAY_MS = 100;
    private static final int CAPACITY = 16_384;
    private static final System.Logger LOG = System.getLogger("sovereign.tenancy");

    /** One served request's usage, for {@code usage_record}. */
    record Row(String requestId, Reservations.Reservation reservation, Metering.Usage usage) {}

    private final Store store;
    private final BlockingQueue<Row> queue = new ArrayBlockingQueue<>(CAPACITY);
    private final ReentrantLock writing = new ReentrantLock();
    /** Rows taken from the queue and not yet written (guarded by {@link #writing}); kept whole when a write fails. */
    private final List<Row> pending = new ArrayList<>();
    /** Rows offered to the queue (counted before the offer) and rows of the queue written. */
    private final AtomicLong queued = new AtomicLong(), written = new AtomicLong();
    private final Thread thread;
    private volatile boolean closed;

    MeteringWriter(Store store) {
        this.store = store;
        this.thread = Thread.ofPlatform().daemon().name("sovereign-metering").start(this::run);
    }

    void add(Row row) {
        if (!closed) {
            queued.incrementAndGet();
            if (queue.offer(row)) {
                return;
            }
            queued.decrementAndGet();
        }
        store.write(c -> {
            insert(c, List.of(row));
            return null;
        });
    }

    /** Writes every row added before this call now; a store failure is thrown to the caller. */
    void flush() {
        long target = queued.get();
        writing.lock();
        try {
            while (written.get() < Math.min(target, queued.get())) {
                queue.drainTo(pending, BATCH - pending.size());
                if (pending.isEmpty()) {
                    Thread.onSpinWait(); // a slot counted, its offer a few instructions away
                } else {
                    write(pending);
                }
            }
        } finally {
            writing.unlock();
        }
    }

    private void run() {
        while (!closed) {
            try {
                Thread.sleep(DELAY_MS);
            } catch (InterruptedException e) {
                return;
            }
            long backoff = 0;
            writing.lock();
            try {
                while (true) {
                    queue.drainTo(pending, BATCH - pending.size());
                    if (pending.isEmpty()) {
                        break;
                    }
                    write(pending);
                }
            } catch (RuntimeException e) {
                LOG.log(System.Logger.Level.WARNING, "metering: cannot write " + pending.size() + " usage rows now (" + e.getMessage()
                        + "); they are kept and retried in 1 s");
                backoff = 1_000;
            } finally {
                writing.unlock();
            }
            try {
                Thread.sleep(backoff);
            } catch (InterruptedException e) {
                return;
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
