package ai.sovereign.server.tenancy;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.prometheus.metrics.expositionformats.PrometheusTextFormatWriter;
import io.prometheus.metrics.model.registry.PrometheusRegistry;
import java.io.ByteArrayOutputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The pipeline's view: authenticate, admit through quotas and the fair queue, settle; and the bypass attempts that must fail. */
class TenancyTest {
    @TempDir
    Path dir;
    Tenancy tenancy;

    @BeforeEach
    void open() {
        tenancy = Tenancy.open("embedded:" + dir);
    }

    @AfterEach
    void close() {
        tenancy.close();
    }

    private Authentication.Principal principal(String key) {
        return assertInstanceOf(Authentication.Authenticated.class, tenancy.authenticate(key)).principal();
    }

    @Test
    void aFullQueueRefusesAndGivesTheReservationBack() {
        tenancy.createTenant(Tenant.organization("t").withQuotas(new Tenant.Quotas(null, 1000L, null, null, null)));
        tenancy.capacity("m", 1, 0);
        Ticket running = assertInstanceOf(Admission.Admitted.class, tenancy.admit("t", "m", 400)).ticket();
        Admission.Refused full = assertInstanceOf(Admission.Refused.class, tenancy.admit("t", "m", 400));
        assertEquals("rate_limited", full.code());
        assertEquals(429, full.status());
        running.release();
        assertInstanceOf(Admission.Admitted.class, tenancy.admit("t", "m", 1000), "both reservations came back");
    }

    @Test
    void aRevokedOrRotatedKeyFailsFromItsNextRequestWhileAdmittedWorkSettles() {
        tenancy.createTenant(Tenant.organization("t"));
        String key = tenancy.createKey("t", Set.of(ApiKey.Scope.INFERENCE), "app", null).secret();
        Ticket inFlight = assertInstanceOf(Admission.Admitted.class, tenancy.admit(principal(key).tenant().id(), "m", 100)).ticket();
        tenancy.revokeKey(key.substring(7, 19));
        assertInstanceOf(Authentication.Rejected.class, tenancy.authenticate(key));
        inFlight.settle("r1", new Metering.Usage(10, 20, "local", 3, 0.1));

        String second = tenancy.createKey("t", Set.of(ApiKey.Scope.INFERENCE), "app", null).secret();
        Ticket streaming = assertInstanceOf(Admission.Admitted.class, tenancy.admit(principal(second).tenant().id(), "m", 100)).ticket();
        String replacement = tenancy.rotateKey(second.substring(7, 19), Duration.ZERO).secret();
        assertInstanceOf(Authentication.Rejected.class, tenancy.authenticate(second), "rotation without grace ends the old key");
        principal(replacement);
        streaming.settle("r2", new Metering.Usage(5, 5, "local", 3, 0.1));
        assertEquals(40, tenancy.usage(Instant.now().minusSeconds(60), Instant.now().plusSeconds(60), "t").stream()
                .mapToLong(r -> r.tokensIn() + r.tokensOut()).sum());
    }

    @Test
    void perTenantSeriesCountAdmissionsAndMeteredTokens() throws Exception {
        PrometheusRegistry registry = new PrometheusRegistry();
        tenancy.registerMetrics(registry);
        tenancy.capacity("m", 2, 4);
        tenancy.createTenant(Tenant.organization("t").withQuotas(new Tenant.Quotas(1L, null, null, null, null)));
        assertInstanceOf(Admission.Admitted.class, tenancy.admit("t", "m", 10)).ticket()
                .settle("r", new Metering.Usage(3, 4, "local", 5, 2.5));
        assertInstanceOf(Admission.Refused.class, tenancy.admit("t", "m", 10));
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        PrometheusTextFormatWriter.create().write(out, registry.scrape());
        String text = out.toString(StandardCharsets.UTF_8);
        for (String line : List.of("sovereign_tenant_admissions_total{outcome=\"admitted\",tenant=\"t\"} 1.0",
                "sovereign_tenant_admissions_total{outcome=\"rate_limited\",tenant=\"t\"} 1.0",
                "sovereign_tenant_tokens_total{direction=\"out\",model=\"m\",tenant=\"t\"} 4.0",
                "sovereign_tenant_energy_joules_total{node=\"local\",tenant=\"t\"} 2.5",
                "sovereign_fair_queue_running{model=\"m\"} 0.0")) {
            assertTrue(text.contains(line), line + " in\n" + text);
        }
    }

    @Test
    void aStreamReservesItsWholeBudgetBeforeGenerating() {
        tenancy.createTenant(Tenant.organization("t").withQuotas(new Tenant.Quotas(null, null, 1000L, null, null)));
        Ticket stream = assertInstanceOf(Admission.Admitted.class, tenancy.admit("t", "m", 800)).ticket();
        assertEquals("quota_exceeded", assertInstanceOf(Admission.Refused.class, tenancy.admit("t", "m", 300)).code(),
                "a parallel request cannot use tokens the stream may still produce");
        stream.settle("s", new Metering.Usage(100, 400, "local", 10, 1));
        assertInstanceOf(Admission.Admitted.class, tenancy.admit("t", "m", 300));
        assertInstanceOf(Admission.Refused.class, tenancy.admit("t", "m", 300));
    }

    @Test
    void aHighPriorityTenantOvertakesTheQueueOfASaturatedModel() throws Exception {
        tenancy.createTenant(Tenant.organization("bulk").withShare(10, Tenant.Priority.NORMAL));
        tenancy.createTenant(Tenant.organization("urgent").withShare(1, Tenant.Priority.HIGH));
        tenancy.capacity("m", 1, 10);
        Ticket running = assertInstanceOf(Admission.Admitted.class, tenancy.admit("bulk", "m", 10)).ticket();
        List<String> order = new ArrayList<>();
        List<Thread> threads = new ArrayList<>();
        for (String tenant : List.of("bulk", "bulk", "bulk", "urgent")) {
            int before = tenancy.queue("m").queued();
            threads.add(Thread.ofVirtual().start(() -> {
                Ticket t = assertInstanceOf(Admission.Admitted.class, tenancy.admit(tenant, "m", 10)).ticket();
                synchronized (order) {
                    order.add(tenant);
                }
                t.settle(null, new Metering.Usage(1, 1, "local", 1, 0));
            }));
            while (tenancy.queue("m").queued() == before) {
                Thread.sleep(1);
            }
        }
        running.release();
        for (Thread t : threads) {
            t.join();
        }
        assertEquals(List.of("urgent", "bulk", "bulk", "bulk"), order);
    }
}
