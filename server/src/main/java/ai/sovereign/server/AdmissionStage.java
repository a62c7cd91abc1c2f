package ai.sovereign.server;

import ai.sovereign.server.tenancy.Admission;
import ai.sovereign.server.tenancy.Tenancy;
import ai.sovereign.server.tenancy.Ticket;
import java.nio.charset.StandardCharsets;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;

/**
 * The pipeline's admit stage over the tenants store: reserves a request's prompt tokens plus its {@code max_tokens}
 * (times n) before any generation and before the decision entry, or refuses it with 429 {@code rate_limited} /
 * {@code quota_exceeded} and {@code Retry-After}. On the local engine the prompt count is exact (after prompt building);
 * for a remote node it is an upper estimate, {@link #estimate}: the UTF-8 bytes of the texts as the client sent them plus
 * a template allowance (a token of a byte-level tokenizer covers at least one byte), and a request without
 * {@code max_tokens} is sent upstream with the default, so the node cannot generate past the reservation.
 * The reservation settles to the real usage where the outcome is recorded ({@link LedgerRecorder#finish}) and is
 * returned whole by {@link #release} when the request ends without an outcome; open tickets renew their lease every
 * half lease, so a stream longer than {@link Tenancy#LEASE} keeps its concurrency slot.
 */
final class AdmissionStage implements AutoCloseable {
    /** Template tokens allowed per request and per message in a remote estimate (role markers, BOS/EOS). */
    static final int TEMPLATE_ALLOWANCE = 64, PER_MESSAGE_ALLOWANCE = 16;

    private final Tenancy tenancy;
    private final Metrics metrics;
    private final Set<Ticket> open = ConcurrentHashMap.newKeySet();
    private final ScheduledExecutorService renewals = Executors.newSingleThreadScheduledExecutor(
            Thread.ofPlatform().daemon().name("sovereign-lease-renewal").factory());

    AdmissionStage(Tenancy tenancy, Metrics metrics) {
        this.tenancy = tenancy;
        this.metrics = metrics;
        long every = Tenancy.LEASE.toMillis() / 2;
        renewals.scheduleWithFixedDelay(this::renew, every, every, TimeUnit.MILLISECONDS);
    }

    /** Admits {@code ex} (once; a failover keeps the first reservation) for {@code tokens} on {@code model}, or throws the 429. */
    void admit(Exchange ex, String model, long tokens) {
        ApiException queueFull = admit(ex, model, tokens, true);
        if (queueFull != null) {
            metrics.rejected(model);
            throw queueFull;
        }
    }

    /** As {@link #admit}, for a remote node: no slot in this instance's fair-share queue of a model it also serves locally. */
    void admitRemote(Exchange ex, String model, long tokens) {
        admit(ex, model, tokens, false);
    }

    /**
     * As {@link #admit} on the local engine, but the refusal of the model's full fair-share queue is returned, not thrown
     * (its reservation already returned), so the pipeline can try a remote node serving the model. Null: admitted.
     */
    ApiException admitLocalOrQueueFull(Exchange ex, String model, long tokens) {
        return admit(ex, model, tokens, true);
    }

    private ApiException admit(Exchange ex, String model, long tokens, boolean localQueue) {
        if (ex.ticket() != null) {
            return null;
        }
        switch (tenancy.admit(ex.tenant().id(), model, tokens, localQueue)) {
            case Admission.Admitted a -> {
                ex.ticket(a.ticket());
                open.add(a.ticket());
            }
            case Admission.Refused r when r.status() == 401 -> throw ConfigTenants.invalidKey("the API key's tenant no longer exists");
            case Admission.Refused r -> {
                ApiException refusal = new ApiException(r.status(), "rate_limit_error", r.code(), null, r.message(),
                        (int) Math.min(Integer.MAX_VALUE, r.retryAfterSeconds()));
                if (r.capacity()) { // the model's fair-share queue, not the tenant's quota
                    return refusal;
                }
                throw refusal;
            }
        }
        return null;
    }

    /** Returns an unsettled reservation whole (the request ended without an outcome); a no-op once settled. */
    void release(Exchange ex) {
        Ticket t = ex.ticket();
        if (t != null) {
            open.remove(t);
            try {
                t.release();
            } catch (RuntimeException e) {
                Log.error("tenancy: cannot release request " + ex.requestId + "'s reservation: " + e.getMessage());
            }
        }
    }

    /** An upper estimate of the tokens of {@code texts} (UTF-8 bytes) plus the template allowance for {@code messages} messages. */
    static long estimate(Iterable<String> texts, int messages) {
        long bytes = TEMPLATE_ALLOWANCE + (long) PER_MESSAGE_ALLOWANCE * messages;
        for (String t : texts) {
            bytes += t.getBytes(StandardCharsets.UTF_8).length;
        }
        return bytes;
    }

    private void renew() {
        for (Ticket t : open) {
            try {
                t.renew(Tenancy.LEASE);
            } catch (RuntimeException e) {
                Log.warn("tenancy: cannot renew a lease of tenant " + t.tenant() + ": " + e.getMessage());
            }
        }
    }

    @Override
    public void close() {
        renewals.shutdownNow();
    }
}
