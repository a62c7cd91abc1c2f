package ai.sovereign.server;

import ai.sovereign.policy.Jurisdiction;
import ai.sovereign.policy.NodeFacts;
import ai.sovereign.policy.SecurityTier;
import com.fasterxml.jackson.databind.JsonNode;
import java.net.URI;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collections;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * The nodes a request may run on: the in-process engine ({@value #LOCAL}, facts from {@code local:}) and the remote
 * engines under {@code nodes:}, each with its live state (probed health, circuit, requests in flight, latency EWMA).
 */
final class Fleet {
    static final String LOCAL = "local";
    static final Set<String> ENGINES = Set.of("vllm", "sglang", "llama.cpp", "tgi", "nim", "sovereign", "openai");

    /** Upstream timeouts of one node. */
    record Timeouts(Duration connect, Duration firstToken, Duration chunkGap) {}

    /** One node: registration facts and live state. {@code base} is null for the local node. */
    static final class Node {
        final String id;
        final URI base;
        final String engine;
        final Jurisdiction jurisdiction;
        final SecurityTier tier;
        final String site;
        final String operator;
        final String acceleratorType;
        final int acceleratorCount;
        final double powerWatts;
        /** Our model name -> the upstream's model id. */
        final Map<String, String> models;
        final String healthPath;
        final double weight;
        final Timeouts timeouts;
        final Circuit circuit;
        /** The node's own API key (from {@code api_key_env}); null when it needs none. Never logged. */
        final String apiKey;
        final AtomicInteger inFlight = new AtomicInteger();
        private volatile boolean healthy = true;
        /** Requests waiting at the node, when it can tell (the local engine's queues); 0 otherwise. */
        private volatile java.util.function.IntSupplier queued = () -> 0;
        private volatile double ewmaMillis;
        private final java.util.concurrent.atomic.LongAdder tokens = new java.util.concurrent.atomic.LongAdder();
        private int active;
        private long busySince;
        private long busyNanos;

        Node(String id, URI base, String engine, Jurisdiction jurisdiction, SecurityTier tier, String site, String operator,
             String acceleratorType, int acceleratorCount, double powerWatts, Map<String, String> models, String healthPath,
             double weight, Timeouts timeouts, Circuit circuit, String apiKey) {
            this.apiKey = apiKey;
            this.id = id;
            this.base = base;
            this.engine = engine;
            this.jurisdiction = jurisdiction;
            this.tier = tier;
            this.site = site;
            this.operator = operator;
            this.acceleratorType = acceleratorType;
            this.acceleratorCount = acceleratorCount;
            this.powerWatts = powerWatts;
            this.models = Collections.unmodifiableMap(models);
            this.healthPath = healthPath;
            this.weight = weight;
            this.timeouts = timeouts;
            this.circuit = circuit;
        }

        boolean local() {
            return base == null;
        }

        boolean healthy() {
            return healthy;
        }

        void healthy(boolean value) {
            if (value != healthy) {
                Log.info("node " + id + " is now " + (value ? "healthy" : "unhealthy") + " (active probe)");
            }
            healthy = value;
        }

        /** The URL of an OpenAI path under this node's base ({@code /chat/completions} under {@code http://h:p/v1}). */
        URI resolve(String path) {
            String b = base.toString();
            return URI.create((b.endsWith("/") ? b.substring(0, b.length() - 1) : b) + path);
        }

        void queued(java.util.function.IntSupplier depth) {
            queued = depth;
        }

        /** A request starts on this node: in flight, and busy time runs while any is. */
        void begin() {
            inFlight.incrementAndGet();
            synchronized (this) {
                if (active++ == 0) {
                    busySince = System.nanoTime();
                }
            }
        }

        void end() {
            inFlight.decrementAndGet();
            synchronized (this) {
                if (--active == 0) {
                    busyNanos += System.nanoTime() - busySince;
                }
            }
        }

        /** Time with at least one request running here. */
        synchronized long busyNanos() {
            return busyNanos + (active > 0 ? System.nanoTime() - busySince : 0);
        }

        void tokens(long completionTokens) {
            tokens.add(completionTokens);
        }

        long tokens() {
            return tokens.sum();
        }

        void latency(double millis) {
            double e = ewmaMillis;
            ewmaMillis = e == 0 ? millis : 0.8 * e + 0.2 * millis;
        }

        NodeFacts facts(long now) {
            return new NodeFacts(id, jurisdiction, tier, models.keySet(), healthy, circuit.isOpen(now),
                    new NodeFacts.Load(inFlight.get(), queued.getAsInt(), ewmaMillis, weight));
        }
    }

    private final Map<String, Node> nodes;

    Fleet(Map<String, Node> nodes) {
        this.nodes = Collections.unmodifiableMap(new LinkedHashMap<>(nodes));
    }

    /** The configured fleet; the local node serves {@code localModels} (the local chat models that loaded). */
    static Fleet from(ServerConfig config, Set<String> localModels) {
        return from(config, localModels, System::getenv);
    }

    /** As above, reading node API keys through {@code env} (tests pass a map). */
    static Fleet from(ServerConfig config, Set<String> localModels, java.util.function.UnaryOperator<String> env) {
        ServerConfig.RoutingConfig routing = config.routingOrDefault();
        ServerConfig.Local local = config.localOrDefault();
        Map<String, Node> nodes = new LinkedHashMap<>();
        Map<String, String> mine = new LinkedHashMap<>();
        localModels.forEach(m -> mine.put(m, m));
        mine.put(Embeddings.MODEL_ID, Embeddings.MODEL_ID);
        nodes.put(LOCAL, new Node(LOCAL, null, "sovereign", Jurisdiction.of(local.jurisdictionOrDefault()),
                SecurityTier.parse(local.tierOrDefault()), local.siteOrDefault(), "", "CPU", 1, local.powerWattsOrDefault(), mine, null, 1,
                null, new Circuit(Integer.MAX_VALUE, 0), null));
        for (ServerConfig.NodeEntry n : config.nodesOrEmpty()) {
            ServerConfig.Timeouts t = n.timeouts();
            Timeouts timeouts = new Timeouts(
                    Duration.ofMillis(t != null && t.connectMs() != null ? t.connectMs() : routing.connectTimeoutMs()),
                    Duration.ofMillis(t != null && t.firstTokenMs() != null ? t.firstTokenMs() : routing.firstTokenTimeoutMs()),
                    Duration.ofMillis(t != null && t.chunkGapMs() != null ? t.chunkGapMs() : routing.chunkGapTimeoutMs()));
            nodes.put(n.id(), new Node(n.id(), URI.create(n.url()), n.engine().toLowerCase(Locale.ROOT), Jurisdiction.of(n.jurisdiction()),
                    SecurityTier.parse(n.tier()), n.site() == null ? "" : n.site(), n.operator() == null ? "" : n.operator(),
                    n.accelerators() == null || n.accelerators().type() == null ? "" : n.accelerators().type(),
                    n.accelerators() == null || n.accelerators().count() == null ? 0 : n.accelerators().count(),
                    n.powerWatts() == null ? 0 : n.powerWatts(), models(n.models()), n.health() == null ? "/models" : n.health(),
                    n.weight() == null ? 1 : n.weight(), timeouts,
                    new Circuit(routing.failuresToOpen(), Duration.ofMillis(routing.openMs()).toNanos()), apiKey(n, env)));
        }
        return new Fleet(nodes);
    }

    private static String apiKey(ServerConfig.NodeEntry n, java.util.function.UnaryOperator<String> env) {
        if (n.apiKeyEnv() == null) {
            return null;
        }
        String key = env.apply(n.apiKeyEnv());
        if (key == null || key.isBlank()) {
            throw new IllegalArgumentException("node " + n.id() + ": api_key_env names " + n.apiKeyEnv() + ", which is not set");
        }
        return key.strip();
    }

    private static Map<String, String> models(JsonNode node) {
        Map<String, String> out = new LinkedHashMap<>();
        if (node == null || node.isNull()) {
            return out;
        }
        if (node.isArray()) {
            node.forEach(m -> out.put(m.asText(), m.asText()));
        } else {
            node.fields().forEachRemaining(e -> out.put(e.getKey(), e.getValue().asText()));
        }
        return out;
    }

    /** Model names the configured remote nodes serve. */
    static Set<String> remoteModels(ServerConfig config) {
        Set<String> out = new HashSet<>();
        config.nodesOrEmpty().forEach(n -> out.addAll(models(n.models()).keySet()));
        return out;
    }

    /** Validates {@code nodes:}; an error names the entry and the key. */
    static void check(ServerConfig config) {
        Set<String> ids = new HashSet<>(Set.of(LOCAL));
        Set<String> registered = new HashSet<>();
        config.modelsOrEmpty().forEach(m -> registered.add(m.name()));
        List<ServerConfig.NodeEntry> nodes = config.nodesOrEmpty();
        try {
            Jurisdiction.of(config.localOrDefault().jurisdictionOrDefault());
            SecurityTier.parse(config.localOrDefault().tierOrDefault());
        } catch (IllegalArgumentException e) {
            throw new IllegalArgumentException("local: " + e.getMessage());
        }
        for (int i = 0; i < nodes.size(); i++) {
            ServerConfig.NodeEntry n = nodes.get(i);
            String at = "nodes[" + i + "]";
            if (n.id() == null || n.id().isBlank()) {
                throw new IllegalArgumentException(at + ".id: every node needs an id");
            }
            if (!ids.add(n.id())) {
                throw new IllegalArgumentException(at + ".id: node " + n.id() + " is configured twice (or is the reserved id 'local')");
            }
            try {
                URI u = URI.create(n.url() == null ? "" : n.url());
                if (u.getHost() == null || !(u.getScheme().equals("http") || u.getScheme().equals("https"))) {
                    throw new IllegalArgumentException("x");
                }
            } catch (IllegalArgumentException | NullPointerException e) {
                throw new IllegalArgumentException(at + ".url: needs an http(s) URL with a host, such as http://10.0.0.5:8000/v1");
            }
            if (n.engine() == null || !ENGINES.contains(n.engine().toLowerCase(Locale.ROOT))) {
                throw new IllegalArgumentException(at + ".engine: one of " + new java.util.TreeSet<>(ENGINES) + " is required");
            }
            try {
                Jurisdiction.of(n.jurisdiction());
            } catch (IllegalArgumentException e) {
                throw new IllegalArgumentException(at + ".jurisdiction: " + e.getMessage());
            }
            try {
                SecurityTier.parse(n.tier());
            } catch (IllegalArgumentException e) {
                throw new IllegalArgumentException(at + ".tier: " + e.getMessage());
            }
            if (n.models() != null && !(n.models().isArray() || n.models().isObject())) {
                throw new IllegalArgumentException(at + ".models: a map (our name: upstream id) or a list of names");
            }
            for (String m : models(n.models()).keySet()) {
                if (!registered.contains(m)) {
                    throw new IllegalArgumentException(at + ".models: " + m + " is not registered under models: (add { name: " + m
                            + ", remote: true })");
                }
            }
            if (n.weight() != null && !(n.weight() > 0)) {
                throw new IllegalArgumentException(at + ".weight: must be > 0");
            }
        }
    }

    Node node(String id) {
        return nodes.get(id);
    }

    List<Node> all() {
        return new ArrayList<>(nodes.values());
    }

    List<Node> remote() {
        return nodes.values().stream().filter(n -> !n.local()).toList();
    }

    List<NodeFacts> facts() {
        long now = System.nanoTime();
        return nodes.values().stream().map(n -> n.facts(now)).toList();
    }

    /**
     * {@code /admin/fleet}: each node's facts and measured capacity (completion tokens, busy time, utilization since
     * start, tokens/s while busy, joules per token = power x busy time / tokens, an estimate), and sums by jurisdiction,
     * site and accelerator type (nodes, accelerators, megawatts, tokens/s, joules per token).
     */
    com.fasterxml.jackson.databind.node.ObjectNode report(long uptimeNanos) {
        var out = Json.object();
        var list = out.putArray("nodes");
        Map<String, Map<String, double[]>> groups = new LinkedHashMap<>();
        long now = System.nanoTime();
        for (Node n : nodes.values()) {
            double busy = n.busyNanos() / 1e9;
            long tokens = n.tokens();
            double joules = n.powerWatts * busy;
            var o = list.addObject().put("id", n.id).put("engine", n.engine).put("jurisdiction", n.jurisdiction.code()).put("site", n.site)
                    .put("tier", n.tier.configName()).put("operator", n.operator).put("healthy", n.healthy).put("circuit_open", n.circuit.isOpen(now))
                    .put("in_flight", n.inFlight.get()).put("power_watts", n.powerWatts).put("tokens", tokens)
                    .put("busy_seconds", busy).put("utilization", uptimeNanos > 0 ? busy / (uptimeNanos / 1e9) : 0)
                    .put("tokens_per_second", busy > 0 ? tokens / busy : 0);
            o.putObject("accelerators").put("type", n.acceleratorType).put("count", n.acceleratorCount);
            o.putArray("models").addAll(n.models.keySet().stream().map(com.fasterxml.jackson.databind.node.TextNode::new).toList());
            if (tokens > 0) {
                o.put("joules_per_token", joules / tokens);
            } else {
                o.putNull("joules_per_token");
            }
            double[] sums = {1, n.acceleratorCount, n.powerWatts, busy > 0 ? tokens / busy : 0, joules, tokens};
            for (String[] key : List.of(new String[] {"by_jurisdiction", n.jurisdiction.code()}, new String[] {"by_site", n.site},
                    new String[] {"by_accelerator", n.acceleratorType})) {
                double[] acc = groups.computeIfAbsent(key[0], k -> new LinkedHashMap<>()).computeIfAbsent(key[1], k -> new double[6]);
                for (int i = 0; i < acc.length; i++) {
                    acc[i] += sums[i];
                }
            }
        }
        groups.forEach((name, byKey) -> {
            var g = out.putObject(name);
            byKey.forEach((key, s) -> {
                var o = g.putObject(key).put("nodes", (long) s[0]).put("accelerators", (long) s[1]).put("megawatts", s[2] / 1e6)
                        .put("tokens_per_second", s[3]);
                if (s[5] > 0) {
                    o.put("joules_per_token", s[4] / s[5]);
                } else {
                    o.putNull("joules_per_token");
                }
            });
        });
        return out;
    }

    /** The allowlist: every remote node's {@code host:port} and the configured mirrors. */
    Set<String> destinations(List<String> mirrors) {
        Set<String> out = new HashSet<>();
        remote().forEach(n -> out.add(Egress.destination(n.base)));
        mirrors.forEach(m -> out.add(m.toLowerCase(Locale.ROOT)));
        return out;
    }
}
