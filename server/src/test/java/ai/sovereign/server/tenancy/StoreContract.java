package ai.sovereign.server.tenancy;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.sovereign.ledger.AuditEntry;
import java.time.Duration;
import java.time.Instant;
import java.time.LocalDate;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.atomic.AtomicLong;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * The tenants store's contract, run against every implementation (embedded SQLite, PostgreSQL).
 * Time is a fake clock, so windows are tested at exact instants.
 */
abstract class StoreContract {
    static final long T0 = Instant.parse("2026-03-02T00:00:00Z").toEpochMilli() + 500;
    final AtomicLong clock = new AtomicLong(T0);
    Tenancy tenancy;

    /** A fresh, empty store's URL for this test. */
    abstract String freshUrl() throws Exception;

    String url;

    @BeforeEach
    void open() throws Exception {
        url = freshUrl();
        tenancy = Tenancy.open(url, clock::get);
    }

    @AfterEach
    void closeStore() {
        if (tenancy != null) {
            tenancy.close();
        }
    }

    private Tenant limited(String id, Tenant.Quotas q) {
        return tenancy.createTenant(Tenant.organization(id).withQuotas(q));
    }

    private static Tenant.Quotas tpm(long n) {
        return new Tenant.Quotas(null, n, null, null, null);
    }

    private Admission.Admitted admitted(String tenant, long tokens) {
        return assertInstanceOf(Admission.Admitted.class, tenancy.admit(tenant, "m", tokens));
    }

    private Admission.Refused refused(String tenant, long tokens) {
        return assertInstanceOf(Admission.Refused.class, tenancy.admit(tenant, "m", tokens));
    }

    @Test
    void migratesOnceAndReopens() {
        tenancy.createTenant(Tenant.organization("kept"));
        tenancy.close();
        tenancy = Tenancy.open(url, clock::get);
        assertEquals("kept", tenancy.tenant("kept").orElseThrow().id());
    }

    @Test
    void tenantsFormATwoLevelHierarchyThatOnlyNarrows() {
        Tenant org = tenancy.createTenant(Tenant.organization("consortium").withPolicy(List.of("KR"), "moderate",
                Map.of("KR_RRN", "block", "default", "redact")));
        tenancy.createTenant(Tenant.project("team-a", "consortium").withPolicy(List.of(), "high",
                Map.of("KR_RRN", "allow", "PHONE_NUMBER", "pseudonymize")));
        assertThrows(IllegalArgumentException.class, () -> tenancy.createTenant(Tenant.project("team-b", "consortium")
                .withPolicy(List.of("US"), null, Map.of())), "a project cannot widen jurisdictions");
        assertThrows(IllegalArgumentException.class, () -> tenancy.createTenant(Tenant.project("sub", "team-a")), "two levels only");
        assertThrows(IllegalArgumentException.class, () -> tenancy.createTenant(Tenant.project("orphan", "nobody")));
        assertThrows(IllegalArgumentException.class, () -> tenancy.createTenant(Tenant.organization("consortium")));
        assertEquals(List.of("consortium", "team-a"), tenancy.tenants().stream().map(Tenant::id).toList());
        assertEquals(org, tenancy.tenant("consortium").orElseThrow());

        ApiKey.Issued key = tenancy.createKey("team-a", Set.of(ApiKey.Scope.INFERENCE), "ci", null);
        Authentication.Principal p = assertInstanceOf(Authentication.Authenticated.class, tenancy.authenticate(key.secret())).principal();
        assertEquals("consortium", p.organization());
        assertEquals(List.of("KR"), p.policy().jurisdictions());
        assertEquals("high", p.policy().minTier());
        assertEquals("block", p.policy().pii().get("KR_RRN"), "a project cannot weaken its organization's block");
        assertEquals("redact", p.policy().pii().get("PHONE_NUMBER"), "pseudonymize is weaker than the organization's default redact");

        tenancy.updateTenant(tenancy.tenant("team-a").orElseThrow().withShare(3, Tenant.Priority.HIGH));
        assertEquals(3, tenancy.tenant("team-a").orElseThrow().weight());
        assertThrows(IllegalArgumentException.class, () -> tenancy.deleteTenant("consortium"), "projects first");
        tenancy.deleteTenant("team-a");
        tenancy.deleteTenant("consortium");
        assertTrue(tenancy.tenants().isEmpty());
        assertInstanceOf(Authentication.Rejected.class, tenancy.authenticate(key.secret()));
    }

    @Test
    void allowedModelsAreStoredAndOnlyNarrowDownTheHierarchy() {
        tenancy.createTenant(Tenant.organization("consortium").withModels(List.of("exaone", "stories")));
        tenancy.createTenant(Tenant.project("team-a", "consortium").withModels(List.of("stories")));
        tenancy.createTenant(Tenant.project("team-b", "consortium"));
        assertEquals(List.of("exaone", "stories"), tenancy.tenant("consortium").orElseThrow().models());
        assertThrows(IllegalArgumentException.class, () -> tenancy.createTenant(Tenant.project("team-c", "consortium")
                .withModels(List.of("llama"))), "a project cannot widen its models");
        assertThrows(IllegalArgumentException.class, () -> tenancy.updateTenant(tenancy.tenant("consortium").orElseThrow()
                .withModels(List.of("exaone"))), "an organization cannot be narrowed below its project's models");
        tenancy.updateTenant(tenancy.tenant("team-b").orElseThrow().withPolicy(List.of("KR"), null, Map.of()));
        assertThrows(IllegalArgumentException.class, () -> tenancy.updateTenant(tenancy.tenant("consortium").orElseThrow()
                .withPolicy(List.of("JP"), null, Map.of())), "an organization cannot be narrowed below its project's jurisdictions");
        assertEquals(List.of("stories"), policyOf("team-a").models());
        assertEquals(List.of("exaone", "stories"), policyOf("team-b").models(), "an empty list inherits the organization's");
        tenancy.updateTenant(tenancy.tenant("consortium").orElseThrow().withModels(List.of()));
        assertEquals(List.of(), policyOf("team-b").models(), "no restriction anywhere: every model");
        assertEquals(List.of("stories"), policyOf("team-a").models());
    }

    private EffectivePolicy policyOf(String tenant) {
        ApiKey.Issued key = tenancy.createKey(tenant, Set.of(ApiKey.Scope.INFERENCE), "policy", null);
        return assertInstanceOf(Authentication.Authenticated.class, tenancy.authenticate(key.secret())).principal().policy();
    }

    @Test
    void anUnlimitedTenantIsAdmittedWithoutWritesAndEverySettledRequestIsMetered() throws Exception {
        tenancy.createTenant(Tenant.organization("free"));
        tenancy.createTenant(Tenant.organization("capped").withQuotas(new Tenant.Quotas(null, null, 1_000_000L, null, null)));
        long expected = 0;
        List<Future<Long>> work = new ArrayList<>();
        try (ExecutorService pool = Executors.newFixedThreadPool(8)) {
            for (int t = 0; t < 8; t++) {
                int thread = t;
                work.add(pool.submit(() -> {
                    long sum = 0;
                    for (int i = 0; i < 150; i++) {
                        Ticket ticket = assertInstanceOf(Admission.Admitted.class, tenancy.admit("free", "m", 100)).ticket();
                        long in = 1 + (thread * 150 + i) % 17;
                        ticket.settle("free-" + thread + "-" + i, new Metering.Usage(in, 3, "local", 1, 0.01));
                        sum += in + 3;
                    }
                    return sum;
                }));
            }
            for (Future<Long> f : work) {
                expected += f.get();
            }
        }
        assertEquals(0, tenancy.reservations().chargedTokens("free", Store.SECOND, 0), "an unlimited tenant's admission writes no buckets");
        List<Metering.Rollup> rows = tenancy.usage(Instant.ofEpochMilli(T0 - Store.DAY), Instant.ofEpochMilli(T0 + Store.DAY), "free");
        assertEquals(1200, rows.stream().mapToLong(Metering.Rollup::requests).sum(), "every settled request is metered by the next report");
        assertEquals(expected, rows.stream().mapToLong(r -> r.tokensIn() + r.tokensOut()).sum());

        Ticket capped = assertInstanceOf(Admission.Admitted.class, tenancy.admit("capped", "m", 100)).ticket();
        assertEquals(100, tenancy.reservations().chargedTokens("capped", Store.SECOND, 0), "a limited tenant's reservation is in the store");
        capped.settle("capped-1", new Metering.Usage(4, 6, "local", 1, 0.01));
        assertEquals(10, tenancy.reservations().chargedTokens("capped", Store.SECOND, 0), "and settles to the real count");
    }

    @Test
    void keysAreShownOnceStoredHashedAndExpireRevokeAndRotate() {
        tenancy.createTenant(Tenant.organization("agency"));
        ApiKey.Issued issued = tenancy.createKey("agency", Set.of(ApiKey.Scope.INFERENCE, ApiKey.Scope.AUDITOR), "app",
                Instant.ofEpochMilli(T0 + 60_000));
        String secret = issued.secret();
        assertTrue(secret.matches("sk-sov-[a-z2-7]{12}_[A-Za-z0-9_-]{43}"), secret.substring(0, 7));
        assertFalse(issued.toString().contains(secret));
        assertFalse(tenancy.keys("agency").toString().contains(secret.substring(20)));

        Authentication.Principal p = assertInstanceOf(Authentication.Authenticated.class, tenancy.authenticate(secret)).principal();
        assertTrue(p.may(ApiKey.Scope.AUDITOR));
        assertFalse(p.may(ApiKey.Scope.ADMIN));
        String wrong = secret.substring(0, secret.length() - 1) + (secret.endsWith("A") ? "B" : "A");
        assertEquals(Authentication.Reason.UNKNOWN, assertInstanceOf(Authentication.Rejected.class, tenancy.authenticate(wrong)).reason());
        assertEquals(Authentication.Reason.NOT_A_STORE_KEY,
                assertInstanceOf(Authentication.Rejected.class, tenancy.authenticate("bootstrap-secret")).reason());

        clock.set(T0 + 60_000);
        assertEquals(Authentication.Reason.EXPIRED, assertInstanceOf(Authentication.Rejected.class, tenancy.authenticate(secret)).reason());
        clock.set(T0);

        ApiKey.Issued rotated = tenancy.rotateKey(issued.key().lookup(), Duration.ofSeconds(10));
        assertEquals(issued.key().scopes(), rotated.key().scopes());
        assertInstanceOf(Authentication.Authenticated.class, tenancy.authenticate(secret), "old key within its grace");
        assertInstanceOf(Authentication.Authenticated.class, tenancy.authenticate(rotated.secret()));
        clock.set(T0 + 10_000);
        assertEquals(Authentication.Reason.REVOKED, assertInstanceOf(Authentication.Rejected.class, tenancy.authenticate(secret)).reason());
        assertInstanceOf(Authentication.Authenticated.class, tenancy.authenticate(rotated.secret()));

        ApiKey.Issued again = tenancy.rotateKey(rotated.key().lookup(), Duration.ZERO);
        assertInstanceOf(Authentication.Rejected.class, tenancy.authenticate(rotated.secret()), "no grace: stops at once");
        ApiKey.Issued last = tenancy.rotateKey(again.key().lookup(), Duration.ofHours(1));
        assertInstanceOf(Authentication.Authenticated.class, tenancy.authenticate(again.secret()), "within its grace");
        tenancy.revokeKey(again.key().lookup());
        assertEquals(Authentication.Reason.REVOKED, assertInstanceOf(Authentication.Rejected.class,
                tenancy.authenticate(again.secret())).reason(), "revoking cuts a rotation's grace short");
        assertThrows(IllegalArgumentException.class, () -> tenancy.rotateKey(again.key().lookup(), Duration.ZERO));
        assertInstanceOf(Authentication.Authenticated.class, tenancy.authenticate(last.secret()));

        List<AuditEntry.AdminEvent> events = new ArrayList<>();
        assertEquals(9, tenancy.drainAdminEvents(events::add));
        assertEquals(List.of("tenant.create", "key.create", "key.create", "key.rotate", "key.create", "key.rotate", "key.create",
                        "key.rotate", "key.revoke"),
                events.stream().map(AuditEntry.AdminEvent::action).toList());
        for (AuditEntry.AdminEvent e : events) {
            String text = e.toString();
            for (String s : List.of(secret, rotated.secret(), again.secret(), last.secret())) {
                assertFalse(text.contains(s.substring(20)), "an admin event holds a key secret");
            }
            e.encode();
        }
        assertEquals(0, tenancy.drainAdminEvents(events::add));
    }

    @Test
    void minuteWindowSlidesInsteadOfResettingOnTheMinute() {
        limited("t", tpm(1000));
        admitted("t", 600).ticket();
        clock.set(T0 + 30_000);
        admitted("t", 400);
        clock.set(T0 + 59_000);
        Admission.Refused r = refused("t", 1);
        assertEquals(429, r.status());
        assertEquals("rate_limited", r.code());
        assertEquals(2, r.retryAfterSeconds(), "the first 600 leave the window when its 1-second bucket does");
        assertTrue(r.message().contains("tokens_per_minute"), r.message());
        clock.set(T0 + 61_000);
        admitted("t", 600);
        refused("t", 1);
        clock.set(T0 + 91_000);
        admitted("t", 400);
    }

    @Test
    void settlingToTheRealCountGivesTheRestBack() {
        limited("t", tpm(1000));
        Ticket ticket = admitted("t", 1000).ticket();
        refused("t", 1);
        ticket.settle("req-1", new Metering.Usage(40, 60, "local", 5, 1.0));
        ticket.settle("req-1", new Metering.Usage(40, 60, "local", 5, 1.0));
        admitted("t", 900);
        refused("t", 1);
        clock.set(T0 + 120_000);
        Ticket released = admitted("t", 1000).ticket();
        released.release();
        admitted("t", 1000);
    }

    @Test
    void requestsPerMinuteAndDailyAndMonthlyQuotas() {
        limited("rpm", new Tenant.Quotas(3L, null, null, null, null));
        for (int i = 0; i < 3; i++) {
            admitted("rpm", 10);
        }
        assertEquals("rate_limited", refused("rpm", 10).code());

        limited("day", new Tenant.Quotas(null, null, 5000L, null, null));
        admitted("day", 3000);
        clock.set(T0 + 12 * 3_600_000L);
        admitted("day", 2000);
        Admission.Refused r = refused("day", 1);
        assertEquals("quota_exceeded", r.code());
        assertEquals(12 * 3600 + 60, r.retryAfterSeconds(), 1, "the 3000 leave 24 h after their minute bucket");
        clock.set(T0 + 24 * 3_600_000L + 60_000);
        admitted("day", 3000);
        assertEquals("quota_exceeded", refused("day", 6000).code(), "larger than the quota itself");

        clock.set(T0);
        limited("month", new Tenant.Quotas(null, null, null, 10_000L, null));
        admitted("month", 9000);
        clock.set(T0 + 20 * 86_400_000L);
        assertEquals("quota_exceeded", refused("month", 2000).code());
        clock.set(T0 + 30 * 86_400_000L + 3_600_000L);
        admitted("month", 2000);
    }

    @Test
    void maxConcurrentCountsUnsettledRequestsUntilTheirLeaseEnds() {
        limited("c", new Tenant.Quotas(null, null, null, null, 2L));
        Ticket a = admitted("c", 1).ticket();
        admitted("c", 1);
        Admission.Refused r = refused("c", 1);
        assertEquals("rate_limited", r.code());
        assertTrue(r.message().contains("max_concurrent"));
        a.settle("r", new Metering.Usage(1, 0, "n", 1, 0));
        Ticket held = admitted("c", 1).ticket();
        refused("c", 1);
        clock.addAndGet(Tenancy.LEASE.toMillis() + 1);
        admitted("c", 1);
        held.renew(Tenancy.LEASE);
        refused("c", 1);
    }

    @Test
    void anOrganizationsQuotaCapsItsProjectsTogether() {
        tenancy.createTenant(Tenant.organization("org").withQuotas(tpm(1000)));
        tenancy.createTenant(Tenant.project("p1", "org"));
        tenancy.createTenant(Tenant.project("p2", "org").withQuotas(tpm(300)));
        admitted("p1", 600);
        assertTrue(refused("p2", 500).message().contains("p2"), "the project's own limit first");
        Admission.Refused r = refused("p2", 300 + 200);
        assertEquals("rate_limited", r.code());
        admitted("p2", 300);
        assertTrue(refused("p1", 200).message().contains("org"));
    }

    @Test
    void grantsAreTimeBoxedPerModel() {
        tenancy.createTenant(Tenant.organization("lab"));
        admitted("lab", 1);
        Instant start = Instant.ofEpochMilli(T0 + 3_600_000), end = Instant.ofEpochMilli(T0 + 7_200_000);
        Grant g = tenancy.addGrant("lab", "m", start, end);
        Admission.Refused before = refused("lab", 1);
        assertEquals("quota_exceeded", before.code());
        assertEquals(3600, before.retryAfterSeconds());
        clock.set(start.toEpochMilli());
        admitted("lab", 1);
        assertInstanceOf(Admission.Refused.class, tenancy.admit("lab", "other", 1));
        clock.set(end.toEpochMilli());
        refused("lab", 1);
        assertEquals(List.of(g), tenancy.grants("lab"));
        tenancy.removeGrant(g.id());
        admitted("lab", 1);
    }

    @Test
    void meteringRollsUpPerTenantModelNodeAndDay() {
        tenancy.createTenant(Tenant.organization("org").withShare(3, Tenant.Priority.NORMAL));
        tenancy.createTenant(Tenant.project("p", "org"));
        tenancy.createTenant(Tenant.organization("idle"));
        tenancy.addGrant("org", "m", Instant.ofEpochMilli(T0 - 1), Instant.ofEpochMilli(T0 + 10 * 86_400_000L));
        tenancy.addGrant("idle", "m", Instant.ofEpochMilli(T0 - 1), Instant.ofEpochMilli(T0 + 10 * 86_400_000L));
        admitted("p", 100).ticket().settle("a", new Metering.Usage(10, 20, "sejong-1", 1500, 15.0));
        admitted("p", 100).ticket().settle("b", new Metering.Usage(5, 5, "sejong-1", 500, 5.0));
        admitted("org", 100).ticket().settle("c", new Metering.Usage(1, 1, "local", 10, 0.5));
        clock.set(T0 + 86_400_000L);
        admitted("p", 100).ticket().settle("d", new Metering.Usage(7, 3, "sejong-1", 100, 1.0));
        Instant from = Instant.ofEpochMilli(T0 - 86_400_000L), to = Instant.ofEpochMilli(T0 + 2 * 86_400_000L);
        List<Metering.Rollup> all = tenancy.usage(from, to, null);
        LocalDate day = LocalDate.of(2026, 3, 2);
        assertEquals(List.of(
                new Metering.Rollup("org", "m", "local", day, 1, 1, 1, 10, 0.5),
                new Metering.Rollup("p", "m", "sejong-1", day, 2, 15, 25, 2000, 20.0),
                new Metering.Rollup("p", "m", "sejong-1", day.plusDays(1), 1, 7, 3, 100, 1.0)), all);
        assertEquals(3, tenancy.usage(from, to, "org").size(), "an organization sees its projects");
        assertEquals(2, tenancy.usage(from, to, "p").size());
        assertTrue(tenancy.usage(from, to, "idle").isEmpty(), "a tenant sees only its own usage");
        List<Metering.IdleGrant> idle = tenancy.idleGrants(from, to, 0.5);
        assertEquals(List.of("idle"), idle.stream().map(i -> i.grant().tenant()).toList());
        assertEquals(0.25, idle.getFirst().share(), 1e-9);
        assertEquals(52, idle.getFirst().tokensServed());
    }

    @Test
    void twoStoreInstancesNeverOverrunOneTenantsDailyQuota() throws Exception {
        long quota = 20_000;
        tenancy.createTenant(Tenant.organization("shared").withQuotas(new Tenant.Quotas(null, null, quota, null, null)));
        ConcurrentLinkedQueue<Ticket> tickets = new ConcurrentLinkedQueue<>();
        AtomicLong refusals = new AtomicLong();
        try (Tenancy second = Tenancy.open(url, clock::get); ExecutorService pool = Executors.newFixedThreadPool(16)) {
            List<Future<?>> futures = new ArrayList<>();
            for (int w = 0; w < 16; w++) {
                Tenancy instance = w % 2 == 0 ? tenancy : second;
                futures.add(pool.submit(() -> {
                    for (int i = 0; i < 25; i++) {
                        long want = 50 + ThreadLocalRandom.current().nextLong(200);
                        switch (instance.admit("shared", "m", want)) {
                            case Admission.Admitted a -> tickets.add(a.ticket());
                            case Admission.Refused r -> refusals.incrementAndGet();
                        }
                    }
                    return null;
                }));
            }
            for (Future<?> f : futures) {
                f.get();
            }
            long reserved = tickets.stream().mapToLong(Ticket::reservedTokens).sum();
            assertTrue(reserved <= quota, "admitted " + reserved + " tokens over two instances; the quota is " + quota);
            assertTrue(refusals.get() > 0, "the load must reach the quota");
            assertTrue(reserved > quota - 250, "the quota was filled (" + reserved + ")");
            for (Ticket t : tickets) {
                t.settle(null, new Metering.Usage(t.reservedTokens() / 2, 0, "n", 1, 0));
            }
        }
        long real = tickets.stream().mapToLong(t -> t.reservedTokens() / 2).sum();
        assertEquals(real, tenancy.reservations().chargedTokens("shared", Store.MINUTE, T0 - Store.DAY), "settled counts are exact");
    }

    /**
     * Two instances on one store drain its admin events at the same moment, with a sink as slow as a ledger append:
     * every event reaches exactly one sink, once (both used to read the same undrained rows and both write them).
     */
    @Test
    void twoStoreInstancesDrainEachAdminEventExactlyOnce() throws Exception {
        int n = 150;
        for (int i = 0; i < n; i++) {
            tenancy.recordAdminEvent("test.event", "e" + i, Map.of("n", Integer.toString(i)));
        }
        ConcurrentLinkedQueue<String> drained = new ConcurrentLinkedQueue<>();
        try (Tenancy second = Tenancy.open(url, clock::get); ExecutorService pool = Executors.newFixedThreadPool(4)) {
            java.util.concurrent.CountDownLatch start = new java.util.concurrent.CountDownLatch(1);
            List<Future<Integer>> drains = new ArrayList<>();
            for (Tenancy instance : List.of(tenancy, second, tenancy, second)) {
                drains.add(pool.submit(() -> {
                    start.await();
                    return instance.drainAdminEvents(e -> {
                        drained.add(e.subject());
                        try {
                            Thread.sleep(1); // a durable ledger append
                        } catch (InterruptedException x) {
                            Thread.currentThread().interrupt();
                        }
                    });
                }));
            }
            start.countDown();
            int total = 0;
            for (Future<Integer> f : drains) {
                total += f.get();
            }
            assertEquals(n, total, "drain counts");
            assertEquals(n, drained.size(), "each event once: " + (drained.size() - Set.copyOf(drained).size()) + " delivered twice");
            assertEquals(n, Set.copyOf(drained).size());
            assertEquals(0, second.drainAdminEvents(e -> drained.add(e.subject())));
        }
    }
}
