package ai.sovereign.server;

import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.HexFormat;
import java.util.LinkedHashMap;
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
    private final Fleet fleet;
    private final HealthProbes probes;

    SovereignServer(ServerConfig config, String configSource) {
        this.ledger = LedgerRecorder.open(config);
        ledger.admin("config.loaded", configSource, Map.of(
                "effective_config_sha256", sha256(config.toString()),
                "models", Integer.toString(config.modelsOrEmpty().size()),
                "origin", ledger.ledger().origin()));
        ModelHashes hashes = new ModelHashes(config.storeOrDefault().dataDirectory());
        this.models = ModelRegistry.load(config, hashes);
        recordRegistrations();
        java.util.Set<String> local = new java.util.LinkedHashSet<>();
        models.all().stream().filter(m -> m.engine() != null && m.kind().equals("chat")).forEach(m -> local.add(m.name()));
        this.fleet = Fleet.from(config, local);
        recordNodes();
        ServerConfig.RoutingConfig routing = config.routingOrDefault();
        Egress egress = new Egress(fleet.destinations(routing.mirrors()));
        this.probes = new HealthProbes(fleet, egress, java.time.Duration.ofMillis(routing.healthIntervalMs()),
                java.time.Duration.ofMillis(routing.healthTimeoutMs()));
        Metrics metrics = new Metrics(models);
        Embeddings embeddings = new Embeddings(Math.max(1, Runtime.getRuntime().availableProcessors()));
        InferencePipeline pipeline = new InferencePipeline(models, config.limitsOrDefault(), config.localOrDefault(), metrics, embeddings, ledger,
                PiiStage.open(config, metrics), new Router(fleet), new RemoteRelay(new RemoteClient(egress), ledger, metrics));
        metrics.fleet(fleet);
        this.handler = new ApiHandler(models, pipeline, metrics, ledger, ConfigTenants.from(config), fleet);

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
        jetty.addConnector(connector);
        jetty.setHandler(handler);
    }

    /** One admin entry per registered model (and the embedded embedding model): what may be served, on which weights. */
    private void recordRegistrations() {
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
        ledger.admin("model.registered", Embeddings.MODEL_ID, Map.of("kind", "embedding", "status", "available", "embedded", "true"));
    }

    /** One admin entry per node: where it is, what it serves, its tier. */
    private void recordNodes() {
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
        probes.start();
        handler.ready(true);
    }

    InetSocketAddress address() {
        return new InetSocketAddress(connector.getHost() == null ? "0.0.0.0" : connector.getHost(), connector.getLocalPort());
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
        probes.close();
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
        ledger.close(); // after every in-flight request queued its outcome: commits them, publishes a final checkpoint
    }
}
