package ai.sovereign.server;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.sovereign.policy.FilePiiKeyVault;
import ai.sovereign.policy.PiiGuard;
import ai.sovereign.policy.PiiPolicy;
import ai.sovereign.policy.PiiScanner;
import java.nio.file.Path;
import java.util.HashMap;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The guard stage on parsed requests: what the model would see, and the 400 the client gets. */
class PiiStageTest {
    private static final String RRN = "850315-1812920";
    private static final String PHONE = "010-1234-5678";

    @TempDir
    Path dir;

    private PiiStage stage(PiiPolicy policy) {
        return new PiiStage(new PiiGuard(new PiiScanner(), new FilePiiKeyVault(dir)), null);
    }

    private static Tenant tenant(PiiPolicy policy) {
        return new Tenant("default", "", new ai.sovereign.policy.DataPolicy(java.util.Set.of(), null, java.util.Set.of()), policy);
    }

    private static CompletionRequest chat(String json) {
        return CompletionRequest.parse(Json.parseBody(json.getBytes(java.nio.charset.StandardCharsets.UTF_8)), true, Limits.DEFAULTS);
    }

    @Test
    void blockedRequestNamesTypesAndPositionsNeverValues() {
        String content = "주민등록번호 " + RRN;
        CompletionRequest r = chat("{\"model\":\"m\",\"messages\":[{\"role\":\"system\",\"content\":\"hi\"},{\"role\":\"user\",\"content\":\""
                + content + "\"}]}");
        Map<String, Long> counts = new HashMap<>();
        ApiException e = assertThrows(ApiException.class, () -> stage(PiiPolicy.DEFAULT).completion(tenant(PiiPolicy.DEFAULT), "r1", counts::putAll, r));
        assertEquals(400, e.status);
        assertEquals("pii_blocked", e.code);
        assertEquals("[{\"type\":\"KR_RRN\",\"message\":1,\"field\":\"content\",\"start\":7,\"end\":21}]", e.sovereign.get("entities").toString());
        assertEquals(content.indexOf(RRN), 7);
        assertFalse(e.getMessage().contains("1812920") || e.sovereign.toString().contains("1812920"));
        assertEquals(Map.of("KR_RRN", 1L), counts);
    }

    @Test
    void modelSeesOnlyPseudonymsAndRedactionsAndAnswersAreRestored() {
        PiiPolicy policy = PiiPolicy.parse(Map.of("KR_RRN", "redact", "PHONE_NUMBER", "pseudonymize"));
        CompletionRequest r = chat("{\"model\":\"m\",\"messages\":[{\"role\":\"user\",\"content\":\"전화 " + PHONE + ", 주민번호 " + RRN + "\"},"
                + "{\"role\":\"assistant\",\"content\":null,\"tool_calls\":[{\"id\":\"c1\",\"type\":\"function\",\"function\":{\"name\":\"call\","
                + "\"arguments\":\"{\\\"to\\\":\\\"" + PHONE + "\\\"}\"}}]},{\"role\":\"tool\",\"tool_call_id\":\"c1\",\"content\":\"ok\"}]}");
        Map<String, Long> counts = new HashMap<>();
        PiiStage.Passed p = stage(policy).completion(tenant(policy), "r2", counts::putAll, r);
        String seen = p.request().messages().toString();
        assertFalse(seen.contains(PHONE) || seen.contains(RRN) || seen.contains("5678"), seen);
        String user = p.request().messages().get(0).content();
        assertTrue(user.matches("전화 \\[PHONE_NUMBER_[0-9a-f]{10}], 주민번호 \\[KR_RRN]"), user);
        String pseudonym = user.substring(3, user.indexOf(']') + 1);
        assertEquals("{\"to\":\"" + pseudonym + "\"}", p.request().messages().get(1).toolCalls().getFirst().arguments());
        assertEquals("ok", p.request().messages().get(2).content());
        assertEquals(Map.of("KR_RRN", 1L, "PHONE_NUMBER", 2L), counts);
        assertEquals("call " + PHONE + " now", p.pseudonyms().restore("call " + pseudonym + " now"));
    }

    @Test
    void completionPromptIsGuardedToo() {
        PiiPolicy policy = PiiPolicy.parse(Map.of("default", "redact"));
        CompletionRequest r = CompletionRequest.parse(Json.parseBody(("{\"model\":\"m\",\"prompt\":\"전화 " + PHONE + "\"}")
                .getBytes(java.nio.charset.StandardCharsets.UTF_8)), false, Limits.DEFAULTS);
        assertEquals("전화 [PHONE_NUMBER]", stage(policy).completion(tenant(policy), "r3", c -> {}, r).request().prompt());
    }

    @Test
    void toolDefinitionsSchemasAndStopSequencesAreScannedButNeverRewritten() {
        String tool = "{\"type\":\"function\",\"function\":{\"name\":\"lookup\",\"description\":\"caller 주민번호 " + RRN + "\","
                + "\"parameters\":{\"type\":\"object\"}}}";
        CompletionRequest withTool = chat("{\"model\":\"m\",\"messages\":[{\"role\":\"user\",\"content\":\"hi\"}],\"tools\":[" + tool + "]}");
        ApiException e = assertThrows(ApiException.class, () -> stage(PiiPolicy.DEFAULT).completion(tenant(PiiPolicy.DEFAULT), "r4", c -> {}, withTool));
        assertEquals("pii_blocked", e.code);
        var entity = e.sovereign.get("entities").get(0);
        assertEquals("tools[0]", entity.get("field").asText());
        assertEquals("KR_RRN", entity.get("type").asText());
        assertFalse(entity.has("message"), entity.toString());
        assertFalse(e.sovereign.toString().contains("1812920"));

        String stop = "{\"model\":\"m\",\"messages\":[{\"role\":\"user\",\"content\":\"hi\"}],\"stop\":[\"END\",\"" + PHONE + "\"]}";
        PiiPolicy pseudonymize = PiiPolicy.parse(Map.of("PHONE_NUMBER", "pseudonymize"));
        Map<String, Long> counts = new HashMap<>();
        ApiException s = assertThrows(ApiException.class, () -> stage(pseudonymize).completion(tenant(pseudonymize), "r5", counts::putAll, chat(stop)));
        assertEquals("stop[1]", s.sovereign.get("entities").get(0).get("field").asText(), "a pseudonym in a stop sequence would change it");
        assertEquals(Map.of("PHONE_NUMBER", 1L), counts);
        PiiStage.Passed allowed = stage(PiiPolicy.DEFAULT).completion(tenant(PiiPolicy.DEFAULT), "r6", c -> {}, chat(stop));
        assertEquals(java.util.List.of("END", PHONE), allowed.request().stop(), "allowed types pass unchanged");

        String schema = "{\"model\":\"m\",\"messages\":[{\"role\":\"user\",\"content\":\"hi\"}],\"response_format\":{\"type\":\"json_schema\","
                + "\"json_schema\":{\"name\":\"x\",\"schema\":{\"type\":\"string\",\"enum\":[\"" + RRN + "\"]}}}}";
        ApiException f = assertThrows(ApiException.class, () -> stage(PiiPolicy.DEFAULT).completion(tenant(PiiPolicy.DEFAULT), "r7", c -> {}, chat(schema)));
        assertEquals("response_format", f.sovereign.get("entities").get(0).get("field").asText());
    }
}
