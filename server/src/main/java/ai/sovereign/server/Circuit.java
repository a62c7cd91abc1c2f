package ai.sovereign.server;

/**
 * Passive ejection of one node: closed until {@code threshold} consecutive failures, then open for {@code openNanos};
 * after that one trial request may go (half-open) while the others still see it open; the trial's success closes it,
 * its failure opens it again for another period.
 */
final class Circuit {
    private final int threshold;
    private final long openNanos;
    private int failures;
    private long openedAt;
    private boolean trial;

    Circuit(int threshold, long openNanos) {
        this.threshold = Math.max(1, threshold);
        this.openNanos = openNanos;
    }

    /** Whether routing must set the node aside now. */
    synchronized boolean isOpen(long now) {
        return failures >= threshold && (trial || now - openedAt < openNanos);
    }

    /** Claims the right to send a request; false when open (or another request holds the half-open trial). */
    synchronized boolean tryAcquire(long now) {
        if (failures < threshold) {
            return true;
        }
        if (trial || now - openedAt < openNanos) {
            return false;
        }
        trial = true;
        return true;
    }

    synchronized void success() {
        failures = 0;
        trial = false;
    }

    synchronized void failure(long now) {
        failures++;
        trial = false;
        if (failures >= threshold) {
            openedAt = now;
        }
    }
}
