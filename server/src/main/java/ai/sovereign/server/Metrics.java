package ai.sovereign.server;

import io.prometheus.metrics.core.metrics.Counter;
import io.prometheus.metrics.core.metrics.CounterWithCallback;
import io.prometheus.metrics.core.metrics.GaugeWithCallback;
import io.prometheus.metrics.core.metrics.Histogram;
import io.prometheus.metrics.expositionformats.PrometheusTextFormatWriter;
import io.prometheus.metrics.model.registry.PrometheusRegistry;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.nio.charset.StandardCharsets;

/**
 * Prometheus metrics for {@code GET /metrics}. Labels are model names, routes and status codes:
 * never request content.
 */
final class Metrics {
    private final PrometheusRegistry registry = new PrometheusRegistry();
    private final Counter requests = Counter.builder().name("sovereign_requests_total")
            .help("HTTP requests by route and status").labelNames("route", "status").register(registry);
    private final Counter tokens = Counter.builder().name("sovereign_tokens_total")
            .help("Tokens by model and direction (prompt, completion)").labelNames("model", "direction").register(registry);
    private final Histogram latency = Histogram.builder().name("sovereign_generation_seconds")
            .help("Time from admission to the last token").labelNames("model")
            .classicUpperBounds(0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 120).register(registry);
    private final Histogram firstToken = Histogram.builder().name("sovereign_time_to_first_token_seconds")
            .help("Time from admission to the first generated token").labelNames("model")
            .classicUpperBounds(0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10).register(registry);
    private final Counter rejections = Counter.builder().name("sovereign_rejected_total")
            .help("Requests refused because a model's queue was full").labelNames("model").register(registry);
    private final Counter embeddingInputs = Counter.builder().name("sovereign_embedding_inputs_total")
            .help("Texts embedded").labelNames("model").register(registry);
    private final Histogram ledgerAppend = Histogram.builder().name("sovereign_ledger_append_seconds")
            .help("Time to make a request's decision entry durable (fsync, group commit)")
            .classicUpperBounds(0.0005, 0.001, 0.002, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 1).register(registry);
    private final Counter disconnects = Counter.builder().name("sovereign_client_disconnects_total")
            .help("Streams whose client went away; their generations were cancelled").labelNames("model").register(registry);

    private final Counter piiEntities = Counter.builder().name("sovereign_pii_entities_total")
            .help("Personal-data entities the guard found, by type and the action policy took (never values)")
            .labelNames("type", "action").register(registry);
    private final Counter piiRefused = Counter.builder().name("sovereign_pii_refused_total")
            .help("Requests the PII guard refused: reason policy (a blocked type) or fault (fail closed)")
            .labelNames("reason").register(registry);

    /** The registry {@code /metrics} scrapes, for series registered elsewhere (the tenants store's). */
    PrometheusRegistry registry() {
        return registry;
    }

    Metrics(ModelRegistry models) {
        GaugeWithCallback.builder().name("sovereign_queue_depth").help("Requests waiting for a sequence slot")
                .labelNames("model").callback(cb -> models.all().forEach(m -> {
                    if (m.engine() != null) {
                        cb.call(m.engine().waiting(), m.name());
                    }
                })).register(registry);
        GaugeWithCallback.builder().name("sovereign_running_sequences").help("Generations in the engine now")
                .labelNames("model").callback(cb -> models.all().forEach(m -> {
                    if (m.engine() != null) {
                        cb.call(m.engine().running(), m.name());
                    }
                })).register(registry);
        CounterWithCallback.builder().name("sovereign_engine_generated_tokens").help("Tokens the engine generated (rate = tokens/s)")
                .labelNames("model").callback(cb -> models.all().forEach(m -> {
                    if (m.engine() != null) {
                        cb.call(m.engine().tokensGenerated(), m.name());
                    }
                })).register(registry);
        CounterWithCallback.builder().name("sovereign_prompt_tokens_reused").help("Prompt tokens served from a cached shared prefix")
                .labelNames("model").callback(cb -> models.all().forEach(m -> {
                    if (m.engine() != null) {
                        cb.call(m.engine().promptTokensReused(), m.name());
                    }
                })).register(registry);
        CounterWithCallback.builder().name("sovereign_engine_steps").help("Batched forward passes")
                .labelNames("model").callback(cb -> models.all().forEach(m -> {
                    if (m.engine() != null) {
                        cb.call(m.engine().steps(), m.name());
                    }
                })).register(registry);
    }

    /** Per node: completion tokens (rate = tokens/s), busy seconds (rate = utilization), requests in flight, health. */
    void fleet(java.util.function.Supplier<Fleet> current) {
        CounterWithCallback.builder().name("sovereign_node_tokens").help("Completion tokens served by each node")
                .labelNames("node", "jurisdiction").callback(cb -> current.get().all().forEach(n -> cb.call(n.tokens(), n.id, n.jurisdiction.code())))
                .register(registry);
        CounterWithCallback.builder().name("sovereign_node_busy_seconds").help("Time each node had at least one request running")
                .labelNames("node").callback(cb -> current.get().all().forEach(n -> cb.call(n.busyNanos() / 1e9, n.id))).register(registry);
        GaugeWithCallback.builder().name("sovereign_node_in_flight").help("Requests running on each node")
                .labelNames("node").callback(cb -> current.get().all().forEach(n -> cb.call(n.inFlight.get(), n.id))).register(registry);
        GaugeWithCallback.builder().name("sovereign_node_available").help("1 when a node is healthy with its circuit closed")
                .labelNames("node").callback(cb -> current.get().all().forEach(n -> cb.call(n.healthy() && !n.circuit.isOpen(System.nanoTime()) ? 1 : 0, n.id)))
                .register(registry);
    }

    void request(String route, int status) {
        requests.labelValues(route, Integer.toString(status)).inc();
    }

    void recordGeneration(String model, int promptTokens, int completionTokens, double seconds, double firstTokenSeconds) {
        tokens.labelValues(model, "prompt").inc(promptTokens);
        tokens.labelValues(model, "completion").inc(completionTokens);
        latency.labelValues(model).observe(seconds);
        if (!Double.isNaN(firstTokenSeconds)) {
            firstToken.labelValues(model).observe(firstTokenSeconds);
        }
    }

    void ledgerAppend(double seconds) {
        ledgerAppend.observe(seconds);
    }

    void recordEmbedding(String model, int inputs, int tokenCount) {
        tokens.labelValues(model, "prompt").inc(tokenCount);
        embeddingInputs.labelValues(model).inc(inputs);
    }

    void piiEntities(String type, String action, long count) {
        piiEntities.labelValues(type, action).inc(count);
    }

    void piiRefused(String reason) {
        piiRefused.labelValues(reason).inc();
    }

    void rejected(String model) {
        rejections.labelValues(model).inc();
    }

    void disconnected(String model) {
        disconnects.labelValues(model).inc();
    }

    String scrape() {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        try {
            PrometheusTextFormatWriter.create().write(out, registry.scrape());
        } catch (IOException e) {
            throw new IllegalStateException(e);
        }
        return out.toString(StandardCharsets.UTF_8);
    }

    static String contentType() {
        return PrometheusTextFormatWriter.CONTENT_TYPE;
    }
}
