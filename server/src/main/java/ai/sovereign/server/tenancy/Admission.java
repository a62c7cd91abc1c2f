package ai.sovereign.server.tenancy;

/** The outcome of {@link Tenancy#admit}: a ticket to settle or release, or a refusal before any generation. */
public sealed interface Admission {
    record Admitted(Ticket ticket) implements Admission {}

    /**
     * A refusal the client sees as {@code status} with {@code error.code} = {@code code} and a
     * {@code Retry-After} of {@code retryAfterSeconds}. The message names the limit, the numbers and
     * the setting, never request content. {@code capacity} is true when the model's queue refused (full, or the
     * wait ran out), false when the tenant's own limits did.
     */
    record Refused(int status, String code, String message, long retryAfterSeconds, boolean capacity) implements Admission {
        /** A per-minute limit or the tenant's concurrency: the same request fits again soon. */
        static Refused rateLimited(String message, long retryAfterSeconds) {
            return new Refused(429, "rate_limited", message, Math.max(1, retryAfterSeconds), false);
        }

        /** A per-day or per-month quota, or no active grant. */
        static Refused quotaExceeded(String message, long retryAfterSeconds) {
            return new Refused(429, "quota_exceeded", message, Math.max(1, retryAfterSeconds), false);
        }

        /** The model's fair-share queue is full, or the request waited in it too long. */
        static Refused queueFull(String message, long retryAfterSeconds) {
            return new Refused(429, "rate_limited", message, Math.max(1, retryAfterSeconds), true);
        }
    }
}
