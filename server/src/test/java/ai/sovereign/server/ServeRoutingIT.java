package ai.sovereign.server;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.sovereign.engine.Fixtures;
import ai.sovereign.ledger.AuditEntry;
import ai.sovereign.ledger.Checkpoint;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.ByteBuffer;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Two real {@code sovereign serve} processes: B serves stories260K in-process; A has no local model and registers B as
 * a remote node ({@code engine: sovereign}). A's answers are B's (greedy, so the same text), streamed and whole, with
 * A's headers and ledger naming node B.
 */
class ServeRoutingIT {
    private static final ObjectMapper JSON = new ObjectMapper();
    private static final String STORIES_SHA = "270cba1bd5109f42d03350f60406024560464db173c0e387d91f0426d3bd256d";

    private static String chat(String extra) {
        return "{\"model\":\"stories\",\"messages\":[{\"role\":\"user\",\"content\":\"Once upon a time\"}],\"max_tokens\":8,\"temperature\":0" + extra + "}";
    }

    @Test
    void aServeProcessRoutesToAnotherAsARemoteNode(@TempDir Path dir) throws Exception {
        Path b = Files.createDirectories(dir.resolve("b"));
        Path a = Files.createDirectories(dir.resolve("a"));
        try (ServeProcess nodeB = ServeProcess.start(b, "--model", "stories=" + Fixtures.shared("models/stories260K.gguf"))) {
            Files.writeString(a.resolve("sovereign.yaml"), """
                    local: { jurisdiction: KR }
                    models:
                      - { name: stories, remote: true, sha256: "%s" }
                    nodes:
                      - id: node-b
                        url: "%s/v1"
                        engine: sovereign
                        jurisdiction: KR
                        site: KR-Sejong
                        tier: high
                        accelerators: { type: CPU, count: 1 }
                        power_watts: 200
                        models: [stories]
                    """.formatted(STORIES_SHA, nodeB.baseUrl));
            try (ServeProcess front = ServeProcess.start(a, "--config", a.resolve("sovereign.yaml").toString())) {
                HttpResponse<String> direct = nodeB.post("/v1/chat/completions", chat(""));
                assertEquals(200, direct.statusCode(), direct.body());
                String expected = JSON.readTree(direct.body()).at("/choices/0/message/content").asText();
                assertFalse(expected.isEmpty());

                HttpResponse<String> whole = front.post("/v1/chat/completions", chat(""));
                assertEquals(200, whole.statusCode(), whole.body() + front.stderr());
                JsonNode body = JSON.readTree(whole.body());
                assertEquals(expected, body.at("/choices/0/message/content").asText());
                assertEquals("stories", body.path("model").asText());
                assertEquals("node-b", body.at("/sovereign/node").asText());
                assertEquals("KR", body.at("/sovereign/jurisdiction").asText());
                assertTrue(body.at("/usage/completion_tokens").asInt() > 0, "usage from the node");
                assertEquals("node-b", whole.headers().firstValue("x-sovereign-node").orElseThrow());
                assertEquals("KR", whole.headers().firstValue("x-sovereign-jurisdiction").orElseThrow());
                assertEquals(STORIES_SHA, whole.headers().firstValue("x-sovereign-model-sha256").orElseThrow());

                HttpResponse<String> stream = front.post("/v1/chat/completions", chat(",\"stream\":true,\"stream_options\":{\"include_usage\":true}"));
                assertEquals(200, stream.statusCode());
                assertEquals("node-b", stream.headers().firstValue("x-sovereign-node").orElseThrow());
                List<String> events = Fleets.events(stream.body());
                assertEquals("[DONE]", events.getLast());
                assertEquals(expected, Fleets.streamedText(events));
                JsonNode usage = JSON.readTree(events.get(events.size() - 2));
                assertTrue(usage.at("/usage/completion_tokens").asInt() > 0, "the usage chunk the client asked for");

                HttpResponse<String> completion = front.post("/v1/completions",
                        "{\"model\":\"stories\",\"prompt\":\"Once upon a time\",\"max_tokens\":5,\"temperature\":0}");
                assertEquals(200, completion.statusCode(), completion.body());
                assertEquals("node-b", JSON.readTree(completion.body()).at("/sovereign/node").asText());

                long index = Long.parseLong(stream.headers().firstValue("x-sovereign-ledger-index").orElseThrow());
                AuditEntry.Decision d = decision(front, index);
                assertEquals(stream.headers().firstValue("x-request-id").orElseThrow(), d.requestId());
                assertEquals("node-b", d.node());
                assertEquals("KR", d.jurisdiction());
                assertEquals("high", d.tier());
                assertEquals(List.of("node-b"), d.candidates());
                assertEquals(List.of(new AuditEntry.Elimination("local", "model_not_served")), d.eliminations());
                assertEquals(List.of(new AuditEntry.Attempt("node-b", "selected")), d.attempts());
                assertEquals(STORIES_SHA, d.modelSha256().hex());
                String fleet = front.get("/v1/models").body();
                assertTrue(fleet.contains("\"status\":\"available\""), fleet);
            }
        }
    }

    /**
     * The local engine is a node with its own tier: a tenant that needs tier moderate or better skips the low-tier
     * local engine for node B; a tenant without a minimum may use either.
     */
    @Test
    void theLocalEngineIsANodeThatPolicyCanSetAside(@TempDir Path dir) throws Exception {
        Path b = Files.createDirectories(dir.resolve("b"));
        Path a = Files.createDirectories(dir.resolve("a"));
        String stories = Fixtures.shared("models/stories260K.gguf").toString();
        try (ServeProcess nodeB = ServeProcess.start(b, "--model", "stories=" + stories)) {
            Files.writeString(a.resolve("sovereign.yaml"), """
                    local: { jurisdiction: KR, tier: low }
                    models:
                      - { name: stories, path: "%s", sha256: "%s" }
                    nodes:
                      - { id: node-b, url: "%s/v1", engine: sovereign, jurisdiction: KR, tier: high, models: [stories] }
                    tenants:
                      - { id: strict, min_tier: moderate, api_keys: [ { sha256: "%s" } ] }
                      - { id: relaxed, api_keys: [ { sha256: "%s" } ] }
                    """.formatted(stories, STORIES_SHA, nodeB.baseUrl, RemoteRoutingTest.sha("strict-key"), RemoteRoutingTest.sha("relaxed-key")));
            try (ServeProcess front = ServeProcess.start(a, "--config", a.resolve("sovereign.yaml").toString())) {
                HttpResponse<String> strict = post(front, "strict-key");
                assertEquals(200, strict.statusCode(), strict.body());
                assertEquals("node-b", strict.headers().firstValue("x-sovereign-node").orElseThrow());
                AuditEntry.Decision d = decision(front, Long.parseLong(strict.headers().firstValue("x-sovereign-ledger-index").orElseThrow()));
                assertEquals(List.of(new AuditEntry.Elimination("local", "tier")), d.eliminations());
                assertEquals("strict", d.tenantId());

                HttpResponse<String> relaxed = post(front, "relaxed-key");
                assertEquals(200, relaxed.statusCode(), relaxed.body());
                String node = relaxed.headers().firstValue("x-sovereign-node").orElseThrow();
                assertTrue(node.equals("local") || node.equals("node-b"), node);
                assertEquals(401, front.post("/v1/chat/completions", chat("")).statusCode(), "tenants configured: a key is required");
            }
        }
    }

    private static HttpResponse<String> post(ServeProcess s, String key) throws Exception {
        return HttpClient.newHttpClient().send(HttpRequest.newBuilder(URI.create(s.baseUrl + "/v1/chat/completions"))
                .header("Content-Type", "application/json").header("Authorization", "Bearer " + key)
                .POST(HttpRequest.BodyPublishers.ofString(chat(""))).build(), HttpResponse.BodyHandlers.ofString());
    }

    private static AuditEntry.Decision decision(ServeProcess s, long index) throws Exception {
        String vkey = s.get("/ledger/vkey").body().strip();
        long deadline = System.nanoTime() + 5_000_000_000L;
        Checkpoint cp = Checkpoint.open(s.get("/ledger/checkpoint").body(), vkey).orThrow();
        while (cp.size() <= index && System.nanoTime() < deadline) {
            Thread.sleep(50);
            cp = Checkpoint.open(s.get("/ledger/checkpoint").body(), vkey).orThrow();
        }
        long width = Math.min(256, cp.size());
        String path = "/ledger/tile/entries/000" + (width < 256 ? ".p/" + width : "");
        HttpResponse<byte[]> r = HttpClient.newHttpClient().send(HttpRequest.newBuilder(URI.create(s.baseUrl + path)).build(),
                HttpResponse.BodyHandlers.ofByteArray());
        ByteBuffer buf = ByteBuffer.wrap(r.body());
        List<AuditEntry> entries = new ArrayList<>();
        while (buf.hasRemaining()) {
            byte[] e = new byte[buf.getShort() & 0xffff];
            buf.get(e);
            entries.add(AuditEntry.decode(e).orThrow());
        }
        return (AuditEntry.Decision) entries.get((int) index);
    }
}
