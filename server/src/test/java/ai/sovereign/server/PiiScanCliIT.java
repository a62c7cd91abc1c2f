package ai.sovereign.server;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Iterator;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** {@code sovereign pii scan} as a user runs it: the packaged jar in a child process, stdin or a file, JSON lines out. */
class PiiScanCliIT {
    private static final ObjectMapper JSON = new ObjectMapper();
    private static final List<String> PLANTED = List.of("850315-1812920", "010-1234-5678", "hong@example.com", "M123A4567",
            "850315-1812921", "203.0.113.7", "4111 1111 1111 1111", "8503151812920");

    private static final String INPUT = String.join("\n",
            "주민등록번호는 850315-1812920이고 전화는 010-1234-5678입니다.",
            "{\"text\":\"메일 hong@example.com, 여권 M123A4567\",\"id\":7}",
            "",
            "nothing personal here, 2024-01-15 12:30",
            "850315-1812921",
            "{\"text\":\"😀 ０１０－１２３４－５６７８\"}",
            "{ \"text\": \"server 203.0.113.7:8080 card 4111 1111 1111 1111\" }") + "\n";

    private static List<JsonNode> lines(String out) throws Exception {
        return out.lines().map(l -> {
            try {
                return JSON.readTree(l);
            } catch (Exception e) {
                throw new AssertionError("not JSON: " + l, e);
            }
        }).toList();
    }

    private static void entity(JsonNode e, String type, int start, int end) {
        List<String> fields = new java.util.ArrayList<>();
        for (Iterator<String> it = e.fieldNames(); it.hasNext(); ) {
            fields.add(it.next());
        }
        assertEquals(List.of("type", "start", "end", "score"), fields, "exact shape");
        assertEquals(type, e.get("type").asText());
        assertEquals(start, e.get("start").asInt());
        assertEquals(end, e.get("end").asInt());
        double score = e.get("score").asDouble();
        assertTrue(score >= 0.5 && score <= 1.0, e.toString());
    }

    @Test
    void scansStdinLineByLineAndNeverPrintsValues(@TempDir Path dir) throws Exception {
        CliIT.Run run = CliIT.sovereignWithInput(dir, INPUT, "pii", "scan");
        assertEquals(0, run.exit(), run.err());
        for (String value : PLANTED) {
            assertFalse(run.out().contains(value), "stdout must not carry a matched value");
            assertFalse(run.err().contains(value), "stderr must not carry a matched value");
        }
        List<JsonNode> out = lines(run.out());
        assertEquals(7, out.size(), "one object per input line:\n" + run.out());
        for (JsonNode line : out) {
            assertEquals(List.of("entities"), List.copyOf(iterable(line.fieldNames())));
        }

        JsonNode first = out.get(0).get("entities");
        assertEquals(2, first.size());
        entity(first.get(0), "KR_RRN", 8, 22);
        entity(first.get(1), "PHONE_NUMBER", 29, 42);

        JsonNode json = out.get(1).get("entities");
        assertEquals(2, json.size());
        entity(json.get(0), "EMAIL_ADDRESS", 3, 19);
        entity(json.get(1), "KR_PASSPORT", 24, 33);

        assertEquals(0, out.get(2).get("entities").size());
        assertEquals(0, out.get(3).get("entities").size());
        assertEquals(0, out.get(4).get("entities").size(), "wrong check digit, no context: below the default 0.5");

        JsonNode wide = out.get(5).get("entities");
        assertEquals(1, wide.size());
        entity(wide.get(0), "PHONE_NUMBER", 3, 16);

        JsonNode last = out.get(6).get("entities");
        assertEquals(2, last.size());
        entity(last.get(0), "IP_ADDRESS", 7, 18);
        entity(last.get(1), "CREDIT_CARD", 29, 48);
    }

    @Test
    void readsFilesHonoursMinScoreAndFollowsTheExitCodes(@TempDir Path dir) throws Exception {
        Path file = dir.resolve("in.txt");
        Files.writeString(file, "850315-1812921\r\n주민번호 850315-1812921\r\n", StandardCharsets.UTF_8);
        CliIT.Run low = CliIT.sovereign(dir, "pii", "scan", "--min-score", "0.2", file.toString());
        assertEquals(0, low.exit(), low.err());
        List<JsonNode> out = lines(low.out());
        assertEquals(2, out.size());
        assertEquals(1, out.get(0).get("entities").size());
        assertTrue(out.get(0).get("entities").get(0).get("score").asDouble() < 0.5);
        entity(out.get(1).get("entities").get(0), "KR_RRN", 5, 19);

        CliIT.Run high = CliIT.sovereign(dir, "pii", "scan", "--min-score", "0.99", file.toString());
        assertEquals(0, high.exit(), high.err());
        assertEquals("{\"entities\":[]}\n{\"entities\":[]}\n", high.out());

        CliIT.Run dash = CliIT.sovereignWithInput(dir, "tel 010-1234-5678\n", "pii", "scan", "-");
        assertEquals(0, dash.exit(), dash.err());
        assertEquals(1, lines(dash.out()).size());

        CliIT.Run help = CliIT.sovereign(dir, "pii", "scan", "--help");
        assertEquals(0, help.exit());
        assertTrue(help.out().contains("--min-score"), help.out());

        assertEquals(2, CliIT.sovereign(dir, "pii", "scan", "--min-score", "2", file.toString()).exit());
        assertEquals(2, CliIT.sovereign(dir, "pii", "scan", "--min-score", "abc").exit());
        assertEquals(2, CliIT.sovereign(dir, "pii", "scan", "a", "b").exit());
        assertEquals(2, CliIT.sovereign(dir, "pii").exit());

        CliIT.Run missing = CliIT.sovereign(dir, "pii", "scan", dir.resolve("nope.txt").toString());
        assertEquals(1, missing.exit());
        assertEquals(1, missing.err().strip().lines().filter(l -> !l.startsWith("WARNING")).count(), missing.err());

        CliIT.Run badJson = CliIT.sovereignWithInput(dir, "ok line\n{\"text\": \"850315-1812920\", broken\n", "pii", "scan");
        assertEquals(1, badJson.exit());
        assertEquals("{\"entities\":[]}\n", badJson.out(), "lines before the bad one are answered");
        assertTrue(badJson.err().contains("line 2"), badJson.err());
        assertFalse(badJson.err().contains("850315"), "the reason never quotes the input");
        assertEquals(1, badJson.err().strip().lines().filter(l -> !l.startsWith("WARNING")).count(), badJson.err());

        CliIT.Run noText = CliIT.sovereignWithInput(dir, "{\"content\":\"x\"}\n", "pii", "scan");
        assertEquals(1, noText.exit());
        assertTrue(noText.err().contains("text"), noText.err());
    }

    @Test
    void keysShowRotateAndShredATenantsPseudonymizationKey(@TempDir Path dir) throws Exception {
        CliIT.Run none = CliIT.sovereign(dir, "pii", "keys", "show", "acme");
        assertEquals(0, none.exit(), none.err());
        assertTrue(Json.MAPPER.readTree(none.out()).get("key_id").isNull(), none.out());

        CliIT.Run rotated = CliIT.sovereign(dir, "pii", "keys", "rotate", "acme");
        assertEquals(0, rotated.exit(), rotated.err());
        String keyId = Json.MAPPER.readTree(rotated.out()).get("key_id").asText();
        assertEquals(16, keyId.length(), rotated.out());
        Path keyFile = dir.resolve("data/pii-keys/acme.key");
        assertFalse(rotated.out().contains(java.util.HexFormat.of().formatHex(Files.readAllBytes(keyFile))), "never the key itself");
        assertEquals(keyId, Json.MAPPER.readTree(CliIT.sovereign(dir, "pii", "keys", "show", "acme").out()).get("key_id").asText());
        String again = Json.MAPPER.readTree(CliIT.sovereign(dir, "pii", "keys", "rotate", "acme").out()).get("key_id").asText();
        assertFalse(again.equals(keyId), "a rotation makes a new key");

        CliIT.Run unconfirmed = CliIT.sovereign(dir, "pii", "keys", "shred", "acme");
        assertEquals(2, unconfirmed.exit());
        assertTrue(unconfirmed.err().contains("--yes"), unconfirmed.err());
        assertTrue(Files.exists(keyFile), "nothing shredded without --yes");
        CliIT.Run shredded = CliIT.sovereign(dir, "pii", "keys", "shred", "acme", "--yes");
        assertEquals(0, shredded.exit(), shredded.err());
        assertFalse(Files.exists(keyFile));

        assertEquals(2, CliIT.sovereign(dir, "pii", "keys", "show", "../etc").exit());
        assertEquals(2, CliIT.sovereign(dir, "pii", "keys", "erase", "acme").exit());
    }

    private static <T> List<T> iterable(Iterator<T> it) {
        List<T> out = new java.util.ArrayList<>();
        it.forEachRemaining(out::add);
        return out;
    }
}
