package ai.sovereign.server;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.sovereign.engine.Fixtures;
import ai.sovereign.ledger.AuditEntry;
import ai.sovereign.ledger.Checkpoint;
import ai.sovereign.ledger.ConsistencyProof;
import ai.sovereign.ledger.Hash;
import ai.sovereign.ledger.InclusionProof;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.InputStream;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Guarantee 3 end to end, against real serve processes: every served request is on the ledger
 * (decision durable before the first response byte, then its outcome), the log verifies with
 * public formats, entries hold no prompt text, and an acknowledged entry survives SIGKILL.
 */
class LedgerIT {
    private static final ObjectMapper JSON = new ObjectMapper();
    private static final String STORIES_SHA = "270cba1bd5109f42d03350f60406024560464db173c0e387d91f0426d3bd256d";

    private static ServeProcess serve(Path dir) throws Exception {
        return ServeProcess.start(dir, "--model", "stories=" + Fixtures.shared("models/stories260K.gguf"));
    }

    private static String chat(String content, String extra) {
        return "{\"model\":\"stories\",\"messages\":[{\"role\":\"user\",\"content\":\"" + content + "\"}]" + extra + "}";
    }

    @Test
    void servedRequestsAreOnTheLedgerVerifiablyAndWithoutContent(@TempDir Path dir) throws Exception {
        String secret = "PLANTED-LEDGER-SECRET-" + System.nanoTime();
        try (ServeProcess s = serve(dir)) {
            String vkey = s.get("/ledger/vkey").body().strip();
            assertTrue(s.stderr().contains("verifier key " + vkey), "the verifier key is printed at start");
            Checkpoint before = waitForCheckpoint(s, vkey, 3); // config.loaded and two model registrations

            HttpResponse<String> r = s.post("/v1/chat/completions", chat(secret, ",\"max_tokens\":4"));
            assertEquals(200, r.statusCode(), r.body());
            String requestId = r.headers().firstValue("x-request-id").orElseThrow();
            long index = Long.parseLong(r.headers().firstValue("x-sovereign-ledger-index").orElseThrow());
            JsonNode body = JSON.readTree(r.body());
            assertEquals(index, body.at("/sovereign/ledger_index").asLong());

            // A refusal carrying the same secret, and an embedding: both recorded, neither with content.
            HttpResponse<String> refused = s.post("/v1/chat/completions", chat(secret, ",\"max_tokens\":999999"));
            assertEquals(400, refused.statusCode());
            String refusedId = refused.headers().firstValue("x-request-id").orElseThrow();
            HttpResponse<String> emb = s.post("/v1/embeddings", "{\"model\":\"all-minilm-l6-v2\",\"input\":\"" + secret + "\"}");
            assertEquals(200, emb.statusCode(), emb.body());
            long embIndex = Long.parseLong(emb.headers().firstValue("x-sovereign-ledger-index").orElseThrow());

            long seq = 20;
            for (int i = 0; i < seq; i++) {
                assertEquals(200, s.post("/v1/chat/completions", chat("Once upon a time", ",\"max_tokens\":1")).statusCode());
            }
            String metrics = s.get("/metrics").body();
            System.out.printf("ledger: decision append (fsync) mean %.2f ms over %s requests%n",
                    1000 * metric(metrics, "sovereign_ledger_append_seconds_sum") / metric(metrics, "sovereign_ledger_append_seconds_count"),
                    (long) metric(metrics, "sovereign_ledger_append_seconds_count"));

            Checkpoint cp = waitForCheckpoint(s, vkey, index + 6 + 2 * seq);
            HttpResponse<String> cpResponse = s.get("/ledger/checkpoint");
            assertTrue(cpResponse.headers().firstValue("content-type").orElse("").startsWith("text/plain"));
            assertEquals("no-cache", cpResponse.headers().firstValue("cache-control").orElseThrow());

            List<byte[]> entries = entries(s, cp.size());
            List<AuditEntry> decoded = entries.stream().map(e -> AuditEntry.decode(e).orThrow()).toList();
            AuditEntry.Decision d = (AuditEntry.Decision) decoded.get((int) index);
            assertEquals(requestId, d.requestId());
            assertEquals("stories", d.model());
            assertEquals(STORIES_SHA, d.modelSha256().hex());
            assertEquals("/v1/chat/completions", d.endpoint());
            assertEquals("KR", d.jurisdiction());
            assertEquals("local", d.node());
            assertNotNull(d.requestHmac());
            AuditEntry.Outcome o = outcome(decoded, requestId);
            assertEquals(index, o.decisionIndex());
            assertEquals(200, o.status());
            assertEquals(4, o.completionTokens());
            assertEquals(List.of("length"), o.finishReasons());
            assertTrue(o.energyMillijoules() > 0, "an energy estimate");
            assertNotNull(o.responseHmac());

            AuditEntry.Outcome ro = outcome(decoded, refusedId);
            assertEquals(400, ro.status());
            AuditEntry.Decision rd = (AuditEntry.Decision) decoded.get((int) ro.decisionIndex());
            assertEquals(refusedId, rd.requestId());
            assertEquals("", rd.model(), "a refusal names no model the caller typed");
            AuditEntry.Decision ed = (AuditEntry.Decision) decoded.get((int) embIndex);
            assertEquals("all-minilm-l6-v2", ed.model());
            String onnxSha = embeddingWeightsSha256();
            assertEquals(onnxSha, ed.modelSha256().hex(), "an embedding's decision names the ONNX weights' SHA-256");
            assertTrue(decoded.stream().anyMatch(e -> e instanceof AuditEntry.AdminEvent a && a.action().equals("model.registered")
                    && a.subject().equals("all-minilm-l6-v2") && onnxSha.equals(a.attribute("sha256"))));
            assertTrue(decoded.stream().anyMatch(e -> e instanceof AuditEntry.AdminEvent a && a.action().equals("model.registered")
                    && a.subject().equals("stories") && STORIES_SHA.equals(a.attribute("sha256"))));

            // The inclusion proof for the decision verifies against the signed checkpoint's root.
            JsonNode proof = JSON.readTree(s.get("/ledger/proof/inclusion?index=" + index + "&size=" + cp.size()).body());
            InclusionProof p = new InclusionProof(proof.get("index").asLong(), proof.get("size").asLong(),
                    Hash.ofBase64(proof.get("leaf_hash").asText()), toHashes(proof.get("hashes")));
            assertTrue(p.verify(cp.root()).isOk(), p.verify(cp.root()).reason());
            assertArrayEquals(leafHash(entries.get((int) index)), p.leafHash().bytes());
            JsonNode cons = JSON.readTree(s.get("/ledger/proof/consistency?old=" + before.size() + "&new=" + cp.size()).body());
            assertTrue(new ConsistencyProof(before.size(), cp.size(), toHashes(cons.get("hashes"))).verify(before.root(), cp.root()).isOk());
            assertEquals(400, s.get("/ledger/proof/inclusion?index=abc").statusCode());
            assertEquals(400, s.get("/ledger/proof/inclusion?index=" + (cp.size() + 1000)).statusCode());
            assertEquals(400, s.get("/ledger/proof/consistency?old=5&new=2").statusCode());
            assertEquals(404, s.get("/ledger/tile/0/999").statusCode());
            assertEquals(404, s.get("/ledger/nothing").statusCode());

            // The public verifier, as an outsider runs it.
            CliIT.Run verify = CliIT.sovereign(dir, "ledger", "verify", "--url", s.baseUrl + "/ledger/", "--vkey", vkey);
            assertEquals(0, verify.exit(), verify.err());
            assertTrue(verify.out().startsWith("ok: sovereign.local/ledger size "), verify.out());

            // No prompt text anywhere in the ledger: tiles, bundles, checkpoint, journal, keys.
            try (Stream<Path> files = Files.walk(dir.resolve("data"))) {
                for (Path f : files.filter(Files::isRegularFile).toList()) {
                    assertFalse(new String(Files.readAllBytes(f), StandardCharsets.ISO_8859_1).contains(secret), f + " holds prompt text");
                }
            }
            assertFalse(s.get("/ledger/checkpoint").body().contains(secret));
        }
    }

    @Test
    void aStreamsDecisionIsDurableBeforeItsFirstByte(@TempDir Path dir) throws Exception {
        try (ServeProcess s = serve(dir)) {
            HttpRequest req = HttpRequest.newBuilder(URI.create(s.baseUrl + "/v1/chat/completions")).timeout(Duration.ofSeconds(60))
                    .header("Content-Type", "application/json")
                    .POST(HttpRequest.BodyPublishers.ofString(chat("Once upon a time", ",\"max_tokens\":32,\"stream\":true"))).build();
            HttpResponse<InputStream> r = HttpClient.newHttpClient().send(req, HttpResponse.BodyHandlers.ofInputStream());
            String header = r.headers().firstValue("x-sovereign-ledger-index").orElse(null);
            assertNotNull(header, "the index comes with the stream's headers");
            long index = Long.parseLong(header);
            // Before reading a byte of the stream: the entry is already durable (a proof at size index+1 exists).
            assertEquals(200, s.get("/ledger/proof/inclusion?index=" + index + "&size=" + (index + 1)).statusCode());
            try (InputStream in = r.body()) {
                String sse = new String(in.readAllBytes(), StandardCharsets.UTF_8);
                assertTrue(sse.endsWith("data: [DONE]\n\n"));
            }
        }
    }

    @Test
    void anAcknowledgedEntrySurvivesSigkill(@TempDir Path dir) throws Exception {
        String requestId;
        long index;
        try (ServeProcess s = serve(dir)) {
            HttpResponse<String> r = s.post("/v1/chat/completions", chat("Once upon a time", ",\"max_tokens\":2"));
            assertEquals(200, r.statusCode());
            requestId = r.headers().firstValue("x-request-id").orElseThrow();
            index = Long.parseLong(r.headers().firstValue("x-sovereign-ledger-index").orElseThrow());
            s.process.destroyForcibly(); // SIGKILL, right after the response: no shutdown hook runs
            s.process.waitFor();
        }
        try (ServeProcess s = serve(dir)) {
            String vkey = s.get("/ledger/vkey").body().strip();
            Checkpoint cp = waitForCheckpoint(s, vkey, index + 1);
            AuditEntry.Decision d = (AuditEntry.Decision) AuditEntry.decode(entries(s, cp.size()).get((int) index)).orThrow();
            assertEquals(requestId, d.requestId(), "the acknowledged decision is still at its index");
            CliIT.Run verify = CliIT.sovereign(dir, "ledger", "verify", "--url", s.baseUrl + "/ledger/", "--vkey", vkey);
            assertEquals(0, verify.exit(), verify.err());
            CliIT.Run local = CliIT.sovereign(dir, "ledger", "verify", "--dir", dir.resolve("data/ledger").toString(), "--vkey", vkey);
            assertEquals(0, local.exit(), local.err());
        }
    }

    @Test
    void refusalsAnsweredBeforeAGracefulStopAreOnTheLedgerAfterIt(@TempDir Path dir) throws Exception {
        int n = 40;
        List<String> refused = new ArrayList<>();
        try (ServeProcess s = serve(dir)) {
            List<java.util.concurrent.CompletableFuture<HttpResponse<String>>> calls = new ArrayList<>();
            HttpClient http = HttpClient.newHttpClient();
            for (int i = 0; i < n; i++) {
                calls.add(http.sendAsync(HttpRequest.newBuilder(URI.create(s.baseUrl + "/v1/chat/completions"))
                        .header("Content-Type", "application/json").POST(HttpRequest.BodyPublishers.ofString("{not json " + i))
                        .build(), HttpResponse.BodyHandlers.ofString()));
            }
            for (var call : calls) {
                HttpResponse<String> r = call.join();
                assertEquals(400, r.statusCode(), r.body());
                refused.add(r.headers().firstValue("x-request-id").orElseThrow());
            }
            s.process.destroy(); // SIGTERM as soon as the last refusal is answered: their entries are still being appended
            assertTrue(s.process.waitFor(30, java.util.concurrent.TimeUnit.SECONDS));
            assertTrue(s.stderr().lines().noneMatch(l -> l.contains("cannot record the refusal")), s.stderr());
        }
        try (ServeProcess s = serve(dir)) {
            String vkey = s.get("/ledger/vkey").body().strip();
            Checkpoint cp = waitForCheckpoint(s, vkey, 3 + 2L * n);
            List<AuditEntry> decoded = entries(s, cp.size()).stream().map(e -> AuditEntry.decode(e).orThrow()).toList();
            for (String id : refused) {
                AuditEntry.Outcome o = outcome(decoded, id);
                assertEquals(400, o.status());
                assertEquals(id, ((AuditEntry.Decision) decoded.get((int) o.decisionIndex())).requestId());
            }
        }
    }

    // ---------------------------------------------------------------- helpers

    private static String embeddingWeightsSha256() throws Exception {
        MessageDigest sha = MessageDigest.getInstance("SHA-256");
        try (InputStream in = dev.langchain4j.model.embedding.onnx.allminilml6v2.AllMiniLmL6V2EmbeddingModel.class
                .getResourceAsStream("/all-minilm-l6-v2.onnx")) {
            byte[] buffer = new byte[1 << 20];
            for (int r; (r = in.read(buffer)) > 0; ) {
                sha.update(buffer, 0, r);
            }
        }
        return java.util.HexFormat.of().formatHex(sha.digest());
    }

    private static Checkpoint waitForCheckpoint(ServeProcess s, String vkey, long minSize) throws Exception {
        long deadline = System.nanoTime() + 5_000_000_000L;
        while (true) {
            Checkpoint cp = Checkpoint.open(s.get("/ledger/checkpoint").body(), vkey).orThrow();
            if (cp.size() >= minSize || System.nanoTime() > deadline) {
                assertTrue(cp.size() >= minSize, "checkpoint size " + cp.size() + " < " + minSize);
                return cp;
            }
            Thread.sleep(50);
        }
    }

    /** Every entry up to {@code size}, from the served entry bundles (full and partial). */
    private static List<byte[]> entries(ServeProcess s, long size) throws Exception {
        List<byte[]> out = new ArrayList<>();
        HttpClient http = HttpClient.newHttpClient();
        for (long n = 0; n * 256 < size; n++) {
            assertTrue(n < 1000, "the test's path helper covers the first 256,000 entries");
            long width = Math.min(256, size - n * 256);
            String path = "/ledger/tile/entries/" + String.format("%03d", n) + (width < 256 ? ".p/" + width : "");
            HttpResponse<byte[]> r = http.send(HttpRequest.newBuilder(URI.create(s.baseUrl + path)).build(), HttpResponse.BodyHandlers.ofByteArray());
            assertEquals(200, r.statusCode(), path);
            assertEquals("application/octet-stream", r.headers().firstValue("content-type").orElseThrow());
            assertEquals(width < 256 ? "public, max-age=60" : "public, max-age=31536000, immutable",
                    r.headers().firstValue("cache-control").orElseThrow());
            ByteBuffer b = ByteBuffer.wrap(r.body());
            while (b.hasRemaining()) {
                byte[] e = new byte[b.getShort() & 0xffff];
                b.get(e);
                out.add(e);
            }
        }
        assertEquals(size, out.size());
        return out;
    }

    private static AuditEntry.Outcome outcome(List<AuditEntry> entries, String requestId) {
        return entries.stream().filter(e -> e instanceof AuditEntry.Outcome o && o.requestId().equals(requestId))
                .map(e -> (AuditEntry.Outcome) e).findFirst().orElseThrow(() -> new AssertionError("no outcome for " + requestId));
    }

    private static List<Hash> toHashes(JsonNode array) {
        List<Hash> out = new ArrayList<>();
        array.forEach(h -> out.add(Hash.ofBase64(h.asText())));
        return out;
    }

    private static byte[] leafHash(byte[] entry) throws Exception {
        MessageDigest sha = MessageDigest.getInstance("SHA-256");
        sha.update((byte) 0);
        return sha.digest(entry);
    }

    private static double metric(String text, String name) {
        for (String line : text.split("\n")) {
            if (line.startsWith(name + " ")) {
                return Double.parseDouble(line.substring(name.length() + 1).trim());
            }
        }
        throw new AssertionError("no metric " + name);
    }
}
