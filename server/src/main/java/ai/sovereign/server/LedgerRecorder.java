package ai.sovereign.server;

import ai.sovereign.ledger.AuditEntry;
import ai.sovereign.ledger.AuditEntry.Attempt;
import ai.sovereign.ledger.AuditEntry.Attribute;
import ai.sovereign.ledger.AuditEntry.Decision;
import ai.sovereign.ledger.AuditEntry.Outcome;
import ai.sovereign.ledger.AuditKey;
import ai.sovereign.ledger.Hash;
import ai.sovereign.ledger.Ledger;
import ai.sovereign.ledger.LedgerException;
import java.net.URI;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * Puts the factory's requests and admin actions on the transparency ledger (PRODUCT.md guarantee 3).
 *
 * <h2>Design</h2>
 * <ul>
 *   <li><b>Decision: durable, synchronous.</b> {@link #decide} blocks until the entry is fsynced
 *       (group commit, so concurrent requests share one fsync) and returns its index, which the
 *       pipeline sends back in {@code x-sovereign-ledger-index}. If the ledger cannot write, the
 *       request fails with 503 {@code ledger_unavailable} and is not served: an unrecorded
 *       generation is worse than a refused one.</li>
 *   <li><b>Outcome: asynchronous.</b> {@link #finish} queues the outcome entry and returns; the
 *       group committer makes it durable shortly after. Shutdown waits for queued appends
 *       ({@link #close}), so a graceful stop loses none; a SIGKILL can lose the outcome of requests
 *       that just ended, never an acknowledged decision.</li>
 *   <li><b>Refusals</b> (an inference request refused before its decision: bad JSON, unknown
 *       model, context too long, overload ...) get a decision and an outcome too, both
 *       asynchronous (a refusal is not a served request, so its response does not wait for the
 *       disk). They hold only what cannot carry content: the endpoint, the keyed hash of the body,
 *       the status and the error code; never the model name the caller typed.</li>
 *   <li><b>No content.</b> Bodies and generated texts enter entries only as HMAC-SHA-256 under the
 *       server secret ({@link AuditKey}); see {@code ledger/ENTRY-FORMAT.md}.</li>
 * </ul>
 * <b>Routing facts</b> come from the request's {@link RouteTrace}: candidates, eliminations with reasons, every
 * attempt with its result, and the node that serves (its id, jurisdiction and tier). On the local node the decision is
 * written before generation; on a remote node it is written once the node's first event (or whole body) has arrived,
 * so the failed attempts before it are on the entry, and still before the first byte to the client. A request that
 * no node served (403/503 from routing, 502 when every attempt failed) is a refusal whose decision carries the
 * eliminations and attempts. Every served request has a trace (the embedded embedding model routes to the local node). The tenant and a short key
 * id come from authentication. PII counts per type (never values) come from the guard stage, also on refusals that
 * the guard caused ({@code pii_blocked}).
 */
final class LedgerRecorder implements AutoCloseable {
    private final Ledger ledger;
    private final AuditKey hmac;
    private final ServerConfig.Local local;
    private final AtomicInteger pending = new AtomicInteger();

    private LedgerRecorder(Ledger ledger, AuditKey hmac, ServerConfig.Local local) {
        this.ledger = ledger;
        this.hmac = hmac;
        this.local = local;
    }

    /**
     * Opens (or creates) the ledger the config names, and prints its verifier key on stderr. Witness requests leave
     * through {@code egress} (the witnesses' destinations must be on its allowlist: {@link #witnessDestinations}).
     */
    static LedgerRecorder open(ServerConfig config, Egress egress) {
        return open(config, egress, null);
    }

    /** The same, with {@code observer} watching the ledger's commits (tests slow or fail the disk with it; null: none). */
    static LedgerRecorder open(ServerConfig config, Egress egress, Ledger.CommitObserver observer) {
        ServerConfig.LedgerConfig c = config.ledgerOrDefault();
        Path dir = c.dirOrDefault(config.storeOrDefault());
        Path key = c.keyOrDefault(config.storeOrDefault());
        Ledger ledger = Ledger.open(dir, key, c.originOrDefault(), options(c, egress::witness).withObserver(observer));
        AuditKey hmac;
        try {
            hmac = AuditKey.openOrCreate(key.resolveSibling(key.getFileName() + ".hmac"));
        } catch (RuntimeException e) {
            ledger.close();
            throw e;
        }
        Log.info("ledger: " + dir + " (" + ledger.size() + " entries" + (ledger.repairedBytes() > 0
                ? ", cut a torn tail of " + ledger.repairedBytes() + " bytes" : "") + "); verifier key " + ledger.verifierKey());
        return new LedgerRecorder(ledger, hmac, config.localOrDefault());
    }

    /** The {@code host:port} of every configured witness, for the egress allowlist. */
    static java.util.Set<String> witnessDestinations(ServerConfig config) {
        java.util.Set<String> out = new java.util.HashSet<>();
        witnesses(config.ledgerOrDefault()).forEach(w -> out.add(Egress.destination(w.url())));
        return out;
    }

    /** Group commit and witnesses from the config (ledger/ENTRY-FORMAT.md has no say here: these never change the entries). */
    private static Ledger.Options options(ServerConfig.LedgerConfig c, Ledger.WitnessTransport transport) {
        Ledger.Options d = Ledger.Options.DEFAULT;
        return new Ledger.Options(c.maxBatch() == null ? d.maxBatch() : c.maxBatch(), d.checkpointInterval(),
                c.commitDelayMs() == null ? d.commitDelay() : Duration.ofNanos(Math.round(c.commitDelayMs() * 1e6)), witnesses(c), transport);
    }

    private static List<Ledger.WitnessEndpoint> witnesses(ServerConfig.LedgerConfig c) {
        List<Ledger.WitnessEndpoint> witnesses = new ArrayList<>();
        for (ServerConfig.LedgerConfig.WitnessConfig w : c.witnesses() == null ? List.<ServerConfig.LedgerConfig.WitnessConfig>of() : c.witnesses()) {
            if (w.url() == null || w.vkey() == null) {
                throw new IllegalArgumentException("ledger.witnesses: each witness needs url and vkey");
            }
            try {
                witnesses.add(new Ledger.WitnessEndpoint(URI.create(w.url()), w.vkey()));
            } catch (IllegalArgumentException e) {
                throw new IllegalArgumentException("ledger.witnesses: " + e.getMessage());
            }
        }
        return witnesses;
    }

    Ledger ledger() {
        return ledger;
    }

    /**
     * Writes the decision to serve {@code ex} with {@code model} (its weight hash may be null) and
     * returns its index once it is durable.
     */
    long decide(Exchange ex, String endpoint, String model, String modelSha256) {
        Decision d = decision(ex, endpoint, model, modelSha256);
        try {
            long index = ledger.append(d.encode());
            ex.ledgerIndex(index);
            return index;
        } catch (LedgerException e) {
            Log.error("ledger: cannot record request " + ex.requestId + ": " + e.getMessage());
            throw ApiException.unavailable("ledger_unavailable",
                    "the transparency ledger cannot record this request, so it was not served; request id " + ex.requestId);
        }
    }

    /** How a served request ended, as the pipeline saw it. {@code firstTokenNanos} is 0 when no token came. */
    record Ending(int status, List<String> finishReasons, long promptTokens, long completionTokens,
                  long startNanos, long endNanos, long firstTokenNanos, List<String> texts) {}

    /** Queues the outcome of the request whose decision is at {@code decisionIndex}. */
    void finish(Exchange ex, long decisionIndex, Ending e) {
        long nanos = Math.max(0, e.endNanos() - e.startNanos());
        RouteTrace trace = ex.trace();
        double watts = trace != null && trace.served() != null ? trace.served().powerWatts : local.powerWattsOrDefault();
        long energyMillijoules = Math.round(watts * nanos / 1e6);
        Outcome o = new Outcome(System.currentTimeMillis(), ex.requestId, decisionIndex, e.status(), e.finishReasons(),
                e.promptTokens(), e.completionTokens(), nanos / 1_000_000,
                e.firstTokenNanos() > 0 ? Math.max(0, e.firstTokenNanos() - e.startNanos()) / 1_000_000 : -1,
                energyMillijoules, e.texts() == null ? null : hmac.hashTexts(e.texts()));
        track(ledger.appendAsync(o.encode()), ex.requestId);
        settle(ex, e, trace, nanos, energyMillijoules);
    }

    /** Meter: the admitted request's reservation settles to the same counts, node, time and energy as its outcome entry. */
    private static void settle(Exchange ex, Ending e, RouteTrace trace, long nanos, long energyMillijoules) {
        ai.sovereign.server.tenancy.Ticket ticket = ex.ticket();
        if (ticket == null) {
            return;
        }
        String node = trace != null && trace.served() != null ? trace.served().id : Fleet.LOCAL;
        long in = e.promptTokens();
        if (e.status() == 200 && in == 0 && e.completionTokens() == 0 && !node.equals(Fleet.LOCAL)) {
            in = ticket.reservedTokens(); // a node that served without reporting usage is charged the whole reservation
        }
        try {
            ticket.settle(ex.requestId, new ai.sovereign.server.tenancy.Metering.Usage(in, e.completionTokens(), node,
                    nanos / 1_000_000, energyMillijoules / 1000.0));
        } catch (RuntimeException failure) {
            Log.error("tenancy: cannot settle request " + ex.requestId + " (" + failure.getClass().getSimpleName() + ": "
                    + failure.getMessage() + "); its reservation stays counted");
        }
    }

    /** Writes an admin event of the tenants store (its outbox, drained periodically) durably. */
    void admin(AuditEntry.AdminEvent event) {
        ledger.append(event.encode());
    }

    /** Records an inference request refused before its decision (see the class comment). */
    void refused(Exchange ex, String endpoint, int status, String code) {
        if (ex.ledgerIndex() >= 0) {
            return; // decided: the pipeline writes the outcome
        }
        Decision d = decision(ex, endpoint, "", null);
        long now = System.currentTimeMillis();
        pending.incrementAndGet();
        CompletableFuture<Long> both = ledger.appendAsync(d.encode())
                .thenCompose(index -> ledger.appendAsync(new Outcome(now, ex.requestId, index, status,
                        List.of(code == null ? "refused" : code), 0, 0, 0, -1, 0, null).encode()));
        both.whenComplete((i, t) -> {
            pending.decrementAndGet();
            if (t != null) {
                Log.error("ledger: cannot record the refusal of request " + ex.requestId + ": " + t.getMessage());
            }
        });
    }

    /** Writes an admin event durably (at start: config, model registrations). */
    void admin(String action, String subject, Map<String, String> attributes) {
        List<Attribute> attrs = new ArrayList<>();
        new java.util.TreeMap<>(attributes).forEach((k, v) -> attrs.add(new Attribute(k, v)));
        ledger.append(new AuditEntry.AdminEvent(System.currentTimeMillis(), action, subject, attrs).encode());
    }

    /** The decision for {@code ex}: routing facts from its trace (a refusal before routing has none: no node, no candidates). */
    private Decision decision(Exchange ex, String endpoint, String model, String modelSha256) {
        byte[] body = ex.bodyRead();
        Tenant tenant = ex.tenant();
        RouteTrace trace = ex.trace();
        String node;
        String jurisdiction;
        String tier;
        List<String> candidates;
        List<AuditEntry.Elimination> eliminations;
        List<Attempt> attempts;
        if (trace != null) {
            Fleet.Node served = trace.served();
            node = served == null ? "" : served.id;
            jurisdiction = served == null ? "" : served.jurisdiction.code();
            tier = served == null ? "" : served.tier.configName();
            candidates = capped(trace.candidates);
            eliminations = trace.ledgerEliminations();
            if (eliminations.size() > MAX_LIST) {
                eliminations = eliminations.stream().filter(e -> !e.reason().equals("model_not_served")).toList();
            }
            eliminations = capped(eliminations);
            attempts = capped(trace.attempts());
        } else { // refused before routing
            node = "";
            jurisdiction = "";
            tier = "";
            candidates = List.of();
            eliminations = List.of();
            attempts = List.of();
        }
        return new Decision(System.currentTimeMillis(), ex.requestId, tenant == null ? "" : tenant.id(), tenant == null ? "" : tenant.keyId(),
                endpoint, model, modelSha256 == null ? null : Hash.ofHex(modelSha256), node, jurisdiction, tier,
                piiCounts(ex), candidates, eliminations, attempts, body == null ? null : hmac.hash(body));
    }

    /** An entry's lists hold at most 64 items (ENTRY-FORMAT.md); a larger fleet's lists are cut. */
    private static final int MAX_LIST = 64;

    private static <T> List<T> capped(List<T> list) {
        return list.size() <= MAX_LIST ? list : list.subList(0, MAX_LIST);
    }

    /** The guard stage's counts per type (never values), in type-name order; empty before the guard ran. */
    private static List<AuditEntry.PiiCount> piiCounts(Exchange ex) {
        List<AuditEntry.PiiCount> out = new ArrayList<>();
        new java.util.TreeMap<>(ex.piiCounts()).forEach((type, count) -> out.add(new AuditEntry.PiiCount(type, count)));
        return out;
    }

    private void track(CompletableFuture<Long> append, String requestId) {
        pending.incrementAndGet();
        append.whenComplete((i, t) -> {
            pending.decrementAndGet();
            if (t != null) {
                Log.error("ledger: cannot record the outcome of request " + requestId + ": " + t.getMessage());
            }
        });
    }

    /**
     * Waits (up to 10 s) for queued outcomes and refusals (both of a refusal's entries), then
     * closes the ledger, which commits what is queued and publishes a final checkpoint.
     */
    @Override
    public void close() {
        long deadline = System.nanoTime() + 10_000_000_000L;
        while (pending.get() > 0 && System.nanoTime() < deadline) {
            try {
                Thread.sleep(5);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                break;
            }
        }
        if (pending.get() > 0) {
            Log.warn("ledger: " + pending.get() + " outcome or refusal records were still queued after 10 s; closing anyway");
        }
        ledger.close();
    }
}
