package ai.sovereign.server;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.sovereign.engine.Fixtures;
import ai.sovereign.ledger.AuditEntry;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The PII guard in a real serve process: a blocked identifier never reaches the engine (no served decision, engine
 * counters flat), and with pseudonymize/redact the request is served while the ledger, the data directory, the log and
 * /metrics hold no planted identifier.
 */
class PiiGuardIT {
    private static final ObjectMapper JSON = new ObjectMapper();
    private static final String RRN = "850315-1812920";
    private static final String PHONE = "010-2468-1357";
    private static final String EMAIL = "kim.minsu@corp.co.kr";

    private static String chat(String content, String extra) {
        return "{\"model\":\"stories\",\"messages\":[{\"role\":\"user\",\"content\":\"" + content + "\"}]" + extra + "}";
    }

    private static ServeProcess serve(Path dir, String... args) throws Exception {
        List<String> all = new ArrayList<>(List.of("--model", "stories=" + Fixtures.shared("models/stories260K.gguf")));
        all.addAll(List.of(args));
        return ServeProcess.start(dir, all.toArray(String[]::new));
    }

    @Test
    void anRrnIsBlockedWithPositionsAndNeverReachesTheEngine(@TempDir Path dir) throws Exception {
        try (ServeProcess s = serve(dir)) {
            assertEquals(200, s.post("/v1/chat/completions", chat("Once upon a time", ",\"max_tokens\":2")).statusCode());
            String before = s.get("/metrics").body();
            for (int i = 0; i < 100 && sum(before, "sovereign_tokens_total") == 0; i++) {
                Thread.sleep(50); // the served request's metrics are recorded just after its last byte
                before = s.get("/metrics").body();
            }
            String content = "제 주민등록번호는 " + RRN + " 입니다";
            HttpResponse<String> r = s.post("/v1/chat/completions", chat(content, ",\"max_tokens\":8"));
            assertEquals(400, r.statusCode(), r.body());
            assertFalse(r.body().contains(RRN) || r.body().contains("1812920"), "never the value: " + r.body());
            JsonNode body = JSON.readTree(r.body());
            assertEquals("pii_blocked", body.at("/error/code").asText());
            JsonNode entity = body.at("/sovereign/entities/0");
            assertEquals("KR_RRN", entity.get("type").asText());
            assertEquals(0, entity.get("message").asInt());
            assertEquals(content.indexOf(RRN), entity.get("start").asInt());
            assertEquals(content.indexOf(RRN) + RRN.length(), entity.get("end").asInt());
            assertEquals(1, body.at("/sovereign/entities").size());
            String requestId = r.headers().firstValue("x-request-id").orElseThrow();
            assertTrue(r.headers().firstValue("x-sovereign-ledger-index").isEmpty(), "not served, so no served decision");

            // streamed and completions requests are blocked the same way, embeddings too
            assertEquals(400, s.post("/v1/chat/completions", chat(content, ",\"stream\":true")).statusCode());
            assertEquals(400, s.post("/v1/completions", "{\"model\":\"stories\",\"prompt\":\"" + content + "\"}").statusCode());
            assertEquals(400, s.post("/v1/embeddings", "{\"model\":\"all-minilm-l6-v2\",\"input\":[\"hi\",\"" + content + "\"]}").statusCode());

            String after = s.get("/metrics").body();
            assertTrue(sum(before, "sovereign_engine_generated_tokens_total") > 0 && sum(before, "sovereign_tokens_total") > 0,
                    "the counters exist and moved for the served request");
            for (String m : List.of("sovereign_engine_generated_tokens_total", "sovereign_engine_steps_total")) {
                assertEquals(sum(before, m), sum(after, m), m + " stays flat: the engine never saw the request");
            }
            assertEquals(sum(before, "sovereign_tokens_total"), sum(after, "sovereign_tokens_total"));
            assertEquals(0.0, sum(after, "sovereign_running_sequences"));
            assertEquals(4.0, sum(after, "sovereign_pii_refused_total"), "four refusals by policy");
            assertTrue(after.contains("sovereign_pii_entities_total{action=\"block\",type=\"KR_RRN\"} 4.0"), after);

            List<AuditEntry> entries = entries(s, 3 + 2 + 8); // admin events, the served request, 4 refusals
            AuditEntry.Outcome o = entries.stream().filter(e -> e instanceof AuditEntry.Outcome x && x.requestId().equals(requestId))
                    .map(e -> (AuditEntry.Outcome) e).findFirst().orElseThrow();
            assertEquals(400, o.status());
            assertEquals(List.of("pii_blocked"), o.finishReasons());
            AuditEntry.Decision d = (AuditEntry.Decision) entries.get((int) o.decisionIndex());
            assertEquals("", d.model(), "a refusal, not a served decision");
            assertEquals(List.of(new AuditEntry.PiiCount("KR_RRN", 1)), d.pii(), "types and counts only");
            assertTrue(entries.stream().noneMatch(e -> e instanceof AuditEntry.Decision x && x.requestId().equals(requestId)
                    && !x.model().isEmpty()));
        }
    }

    @Test
    void pseudonymizedRequestsAreServedAndNothingKeepsThePlantedValues(@TempDir Path dir) throws Exception {
        Files.writeString(dir.resolve("sovereign.yaml"), "pii: { KR_RRN: redact, PHONE_NUMBER: pseudonymize, EMAIL_ADDRESS: pseudonymize, "
                + "format_preserving: true, fail_open: false }\n");
        String content = "My phone is " + PHONE + ", mail " + EMAIL + " and my RRN is " + RRN + ". Once upon a time";
        try (ServeProcess s = serve(dir, "--config", "sovereign.yaml")) {
            HttpResponse<String> r = s.post("/v1/chat/completions", chat(content, ",\"max_tokens\":48,\"temperature\":0"));
            assertEquals(200, r.statusCode(), r.body());
            long index = Long.parseLong(r.headers().firstValue("x-sovereign-ledger-index").orElseThrow());
            // the streamed answer (restored chunk by chunk, holding back possible pseudonym starts: '0' and 'u' here)
            // says exactly what the whole answer says
            HttpResponse<String> streamed = s.post("/v1/chat/completions", chat(content, ",\"max_tokens\":48,\"temperature\":0,\"stream\":true"));
            assertEquals(200, streamed.statusCode(), streamed.body());
            assertTrue(streamed.body().contains("[DONE]"));
            StringBuilder text = new StringBuilder();
            for (String line : streamed.body().split("\n")) {
                if (line.startsWith("data: {")) {
                    JsonNode delta = JSON.readTree(line.substring(6)).at("/choices/0/delta/content");
                    text.append(delta.isTextual() ? delta.asText() : "");
                }
            }
            assertEquals(JSON.readTree(r.body()).at("/choices/0/message/content").asText(), text.toString());
            assertEquals(200, s.post("/v1/completions", "{\"model\":\"stories\",\"prompt\":\"" + content + "\",\"max_tokens\":4}").statusCode());
            assertEquals(200, s.post("/v1/embeddings", "{\"model\":\"all-minilm-l6-v2\",\"input\":\"" + content + "\"}").statusCode());

            List<AuditEntry> entries = entries(s, index + 2);
            AuditEntry.Decision d = (AuditEntry.Decision) entries.get((int) index);
            assertEquals("stories", d.model());
            assertEquals(List.of(new AuditEntry.PiiCount("EMAIL_ADDRESS", 1), new AuditEntry.PiiCount("KR_RRN", 1),
                    new AuditEntry.PiiCount("PHONE_NUMBER", 1)), d.pii());
            Thread.sleep(300); // let queued outcomes reach the disk
            String metrics = s.get("/metrics").body();
            for (String planted : planted()) {
                assertFalse(metrics.contains(planted), "/metrics holds a planted value");
                assertFalse(s.stderr().contains(planted), "the log holds a planted value");
            }
            assertTrue(Files.exists(dir.resolve("data/pii-keys/default.key")), "the tenant key was created on first use");
        }
        // after a graceful stop: every file the server wrote (ledger, keys, caches) is free of the planted values
        try (Stream<Path> files = Files.walk(dir)) {
            for (Path f : files.filter(Files::isRegularFile).filter(f -> !f.getFileName().toString().equals("sovereign.yaml")).toList()) {
                String text = new String(Files.readAllBytes(f), StandardCharsets.ISO_8859_1);
                for (String planted : planted()) {
                    assertFalse(text.contains(planted), f + " holds a planted value");
                }
            }
        }
    }

    /** The planted values in the spellings a leak could take. */
    private static List<String> planted() {
        return List.of(PHONE, PHONE.replace("-", ""), RRN, RRN.replace("-", ""), "24681357", "1812920", EMAIL, "kim.minsu");
    }

    private static double sum(String metrics, String name) {
        double total = 0;
        for (String line : metrics.split("\n")) {
            if (line.startsWith(name + " ") || line.startsWith(name + "{")) {
                total += Double.parseDouble(line.substring(line.lastIndexOf(' ') + 1).trim());
            }
        }
        return total;
    }

    /** The ledger's entries, waiting until there are at least {@code min}. */
    private static List<AuditEntry> entries(ServeProcess s, long min) throws Exception {
        HttpClient http = HttpClient.newHttpClient();
        long deadline = System.nanoTime() + 5_000_000_000L;
        while (true) {
            List<AuditEntry> out = new ArrayList<>();
            for (long n = 0; ; n++) {
                HttpResponse<byte[]> r = http.send(HttpRequest.newBuilder(URI.create(s.baseUrl + "/ledger/tile/entries/"
                        + String.format("%03d", n))).build(), HttpResponse.BodyHandlers.ofByteArray());
                if (r.statusCode() != 200) {
                    // the partial tile: ask for its width
                    String cp = s.get("/ledger/checkpoint").body();
                    long size = Long.parseLong(cp.split("\n")[1]);
                    long width = size - n * 256;
                    if (width > 0) {
                        r = http.send(HttpRequest.newBuilder(URI.create(s.baseUrl + "/ledger/tile/entries/" + String.format("%03d", n)
                                + ".p/" + width)).build(), HttpResponse.BodyHandlers.ofByteArray());
                        ByteBuffer b = ByteBuffer.wrap(r.body());
                        while (b.hasRemaining()) {
                            byte[] e = new byte[b.getShort() & 0xffff];
                            b.get(e);
                            out.add(AuditEntry.decode(e).orThrow());
                        }
                    }
                    break;
                }
                ByteBuffer b = ByteBuffer.wrap(r.body());
                while (b.hasRemaining()) {
                    byte[] e = new byte[b.getShort() & 0xffff];
                    b.get(e);
                    out.add(AuditEntry.decode(e).orThrow());
                }
            }
            if (out.size() >= min || System.nanoTime() > deadline) {
                assertTrue(out.size() >= min, "ledger has " + out.size() + " entries, expected at least " + min);
                return out;
            }
            Thread.sleep(50);
        }
    }
}
