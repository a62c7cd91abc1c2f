package ai.sovereign.server;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;
import ai.sovereign.engine.Fixtures;
import ai.sovereign.ledger.AuditEntry;
import ai.sovereign.ledger.Checkpoint;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.BufferedReader;
import java.io.InputStream;
import java.io.InputStreamReader;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.Callable;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The tenants store wired into real {@code serve} processes: quotas hold under concurrent load (on the embedded store,
 * and on one PostgreSQL shared by two processes), bypass attempts fail, admin endpoints need the admin scope and every
 * admin change is a ledger admin entry.
 */
class TenancyServeIT {
    private static final ObjectMapper JSON = new ObjectMapper();
    private static final HttpClient HTTP = HttpClient.newHttpClient();
    private static final String ADMIN = "ops-key";
    private static final String TEAM = "team-key";
    private static final String BURST = "burst-key";
    private static final String NARROW = "narrow-key";

    @TempDir
    Path dir;

    private Path config(String store, long tokensPerDay) throws Exception {
        String yaml = (store == null ? "" : "store: { url: \"" + store + "\" }\n")
                + "tenants:\n"
                + "  - { id: ops, api_keys: [ { sha256: \"" + RemoteRoutingTest.sha(ADMIN) + "\", scopes: [admin] } ] }\n"
                + "  - { id: team, quotas: { tokens_per_day: " + tokensPerDay + " }, api_keys: [ { sha256: \"" + RemoteRoutingTest.sha(TEAM)
                + "\" } ] }\n"
                + "  - { id: burst, quotas: { requests_per_minute: 5 }, api_keys: [ { sha256: \"" + RemoteRoutingTest.sha(BURST) + "\" } ] }\n"
                + "  - { id: narrow, models: [exaone], api_keys: [ { sha256: \"" + RemoteRoutingTest.sha(NARROW) + "\" } ] }\n";
        Path file = dir.resolve("sovereign.yaml");
        Files.writeString(file, yaml);
        return file;
    }

    private ServeProcess serve(Path config, String name) throws Exception {
        Path work = Files.createDirectories(dir.resolve(name));
        return ServeProcess.start(work, "--config", config.toString(), "--model", "stories=" + Fixtures.shared("models/stories260K.gguf"));
    }

    private static String chat(int maxTokens, boolean stream) {
        return "{\"model\":\"stories\",\"max_tokens\":" + maxTokens + ",\"stream\":" + stream
                + ",\"messages\":[{\"role\":\"user\",\"content\":\"Once upon a time\"}]}";
    }

    private static HttpResponse<String> call(ServeProcess s, String method, String path, String key, String body) throws Exception {
        HttpRequest.Builder b = HttpRequest.newBuilder(URI.create(s.baseUrl + path)).timeout(Duration.ofSeconds(60));
        if (key != null) {
            b.header("Authorization", "Bearer " + key);
        }
        b.method(method, body == null ? HttpRequest.BodyPublishers.noBody() : HttpRequest.BodyPublishers.ofString(body));
        return HTTP.send(b.header("Content-Type", "application/json").build(), HttpResponse.BodyHandlers.ofString());
    }

    /** Tokens settled for the caller's tenant today (its own usage through GET /v1/usage). */
    private static long settledTokens(ServeProcess s, String key) throws Exception {
        HttpResponse<String> r = call(s, "GET", "/v1/usage", key, null);
        assertEquals(200, r.statusCode(), r.body());
        long sum = 0;
        for (JsonNode row : JSON.readTree(r.body()).path("data")) {
            sum += row.path("tokens_in").asLong() + row.path("tokens_out").asLong();
        }
        return sum;
    }

    private static String error(HttpResponse<String> r) throws Exception {
        return JSON.readTree(r.body()).at("/error/code").asText();
    }

    /**
     * Concurrent requests for one tenant spread over {@code servers}: each is admitted (200) or refused with 429
     * quota_exceeded and a Retry-After before generating; the settled sum equals the usage the 200s report and never
     * exceeds the day's limit.
     */
    private static void quotaHolds(List<ServeProcess> servers, long limit) throws Exception {
        int requests = 24;
        List<Future<HttpResponse<String>>> futures = new ArrayList<>();
        try (ExecutorService pool = Executors.newFixedThreadPool(12)) {
            for (int i = 0; i < requests; i++) {
                ServeProcess s = servers.get(i % servers.size());
                futures.add(pool.submit((Callable<HttpResponse<String>>) () -> call(s, "POST", "/v1/chat/completions", TEAM, chat(8, false))));
            }
        }
        long served = 0;
        int ok = 0;
        int refused = 0;
        for (Future<HttpResponse<String>> f : futures) {
            HttpResponse<String> r = f.get();
            if (r.statusCode() == 200) {
                ok++;
                served += JSON.readTree(r.body()).at("/usage/total_tokens").asLong();
            } else {
                assertEquals(429, r.statusCode(), r.body());
                assertEquals("quota_exceeded", error(r), r.body());
                assertTrue(Long.parseLong(r.headers().firstValue("Retry-After").orElseThrow()) >= 1);
                assertFalse(r.headers().firstValue("x-sovereign-ledger-index").isPresent(), "refused before the decision entry");
                refused++;
            }
        }
        assertTrue(ok > 0 && refused > 0, ok + " served, " + refused + " refused: the limit must bite within the burst");
        // A request settles just after its last byte reached the client.
        long settled = settledTokens(servers.getFirst(), TEAM);
        for (long deadline = System.nanoTime() + 5_000_000_000L; settled != served && System.nanoTime() < deadline; Thread.sleep(20)) {
            settled = settledTokens(servers.getFirst(), TEAM);
        }
        assertEquals(served, settled, "every served request settled to its real usage, on whichever instance served it");
        assertTrue(settled <= limit, settled + " settled tokens exceed the day's limit of " + limit);
    }

    @Test
    void embeddedStoreQuotasScopesRevocationRotationAndAdminEntries() throws Exception {
        // stories260K: the prompt is a few tokens with its template; each request reserves prompt + 8, so 24 overrun the limit.
        long limit = 150;
        try (ServeProcess s = serve(config(null, limit), "one")) {
            assertTrue(s.stderr().contains("embedded store"), s.stderr());
            // Scopes: inference keys cannot administer; the admin key can; no key is 401.
            HttpResponse<String> denied = call(s, "GET", "/admin/tenants", TEAM, null);
            assertEquals(403, denied.statusCode(), denied.body());
            assertEquals("insufficient_scope", error(denied));
            assertEquals(403, call(s, "GET", "/admin/fleet", TEAM, null).statusCode(), "routing's admin endpoints need the scope too");
            assertEquals(401, call(s, "GET", "/admin/tenants", null, null).statusCode());
            assertEquals(403, call(s, "POST", "/v1/chat/completions", ADMIN, chat(4, false)).statusCode(), "an admin-only key does not infer");
            HttpResponse<String> tenants = call(s, "GET", "/admin/tenants", ADMIN, null);
            assertEquals(200, tenants.statusCode(), tenants.body());
            assertTrue(tenants.body().contains("\"tokens_per_day\":" + limit), "config tenants are mirrored into the store: " + tenants.body());

            // A config tenant's allowed models bind its store keys too (the store mirrors them).
            HttpResponse<String> narrowKey = call(s, "POST", "/admin/tenants/narrow/keys", ADMIN, "{\"scopes\":[\"inference\"]}");
            assertEquals(201, narrowKey.statusCode(), narrowKey.body());
            for (String key : List.of(NARROW, JSON.readTree(narrowKey.body()).at("/data/key").asText())) {
                HttpResponse<String> refused = call(s, "POST", "/v1/chat/completions", key, chat(4, false));
                assertEquals(403, refused.statusCode(), refused.body());
                assertTrue(refused.body().contains("model_not_allowed"), refused.body());
            }

            // A stream whose max_tokens alone overruns the day's budget is refused up front, as JSON, not as an event stream.
            HttpResponse<String> overrun = call(s, "POST", "/v1/chat/completions", TEAM, chat((int) limit + 1, true));
            assertEquals(429, overrun.statusCode(), overrun.body());
            assertEquals("quota_exceeded", error(overrun));
            assertTrue(overrun.headers().firstValue("Retry-After").isPresent());

            quotaHolds(List.of(s), limit);

            // A parallel burst over requests/min: exactly the limit passes.
            List<Future<HttpResponse<String>>> burst = new ArrayList<>();
            try (ExecutorService pool = Executors.newFixedThreadPool(12)) {
                for (int i = 0; i < 12; i++) {
                    burst.add(pool.submit((Callable<HttpResponse<String>>) () -> call(s, "POST", "/v1/completions", BURST,
                            "{\"model\":\"stories\",\"prompt\":\"Once\",\"max_tokens\":2}")));
                }
            }
            int passed = 0;
            for (Future<HttpResponse<String>> f : burst) {
                HttpResponse<String> r = f.get();
                if (r.statusCode() == 200) {
                    passed++;
                } else {
                    assertEquals(429, r.statusCode(), r.body());
                    assertEquals("rate_limited", error(r));
                    assertTrue(r.headers().firstValue("Retry-After").isPresent());
                }
            }
            assertEquals(5, passed, "requests_per_minute: 5 admits exactly 5 of a parallel burst of 12");

            // A store key issued through the admin API; revoked while its stream is in flight, that stream finishes.
            HttpResponse<String> issued = call(s, "POST", "/admin/tenants/burst/keys", ADMIN, "{\"scopes\":[\"inference\",\"auditor\"]}");
            assertEquals(201, issued.statusCode(), issued.body());
            String storeKey = JSON.readTree(issued.body()).at("/data/key").asText();
            String lookup = JSON.readTree(issued.body()).at("/data/lookup").asText();
            assertTrue(storeKey.startsWith("sk-sov-"), issued.body());
            HttpRequest streamRequest = HttpRequest.newBuilder(URI.create(s.baseUrl + "/v1/chat/completions"))
                    .header("Authorization", "Bearer " + storeKey).header("Content-Type", "application/json")
                    .POST(HttpRequest.BodyPublishers.ofString(chat(0, true).replace("\"max_tokens\":0,", ""))).build();
            // the burst tenant is at its requests/min limit: the store key is refused like the config key
            assertEquals(429, HTTP.send(streamRequest, HttpResponse.BodyHandlers.ofString()).statusCode());

            HttpResponse<String> teamKey = call(s, "POST", "/admin/tenants/ops/keys", ADMIN, "{\"scopes\":[\"inference\"]}");
            assertEquals(201, teamKey.statusCode(), teamKey.body());
            String opsKey = JSON.readTree(teamKey.body()).at("/data/key").asText();
            String opsLookup = JSON.readTree(teamKey.body()).at("/data/lookup").asText();
            HttpRequest inFlight = HttpRequest.newBuilder(URI.create(s.baseUrl + "/v1/chat/completions"))
                    .header("Authorization", "Bearer " + opsKey).header("Content-Type", "application/json")
                    .POST(HttpRequest.BodyPublishers.ofString(chat(200, true))).build();
            HttpResponse<InputStream> stream = HTTP.send(inFlight, HttpResponse.BodyHandlers.ofInputStream());
            assertEquals(200, stream.statusCode());
            BufferedReader lines = new BufferedReader(new InputStreamReader(stream.body(), StandardCharsets.UTF_8));
            assertTrue(lines.readLine().startsWith("data: "), "the stream has started");
            assertEquals(200, call(s, "POST", "/admin/keys/" + opsLookup + "/revoke", ADMIN, "").statusCode());
            String line;
            String last = null;
            while ((line = lines.readLine()) != null) {
                if (!line.isBlank()) {
                    last = line;
                }
            }
            assertEquals("data: [DONE]", last, "an admitted request runs to its end after its key is revoked");
            HttpResponse<String> after = call(s, "POST", "/v1/chat/completions", opsKey, chat(4, false));
            assertEquals(401, after.statusCode(), "the next request with the revoked key is refused");
            assertEquals("invalid_api_key", error(after));

            // Rotation without grace: the old key stops at once, the new one works.
            HttpResponse<String> rotated = call(s, "POST", "/admin/keys/" + lookup + "/rotate", ADMIN, "{\"grace_seconds\":0}");
            assertEquals(201, rotated.statusCode(), rotated.body());
            String newKey = JSON.readTree(rotated.body()).at("/data/key").asText();
            assertEquals(401, call(s, "GET", "/v1/usage", storeKey, null).statusCode(), "the rotated-out key");
            HttpResponse<String> usage = call(s, "GET", "/v1/usage", newKey, null);
            assertEquals(200, usage.statusCode(), usage.body());
            for (JsonNode row : JSON.readTree(usage.body()).path("data")) {
                assertEquals("burst", row.path("tenant").asText(), "a tenant sees only its own usage");
            }

            // Every admin change is a ledger admin entry (drained from the store's outbox every second).
            List<AuditEntry> entries = waitForAdmin(s, "key.rotate", lookup);
            assertTrue(entries.stream().anyMatch(e -> e instanceof AuditEntry.AdminEvent a && a.action().equals("key.revoke")
                    && a.subject().equals(opsLookup)), "the revocation is on the ledger");
            assertTrue(entries.stream().anyMatch(e -> e instanceof AuditEntry.AdminEvent a && a.action().equals("tenant.create")
                    && a.subject().equals("team")), "mirroring the config's tenants is on the ledger");
            assertTrue(entries.stream().anyMatch(e -> e instanceof AuditEntry.Outcome o && o.status() == 429),
                    "refusals by quota are ledger refusal entries");
            tenantSeesOnlyItsOwnLedgerEntries(s);
            assertFalse(s.stderr().contains(storeKey) || s.stderr().contains(newKey), "keys are never logged");
            String metrics = call(s, "GET", "/metrics", null, null).body();
            assertTrue(metrics.lines().anyMatch(l -> l.startsWith("sovereign_tenant_tokens_total{") && l.contains("tenant=\"team\"")),
                    "per-tenant series on /metrics");
            assertTrue(metrics.contains("sovereign_fair_queue_running{model=\"stories\"}"), "the local model has a fair-share queue");
        }
    }

    /**
     * GET /v1/ledger/entries: the team's key sees only the team's decisions and their outcomes, newest first, paged
     * without overlap; each entry's bytes hash to the leaf the log's inclusion proof names; another tenant sees none of
     * them and may not ask for them; the admin may.
     */
    private static void tenantSeesOnlyItsOwnLedgerEntries(ServeProcess s) throws Exception {
        HttpResponse<String> all = call(s, "GET", "/v1/ledger/entries?limit=1000", TEAM, null);
        assertEquals(200, all.statusCode(), all.body());
        JsonNode data = JSON.readTree(all.body()).path("data");
        java.util.Set<Long> decisions = new java.util.HashSet<>();
        java.util.Set<String> requests = new java.util.HashSet<>();
        long previous = Long.MAX_VALUE;
        for (JsonNode e : data) {
            assertTrue(e.path("index").asLong() < previous, "newest first");
            previous = e.path("index").asLong();
            if (e.path("type").asText().equals("decision")) {
                assertEquals("team", e.path("tenant").asText(), e.toString());
                decisions.add(e.path("index").asLong());
                requests.add(e.path("request_id").asText());
            } else {
                assertEquals("outcome", e.path("type").asText(), e.toString());
            }
        }
        for (JsonNode e : data) {
            if (e.path("type").asText().equals("outcome")) {
                assertTrue(decisions.contains(e.path("decision_index").asLong()), "an outcome of one of the team's decisions");
            }
        }
        assertTrue(decisions.size() >= 10 && data.size() > decisions.size(), "decisions and outcomes: " + all.body());

        JsonNode first = data.get(0);
        byte[] entry = java.util.Base64.getDecoder().decode(first.path("entry_base64").asText());
        java.security.MessageDigest sha = java.security.MessageDigest.getInstance("SHA-256");
        sha.update((byte) 0);
        String leaf = java.util.Base64.getEncoder().encodeToString(sha.digest(entry));
        HttpResponse<String> proof = call(s, "GET", "/ledger/proof/inclusion?index=" + first.path("index").asLong()
                + "&size=" + (first.path("index").asLong() + 1), null, null);
        assertEquals(leaf, JSON.readTree(proof.body()).path("leaf_hash").asText(), "the listed bytes are the logged entry");

        JsonNode page1 = JSON.readTree(call(s, "GET", "/v1/ledger/entries?limit=3", TEAM, null).body());
        assertTrue(page1.path("has_more").asBoolean());
        JsonNode page2 = JSON.readTree(call(s, "GET", "/v1/ledger/entries?limit=3&before=" + page1.path("next_before").asLong(), TEAM,
                null).body());
        List<Long> paged = new ArrayList<>();
        page1.path("data").forEach(e -> paged.add(e.path("index").asLong()));
        page2.path("data").forEach(e -> paged.add(e.path("index").asLong()));
        List<Long> expected = new ArrayList<>();
        data.forEach(e -> expected.add(e.path("index").asLong()));
        assertEquals(expected.subList(0, 6), paged, "two pages of three are the six newest, in order");

        HttpResponse<String> other = call(s, "GET", "/v1/ledger/entries?limit=1000", BURST, null);
        assertEquals(200, other.statusCode(), other.body());
        for (JsonNode e : JSON.readTree(other.body()).path("data")) {
            assertFalse(requests.contains(e.path("request_id").asText()), "another tenant sees none of the team's entries");
            assertFalse(decisions.contains(e.path("decision_index").asLong()) && e.path("type").asText().equals("outcome"));
        }
        HttpResponse<String> prying = call(s, "GET", "/v1/ledger/entries?tenant=team", BURST, null);
        assertEquals(403, prying.statusCode(), prying.body());
        HttpResponse<String> admin = call(s, "GET", "/v1/ledger/entries?tenant=team&limit=1000", ADMIN, null);
        assertEquals(all.body(), admin.body(), "the admin sees what the tenant sees");
    }

    @Test
    void twoServeProcessesOnOnePostgresHoldOneTenantsDailyLimitTogether() throws Exception {
        String url = System.getenv("SOVEREIGN_TEST_PG_URL");
        String missing = "SOVEREIGN_TEST_PG_URL is not set (./run-tests starts a throwaway PostgreSQL with scripts/test-postgres.sh)";
        boolean present = url != null && !url.isBlank();
        if ("1".equals(System.getenv("SOVEREIGN_REQUIRE_FIXTURES"))) {
            assertTrue(present, missing + "; PostgreSQL is required here (SOVEREIGN_REQUIRE_FIXTURES=1)");
        }
        assumeTrue(present, missing);
        String schema = "wire" + ProcessHandle.current().pid() + "_" + System.nanoTime() % 1_000_000;
        try (var c = java.sql.DriverManager.getConnection(url); var st = c.createStatement()) {
            st.execute("CREATE SCHEMA " + schema);
        }
        String store = url + (url.contains("?") ? "&" : "?") + "currentSchema=" + schema;
        long limit = 200;
        Path config = config(store, limit);
        try (ServeProcess a = serve(config, "a"); ServeProcess b = serve(config, "b")) {
            assertTrue(a.stderr().contains("PostgreSQL store") && b.stderr().contains("PostgreSQL store"), a.stderr());
            quotaHolds(List.of(a, b), limit);
            assertEquals(settledTokens(a, TEAM), settledTokens(b, TEAM), "both instances see one count");
        }
    }

    /** The ledger's entries once an admin event {@code action} on {@code subject} is on it (within 10 s). */
    private static List<AuditEntry> waitForAdmin(ServeProcess s, String action, String subject) throws Exception {
        String vkey = call(s, "GET", "/ledger/vkey", null, null).body().strip();
        long deadline = System.nanoTime() + 10_000_000_000L;
        while (true) {
            Checkpoint cp = Checkpoint.open(call(s, "GET", "/ledger/checkpoint", null, null).body(), vkey).orThrow();
            List<AuditEntry> out = new ArrayList<>();
            for (long n = 0; n * 256 < cp.size(); n++) {
                long width = Math.min(256, cp.size() - n * 256);
                String path = "/ledger/tile/entries/" + String.format("%03d", n) + (width < 256 ? ".p/" + width : "");
                HttpResponse<byte[]> r = HTTP.send(HttpRequest.newBuilder(URI.create(s.baseUrl + path)).build(),
                        HttpResponse.BodyHandlers.ofByteArray());
                ByteBuffer buf = ByteBuffer.wrap(r.body());
                while (buf.hasRemaining()) {
                    byte[] e = new byte[buf.getShort() & 0xffff];
                    buf.get(e);
                    out.add(AuditEntry.decode(e).orThrow());
                }
            }
            if (out.stream().anyMatch(e -> e instanceof AuditEntry.AdminEvent x && x.action().equals(action) && x.subject().equals(subject))) {
                return out;
            }
            assertTrue(System.nanoTime() < deadline, "no admin entry " + action + " " + subject + " on the ledger after 10 s");
            Thread.sleep(100);
        }
    }
}
