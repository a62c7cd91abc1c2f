package ai.sovereign.server;

import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.HexFormat;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.eclipse.jetty.server.HttpConfiguration;
import org.eclipse.jetty.server.HttpConnectionFactory;
import org.eclipse.jetty.server.Server;
import org.eclipse.jetty.server.ServerConnector;
import org.eclipse.jetty.util.thread.QueuedThreadPool;

/**
 * The platform process: models, pipeline and HTTP server (Jetty 12 core handlers; each request
 * runs on its own virtual thread, so blocking reads and SSE writes cost no platform thread, and
 * Jetty's bounded pool of platform threads only does I/O).
 * Shutdown is graceful: stop accepting, let in-flight requests finish within the deadline.
 */
final class SovereignServer implements AutoCloseable {
    private static final int MAX_IO_THREADS = 32;

    private final Server jetty;
    private final ServerConnector connector;
    private final ModelRegistry models;
    private final ApiHandler handler;
    private final LedgerRecorder ledger;
    private final java.util.Set<String> localModels = new java.util.LinkedHashSet<>();
    private final String configSource;
    private final Router router;
    private final Egress egress;
    private ServerConfig config;
    private HealthProbes probes;
    private boolean started;
    private final ai.sovereign.server.tenancy.Tenancy tenancy;
    private final AdmissionStage admission;
    private final java.util.concurrent.ScheduledExecutorService tenancyTimer = java.util.concurrent.Executors.newSingleThreadScheduledExecutor(
            Thread.ofPlatform().daemon().name("sovereign-tenancy").factory());
    private volatile StoreTenants tenants;

    SovereignServer(ServerConfig config, String configSource) {
        this(config, configSource, null);
    }

    /** The same, with {@code observer} watching the ledger's commits (tests: a slow or failing disk). */
    SovereignServer(ServerConfig config, String configSource, ai.sovereign.ledger.Ledger.CommitObserver observer) {
        this.config = config;
        this.configSource = configSource;
        this.egress = new Egress(LedgerRecorder.witnessDestinations(config)); // nodes join it below, once the fleet is known
        this.ledger = LedgerRecorder.open(config, egress, observer);
        ledger.admin("config.loaded", configSource, Map.of(
                "effective_config_sha256", sha256(config.toString()),
                "models", Integer.toString(config.modelsOrEmpty().size()),
                "origin", ledger.ledger().origin()));
        ModelHashes hashes = new ModelHashes(config.storeOrDefault().dataDirectory());
        this.models = ModelRegistry.load(config, hashes);
        Embeddings embeddings = new Embeddings(Math.max(1, Runtime.getRuntime().availableProcessors()), hashes);
        recordRegistrations(embeddings.sha256());
        models.all().stream().filter(m -> m.engine() != null && m.kind().equals("chat")).forEach(m -> localModels.add(m.name()));
        Fleet fleet = withLocalQueues(Fleet.from(config, localModels));
        recordNodes(fleet);
        ServerConfig.RoutingConfig routing = config.routingOrDefault();
        egress.allow(allowlist(fleet, config));
        this.probes = probes(fleet, routing);
        this.router = new Router(fleet);
        Metrics metrics = new Metrics(models);
        this.tenancy = openTenancy(config, metrics);
        this.admission = new AdmissionStage(tenancy, metrics);
        this.tenants = new StoreTenants(tenancy, config);
        InferencePipeline pipeline = new InferencePipeline(models, config.limitsOrDefault(), metrics, embeddings, ledger,
                PiiStage.open(config, metrics), router, new RemoteRelay(new RemoteClient(egress), ledger, metrics), admission);
        metrics.fleet(router::fleet);
        this.handler = new ApiHandler(models, pipeline, metrics, ledger, tenants, new ai.sovereign.server.tenancy.TenancyApi(tenancy), admission,
                router::fleet);
        handler.onReload(this::reload);

        // Jetty's own threads only move bytes; ApiHandler runs every request on a virtual thread.
        QueuedThreadPool threads = new QueuedThreadPool(MAX_IO_THREADS, 4);
        threads.setName("sovereign-io");
        jetty = new Server(threads);
        HttpConfiguration http = new HttpConfiguration();
        http.setSendServerVersion(false);
        http.setSendDateHeader(true);
        connector = new ServerConnector(jetty, new HttpConnectionFactory(http));
        connector.setHost(config.serverOrDefault().hostOrDefault());
        connector.setPort(config.serverOrDefault().portOrDefault());
        connector.setIdleTimeout(300_000);
        connector.setAcceptQueueSize(1024); // the JDK's default backlog is 50: a burst of clients would overflow it
        jetty.addConnector(connector);
        jetty.setHandler(handler);
    }

    /**
     * The tenants store ({@code store.url}): config tenants mirrored in, one fair-share queue per local chat model
     * (its engine's sequences run, its queue length waits), per-tenant metrics, and its admin events drained into the
     * ledger now, then every second and at shutdown.
     */
    private ai.sovereign.server.tenancy.Tenancy openTenancy(ServerConfig config, Metrics metrics) {
        ai.sovereign.server.tenancy.Tenancy t = ai.sovereign.server.tenancy.Tenancy.open(config.storeOrDefault().url());
        Log.info("tenants: " + t.description());
        StoreTenants.mirror(t, config);
        for (ModelRegistry.Entry m : models.all()) {
            if (m.engine() != null && m.kind().equals("chat")) {
                int queued = config.localOrDefault().maxQueued() != null ? config.localOrDefault().maxQueued() : 256;
                t.capacity(m.name(), m.engine().maxSequences(), queued);
            }
        }
        t.registerMetrics(metrics.registry());
        t.drainAdminEvents(ledger::admin);
        tenancyTimer.scheduleWithFixedDelay(this::tenancyTick, 1, 1, java.util.concurrent.TimeUnit.SECONDS);
        return t;
    }

    private void tenancyTick() {
        try {
            if (tenancy != null && tenants != null) {
                tenancy.drainAdminEvents(ledger::admin);
                tenants.refresh();
            }
        } catch (RuntimeException e) {
            Log.warn("tenants: cannot drain admin events to the ledger now (" + e.getClass().getSimpleName() + ": " + e.getMessage()
                    + "); retrying in 1 s");
        }
    }

    /** Whether a tenant can authenticate (a key in the store or the config): listening beyond loopback requires it. */
    boolean hasKeys() {
        return tenants.hasKeys();
    }

    /** One admin entry per registered model (and the embedded embedding model): what may be served, on which weights. */
    private void recordRegistrations(String embeddingSha256) {
        for (ModelRegistry.Entry m : models.all()) {
            Map<String, String> attrs = new LinkedHashMap<>();
            attrs.put("kind", m.kind());
            attrs.put("sha256", m.sha256() == null ? "" : m.sha256());
            attrs.put("pinned", Boolean.toString(m.pinned()));
            attrs.put("status", m.available() ? "available" : "unavailable");
            if (!m.available()) {
                attrs.put("reason", m.unavailableReason());
            }
            ledger.admin("model.registered", m.name(), attrs);
        }
        ledger.admin("model.registered", Embeddings.MODEL_ID, Map.of("kind", "embedding", "status", "available", "embedded", "true",
                "sha256", embeddingSha256));
    }

    /** Egress destinations: the remote nodes, the mirrors and the ledger's witnesses (these come from the startup config). */
    private java.util.Set<String> allowlist(Fleet fleet, ServerConfig routingFrom) {
        java.util.Set<String> out = new java.util.HashSet<>(fleet.destinations(routingFrom.routingOrDefault().mirrors()));
        out.addAll(LedgerRecorder.witnessDestinations(this.config));
        return out;
    }

    /** The local node's queue depth for routing's choice by load: requests waiting in its engines. */
    private Fleet withLocalQueues(Fleet fleet) {
        fleet.node(Fleet.LOCAL).queued(() -> models.all().stream().filter(m -> m.engine() != null).mapToInt(m -> m.engine().waiting()).sum());
        return fleet;
    }

    private HealthProbes probes(Fleet fleet, ServerConfig.RoutingConfig routing) {
        return new HealthProbes(fleet, egress, java.time.Duration.ofMillis(routing.healthIntervalMs()),
                java.time.Duration.ofMillis(routing.healthTimeoutMs()));
    }

    /**
     * {@code POST /admin/reload}: re-reads the config file and swaps what can change without a restart (nodes, tenants,
     * routing, the top-level pii policy); models, listener, store, ledger and local engine settings stay. The new
     * config is validated whole before anything changes. Order keeps residency closed: the egress allowlist first
     * admits old and new nodes, then the router and tenants switch, then the allowlist shrinks to the new nodes (an
     * in-flight request that fails over to a removed node is refused at egress). A reload that widens any tenant's
     * data policy (more jurisdictions, a lower minimum tier, more models) is a {@code tenant.policy_widened} admin
     * event on the ledger, durable before the new policy takes effect; every reload is a {@code config.reloaded} event.
     * Node state (health, circuits, counters) starts afresh.
     */
    synchronized com.fasterxml.jackson.databind.JsonNode reload() {
        if (configSource.equals("defaults")) {
            throw ApiException.invalid(null, "serve started without a config file, so there is nothing to reload");
        }
        ServerConfig next;
        Fleet fleet;
        StoreTenants tenants;
        try {
            next = config.withReloadable(ServerConfig.load(java.nio.file.Path.of(configSource)));
            Fleet.check(next);
            ConfigTenants.check(next);
            fleet = withLocalQueues(Fleet.from(next, localModels));
        } catch (java.io.IOException | IllegalArgumentException e) {
            throw ApiException.invalid(null, "config not reloaded: " + e.getMessage());
        }
        // A widening is durable on the ledger before any key can use it: before the store's copy changes.
        List<ConfigTenants.Widening> widened = ConfigTenants.widenings(config, next);
        for (ConfigTenants.Widening w : widened) {
            ledger.admin("tenant.policy_widened", w.tenant(), w.attributes());
            Log.warn("config reload widens tenant " + w.tenant() + "'s data policy: " + w.attributes());
        }
        try {
            StoreTenants.mirror(tenancy, next);
            tenants = new StoreTenants(tenancy, next);
        } catch (IllegalArgumentException e) {
            throw ApiException.invalid(null, "config not reloaded: " + e.getMessage());
        }
        ledger.admin("config.reloaded", configSource, Map.of(
                "effective_config_sha256", sha256(next.toString()),
                "nodes", Integer.toString(next.nodesOrEmpty().size()),
                "tenants", Integer.toString(next.tenantsOrEmpty().size()),
                "widened_tenants", Integer.toString(widened.size())));
        recordNodes(fleet);
        java.util.Set<String> destinations = allowlist(fleet, next);
        java.util.Set<String> both = new java.util.HashSet<>(egress.allowed());
        both.addAll(destinations);
        egress.allow(both);
        router.swap(fleet);
        handler.tenants(tenants);
        this.tenants = tenants;
        egress.allow(destinations);
        probes.close();
        probes = probes(fleet, next.routingOrDefault());
        if (started) {
            probes.start();
        }
        config = next;
        Log.info("config reloaded from " + configSource + ": " + fleet.remote().size() + " remote nodes, " + next.tenantsOrEmpty().size() + " tenants");
        var out = Json.object().put("reloaded", configSource).put("nodes", fleet.all().size()).put("tenants", next.tenantsOrEmpty().size());
        var w = out.putArray("widened");
        widened.forEach(x -> w.add(x.tenant()));
        return out;
    }

    /** One admin entry per node: where it is, what it serves, its tier. */
    private void recordNodes(Fleet fleet) {
        for (Fleet.Node n : fleet.all()) {
            Map<String, String> attrs = new LinkedHashMap<>();
            attrs.put("url", n.local() ? "" : n.base.toString());
            attrs.put("engine", n.engine);
            attrs.put("jurisdiction", n.jurisdiction.code());
            attrs.put("site", n.site);
            attrs.put("tier", n.tier.configName());
            attrs.put("models", String.join(",", n.models.keySet()));
            ledger.admin("node.registered", n.id, attrs);
            Log.info("node " + n.id + ": " + (n.local() ? "in-process engine" : n.engine + " at " + n.base) + ", " + n.jurisdiction + " "
                    + n.site + ", tier " + n.tier.configName() + ", models " + n.models.keySet());
        }
    }

    private static String sha256(String text) {
        try {
            return HexFormat.of().formatHex(MessageDigest.getInstance("SHA-256").digest(text.getBytes(StandardCharsets.UTF_8)));
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException(e);
        }
    }

    void start() throws Exception {
        jetty.start();
        synchronized (this) {
            probes.start();
            started = true;
        }
        handler.ready(true);
        Thread.ofVirtual().name("sovereign-tenant-ledger").start(handler::indexLedger);
    }

    InetSocketAddress address() {
        return new InetSocketAddress(connector.getHost() == null ? "0.0.0.0" : connector.getHost(), connector.getLocalPort());
    }

    /** The tenants store (tests hold fair-share slots through it). */
    ai.sovereign.server.tenancy.Tenancy tenancy() {
        return tenancy;
    }

    ModelRegistry models() {
        return models;
    }

    void join() throws InterruptedException {
        jetty.join();
    }

    /** Stops accepting connections, lets in-flight requests finish (up to 30 s), then stops. */
    @Override
    public void close() {
        handler.ready(false);
        synchronized (this) {
            probes.close();
        }
        connector.close();
        long deadline = System.nanoTime() + 30_000_000_000L;
        while (handler.inFlight() > 0 && System.nanoTime() < deadline) {
            try {
                Thread.sleep(10);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                break;
            }
        }
        if (handler.inFlight() > 0) {
            Log.warn(handler.inFlight() + " requests still running after 30 s; stopping anyway");
        }
        try {
            jetty.stop();
        } catch (Exception e) {
            Log.warn("stopping the HTTP server: " + e.getMessage());
        }
        models.close();
        tenancyTimer.shutdownNow();
        admission.close();
        try {
            tenancy.drainAdminEvents(ledger::admin);
        } catch (RuntimeException e) {
            Log.warn("tenants: admin events not drained at shutdown (the next start drains them): " + e.getMessage());
        }
        tenancy.close();
        ledger.close(); // after every in-flight request queued its outcome: commits them, publishes a final checkpoint
    }
}
