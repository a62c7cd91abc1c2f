package ai.sovereign.server.tenancy;

import io.prometheus.metrics.core.metrics.Counter;
import io.prometheus.metrics.core.metrics.GaugeWithCallback;
import io.prometheus.metrics.model.registry.PrometheusRegistry;
import java.util.Map;

/**
 * Per-tenant Prometheus series: admissions by outcome, metered tokens by direction, energy, and the
 * fair-share queues. Labels are tenant ids and model names (bounded by the admin), never key material.
 */
final class TenancyMetrics {
    private final Counter admissions;
    private final Counter tokens;
    private final Counter energy;

    TenancyMetrics(PrometheusRegistry registry, Map<String, FairQueue> queues) {
        admissions = Counter.builder().name("sovereign_tenant_admissions_total")
                .help("Admission outcomes per tenant: admitted, rate_limited, quota_exceeded, invalid_api_key")
                .labelNames("tenant", "outcome").register(registry);
        tokens = Counter.builder().name("sovereign_tenant_tokens_total").help("Metered tokens per tenant, model and direction (in, out)")
                .labelNames("tenant", "model", "direction").register(registry);
        energy = Counter.builder().name("sovereign_tenant_energy_joules_total").help("Estimated energy per tenant and node")
                .labelNames("tenant", "node").register(registry);
        GaugeWithCallback.builder().name("sovereign_fair_queue_waiting").help("Requests waiting in a model's fair-share queue")
                .labelNames("model").callback(cb -> queues.forEach((m, q) -> cb.call(q.queued(), m))).register(registry);
        GaugeWithCallback.builder().name("sovereign_fair_queue_running").help("Requests holding a model's fair-share slots")
                .labelNames("model").callback(cb -> queues.forEach((m, q) -> cb.call(q.running(), m))).register(registry);
    }

    void admission(String tenant, Admission outcome) {
        String label = switch (outcome) {
            case Admission.Admitted a -> "admitted";
            case Admission.Refused r -> r.code();
        };
        admissions.labelValues(tenant, label).inc();
    }

    void settled(Reservations.Reservation r, Metering.Usage usage) {
        tokens.labelValues(r.tenant(), r.model(), "in").inc(usage.tokensIn());
        tokens.labelValues(r.tenant(), r.model(), "out").inc(usage.tokensOut());
        energy.labelValues(r.tenant(), usage.node()).inc(usage.energyJoules());
    }
}
