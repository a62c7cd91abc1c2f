package ai.sovereign.engine;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

/**
 * A Hugging Face byte-level BPE tokenizer ({@code tokenizer.json}, plus {@code tokenizer_config.json}
 * when it lies beside it) turned into GGUF vocabulary metadata the way llama.cpp's
 * convert_hf_to_gguf.py does (get_vocab_base / _set_vocab_gpt2 / SpecialVocab):
 *
 * <ul>
 *   <li>tokens in id order; an id that neither the vocab nor the added tokens hold, and every id up
 *       to a larger model vocabulary, becomes {@code [PAD<id>]} of type UNUSED;
 *   <li>added tokens that are special or look special ({@code <|...|>}, {@code <pad>}, ...) are
 *       CONTROL, other added tokens USER_DEFINED with {@code ▁} turned into a space; the rest NORMAL;
 *   <li>merges as {@code "a b"} whether the file stores them as strings or pairs;
 *   <li>special ids from tokenizer_config.json's {@code bos_token}/{@code eos_token}/{@code pad_token}
 *       (string or {@code {"content": ...}}), else well-known texts; {@code add_bos_token} from the
 *       config, else true only for the Llama 3 pre-tokenizer; {@code chat_template} when present.
 * </ul>
 * Not done here: the pre-tokenizer is not detected by hashing (convert's chkhsh); the caller names it.
 */
final class HfTokenizerJson {
    static final int TYPE_NORMAL = 1;
    static final int TYPE_CONTROL = 3;
    static final int TYPE_USER_DEFINED = 4;
    static final int TYPE_UNUSED = 5;

    private static final List<String> BOS_TEXTS = List.of("<|begin_of_text|>", "[BOS]", "<s>", "<|endoftext|>");
    private static final List<String> EOS_TEXTS = List.of("<|end_of_text|>", "[|endofturn|]", "</s>", "<|endoftext|>");
    private static final List<String> EOT_TEXTS = List.of("<|eot_id|>", "<|im_end|>", "[|endofturn|]");

    private final String[] tokens;
    private final int[] types;
    private final String[] merges;
    private final Map<String, Object> config;

    private HfTokenizerJson(String[] tokens, int[] types, String[] merges, Map<String, Object> config) {
        this.tokens = tokens;
        this.types = types;
        this.merges = merges;
        this.config = config;
    }

    /** Reads {@code tokenizerJson} and, if present in the same folder, tokenizer_config.json. */
    @SuppressWarnings("unchecked")
    static HfTokenizerJson read(Path tokenizerJson) throws IOException {
        Map<String, Object> json = asMap(JsonText.parse(Files.readString(tokenizerJson, StandardCharsets.UTF_8)), tokenizerJson + "");
        Map<String, Object> model = asMap(json.get("model"), tokenizerJson + ": model");
        if (model.get("type") instanceof String type && !type.equals("BPE")) {
            throw new IllegalArgumentException(tokenizerJson + ": model type " + type + " is not supported (only BPE)");
        }
        Map<String, Object> vocab = asMap(model.get("vocab"), tokenizerJson + ": model.vocab");
        List<Object> added = json.get("added_tokens") instanceof List<?> l ? (List<Object>) l : List.of();
        int size = 0;
        for (Object id : vocab.values()) {
            size = Math.max(size, id(id) + 1);
        }
        for (Object a : added) {
            size = Math.max(size, id(asMap(a, "added token").get("id")) + 1);
        }
        String[] tokens = new String[size];
        int[] types = new int[size];
        for (Map.Entry<String, Object> e : vocab.entrySet()) {
            int id = id(e.getValue());
            tokens[id] = e.getKey();
            types[id] = TYPE_NORMAL;
        }
        for (Object a : added) {
            Map<String, Object> token = asMap(a, "added token");
            int id = id(token.get("id"));
            String content = (String) token.get("content");
            boolean special = Boolean.TRUE.equals(token.get("special")) || looksSpecial(content);
            tokens[id] = special ? content : content.replace("\u2581", " ");
            types[id] = special ? TYPE_CONTROL : TYPE_USER_DEFINED;
        }
        for (int id = 0; id < size; id++) {
            if (tokens[id] == null) {
                tokens[id] = "[PAD" + id + "]";
                types[id] = TYPE_UNUSED;
            }
        }
        List<Object> rawMerges = model.get("merges") instanceof List<?> l ? (List<Object>) l : List.of();
        String[] merges = new String[rawMerges.size()];
        for (int i = 0; i < merges.length; i++) {
            Object m = rawMerges.get(i);
            merges[i] = m instanceof String s ? s : ((List<Object>) m).get(0) + " " + ((List<Object>) m).get(1);
        }
        Path configPath = tokenizerJson.resolveSibling("tokenizer_config.json");
        Map<String, Object> config = Files.isRegularFile(configPath)
                ? asMap(JsonText.parse(Files.readString(configPath, StandardCharsets.UTF_8)), configPath + "")
                : Map.of();
        return new HfTokenizerJson(tokens, types, merges, config);
    }

    /** convert_hf_to_gguf's does_token_look_special. */
    static boolean looksSpecial(String text) {
        return text.equals("<pad>") || text.equals("<mask>") || text.equals("<2mass>") || text.equals("[@BOS@]")
                || (text.startsWith("<|") && text.endsWith("|>"))
                || (text.startsWith("<｜") && text.endsWith("｜>"))
                || text.startsWith("<start_of_") || text.startsWith("<end_of_");
    }

    /** The pre-tokenizer llama.cpp uses for the tokenizer shipped with models of {@code architecture}. */
    static String defaultPre(String architecture) {
        return switch (architecture) {
            case "llama" -> "llama-bpe";
            case "qwen2", "qwen3" -> "qwen2";
            case "exaone" -> "exaone";
            default -> throw new IllegalArgumentException("no default tokenizer pre-type for architecture " + architecture);
        };
    }

    /** Tokens in the file (highest id + 1). */
    int size() {
        return tokens.length;
    }

    /** The text of a special token named in tokenizer_config.json, or null. */
    String configToken(String key) {
        Object v = config.get(key);
        if (v instanceof Map<?, ?> m && m.get("content") instanceof String s) {
            return s;
        }
        return v instanceof String s ? s : null;
    }

    /** tokenizer_config.json's chat template (the "default" one of a named list), or null. */
    String chatTemplate() {
        Object v = config.get("chat_template");
        if (v instanceof String s) {
            return s;
        }
        if (v instanceof List<?> list) {
            for (Object o : list) {
                if (o instanceof Map<?, ?> m && "default".equals(m.get("name")) && m.get("template") instanceof String s) {
                    return s;
                }
            }
        }
        return null;
    }

    /**
     * Puts the vocabulary metadata into {@code w}, padded to {@code vocabularySize} tokens; a null
     * special-token text means "from tokenizer_config.json, else the usual text for it".
     */
    void putMetadata(GgufWriter w, String pre, int vocabularySize, String bos, String eos, String pad, Boolean addBos) {
        if (vocabularySize < tokens.length) {
            throw new IllegalArgumentException("the tokenizer has " + tokens.length + " tokens, more than the model's "
                    + vocabularySize);
        }
        String[] allTokens = java.util.Arrays.copyOf(tokens, vocabularySize);
        int[] allTypes = java.util.Arrays.copyOf(types, vocabularySize);
        for (int id = tokens.length; id < vocabularySize; id++) {
            allTokens[id] = "[PAD" + id + "]";
            allTypes[id] = TYPE_UNUSED;
        }
        TextIndex index = new TextIndex(vocabularySize);
        for (int id = 0; id < vocabularySize; id++) {
            index.putIfAbsent(allTokens[id], id);
        }
        w.putString("tokenizer.ggml.model", "gpt2");
        w.putString("tokenizer.ggml.pre", pre);
        w.putStrings("tokenizer.ggml.tokens", allTokens);
        w.putArray("tokenizer.ggml.token_type", allTypes, GgufValueType.INT32);
        w.putStrings("tokenizer.ggml.merges", merges);
        int bosId = find(index, bos != null ? bos : configToken("bos_token"), BOS_TEXTS);
        int eosId = find(index, eos != null ? eos : configToken("eos_token"), EOS_TEXTS);
        int eotId = find(index, null, EOT_TEXTS);
        int padId = find(index, pad != null ? pad : configToken("pad_token"), List.of());
        if (bosId >= 0) {
            w.putUint32("tokenizer.ggml.bos_token_id", bosId);
        }
        if (eosId >= 0) {
            w.putUint32("tokenizer.ggml.eos_token_id", eosId);
        }
        if (eotId >= 0) {
            w.putUint32("tokenizer.ggml.eot_token_id", eotId);
        }
        if (padId >= 0) {
            w.putUint32("tokenizer.ggml.padding_token_id", padId);
        }
        boolean bosWanted = addBos != null ? addBos
                : config.get("add_bos_token") instanceof Boolean b ? b : PreTokenizer.LLAMA3_NAMES.contains(pre);
        w.putBool("tokenizer.ggml.add_bos_token", bosWanted && bosId >= 0);
        String template = chatTemplate();
        if (template != null) {
            w.putString("tokenizer.chat_template", template);
        }
    }

    private static int find(TextIndex index, String preferred, List<String> fallbacks) {
        if (preferred != null) {
            int id = index.get(preferred);
            if (id >= 0) {
                return id;
            }
        }
        for (String text : fallbacks) {
            int id = index.get(text);
            if (id >= 0) {
                return id;
            }
        }
        return -1;
    }

    private static int id(Object value) {
        int id = -1;
        if (value instanceof JsonText.Num n) {
            try {
                id = n.value().intValueExact();
            } catch (ArithmeticException notAnInt) {
                id = -1;
            }
        }
        if (id < 0 || id >= 1 << 24) {
            throw new IllegalArgumentException("token id " + (value instanceof JsonText.Num n ? n.text() : value)
                    + " is not an integer in 0.." + ((1 << 24) - 1));
        }
        return id;
    }

    @SuppressWarnings("unchecked")
    private static Map<String, Object> asMap(Object value, String what) {
        if (!(value instanceof Map<?, ?>)) {
            throw new IllegalArgumentException(what + " is not a JSON object");
        }
        return (Map<String, Object>) value;
    }

    /** For tests: the merges as read. */
    List<String> merges() {
        return new ArrayList<>(List.of(merges));
    }
}
