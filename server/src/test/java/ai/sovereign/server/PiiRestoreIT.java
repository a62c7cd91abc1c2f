package ai.sovereign.server;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.sovereign.engine.Fixtures;
import ai.sovereign.policy.FilePiiKeyVault;
import ai.sovereign.policy.PiiGuard;
import ai.sovereign.policy.PiiPolicy;
import ai.sovereign.policy.PiiScanner;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * End to end: the model sees only a pseudonym and the client gets the original back. stories260K
 * would never write a pseudonym on its own, so the answer is forced with a json_schema {@code const}
 * holding the pseudonym the server derives (computed here from the server's own tenant key).
 */
class PiiRestoreIT {
    private static final ObjectMapper JSON = new ObjectMapper();
    private static final String PHONE = "010-4567-1234";

    @Test
    void aPseudonymInTheAnswerReturnsAsTheOriginalStreamedAndWhole(@TempDir Path dir) throws Exception {
        Files.writeString(dir.resolve("sovereign.yaml"), "pii: { PHONE_NUMBER: pseudonymize }\n"
                + "models:\n  - { name: stories, path: \"" + Fixtures.shared("models/stories260K.gguf") + "\" }\n");
        try (ServeProcess serve = ServeProcess.start(dir)) {
            String ask = "{\"model\":\"stories\",\"messages\":[{\"role\":\"user\",\"content\":\"Call me at " + PHONE + " tomorrow\"}],\"max_tokens\":8}";
            assertEquals(200, serve.post("/v1/chat/completions", ask).statusCode(), "first use creates the tenant key");

            PiiGuard guard = new PiiGuard(new PiiScanner(), new FilePiiKeyVault(dir.resolve("data/pii-keys")));
            var guarded = (PiiGuard.Guarded) guard.apply("default", PiiPolicy.parse(Map.of("PHONE_NUMBER", "pseudonymize")),
                    List.of(new PiiGuard.Text(0, "content", "Call me at " + PHONE + " tomorrow")));
            Matcher m = Pattern.compile("\\[PHONE_NUMBER_[0-9a-f]+\\]").matcher(guarded.texts().getFirst());
            assertTrue(m.find(), "the pseudonym the model sees");
            String pseudonym = m.group();

            String schema = "{\"type\":\"object\",\"properties\":{\"phone\":{\"const\":" + JSON.writeValueAsString(pseudonym) + "}},"
                    + "\"required\":[\"phone\"],\"additionalProperties\":false}";
            // Greedy: sampled, the grammar's optional whitespace sometimes ran past max_tokens and cut the JSON (flaky).
            String forced = ask.replace("\"max_tokens\":8", "\"temperature\":0,\"max_tokens\":60,\"response_format\":{\"type\":\"json_schema\","
                    + "\"json_schema\":{\"name\":\"echo\",\"schema\":" + schema + "}}");
            HttpResponse<String> whole = serve.post("/v1/chat/completions", forced);
            assertEquals(200, whole.statusCode(), whole.body());
            JsonNode content = JSON.readTree(JSON.readTree(whole.body()).at("/choices/0/message/content").asText());
            assertEquals(PHONE, content.get("phone").asText(), "restored for the client");
            assertFalse(whole.body().contains(pseudonym));

            HttpResponse<String> streamed = serve.post("/v1/chat/completions", forced.replace("\"max_tokens\":60", "\"max_tokens\":60,\"stream\":true"));
            StringBuilder text = new StringBuilder();
            for (String line : streamed.body().split("\n")) {
                if (line.startsWith("data: {")) {
                    JsonNode delta = JSON.readTree(line.substring(6)).at("/choices/0/delta/content");
                    if (delta.isTextual()) {
                        text.append(delta.asText());
                    }
                }
            }
            assertEquals(PHONE, JSON.readTree(text.toString()).get("phone").asText(), "restored across stream chunks");
            assertFalse(streamed.body().contains(pseudonym));

            // logprobs: the tokens over the pseudonym come back as one entry holding the original, never as pieces
            String withLogprobs = forced.replace("\"temperature\":0,", "\"temperature\":0,\"logprobs\":true,\"top_logprobs\":3,");
            HttpResponse<String> lpWhole = serve.post("/v1/chat/completions", withLogprobs);
            assertEquals(200, lpWhole.statusCode(), lpWhole.body());
            assertLogprobsShowNoPseudonym(JSON.readTree(lpWhole.body()).at("/choices/0/logprobs/content"), pseudonym);
            HttpResponse<String> lpStreamed = serve.post("/v1/chat/completions", withLogprobs.replace("\"max_tokens\":60", "\"max_tokens\":60,\"stream\":true"));
            var entries = JSON.createArrayNode();
            for (String line : lpStreamed.body().split("\n")) {
                if (line.startsWith("data: {")) {
                    JsonNode lp = JSON.readTree(line.substring(6)).at("/choices/0/logprobs/content");
                    if (lp.isArray()) {
                        entries.addAll((com.fasterxml.jackson.databind.node.ArrayNode) lp);
                    }
                }
            }
            assertLogprobsShowNoPseudonym(entries, pseudonym);
        }
    }

    private static void assertLogprobsShowNoPseudonym(JsonNode entries, String pseudonym) {
        StringBuilder tokens = new StringBuilder();
        for (JsonNode e : entries) {
            tokens.append(e.get("token").asText());
            for (JsonNode alt : e.get("top_logprobs")) {
                String t = alt.get("token").asText();
                for (int i = 0; i + 3 <= t.length(); i++) {
                    assertFalse(pseudonym.contains(t.substring(i, i + 3)), "an alternative spells a pseudonym piece: " + t);
                }
            }
        }
        assertTrue(tokens.toString().contains(PHONE), "the original in the tokens: " + tokens);
        assertFalse(tokens.toString().contains("PHONE_NUMBER") || tokens.toString().contains(pseudonym.substring(14, 24)), tokens.toString());
    }
}
