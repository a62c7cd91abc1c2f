package ai.sovereign.server;

import static ai.sovereign.server.StubNode.Behaviour.FIRST_TOKEN_TIMEOUT;
import static ai.sovereign.server.StubNode.Behaviour.HTTP_500;
import static ai.sovereign.server.StubNode.Behaviour.MALFORMED;
import static ai.sovereign.server.StubNode.Behaviour.OK;
import static ai.sovereign.server.StubNode.Behaviour.REFUSED;
import static ai.sovereign.server.StubNode.Behaviour.STALL_MID_STREAM;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.sovereign.ledger.AuditEntry;
import com.fasterxml.jackson.databind.JsonNode;
import java.net.URI;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.List;
import java.util.Map;
import java.util.Set;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Routing to remote nodes over real loopback sockets: a server in-process, stub engines that fail on purpose, and what
 * each stub received.
 */
class RemoteRoutingTest {
    @TempDir
    Path dir;

    static String node(StubNode s, String tier) {
        return "  - { id: " + s.id + ", url: \"" + s.url() + "\", engine: vllm, jurisdiction: " + s.jurisdiction + ", tier: " + tier
                + ", models: { m: upstream/m-7b } }\n";
    }

    static String fleet(String routing, StubNode... stubs) {
        StringBuilder y = new StringBuilder("models:\n  - { name: m, remote: true }\n");
        y.append("routing: { ").append(routing).append(" }\n");
        y.append("nodes:\n");
        for (StubNode s : stubs) {
            y.append(node(s, "high"));
        }
        return y.toString();
    }

    static final String FAST = "connect_timeout_ms: 300, first_token_timeout_ms: 400, chunk_gap_timeout_ms: 400, health_interval_ms: 0";

    static String chat(String content, boolean stream) {
        return "{\"model\":\"m\",\"stream\":" + stream + ",\"messages\":[{\"role\":\"user\",\"content\":\"" + content + "\"}]}";
    }

    @Test
    void failsOverPastEveryFailureBeforeTheFirstByteAndRecordsTheAttempts() throws Exception {
        try (StubNode refused = new StubNode("a-refused", "KR", REFUSED);
             StubNode http500 = new StubNode("b-500", "KR", HTTP_500);
             StubNode slow = new StubNode("c-slow", "KR", FIRST_TOKEN_TIMEOUT);
             StubNode malformed = new StubNode("d-malformed", "KR", MALFORMED);
             StubNode ok = new StubNode("e-ok", "KR", OK);
             StubNode abroad = new StubNode("aa-us", "US", OK);
             SovereignServer server = Fleets.start(dir, fleet(FAST + ", failures_to_open: 5", refused, http500, slow, malformed, ok, abroad))) {
            for (boolean stream : new boolean[] {true, false}) {
                HttpResponse<String> r = Fleets.post(server, "/v1/chat/completions", chat("Hello", stream), Map.of());
                assertEquals(200, r.statusCode(), r.body());
                assertEquals("e-ok", r.headers().firstValue("x-sovereign-node").orElseThrow());
                assertEquals("KR", r.headers().firstValue("x-sovereign-jurisdiction").orElseThrow());
                if (stream) {
                    List<String> events = Fleets.events(r.body());
                    assertEquals("[DONE]", events.getLast());
                    assertEquals("Hello from the stub.", Fleets.streamedText(events));
                    assertTrue(events.stream().noneMatch(e -> e.contains("upstream/m-7b")), "our model name, never the upstream's");
                    assertTrue(events.stream().noneMatch(e -> e.contains("\"usage\":{")), "usage only when the client asks");
                } else {
                    JsonNode body = Json.parseBody(r.body().getBytes(StandardCharsets.UTF_8));
                    assertEquals("Hello from the stub.", body.at("/choices/0/message/content").asText());
                    assertEquals("m", body.path("model").asText());
                    assertEquals("e-ok", body.at("/sovereign/node").asText());
                    assertEquals(5, body.at("/usage/completion_tokens").asInt());
                }
                String requestId = r.headers().firstValue("x-request-id").orElseThrow();
                long index = Long.parseLong(r.headers().firstValue("x-sovereign-ledger-index").orElseThrow());
                AuditEntry.Decision d = Fleets.decision(Fleets.ledger(server, index + 1), requestId);
                assertEquals("e-ok", d.node());
                assertEquals("KR", d.jurisdiction());
                assertEquals("high", d.tier());
                assertEquals(List.of(new AuditEntry.Elimination("local", "model_not_served"), new AuditEntry.Elimination("aa-us", "jurisdiction")),
                        d.eliminations());
                assertEquals(List.of("a-refused", "b-500", "c-slow", "d-malformed", "e-ok"), d.candidates());
                assertEquals(List.of(new AuditEntry.Attempt("a-refused", "connect_refused"), new AuditEntry.Attempt("b-500", "http_500"),
                        new AuditEntry.Attempt("c-slow", "first_token_timeout"), new AuditEntry.Attempt("d-malformed",
                                stream ? "malformed_sse" : "malformed_response"), new AuditEntry.Attempt("e-ok", "selected")), d.attempts());
            }
            assertEquals(0, abroad.received.size(), "not one byte to the US node");
            JsonNode sent = Json.parseBody(ok.completions().getFirst().body());
            assertEquals("upstream/m-7b", sent.path("model").asText(), "the node's model id upstream");
            assertTrue(sent.at("/stream_options/include_usage").asBoolean(), "usage asked of the node");
            assertEquals(2, http500.completions().size(), "each candidate tried once per request");
        }
    }

    @Test
    void aStreamThatBreaksAfterItsFirstByteEndsWithAnErrorEventAndNoSplice() throws Exception {
        try (StubNode stall = new StubNode("a-stall", "KR", STALL_MID_STREAM);
             StubNode ok = new StubNode("b-ok", "KR", OK);
             SovereignServer server = Fleets.start(dir, fleet(FAST, stall, ok))) {
            HttpResponse<String> r = Fleets.post(server, "/v1/chat/completions", chat("Hello", true), Map.of());
            assertEquals(200, r.statusCode());
            assertEquals("a-stall", r.headers().firstValue("x-sovereign-node").orElseThrow());
            List<String> events = Fleets.events(r.body());
            assertEquals("Once upon", Fleets.streamedText(events.subList(0, events.size() - 1)));
            JsonNode last = Json.parseBody(events.getLast().getBytes(StandardCharsets.UTF_8));
            assertEquals("upstream_error", last.at("/error/code").asText());
            assertFalse(events.contains("[DONE]"));
            assertEquals(0, ok.completions().size(), "no second node after the first byte");
            // The outcome tells the truth: HTTP 200 as the client got it, and the stream broke upstream.
            String requestId = r.headers().firstValue("x-request-id").orElseThrow();
            long index = Long.parseLong(r.headers().firstValue("x-sovereign-ledger-index").orElseThrow());
            AuditEntry.Outcome outcome = Fleets.outcome(Fleets.ledger(server, index + 2), requestId);
            assertEquals(200, outcome.status());
            assertEquals(List.of("upstream_error:chunk_timeout"), outcome.finishReasons());
            assertEquals(index, outcome.decisionIndex());

            // Not streamed, the same stall is before the client's first byte: failover.
            HttpResponse<String> whole = Fleets.post(server, "/v1/chat/completions", chat("Hello", false), Map.of());
            assertEquals(200, whole.statusCode(), whole.body());
            assertEquals("b-ok", whole.headers().firstValue("x-sovereign-node").orElseThrow());
        }
        try (StubNode stall = new StubNode("a-stall", "KR", STALL_MID_STREAM);
             SovereignServer server = Fleets.start(dir.resolve("alone"), fleet(FAST, stall))) {
            // Events are never held while the node is silent: the client has " upon" a chunk-gap timeout before the error.
            HttpRequest live = HttpRequest.newBuilder(URI.create(Fleets.base(server) + "/v1/chat/completions"))
                    .header("Content-Type", "application/json").POST(HttpRequest.BodyPublishers.ofString(chat("Hello", true))).build();
            long[] upon = {0};
            long[] error = {0};
            java.net.http.HttpClient.newHttpClient().send(live, HttpResponse.BodyHandlers.ofLines()).body().forEach(line -> {
                if (line.contains("\" upon\"") && upon[0] == 0) {
                    upon[0] = System.nanoTime();
                } else if (line.contains("upstream_error")) {
                    error[0] = System.nanoTime();
                }
            });
            assertTrue(upon[0] > 0 && error[0] > 0);
            assertTrue(error[0] - upon[0] > 300_000_000L, "the last event before the stall reached the client at once, not with the error: "
                    + (error[0] - upon[0]) / 1_000_000 + " ms apart (chunk gap timeout 400 ms)");

        }
    }

    @Test
    void aFullLocalQueueFailsOverToACompliantRemoteNodeAndIs429OnlyWithoutOne() throws Exception {
        String model = ai.sovereign.engine.Fixtures.shared("models/stories260K.gguf").toString();
        try (StubNode remote = new StubNode("zz-kr", "KR", OK); StubNode abroad = new StubNode("zz-us", "US", OK)) {
            String yaml = "local: { jurisdiction: KR, max_sequences: 1, max_queued: 0 }\n"
                    + "models:\n  - { name: stories, path: \"" + model + "\" }\n  - { name: tales, path: \"" + model + "\" }\n"
                    + "routing: { " + FAST + " }\nnodes:\n"
                    + "  - { id: zz-kr, url: \"" + remote.url() + "\", engine: vllm, jurisdiction: KR, tier: high, models: { stories: upstream/stories } }\n"
                    + "  - { id: zz-us, url: \"" + abroad.url() + "\", engine: vllm, jurisdiction: US, tier: high, models: [stories, tales] }\n";
            try (SovereignServer server = Fleets.start(dir, yaml)) {
                String body = "{\"model\":\"%s\",\"max_tokens\":4,\"messages\":[{\"role\":\"user\",\"content\":\"Once\"}]}";
                HttpResponse<String> free = Fleets.post(server, "/v1/chat/completions", body.formatted("stories"), Map.of());
                assertEquals("local", free.headers().firstValue("x-sovereign-node").orElseThrow(), "the local engine first while it has room");
                // Both local models' only slot is taken (max_sequences 1, max_queued 0): their fair-share queues are full.
                var held = List.of(holdSlot(server, "stories"), holdSlot(server, "tales"));
                try {
                    HttpResponse<String> r = Fleets.post(server, "/v1/chat/completions", body.formatted("stories"), Map.of());
                    assertEquals(200, r.statusCode(), r.body());
                    assertEquals("zz-kr", r.headers().firstValue("x-sovereign-node").orElseThrow());
                    assertEquals("Hello from the stub.", Json.parseBody(r.body().getBytes(StandardCharsets.UTF_8)).at("/choices/0/message/content").asText());
                    String requestId = r.headers().firstValue("x-request-id").orElseThrow();
                    long index = Long.parseLong(r.headers().firstValue("x-sovereign-ledger-index").orElseThrow());
                    AuditEntry.Decision d = Fleets.decision(Fleets.ledger(server, index + 1), requestId);
                    assertEquals(List.of(new AuditEntry.Attempt("local", "queue_full"), new AuditEntry.Attempt("zz-kr", "selected")), d.attempts());

                    HttpResponse<String> none = Fleets.post(server, "/v1/chat/completions", body.formatted("tales"), Map.of());
                    assertEquals(429, none.statusCode(), "no compliant remote node serves tales (the US node is not allowed)");
                    assertEquals("rate_limited", Json.parseBody(none.body().getBytes(StandardCharsets.UTF_8)).at("/error/code").asText());
                    assertTrue(none.headers().firstValue("Retry-After").isPresent());
                } finally {
                    held.forEach(ai.sovereign.server.tenancy.Ticket::release);
                }
                assertEquals(0, abroad.completions().size(), "not one request to the US node");
                assertEquals(1, remote.completions().size());
            }
        }
    }

    /** Takes {@code model}'s one fair-share slot (the previous request settles just after its response: wait for it). */
    private static ai.sovereign.server.tenancy.Ticket holdSlot(SovereignServer server, String model) throws InterruptedException {
        long deadline = System.nanoTime() + 5_000_000_000L;
        while (true) {
            if (server.tenancy().admit("default", model, 10) instanceof ai.sovereign.server.tenancy.Admission.Admitted a) {
                return a.ticket();
            }
            assertTrue(System.nanoTime() < deadline, "the slot of " + model + " never came free");
            Thread.sleep(10);
        }
    }

    @Test
    void refusalsNameWhichConstraintRemovedWhichNode() throws Exception {
        try (StubNode us = new StubNode("us-1", "US", OK);
             StubNode kr = new StubNode("kr-1", "KR", HTTP_500);
             SovereignServer server = Fleets.start(dir, "local: { jurisdiction: KR }\n" + fleet(FAST + ", failures_to_open: 2, open_ms: 60000", us, kr))) {
            HttpResponse<String> narrowed = Fleets.post(server, "/v1/chat/completions", chat("x", false), Map.of("x-sovereign-jurisdictions", "US"));
            assertEquals(403, narrowed.statusCode(), "KR-only tenant asking for US gets an empty intersection, never US");
            JsonNode body = Json.parseBody(narrowed.body().getBytes(StandardCharsets.UTF_8));
            assertEquals("jurisdiction_policy", body.at("/error/code").asText());
            assertEquals("[{\"node\":\"local\",\"reason\":\"model_not_served\"},{\"node\":\"us-1\",\"reason\":\"jurisdiction\"},"
                    + "{\"node\":\"kr-1\",\"reason\":\"jurisdiction\"}]", body.at("/sovereign/eliminated").toString());
            assertEquals(400, Fleets.post(server, "/v1/chat/completions", chat("x", false), Map.of("x-sovereign-jurisdictions", "Korea")).statusCode());

            for (int i = 0; i < 2; i++) {
                HttpResponse<String> failed = Fleets.post(server, "/v1/chat/completions", chat("x", i == 0), Map.of());
                assertEquals(502, failed.statusCode(), failed.body());
                JsonNode f = Json.parseBody(failed.body().getBytes(StandardCharsets.UTF_8));
                assertEquals("upstream_error", f.at("/error/code").asText());
                assertEquals("[{\"node\":\"kr-1\",\"result\":\"http_500\"}]", f.at("/sovereign/attempts").toString());
            }
            HttpResponse<String> open = Fleets.post(server, "/v1/chat/completions", chat("x", false), Map.of());
            assertEquals(503, open.statusCode(), "two failures open kr-1's circuit");
            JsonNode o = Json.parseBody(open.body().getBytes(StandardCharsets.UTF_8));
            assertEquals("no_capacity", o.at("/error/code").asText());
            assertTrue(o.at("/sovereign/eliminated").toString().contains("{\"node\":\"kr-1\",\"reason\":\"circuit_open\"}"));
            assertEquals(0, us.completions().size());
            assertEquals(2, kr.completions().size());

            String refusedId = open.headers().firstValue("x-request-id").orElseThrow();
            AuditEntry.Decision d = Fleets.decision(Fleets.ledger(server, 1), refusedId);
            assertTrue(d.eliminations().contains(new AuditEntry.Elimination("kr-1", "circuit_open")), d.eliminations().toString());
        }
    }

    @Test
    void activeProbesEjectAndRestoreANode() throws Exception {
        try (StubNode kr = new StubNode("kr-1", "KR", OK)) {
            Fleet.Node node;
            try (SovereignServer server = Fleets.start(dir, fleet("health_interval_ms: 100, health_timeout_ms: 300", kr))) {
                assertEquals(200, Fleets.post(server, "/v1/chat/completions", chat("x", false), Map.of()).statusCode());
                long probes = kr.received.stream().filter(r -> r.method().equals("GET") && r.path().equals("/v1/models")).count();
                assertTrue(probes >= 1, "GET url + health path");
            }
            ServerConfig config = ServerConfig.load(writeConfig(fleet("", kr)));
            Fleet fleet = Fleet.from(config, Set.of());
            node = fleet.node("kr-1");
            HealthProbes probes = new HealthProbes(fleet, new Egress(fleet.destinations(List.of())), Duration.ofSeconds(60), Duration.ofMillis(300));
            probes.probeAll();
            assertTrue(node.healthy());
            kr.close(); // now nothing listens
            probes.probeAll();
            assertFalse(node.healthy());
            assertTrue(fleet.facts().stream().anyMatch(f -> f.id().equals("kr-1") && !f.healthy()));
        }
        try (StubNode down = new StubNode("down-1", "KR", REFUSED);
             SovereignServer server = Fleets.start(dir.resolve("down"), fleet("health_interval_ms: 100, health_timeout_ms: 300", down))) {
            String models = "";
            for (long deadline = System.nanoTime() + 5_000_000_000L; System.nanoTime() < deadline && !models.contains("unavailable"); Thread.sleep(20)) {
                models = Fleets.get(server, "/v1/models").body();
            }
            assertTrue(models.contains("\"status\":\"unavailable\",\"reason\":\"no node serving it is available now"), models);
            HttpResponse<String> r = Fleets.post(server, "/v1/chat/completions", chat("x", false), Map.of());
            assertEquals(503, r.statusCode());
            assertTrue(r.body().contains("{\"node\":\"down-1\",\"reason\":\"unhealthy\"}"), r.body());
        }
    }

    private Path writeConfig(String yaml) throws Exception {
        Path file = dir.resolve("probe.yaml");
        java.nio.file.Files.writeString(file, yaml);
        return file;
    }

    @Test
    void theFleetReportSumsCapacityAndEnergyByJurisdictionSiteAndAccelerator() throws Exception {
        try (StubNode kr = new StubNode("kr-1", "KR", OK); StubNode us = new StubNode("us-1", "US", OK)) {
            String yaml = fleet(FAST, kr, us).replace("engine: vllm, jurisdiction: KR,",
                    "engine: vllm, site: KR-Sejong, accelerators: { type: H100, count: 8 }, power_watts: 10200, jurisdiction: KR,");
            try (SovereignServer server = Fleets.start(dir, yaml)) {
                for (boolean stream : new boolean[] {true, false}) {
                    assertEquals(200, Fleets.post(server, "/v1/chat/completions", chat("x", stream), Map.of()).statusCode());
                }
                // A request is counted once it has ended on the server, which may be just after the client has its last byte.
                JsonNode report = null;
                JsonNode node = null;
                for (long deadline = System.nanoTime() + 5_000_000_000L; System.nanoTime() < deadline; Thread.sleep(20)) {
                    report = Json.parseBody(Fleets.get(server, "/admin/fleet").body().getBytes(StandardCharsets.UTF_8));
                    for (JsonNode n : report.path("nodes")) {
                        if (n.path("id").asText().equals("kr-1")) {
                            node = n;
                        }
                    }
                    if (node.path("tokens").asLong() == 10 && node.path("in_flight").asInt() == 0) {
                        break;
                    }
                }
                assertEquals(10, node.path("tokens").asLong(), "completion tokens from the node's usage, 5 per request");
                double busy = node.path("busy_seconds").asDouble();
                assertTrue(busy > 0);
                assertEquals(10200 * busy / 10, node.path("joules_per_token").asDouble(), 1e-6);
                assertEquals(10 / busy, node.path("tokens_per_second").asDouble(), 1e-6);
                assertEquals(8, report.at("/by_accelerator/H100/accelerators").asInt());
                assertEquals(0.0102, report.at("/by_accelerator/H100/megawatts").asDouble(), 1e-9);
                assertEquals(2, report.at("/by_jurisdiction/KR/nodes").asInt(), "kr-1 and local");
                assertEquals(0.0102 + 350e-6, report.at("/by_jurisdiction/KR/megawatts").asDouble(), 1e-9);
                assertEquals(1, report.at("/by_site/KR-Sejong/nodes").asInt());
                assertTrue(report.at("/by_jurisdiction/US/joules_per_token").isNull(), "no tokens, no figure");
                String metrics = Fleets.get(server, "/metrics").body();
                assertTrue(metrics.contains("sovereign_node_tokens_total{jurisdiction=\"KR\",node=\"kr-1\"} 10.0"), metrics);
            }
        }
    }

    @Test
    void remoteEmbeddingModelsAreRoutedAndGuardedLikeGenerations() throws Exception {
        try (StubNode failing = new StubNode("a-500", "KR", HTTP_500); StubNode ok = new StubNode("b-ok", "KR", OK);
             StubNode us = new StubNode("c-us", "US", OK)) {
            String yaml = ("models:\n  - { name: emb, remote: true, kind: embedding }\nrouting: { " + FAST + " }\n"
                    + "pii: { PHONE_NUMBER: pseudonymize }\nnodes:\n" + node(failing, "high") + node(ok, "high") + node(us, "high"))
                    .replace("models: { m: upstream/m-7b }", "models: { emb: BAAI/bge-m3 }");
            try (SovereignServer server = Fleets.start(dir, yaml)) {
                HttpResponse<String> r = Fleets.post(server, "/v1/embeddings", "{\"model\":\"emb\",\"input\":[\"call 010-2345-6789\",\"hi\"]}", Map.of());
                assertEquals(200, r.statusCode(), r.body());
                JsonNode body = Json.parseBody(r.body().getBytes(StandardCharsets.UTF_8));
                assertEquals("emb", body.path("model").asText());
                assertEquals(2, body.path("data").size());
                assertEquals("b-ok", r.headers().firstValue("x-sovereign-node").orElseThrow());
                JsonNode sent = Json.parseBody(ok.completions().getFirst().body());
                assertEquals("BAAI/bge-m3", sent.path("model").asText());
                assertFalse(sent.toString().contains("010-2345-6789"), "the node sees the pseudonym only");
                assertEquals(0, us.received.stream().filter(x -> x.method().equals("POST")).count());
                AuditEntry.Decision d = Fleets.decision(Fleets.ledger(server,
                        1 + Long.parseLong(r.headers().firstValue("x-sovereign-ledger-index").orElseThrow())), r.headers().firstValue("x-request-id").orElseThrow());
                assertEquals(List.of(new AuditEntry.Attempt("a-500", "http_500"), new AuditEntry.Attempt("b-ok", "selected")), d.attempts());
                assertEquals(404, Fleets.post(server, "/v1/embeddings", "{\"model\":\"nope\",\"input\":\"x\"}", Map.of()).statusCode());
            }
        }
    }

    @Test
    void aNodeGetsItsOwnKeyFromTheEnvironmentAndNothingElse() throws Exception {
        try (StubNode kr = new StubNode("kr-1", "KR", OK)) {
            ServerConfig config = ServerConfig.load(writeConfig(fleet(FAST, kr).replace("engine: vllm,", "engine: nim, api_key_env: NODE_KEY,")));
            IllegalArgumentException missing = assertThrows(IllegalArgumentException.class, () -> Fleet.from(config, Set.of(), name -> null));
            assertTrue(missing.getMessage().contains("api_key_env names NODE_KEY"), missing.getMessage());
            Fleet fleet = Fleet.from(config, Set.of(), name -> name.equals("NODE_KEY") ? "node-secret-1" : null);
            RemoteClient client = new RemoteClient(new Egress(fleet.destinations(List.of())));
            JsonNode answer = client.call(fleet.node("kr-1"), "/chat/completions",
                    "{\"model\":\"upstream/m-7b\",\"messages\":[{\"role\":\"user\",\"content\":\"x\"}]}".getBytes(StandardCharsets.UTF_8),
                    System.nanoTime() + 5_000_000_000L);
            assertEquals("Hello from the stub.", answer.at("/choices/0/message/content").asText());
            assertTrue(kr.completions().getFirst().head().contains("Authorization: Bearer node-secret-1"), kr.completions().getFirst().head());
        }
    }

    @Test
    void theCircuitOpensAfterConsecutiveFailuresAndOneTrialClosesIt() {
        Circuit c = new Circuit(2, 1_000);
        assertTrue(c.tryAcquire(0));
        c.failure(0);
        assertFalse(c.isOpen(0));
        c.failure(10);
        assertTrue(c.isOpen(500));
        assertFalse(c.tryAcquire(500));
        assertTrue(c.tryAcquire(1_010), "half-open: one trial");
        assertFalse(c.tryAcquire(1_020), "only one");
        assertTrue(c.isOpen(1_020));
        c.failure(1_030);
        assertFalse(c.tryAcquire(1_500), "the trial failed: open again");
        assertTrue(c.tryAcquire(2_040));
        c.success();
        assertFalse(c.isOpen(2_050));
        assertTrue(c.tryAcquire(2_050));
    }

    @Test
    void witnessPostsLeaveThroughEgressAndOnlyToConfiguredWitnesses() throws Exception {
        String vkey = ai.sovereign.ledger.Witness.open(dir.resolve("witness"), "regulator.example.kr/witness", List.of()).verifierKey();
        try (StubNode witness = new StubNode("witness", "KR", OK); StubNode other = new StubNode("other", "KR", OK)) {
            // A configured witness is on the allowlist: the server's checkpoints reach it.
            String yaml = "ledger: { witnesses: [ { url: \"http://127.0.0.1:" + witness.port + "/w\", vkey: \"" + vkey + "\" } ] }\n";
            try (SovereignServer server = Fleets.start(dir.resolve("serve"), yaml)) {
                long deadline = System.nanoTime() + 5_000_000_000L;
                while (witness.received.isEmpty() && System.nanoTime() < deadline) {
                    Thread.sleep(20);
                }
                assertEquals("/w/add-checkpoint", witness.received.getFirst().path());
            }
            // Any other destination is refused before a socket opens; the ledger publishes without that cosignature.
            Egress egress = new Egress(Set.of("127.0.0.1:" + witness.port));
            URI elsewhere = URI.create("http://127.0.0.1:" + other.port + "/w");
            assertThrows(java.io.IOException.class, () -> egress.witness(HttpRequest.newBuilder(elsewhere.resolve("/w/add-checkpoint"))
                    .POST(HttpRequest.BodyPublishers.ofString("old 0\n")).build()));
            Path key = dir.resolve("log.key");
            ai.sovereign.ledger.Ledger.Options options = new ai.sovereign.ledger.Ledger.Options(4096, Duration.ofMillis(50), Duration.ZERO,
                    List.of(new ai.sovereign.ledger.Ledger.WitnessEndpoint(elsewhere, vkey)), egress::witness);
            try (ai.sovereign.ledger.Ledger log = ai.sovereign.ledger.Ledger.open(dir.resolve("log"), key, "factory.example.kr/log", options)) {
                log.append(new byte[] {1});
                assertTrue(log.publish().startsWith("factory.example.kr/log\n1\n"));
            }
            assertEquals(0, other.received.size(), "nothing reached an unconfigured witness");
        }
    }

    @Test
    void egressReachesOnlyRegisteredDestinations() throws Exception {
        try (StubNode allowed = new StubNode("a", "KR", OK); StubNode other = new StubNode("b", "KR", OK)) {
            Egress egress = new Egress(Set.of("127.0.0.1:" + allowed.port));
            HttpRequest ok = HttpRequest.newBuilder(URI.create(allowed.url() + "/models")).GET().build();
            assertEquals(200, egress.send(ok, HttpResponse.BodyHandlers.discarding(), Duration.ofSeconds(1)).join().statusCode());
            for (String url : List.of(other.url() + "/models", "http://localhost:" + allowed.port + "/v1/models", "http://[::1]:" + allowed.port + "/v1/models")) {
                HttpRequest refused = HttpRequest.newBuilder(URI.create(url)).GET().build();
                assertThrows(Egress.RefusedException.class, () -> egress.send(refused, HttpResponse.BodyHandlers.discarding(), Duration.ofSeconds(1)));
            }
            assertEquals(0, other.received.size(), "nothing reached the unregistered node");
            assertEquals(1, allowed.received.size());
        }
    }

    @Test
    void tenantsAuthenticateByKeyAndCarryTheirOwnPolicies() throws Exception {
        String yaml = fleet(FAST) + "tenants:\n"
                + "  - { id: ministry, jurisdictions: [KR], min_tier: 상, pii: { PHONE_NUMBER: pseudonymize }, api_keys: [ { sha256: \"" + sha("key-m") + "\" } ] }\n"
                + "  - { id: lab, jurisdictions: [KR, US], api_keys: [ { sha256: \"" + sha("key-l") + "\" } ] }\n"
                + "  - { id: abroad, jurisdictions: [US], api_keys: [ { sha256: \"" + sha("key-u") + "\" } ] }\n";
        try (StubNode kr = new StubNode("kr-1", "KR", OK); StubNode us = new StubNode("us-1", "US", OK)) {
            String phone = "010-2345-6789";
            kr.answer = null; // echo: the stub answers with what it received
            try (SovereignServer server = Fleets.start(dir, yaml.replace("nodes:\n", "nodes:\n" + node(kr, "moderate") + node(us, "low")))) {
                assertEquals(401, Fleets.post(server, "/v1/chat/completions", chat("x", false), Map.of()).statusCode());
                HttpResponse<String> bad = Fleets.post(server, "/v1/chat/completions", chat("x", false), Map.of("Authorization", "Bearer nope"));
                assertEquals(401, bad.statusCode());
                assertEquals("invalid_api_key", Json.parseBody(bad.body().getBytes(StandardCharsets.UTF_8)).at("/error/code").asText());
                assertEquals(401, Fleets.get(server, "/v1/models").statusCode());
                assertEquals(200, Fleets.get(server, "/health/live").statusCode());

                HttpResponse<String> embed = Fleets.post(server, "/v1/embeddings", "{\"model\":\"all-minilm-l6-v2\",\"input\":\"hi\"}",
                        Map.of("Authorization", "Bearer key-u"));
                assertEquals(403, embed.statusCode(), "the embedded model runs on the KR local node, which a US-only tenant may not use");
                assertTrue(embed.body().contains("{\"node\":\"local\",\"reason\":\"jurisdiction\"}"), embed.body());
                assertEquals(200, Fleets.post(server, "/v1/embeddings", "{\"model\":\"all-minilm-l6-v2\",\"input\":\"hi\"}",
                        Map.of("Authorization", "Bearer key-l")).statusCode());

                HttpResponse<String> ministry = Fleets.post(server, "/v1/chat/completions", chat("x", false), Map.of("Authorization", "Bearer key-m"));
                assertEquals(403, ministry.statusCode(), "kr-1 is moderate, ministry needs high (상)");
                assertTrue(ministry.body().contains("{\"node\":\"kr-1\",\"reason\":\"tier\"}"), ministry.body());

                HttpResponse<String> lab = Fleets.post(server, "/v1/chat/completions", chat("call " + phone, true),
                        Map.of("Authorization", "Bearer key-l", "x-sovereign-jurisdictions", "US"));
                assertEquals(200, lab.statusCode(), lab.body());
                assertEquals("us-1", lab.headers().firstValue("x-sovereign-node").orElseThrow());
                assertEquals(0, kr.completions().size());
                AuditEntry.Decision d = Fleets.decision(Fleets.ledger(server,
                        1 + Long.parseLong(lab.headers().firstValue("x-sovereign-ledger-index").orElseThrow())), lab.headers().firstValue("x-request-id").orElseThrow());
                assertEquals("lab", d.tenantId());
                assertEquals("sha256:" + sha("key-l").substring(0, 8), d.keyId());
            }
            String ministryPseudonymized = fleet(FAST, kr) + "tenants:\n"
                    + "  - { id: ministry, jurisdictions: [KR], pii: { PHONE_NUMBER: pseudonymize }, api_keys: [ { sha256: \"" + sha("key-m") + "\" } ] }\n";
            try (SovereignServer server = Fleets.start(dir.resolve("second"), ministryPseudonymized)) {
                for (boolean stream : new boolean[] {true, false}) {
                    HttpResponse<String> r = Fleets.post(server, "/v1/chat/completions", chat("call " + phone + " now", stream),
                            Map.of("Authorization", "Bearer key-m"));
                    assertEquals(200, r.statusCode(), r.body());
                    String text = stream ? Fleets.streamedText(Fleets.events(r.body()))
                            : Json.parseBody(r.body().getBytes(StandardCharsets.UTF_8)).at("/choices/0/message/content").asText();
                    assertEquals("call " + phone + " now", text, "the pseudonym the node echoed comes back as the original");
                }
                for (StubNode.Received got : kr.completions()) {
                    assertFalse(got.text().contains(phone), "the node never sees the phone number");
                    assertFalse(got.text().contains("key-m"), "nor the tenant's API key");
                    assertTrue(got.text().contains("[PHONE_NUMBER_"), got.text());
                }
            }
        }
    }

    static String sha(String key) throws Exception {
        return HexFormat.of().formatHex(MessageDigest.getInstance("SHA-256").digest(key.getBytes(StandardCharsets.UTF_8)));
    }

    @Test
    void configErrorsNameTheKey() throws Exception {
        String base = "models:\n  - { name: m, remote: true }\n";
        List<String[]> cases = new ArrayList<>();
        cases.add(new String[] {"nodes:\n  - { id: n, url: \"http://h:1/v1\", engine: vllm, jurisdiction: KOR, tier: high, models: [m] }\n", "nodes[0].jurisdiction"});
        cases.add(new String[] {"nodes:\n  - { id: n, url: \"http://h:1/v1\", engine: vllm, jurisdiction: KR, tier: top, models: [m] }\n", "nodes[0].tier"});
        cases.add(new String[] {"nodes:\n  - { id: n, url: \"http://h:1/v1\", engine: vllm, jurisdiction: KR, tier: high, models: [x] }\n", "nodes[0].models"});
        cases.add(new String[] {"nodes:\n  - { id: n, url: \"http://h:1/v1\", engine: vllm, jurisdiction: KR, tier: high, gpu: 1 }\n", "gpu"});
        cases.add(new String[] {"nodes:\n  - { id: n, url: \"http://h:1/v1\", engine: triton, jurisdiction: KR, tier: high }\n", "nodes[0].engine"});
        cases.add(new String[] {"nodes:\n  - { id: local, url: \"http://h:1/v1\", engine: vllm, jurisdiction: KR, tier: high }\n", "nodes[0].id"});
        cases.add(new String[] {"tenants:\n  - { id: t, jurisdictions: [XX] }\n", "tenants[0].jurisdictions"});
        cases.add(new String[] {"tenants:\n  - { id: t, api_keys: [ { sha256: abc } ] }\n", "tenants[0].api_keys[0].sha256"});
        cases.add(new String[] {"tenants:\n  - { id: t, quota: {} }\n", "quota"});
        for (String[] c : cases) {
            Path file = dir.resolve("bad.yaml");
            java.nio.file.Files.writeString(file, base + c[0]);
            IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> ServerConfig.load(file), c[0]);
            assertTrue(e.getMessage().contains(c[1]), e.getMessage());
        }
        Path file = dir.resolve("good.yaml");
        java.nio.file.Files.writeString(file, base + "nodes:\n  - id: sejong-1\n    url: \"http://10.0.0.5:8000/v1\"\n    engine: vllm\n"
                + "    jurisdiction: KR\n    site: KR-Sejong\n    tier: high\n    operator: \"Example Cloud\"\n    accelerators: { type: H100, count: 8 }\n"
                + "    power_watts: 10200\n    models: { m: \"LGAI-EXAONE/EXAONE-3.5-32B-Instruct\" }\n    health: /models\n"
                + "tenants:\n  - id: ministry-a\n    jurisdictions: [KR]\n    min_tier: moderate\n    pii: { KR_RRN: block, PHONE_NUMBER: pseudonymize, default: redact }\n"
                + "    quotas: { requests_per_minute: 600, tokens_per_minute: 100000, tokens_per_day: 5000000 }\n    share: { weight: 3, priority: normal }\n"
                + "    api_keys: [ { sha256: \"" + sha("k") + "\" } ]\n");
        ServerConfig config = ServerConfig.load(file);
        Fleet.Node n = Fleet.from(config, Set.of()).node("sejong-1");
        assertEquals("H100", n.acceleratorType);
        assertEquals(8, n.acceleratorCount);
        assertEquals("LGAI-EXAONE/EXAONE-3.5-32B-Instruct", n.models.get("m"));
        assertEquals("ministry-a", ConfigTenants.from(config).authenticate("Bearer k").tenant().id());
    }
}
