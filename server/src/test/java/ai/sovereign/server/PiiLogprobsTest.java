package ai.sovereign.server;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.sovereign.engine.GeneratedToken;
import ai.sovereign.policy.FilePiiKeyVault;
import ai.sovereign.policy.PiiGuard;
import ai.sovereign.policy.PiiPolicy;
import ai.sovereign.policy.PiiScanner;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Random;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class PiiLogprobsTest {
    private static final String PHONE = "010-4567-1234";
    private static final String EMAIL = "hong@example.com";

    @TempDir
    Path dir;
    private PiiGuard.Pseudonyms pseudonyms;
    private String phonePseudonym;
    private String emailPseudonym;
    /** The test's vocabulary: token id i has piece vocabulary.get(i). */
    private final List<String> vocabulary = new ArrayList<>();

    @BeforeEach
    void guard() {
        var guarded = (PiiGuard.Guarded) new PiiGuard(new PiiScanner(), new FilePiiKeyVault(dir)).apply("t",
                PiiPolicy.parse(Map.of("PHONE_NUMBER", "pseudonymize", "EMAIL_ADDRESS", "pseudonymize")),
                List.of(new PiiGuard.Text(0, "content", "call " + PHONE + " or mail " + EMAIL)));
        pseudonyms = guarded.pseudonyms();
        String text = guarded.texts().getFirst();
        phonePseudonym = text.substring(text.indexOf("[PHONE"), text.indexOf(']', text.indexOf("[PHONE")) + 1);
        emailPseudonym = text.substring(text.indexOf("[EMAIL"), text.indexOf(']', text.indexOf("[EMAIL")) + 1);
    }

    private GeneratedToken token(String piece, double logprob, String... alternatives) {
        vocabulary.add(piece);
        List<GeneratedToken.Alternative> alts = new ArrayList<>();
        for (String a : alternatives) {
            vocabulary.add(a);
            alts.add(new GeneratedToken.Alternative(vocabulary.size() - 1, a, -5.0));
        }
        return new GeneratedToken(vocabulary.indexOf(piece), piece, logprob, alts);
    }

    private byte[] piece(int id) {
        return vocabulary.get(id).getBytes(StandardCharsets.UTF_8);
    }

    private JsonNode whole(List<GeneratedToken> tokens) {
        return PiiLogprobs.whole(pseudonyms, this::piece, tokens).get("content");
    }

    private JsonNode streamed(List<GeneratedToken> tokens) {
        PiiLogprobs stream = new PiiLogprobs(pseudonyms, this::piece);
        ArrayNode all = Json.MAPPER.createArrayNode();
        for (GeneratedToken t : tokens) {
            ArrayNode chunk = Json.MAPPER.createArrayNode();
            stream.accept(t, chunk);
            all.addAll(chunk);
        }
        ArrayNode rest = Json.MAPPER.createArrayNode();
        stream.finish(rest);
        all.addAll(rest);
        return all;
    }

    private static String joined(JsonNode entries) {
        StringBuilder b = new StringBuilder();
        entries.forEach(e -> b.append(e.get("token").asText()));
        return b.toString();
    }

    @Test
    void tokensOverAPseudonymBecomeOneEntryWithTheOriginalTheirSummedLogprobAndNoAlternatives() {
        List<GeneratedToken> tokens = new ArrayList<>();
        tokens.add(token("Call", -0.5, "Ring", " [PHONE"));
        String p = phonePseudonym;
        tokens.add(token(" " + p.substring(0, 3), -0.25, "[EM"));
        tokens.add(token(p.substring(3, 9), -0.125));
        tokens.add(token(p.substring(9) + " now", -1.0, "X"));
        tokens.add(token(".", -2.0, "!", "_NUMBER"));
        for (JsonNode entries : List.of(whole(tokens), streamed(tokens))) {
            assertEquals(3, entries.size(), entries.toString());
            assertEquals("Call", entries.get(0).get("token").asText());
            assertEquals(List.of("Ring"), entries.get(0).get("top_logprobs").findValuesAsText("token"), "an alternative spelling a pseudonym piece is left out");
            JsonNode merged = entries.get(1);
            assertEquals(" " + PHONE + " now", merged.get("token").asText());
            assertEquals(-1.375, merged.get("logprob").asDouble());
            assertEquals(0, merged.get("top_logprobs").size());
            byte[] utf8 = (" " + PHONE + " now").getBytes(StandardCharsets.UTF_8);
            assertEquals(utf8.length, merged.get("bytes").size());
            assertEquals(List.of("!"), entries.get(2).get("top_logprobs").findValuesAsText("token"));
            assertEquals("Call " + PHONE + " now.", joined(entries));
            assertFalse(entries.toString().contains("PHONE"), entries.toString());
        }
    }

    @Test
    void withoutPseudonymsEveryTokenPassesAtOnceUnchanged() {
        pseudonyms = PiiGuard.Pseudonyms.NONE;
        GeneratedToken t = token("[PHONE", -0.5, "[EM");
        PiiLogprobs stream = new PiiLogprobs(pseudonyms, this::piece);
        ArrayNode chunk = Json.MAPPER.createArrayNode();
        stream.accept(t, chunk);
        assertEquals(1, chunk.size());
        assertEquals("[PHONE", chunk.get(0).get("token").asText());
        assertEquals(List.of("[EM"), chunk.get(0).get("top_logprobs").findValuesAsText("token"));
    }

    @Test
    void aStreamHoldsOnlyWhatCouldStillBecomeAPseudonym() {
        PiiLogprobs stream = new PiiLogprobs(pseudonyms, this::piece);
        ArrayNode chunk = Json.MAPPER.createArrayNode();
        stream.accept(token("Hi ", -0.1), chunk);
        assertEquals(1, chunk.size(), "cannot start a pseudonym: released at once");
        chunk.removeAll();
        stream.accept(token("[PHONE_NUM", -0.1), chunk);
        assertEquals(0, chunk.size(), "could be a pseudonym: held");
        stream.accept(token("BERS", -0.1), chunk);
        assertEquals(2, chunk.size(), "no longer a pseudonym's prefix: both released as they are");
        assertEquals("[PHONE_NUM", chunk.get(0).get("token").asText());
    }

    @Test
    void randomSplitsStreamedAndWholeAgreeAndSpellTheRestoredAnswer() {
        Random random = new Random(3);
        String[] parts = {"안녕 ", phonePseudonym, emailPseudonym, "[PHONE_NUMBER_", "[", "]", " and ", phonePseudonym.substring(0, 8), "😀", "x"};
        for (int round = 0; round < 500; round++) {
            StringBuilder text = new StringBuilder();
            for (int k = random.nextInt(8); k > 0; k--) {
                text.append(parts[random.nextInt(parts.length)]);
            }
            List<GeneratedToken> tokens = new ArrayList<>();
            String s = text.toString();
            for (int i = 0; i < s.length(); ) {
                int next = Math.min(s.length(), i + 1 + random.nextInt(6));
                if (Character.isHighSurrogate(s.charAt(next - 1)) && next < s.length()) {
                    next++;
                }
                tokens.add(token(s.substring(i, next), -random.nextDouble()));
                i = next;
            }
            JsonNode whole = whole(tokens);
            assertEquals(whole, streamed(tokens), s);
            assertEquals(pseudonyms.restore(s), joined(whole), s);
            assertFalse(joined(whole).contains(phonePseudonym) || joined(whole).contains(emailPseudonym), s);
        }
        assertTrue(vocabulary.size() > 500);
    }
}
