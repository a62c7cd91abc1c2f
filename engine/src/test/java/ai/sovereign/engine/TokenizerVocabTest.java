package ai.sovereign.engine;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import org.junit.jupiter.api.Test;

/** llama.cpp's tokenizer test vectors (models/ggml-vocab-*.gguf.inp/.out), add_special = parse_special = false. */
class TokenizerVocabTest {

    private static void check(Tokenizer tokenizer, String name) throws IOException {
        Path dir = Fixtures.shared("models/vocab-tests");
        List<String> inputs = VocabFixtures.vocabTestInputs(dir.resolve("ggml-vocab-" + name + ".gguf.inp"));
        List<int[]> outputs = VocabFixtures.vocabTestOutputs(dir.resolve("ggml-vocab-" + name + ".gguf.out"));
        assertEquals(46, inputs.size(), "inputs in " + name);
        assertTrue(outputs.size() >= inputs.size(), "expected lines in " + name + ": " + outputs.size());
        List<String> failures = new ArrayList<>();
        for (int i = 0; i < inputs.size(); i++) {
            int[] actual = tokenizer.encode(inputs.get(i), false, false);
            if (!Arrays.equals(outputs.get(i), actual)) {
                failures.add("#" + i + " " + escape(inputs.get(i)) + "\n  expected " + Arrays.toString(outputs.get(i))
                        + "\n  actual   " + Arrays.toString(actual));
            }
        }
        assertTrue(failures.isEmpty(), name + ": " + failures.size() + " of " + inputs.size() + " differ\n" + String.join("\n", failures));
    }

    static String escape(String s) {
        return "\"" + s.replace("\n", "\\n").replace("\t", "\\t") + "\"";
    }

    @Test
    void llamaSpm() throws IOException {
        check(VocabFixtures.llamaSpm(), "llama-spm");
    }

    @Test
    void gpt2() throws IOException {
        check(VocabFixtures.gpt2(), "gpt-2");
    }

    @Test
    void llama3() throws IOException {
        check(VocabFixtures.llama3(), "llama-bpe");
    }

    @Test
    void qwen2() throws IOException {
        check(VocabFixtures.qwen3(), "qwen2");
    }
}
