package ai.sovereign.server.tenancy;

import java.time.Duration;
import java.util.concurrent.atomic.AtomicBoolean;

/**
 * An admitted request: its reservation of {@link #reservedTokens()} in the store and, when the model
 * has a fair-share queue, its slot. Call {@link #settle} once the real token counts are known, or
 * {@link #release} when the request ends without generating; either frees the slot at once. Both are
 * idempotent; {@link #close()} releases a ticket that was neither (use try-with-resources).
 */
public final class Ticket implements AutoCloseable {
    private final Tenancy tenancy;
    private final Reservations store;
    private final FairQueue.Slot slot;
    private final AtomicBoolean done = new AtomicBoolean();
    final Reservations.Reservation reservation;

    Ticket(Tenancy tenancy, Reservations.Reservation reservation, FairQueue.Slot slot) {
        this.tenancy = tenancy;
        this.store = tenancy.reservations();
        this.reservation = reservation;
        this.slot = slot;
    }

    public String tenant() {
        return reservation.tenant();
    }

    public String model() {
        return reservation.model();
    }

    public long reservedTokens() {
        return reservation.tokens();
    }

    /** Settles the reservation to the real count and writes the request's metering row. */
    public void settle(String requestId, Metering.Usage usage) {
        if (done.compareAndSet(false, true)) {
            freeSlot();
            store.settle(reservation, requestId, usage);
            tenancy.settled(reservation, usage);
        }
    }

    /**
     * The generation has ended: its fair-share slot goes to the next request now, before the answer's last byte, so a
     * client that sends its next request on receiving the answer finds the slot free. The reservation settles later.
     */
    public void workDone() {
        freeSlot();
    }

    /** Returns the whole reservation (the request count stays): the request ended before generating. */
    public void release() {
        if (done.compareAndSet(false, true)) {
            freeSlot();
            store.settle(reservation, null, null);
        }
    }

    /** Extends the lease of a long stream, so its concurrency slot is not reclaimed as abandoned. */
    public void renew(Duration lease) {
        if (!done.get()) {
            store.renew(reservation, lease.toMillis());
        }
    }

    @Override
    public void close() {
        release();
    }

    private void freeSlot() {
        if (slot != null) {
            slot.close();
        }
    }
}
