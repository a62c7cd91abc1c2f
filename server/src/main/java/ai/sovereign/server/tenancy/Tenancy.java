package ai.sovereign.server.tenancy;

import ai.sovereign.ledger.AuditEntry;
import io.prometheus.metrics.model.registry.PrometheusRegistry;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.function.Consumer;
import java.util.function.LongSupplier;

/**
 * Tenants, API keys, quotas, fair share and metering: the pipeline's "authenticate" and "admit"
 * stages and the admin operations behind {@code sovereign tenants|keys}.
 *
 * <p>Design note. The pipeline calls:
 * <pre>{@code
 * Tenancy tenancy = Tenancy.open(config.store().url());          // migrates the schema
 * tenancy.capacity("stories", maxSequences, maxQueued);          // per model, once
 * switch (tenancy.authenticate(bearer)) {                        // 401 invalid_api_key unless Authenticated
 *   case Authenticated a -> ... a.principal().tenant(), .policy(), .may(Scope.INFERENCE)
 *   case Rejected r -> ... NOT_A_STORE_KEY: try the config's bootstrap keys
 * }
 * switch (tenancy.admit(principal.tenant().id(), model, promptTokens + maxTokens)) {
 *   case Admitted a -> try (Ticket t = a.ticket()) { generate; t.settle(requestId, usage); }
 *   case Refused r -> status r.status(), error.code r.code(), Retry-After r.retryAfterSeconds()
 * }
 * tenancy.drainAdminEvents(ledger::appendAdmin);                 // periodically: admin changes to the ledger
 * tenancy.registerMetrics(registry);                             // sovereign_tenant_* series on /metrics
 * new TenancyApi(tenancy).handle(principal, method, path, query, body);   // /admin/… and /v1/usage
 * }</pre>
 * {@code admit} first reserves the tokens in the store (exact across instances sharing PostgreSQL:
 * see {@link Reservations}), then takes a slot in the model's {@link FairQueue} (this instance's share of
 * the model); a full queue returns the reservation and refuses. Settling corrects the reservation
 * to the real count and writes the metering row; releasing returns it. A reservation is a lease: if
 * its instance dies, its concurrency slot comes back after {@link #LEASE}; its tokens stay counted.
 *
 * <p>Keys are checked against the store on every request (no cache), so a revoked or rotated-out
 * key fails on every instance from its next request on; requests already admitted run to the end.
 * Every admin change writes an admin event in the same transaction (an outbox), whether it came from
 * the server or the CLI; {@link #drainAdminEvents} hands them to the ledger.
 */
public final class Tenancy implements AutoCloseable {
    /** How long an unsettled reservation holds its concurrency slot; long streams call {@link Ticket#renew}. */
    public static final Duration LEASE = Duration.ofMinutes(10);
    /** How long a request waits in a saturated model's queue before a 429. */
    public static final Duration DEFAULT_QUEUE_WAIT = Duration.ofSeconds(30);

    private final Store store;
    private final Reservations reservations;
    private final UsageReports reports;
    private final Map<String, FairQueue> queues = new ConcurrentHashMap<>();
    private volatile Duration queueWait = DEFAULT_QUEUE_WAIT;
    private volatile TenancyMetrics metrics;

    private Tenancy(Store store) {
        this.store = store;
        this.reservations = new Reservations(store);
        this.reports = new UsageReports(store);
    }

    /** Opens the store at {@code storeUrl} ({@code embedded:DIR}, default {@code embedded:./data}, or {@code jdbc:postgresql://…}). */
    public static Tenancy open(String storeUrl) {
        return new Tenancy(Store.open(storeUrl, null));
    }

    /** As {@link #open(String)} with a clock in epoch milliseconds (tests). */
    static Tenancy open(String storeUrl, LongSupplier clock) {
        return new Tenancy(Store.open(storeUrl, clock));
    }

    Reservations reservations() {
        return reservations;
    }

    FairQueue queue(String model) {
        return queues.get(model);
    }

    /** "embedded store FILE" or "PostgreSQL store URL" (password redacted), for logs. */
    public String description() {
        return store.description;
    }

    @Override
    public void close() {
        reservations.metering().close();
        store.close();
    }

    // ------------------------------------------------------------ the pipeline

    public Authentication authenticate(String bearerKey) {
        return store.authenticate(bearerKey);
    }

    /**
     * Sets {@code model}'s capacity on this instance: {@code slots} requests run at once, {@code maxQueued}
     * more wait in fair order. A model without a capacity is not queued here (its engine's own queue applies).
     */
    public void capacity(String model, int slots, int maxQueued) {
        queues.put(model, new FairQueue(model, slots, maxQueued));
    }

    /** Registers the per-tenant series ({@code sovereign_tenant_*}, {@code sovereign_fair_queue_*}) in {@code registry}. */
    public void registerMetrics(PrometheusRegistry registry) {
        metrics = new TenancyMetrics(registry, queues);
    }

    /** How long {@link #admit} waits for a slot of a saturated model. */
    public void queueWait(Duration wait) {
        this.queueWait = wait;
    }

    /**
     * Admits a request of {@code tenant} for {@code model} reserving {@code tokens} (prompt + max_tokens), or
     * refuses it before any generation. Blocks while the model's queue is saturated (up to the queue wait).
     */
    public Admission admit(String tenant, String model, long tokens) {
        return admit(tenant, model, tokens, true);
    }

    /**
     * As {@link #admit(String, String, long)}; {@code localQueue} false admits work for a remote node, which takes no
     * slot in this instance's queue of the model (a model served locally and remotely has a queue for the local engine).
     */
    public Admission admit(String tenant, String model, long tokens, boolean localQueue) {
        Reservations.Reserved reserved = reservations.reserve(tenant, model, tokens, LEASE.toMillis());
        Admission outcome = switch (reserved) {
            case Reservations.No no -> no.refusal();
            case Reservations.Ok ok when !localQueue -> new Admission.Admitted(new Ticket(this, ok.reservation(), null));
            case Reservations.Ok ok -> queue(ok, model, tokens);
        };
        TenancyMetrics m = metrics;
        if (m != null) {
            m.admission(tenant, outcome);
        }
        return outcome;
    }

    void settled(Reservations.Reservation reservation, Metering.Usage usage) {
        TenancyMetrics m = metrics;
        if (m != null && usage != null) {
            m.settled(reservation, usage);
        }
    }

    private Admission queue(Reservations.Ok ok, String model, long tokens) {
        FairQueue queue = queues.get(model);
        if (queue == null) {
            return new Admission.Admitted(new Ticket(this, ok.reservation(), null));
        }
        FairQueue.Outcome outcome;
        try {
            outcome = queue.acquire(ok.tenant().id(), ok.tenant().weight(), ok.tenant().priority(), tokens, queueWait.toMillis());
        } catch (InterruptedException e) {
            reservations.settle(ok.reservation(), null, null);
            Thread.currentThread().interrupt();
            return Admission.Refused.queueFull("interrupted while queued for model " + model, 1);
        }
        return switch (outcome) {
            case FairQueue.Slot slot -> new Admission.Admitted(new Ticket(this, ok.reservation(), slot));
            case FairQueue.Full full -> {
                reservations.settle(ok.reservation(), null, null);
                yield Admission.Refused.queueFull(full.message(), full.retryAfterSeconds());
            }
        };
    }

    // ------------------------------------------------------------ admin

    public Tenant createTenant(Tenant tenant) {
        return store.createTenant(tenant);
    }

    public Tenant updateTenant(Tenant tenant) {
        return store.updateTenant(tenant);
    }

    /** Creates the tenant, or updates it when it exists (config bootstrap). */
    public Tenant putTenant(Tenant tenant) {
        return store.tenant(tenant.id()).isPresent() ? store.updateTenant(tenant) : store.createTenant(tenant);
    }

    public void deleteTenant(String id) {
        store.deleteTenant(id);
    }

    /** The ids of the tenants that came from the config file (see {@code StoreTenants.mirror}). */
    public Set<String> configTenants() {
        return store.configTenants();
    }

    public void configTenants(Set<String> ids) {
        store.configTenants(ids);
    }

    public Optional<Tenant> tenant(String id) {
        return store.tenant(id);
    }

    /** Every tenant, each organization followed by its projects. */
    public List<Tenant> tenants() {
        return store.tenants();
    }

    /** A new key; its secret is in the result only. {@code expiresAt} null: no expiry. */
    public ApiKey.Issued createKey(String tenant, Set<ApiKey.Scope> scopes, String name, Instant expiresAt) {
        return store.createKey(tenant, scopes, name, expiresAt);
    }

    /** Keys of {@code tenant} (null: all), without secrets. */
    public List<ApiKey> keys(String tenant) {
        return store.keys(tenant);
    }

    public ApiKey revokeKey(String lookup) {
        return store.revokeKey(lookup);
    }

    /** A replacement key; the old key keeps working for {@code grace} (zero: stops now). */
    public ApiKey.Issued rotateKey(String lookup, Duration grace) {
        return store.rotateKey(lookup, grace.toMillis());
    }

    public Grant addGrant(String tenant, String model, Instant startsAt, Instant endsAt) {
        return store.addGrant(tenant, model, startsAt, endsAt);
    }

    public void removeGrant(String id) {
        store.removeGrant(id);
    }

    /** Grants of {@code tenant} (null: all). */
    public List<Grant> grants(String tenant) {
        return store.grants(tenant);
    }

    /**
     * Hands undrained admin events to {@code sink} (the ledger), oldest first, and marks each drained once the sink
     * returns, in one transaction that holds them: several instances on one PostgreSQL each take different events
     * ({@code FOR UPDATE SKIP LOCKED}), so an event reaches one ledger. A sink that throws leaves its event (and the
     * rest of the batch) for the next drain. Returns how many were drained.
     */
    public int drainAdminEvents(Consumer<AuditEntry.AdminEvent> sink) {
        return store.drainAdminEvents(sink);
    }

    /**
     * Puts an admin event of something outside the store (e.g. a pseudonymization key rotated by the CLI) in the
     * outbox, durably, for {@code serve} to drain into the ledger like the store's own events.
     */
    public void recordAdminEvent(String action, String subject, java.util.Map<String, String> attributes) {
        store.adminEvent(action, subject, attributes);
    }

    // ------------------------------------------------------------ metering

    /** Usage per tenant, model, node and UTC day in [from, to); {@code tenant} (null: all) includes an organization's projects. */
    public List<Metering.Rollup> usage(Instant from, Instant to, String tenant) {
        reservations.metering().flush();
        return reports.rollups(from, to, tenant);
    }

    /** Grants active in [from, to) whose tenants used less than {@code threshold} of their share. */
    public List<Metering.IdleGrant> idleGrants(Instant from, Instant to, double threshold) {
        reservations.metering().flush();
        return reports.idleGrants(from, to, threshold);
    }
}
