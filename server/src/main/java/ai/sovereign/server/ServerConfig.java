package ai.sovereign.server;

import com.fasterxml.jackson.databind.DeserializationFeature;
import com.fasterxml.jackson.databind.JsonMappingException;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.PropertyNamingStrategies;
import com.fasterxml.jackson.dataformat.yaml.YAMLFactory;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

/**
 * {@code sovereign.yaml}: every key optional; the defaults serve on one machine (see PRODUCT.md's
 * config contract). Unknown keys are errors naming the key, so a typo never silently changes policy.
 */
record ServerConfig(
        Server server,
        Store store,
        LedgerConfig ledger,
        Local local,
        Limits limits,
        List<ModelEntry> models,
        Map<String, String> pii,
        List<NodeEntry> nodes,
        List<TenantEntry> tenants,
        RoutingConfig routing) {

    record Server(Integer port, String host) {
        int portOrDefault() {
            return port == null ? 8080 : port;
        }

        String hostOrDefault() {
            return host == null ? "127.0.0.1" : host;
        }
    }

    record Store(String url) {
        /** The embedded store's directory ({@code embedded:./data} by default). */
        Path dataDirectory() {
            String u = url == null ? "embedded:./data" : url;
            return u.startsWith("embedded:") ? Path.of(u.substring("embedded:".length())) : Path.of("./data");
        }
    }

    /**
     * The transparency ledger: its directory, its signing key (created 0600 on first start; the
     * keyed-hash secret sits beside it as {@code <key>.hmac}) and its origin (the checkpoint's
     * first line, which names the log). Defaults live under the store's data directory.
     * Group commit: {@code max_batch} appends per fsync (default 4096) and {@code commit_delay_ms}
     * (default 0, at most 1000), how long the committer may wait for more while appenders are busy.
     * {@code witnesses}: each published checkpoint is sent to these for cosigning.
     */
    record LedgerConfig(String dir, String key, String origin, Integer maxBatch, Double commitDelayMs, List<WitnessConfig> witnesses) {
        static final String DEFAULT_ORIGIN = "sovereign.local/ledger";

        LedgerConfig {
            if (maxBatch != null && maxBatch < 1) {
                throw new IllegalArgumentException("ledger.max_batch must be at least 1, not " + maxBatch);
            }
            if (commitDelayMs != null && (commitDelayMs < 0 || commitDelayMs > 1000)) {
                throw new IllegalArgumentException("ledger.commit_delay_ms must be between 0 and 1000, not " + commitDelayMs);
            }
        }

        /** A witness: its submission URL prefix ({@code add-checkpoint} is POSTed under it) and its cosigner key. */
        record WitnessConfig(String url, String vkey) {}

        Path dirOrDefault(Store store) {
            return dir == null ? store.dataDirectory().resolve("ledger") : Path.of(dir);
        }

        Path keyOrDefault(Store store) {
            return key == null ? store.dataDirectory().resolve("ledger.key") : Path.of(key);
        }

        String originOrDefault() {
            return origin == null ? DEFAULT_ORIGIN : origin;
        }
    }

    /** The in-process engine as a node. */
    record Local(String jurisdiction, String site, String tier, Double powerWatts,
                 Integer threads, Integer contextLength, Integer maxSequences, Integer maxQueued) {
        String jurisdictionOrDefault() {
            return jurisdiction == null ? "KR" : jurisdiction;
        }

        String siteOrDefault() {
            return site == null ? "local" : site;
        }

        String tierOrDefault() {
            return tier == null ? "high" : tier;
        }

        double powerWattsOrDefault() {
            return powerWatts == null ? 350 : powerWatts;
        }
    }

    /** A registered model: a local GGUF file ({@code path}) or a model served by remote nodes ({@code remote: true}). */
    record ModelEntry(String name, String path, String sha256, String license, Boolean remote, String kind) {
        boolean isRemote() {
            return Boolean.TRUE.equals(remote);
        }
    }

    /**
     * A remote engine registered as a node. {@code models} is a map (our name -> the upstream's model id) or a list (the
     * same names); {@code health} is a path under {@code url} (default {@code /models}); {@code weight} is its share in
     * the choice by load (default 1); {@code timeouts} override {@code routing:}'s for this node; {@code api_key_env}
     * names an environment variable holding the node's own API key (sent as a bearer token; the tenant's key never is).
     */
    record NodeEntry(String id, String url, String engine, String jurisdiction, String site, String tier, String operator,
                     Accelerators accelerators, Double powerWatts, com.fasterxml.jackson.databind.JsonNode models, String health,
                     Double weight, Timeouts timeouts, String apiKeyEnv) {}

    record Accelerators(String type, Integer count) {}

    /** Upstream timeouts in milliseconds; absent keys take the defaults in {@link RoutingConfig}. */
    record Timeouts(Integer connectMs, Integer firstTokenMs, Integer chunkGapMs) {}

    /**
     * A tenant: its data policy ({@code jurisdictions}, absent: the local node's; {@code min_tier}; {@code models},
     * absent: all), its personal-data policy ({@code pii}, shaped like the top-level block) and bootstrap keys (SHA-256
     * of each key). {@code quotas} and {@code share} are parsed and checked here and enforced by the tenants store.
     */
    record TenantEntry(String id, List<String> jurisdictions, String minTier, List<String> models, Map<String, String> pii,
                       Quotas quotas, Share share, List<ApiKey> apiKeys) {}

    record Quotas(Long requestsPerMinute, Long tokensPerMinute, Long tokensPerDay) {}

    record Share(Double weight, String priority) {}

    /** A bootstrap key: the SHA-256 of the key and its scopes ({@code inference}, {@code auditor}, {@code admin}; absent: inference). */
    record ApiKey(String sha256, List<String> scopes) {}

    /**
     * Routing to remote nodes (all keys optional): active health probes every {@code health_interval_ms} (default
     * 5,000; 0 turns them off; each probe times out after {@code health_timeout_ms}, default 2,000); passive ejection after
     * {@code failures_to_open} consecutive failures (default 3) for {@code open_ms} (default 10,000), then one trial
     * request (half-open); upstream timeouts: connect ({@code connect_timeout_ms}, 2,000), first token
     * ({@code first_token_timeout_ms}, 30,000), gap between chunks ({@code chunk_gap_timeout_ms}, 30,000); the total is
     * {@code limits.request_timeout_seconds}. {@code mirrors} are extra {@code host:port}s the egress allowlist admits.
     */
    record RoutingConfig(Integer healthIntervalMs, Integer healthTimeoutMs, Integer failuresToOpen, Integer openMs,
                         Integer connectTimeoutMs, Integer firstTokenTimeoutMs, Integer chunkGapTimeoutMs, List<String> mirrors) {
        static final RoutingConfig DEFAULTS = new RoutingConfig(5_000, 2_000, 3, 10_000, 2_000, 30_000, 30_000, List.of());

        RoutingConfig withDefaults() {
            return new RoutingConfig(
                    healthIntervalMs != null ? healthIntervalMs : DEFAULTS.healthIntervalMs,
                    healthTimeoutMs != null ? healthTimeoutMs : DEFAULTS.healthTimeoutMs,
                    failuresToOpen != null ? failuresToOpen : DEFAULTS.failuresToOpen,
                    openMs != null ? openMs : DEFAULTS.openMs,
                    connectTimeoutMs != null ? connectTimeoutMs : DEFAULTS.connectTimeoutMs,
                    firstTokenTimeoutMs != null ? firstTokenTimeoutMs : DEFAULTS.firstTokenTimeoutMs,
                    chunkGapTimeoutMs != null ? chunkGapTimeoutMs : DEFAULTS.chunkGapTimeoutMs,
                    mirrors != null ? mirrors : List.of());
        }
    }

    static final ServerConfig DEFAULTS = new ServerConfig(null, null, null, null, null, List.of(), null, null, null, null);

    List<NodeEntry> nodesOrEmpty() {
        return nodes == null ? List.of() : nodes;
    }

    List<TenantEntry> tenantsOrEmpty() {
        return tenants == null ? List.of() : tenants;
    }

    RoutingConfig routingOrDefault() {
        return routing == null ? RoutingConfig.DEFAULTS : routing.withDefaults();
    }

    Server serverOrDefault() {
        return server == null ? new Server(null, null) : server;
    }

    Store storeOrDefault() {
        return store == null ? new Store(null) : store;
    }

    LedgerConfig ledgerOrDefault() {
        return ledger == null ? new LedgerConfig(null, null, null, null, null, null) : ledger;
    }

    Local localOrDefault() {
        return local == null ? new Local(null, null, null, null, null, null, null, null) : local;
    }

    Limits limitsOrDefault() {
        return limits == null ? Limits.DEFAULTS : limits.withDefaults();
    }

    /**
     * The personal-data policy of tenant {@code default} (the top-level {@code pii:} block, shaped like a tenant's so it
     * moves under {@code tenants:} unchanged); absent: {@link ai.sovereign.policy.PiiPolicy#DEFAULT}. Invalid keys or
     * actions are config errors naming them.
     */
    ai.sovereign.policy.PiiPolicy piiPolicy() {
        return ai.sovereign.policy.PiiPolicy.parse(pii);
    }

    /** The embedded key vault's directory: {@code <store>/pii-keys}, apart from the ledger's keys. */
    Path piiKeyDirectory() {
        return storeOrDefault().dataDirectory().resolve("pii-keys");
    }

    List<ModelEntry> modelsOrEmpty() {
        return models == null ? List.of() : models;
    }

    /**
     * The config file a command runs with: {@code explicit} when given (it must exist), else {@code ./sovereign.yaml} when
     * present, else null (the embedded defaults).
     */
    static Path locate(Path explicit) {
        if (explicit != null) {
            if (!Files.isRegularFile(explicit)) {
                throw new IllegalArgumentException("config file not found: " + explicit);
            }
            return explicit;
        }
        Path local = Path.of("sovereign.yaml");
        return Files.isRegularFile(local) ? local : null;
    }

    static ServerConfig load(Path file) throws IOException {
        ObjectMapper yaml = new ObjectMapper(new YAMLFactory())
                .setPropertyNamingStrategy(PropertyNamingStrategies.SNAKE_CASE)
                .enable(DeserializationFeature.FAIL_ON_UNKNOWN_PROPERTIES)
                .enable(DeserializationFeature.FAIL_ON_NULL_FOR_PRIMITIVES);
        try {
            ServerConfig config = yaml.readValue(Files.readAllBytes(file), ServerConfig.class);
            if (config != null) {
                try {
                    config.piiPolicy();
                    Fleet.check(config);
                    ConfigTenants.check(config);
                } catch (IllegalArgumentException e) {
                    throw new IllegalArgumentException(file + ": invalid config at " + e.getMessage());
                }
            }
            return config == null ? DEFAULTS : config;
        } catch (JsonMappingException e) {
            String path = e.getPath().stream()
                    .map(r -> r.getFieldName() != null ? r.getFieldName() : "[" + r.getIndex() + "]")
                    .reduce((a, b) -> b.startsWith("[") ? a + b : a + "." + b).orElse("(top)");
            throw new IllegalArgumentException(file + ": invalid config at " + path + ": " + e.getOriginalMessage());
        }
    }

    /** Adds {@code --model NAME=PATH} registrations (a flag replaces a config entry of the same name). */
    ServerConfig withModels(Map<String, Path> extra) {
        List<ModelEntry> merged = new ArrayList<>();
        for (ModelEntry m : modelsOrEmpty()) {
            if (!extra.containsKey(m.name())) {
                merged.add(m);
            }
        }
        extra.forEach((name, path) -> merged.add(new ModelEntry(name, path.toString(), null, null, null, null)));
        return new ServerConfig(server, store, ledger, local, limits, merged, pii, nodes, tenants, routing);
    }

    /** This config with another file's reloadable parts: nodes, tenants, routing and the top-level pii policy. */
    ServerConfig withReloadable(ServerConfig file) {
        return new ServerConfig(server, store, ledger, local, limits, models, file.pii, file.nodes, file.tenants, file.routing);
    }

    ServerConfig withPort(int port) {
        Server s = serverOrDefault();
        return new ServerConfig(new Server(port, s.host()), store, ledger, local, limits, models, pii, nodes, tenants, routing);
    }

    ServerConfig withHost(String host) {
        Server s = serverOrDefault();
        return new ServerConfig(new Server(s.port(), host), store, ledger, local, limits, models, pii, nodes, tenants, routing);
    }
}
