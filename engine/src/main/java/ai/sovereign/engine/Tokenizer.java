package ai.sovereign.engine;

import java.io.ByteArrayOutputStream;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Set;

/**
 * Text to token ids and back for the GGUF tokenizer types {@code llama} (SentencePiece) and
 * {@code gpt2} (byte-level BPE), following llama.cpp's llama-vocab.cpp so ids match it exactly.
 *
 * <p>Loading mirrors llama_vocab::impl::load: token attributes from token_type, llama.cpp's default
 * special ids (SPM: bos 1, eos 2, unk 0; BPE: bos = eos = 11) overridden by the metadata when in
 * range, add_bos true for SPM and the Llama 3 pre-tokenizers, EOG tokens found by their text.
 *
 * <p>Encoding mirrors llama_vocab::impl::tokenize: special tokens are cut out first
 * (tokenizer_st_partition, longest text first); user-defined tokens always, control and unknown ones
 * only with parseSpecial. Each remaining text fragment goes to the SPM or BPE encoder; SPM prefixes a
 * space to a fragment at the start or after a special token when add_space_prefix is set.
 *
 * <p>Decoding: {@link #tokenBytes} is llama.cpp's token_to_piece with special = false (control and
 * unknown tokens give nothing, user-defined tokens their text, byte tokens their byte). {@link #decode}
 * is llama_detokenize with remove_special = unparse_special = false, except that its
 * clean_up_tokenization_spaces pass (on for GPT-2 and Llama 3 vocabularies) is not applied, so that
 * decode(encode(s)) == s: it is the concatenation llama.cpp streams when it prints tokens one by one.
 * As in llama.cpp, when add_space_prefix is set one leading space is removed from the first token's
 * piece only (a BOS in front takes that turn, so the space then stays).
 */
public final class Tokenizer {
    // llama_token_attr bits
    static final int ATTR_UNKNOWN = 1;
    static final int ATTR_UNUSED = 1 << 1;
    static final int ATTR_NORMAL = 1 << 2;
    static final int ATTR_CONTROL = 1 << 3;
    static final int ATTR_USER_DEFINED = 1 << 4;
    static final int ATTR_BYTE = 1 << 5;

    private static final String SPACE_ESCAPE = "\u2581";
    private static final Set<String> EOT_TEXTS = Set.of("<|eot_id|>", "<|im_end|>", "<|end|>", "<end_of_turn>",
            "<|endoftext|>", "<|end_of_text|>", "<EOT>", "_<EOT>", "[EOT]", "<｜end▁of▁sentence｜>", "<end_of_utterance>");
    private static final Set<String> EOG_TEXTS = Set.of("<|eot_id|>", "<|im_end|>", "<|end|>", "<|return|>", "<|call|>",
            "<|flush|>", "<|calls|>", "<end_of_turn>", "<|endoftext|>", "</s>", "<|eom_id|>", "<EOT>", "_<EOT>", "[EOT]", "[EOS]",
            "<|end_of_text|>", "<end_of_utterance>", "<eos>", "<turn|>", "<|tool_response>", "<｜end▁of▁sentence｜>", "[e~[");
    private static final Set<String> FIM_PRE_TEXTS = Set.of("<|fim_prefix|>", "<fim-prefix>", "<fim_prefix>", "<｜fim▁begin｜>",
            "<PRE>", "▁<PRE>", "<|code_prefix|>", "<|prefix|>");
    private static final Set<String> FIM_SUF_TEXTS = Set.of("<|fim_suffix|>", "<fim-suffix>", "<fim_suffix>", "<｜fim▁hole｜>",
            "<SUF>", "▁<SUF>", "<|code_suffix|>", "<|suffix|>");
    private static final Set<String> FIM_MID_TEXTS = Set.of("<|fim_middle|>", "<fim-middle>", "<fim_middle>", "<｜fim▁end｜>",
            "<MID>", "▁<MID>", "<|code_middle|>", "<|middle|>");
    private static final Set<String> FIM_PAD_TEXTS = Set.of("<|fim_pad|>", "<fim-pad>", "<fim_pad>", "<PAD>", "[PAD]");
    private static final Set<String> FIM_REP_TEXTS = Set.of("<|fim_repo|>", "<|repo_name|>", "<fim-repo>", "<REPO>", "<reponame>");
    private static final Set<String> FIM_SEP_TEXTS = Set.of("<|file_sep|>");
    private static final Set<String> ALWAYS_USER_DEFINED = Set.of("<|channel|>", "<|message|>", "<|start|>", "<|constrain|>");

    private final boolean spm;
    private final String[] texts;
    private final int[] attrs;
    private final byte[][] pieces;
    private final boolean[] endOfGeneration;
    private final int[] specialTokens;   // control / user-defined / unknown, longest text first
    private final int bosId;
    private final int eosId;
    private final boolean addBos;
    private final boolean addEos;
    private final boolean addSpacePrefix;
    private final SpmEncoder spmEncoder;
    private final BpeEncoder bpeEncoder;

    private Tokenizer(GgufMetadata metadata) {
        String model = metadata.string("tokenizer.ggml.model")
                .orElseThrow(() -> new GgufException("metadata key tokenizer.ggml.model is missing or not a string"));
        if (!model.equals("llama") && !model.equals("gpt2")) {
            throw new IllegalArgumentException("tokenizer model " + model + " is not supported (supported: llama, gpt2)");
        }
        spm = model.equals("llama");
        texts = metadata.strings("tokenizer.ggml.tokens")
                .orElseThrow(() -> new GgufException("metadata key tokenizer.ggml.tokens is missing or not a string array"))
                .clone();
        int n = texts.length;
        if (n == 0) {
            throw new GgufException("metadata tokenizer.ggml.tokens is empty");
        }
        float[] scores = readScores(metadata, n);
        attrs = readAttributes(metadata, n);

        TextIndex index = new TextIndex(n);
        for (int id = 0; id < n; id++) {
            if (texts[id].isEmpty()) {
                texts[id] = "[EMPTY_" + id + "]";
            }
            int existing = index.putIfAbsent(texts[id], id);
            if (existing != id) {
                throw new GgufException("metadata tokenizer.ggml.tokens: duplicate token '" + texts[id] + "' has ids " + existing + " and " + id);
            }
        }

        String pre = metadata.string("tokenizer.ggml.pre").orElse(null);
        boolean bosByDefault;
        PreTokenizer preTokenizer = null;
        if (spm) {
            bosByDefault = true;
            addSpacePrefix = metadata.bool("tokenizer.ggml.add_space_prefix").orElse(true);
        } else {
            preTokenizer = PreTokenizer.forPreType(pre);
            if (preTokenizer == null) {
                throw new IllegalArgumentException("tokenizer pre-type " + pre + " is not supported (supported: default, "
                        + String.join(", ", PreTokenizer.GPT2_NAMES) + ", " + String.join(", ", PreTokenizer.LLAMA3_NAMES) + ", "
                        + String.join(", ", PreTokenizer.QWEN2_NAMES) + ", " + String.join(", ", PreTokenizer.EXAONE_NAMES) + ")");
            }
            bosByDefault = PreTokenizer.LLAMA3_NAMES.contains(pre);
            addSpacePrefix = metadata.bool("tokenizer.ggml.add_space_prefix").orElse(false);
        }

        int bos = specialId(metadata, "tokenizer.ggml.bos_token_id", spm ? 1 : 11, n);
        int eos = specialId(metadata, "tokenizer.ggml.eos_token_id", spm ? 2 : 11, n);
        int eot = specialId(metadata, "tokenizer.ggml.eot_token_id", -1, n);
        int eom = specialId(metadata, "tokenizer.ggml.eom_token_id", -1, n);
        int unk = specialId(metadata, "tokenizer.ggml.unknown_token_id", spm ? 0 : -1, n);
        specialId(metadata, "tokenizer.ggml.padding_token_id", -1, n);
        bosId = bos;
        eosId = eos;
        addBos = metadata.bool("tokenizer.ggml.add_bos_token").orElse(bosByDefault);
        addEos = metadata.bool("tokenizer.ggml.add_eos_token").orElse(false);
        if (addBos && bos < 0) {
            throw new GgufException("tokenizer.ggml.add_bos_token is true, but tokenizer.ggml.bos_token_id is not set");
        }
        if (addEos && eos < 0) {
            throw new GgufException("tokenizer.ggml.add_eos_token is true, but tokenizer.ggml.eos_token_id is not set");
        }

        endOfGeneration = findEndOfGeneration(index, eos, eot, eom);
        specialTokens = specialTokenOrder();
        if (spm) {
            spmEncoder = new SpmEncoder(index, scores, unk);
            bpeEncoder = null;
        } else {
            String[] merges = metadata.strings("tokenizer.ggml.merges")
                    .orElseThrow(() -> new GgufException("metadata key tokenizer.ggml.merges is missing or not a string array"));
            spmEncoder = null;
            bpeEncoder = new BpeEncoder(texts, index, merges, PreTokenizer.LLAMA3_NAMES.contains(pre), preTokenizer);
        }
        pieces = new byte[n][];
        for (int id = 0; id < n; id++) {
            pieces[id] = piece(id);
        }
    }

    public static Tokenizer fromGguf(GgufMetadata metadata) {
        return new Tokenizer(metadata);
    }

    private static float[] readScores(GgufMetadata metadata, int n) {
        String key = "tokenizer.ggml.scores";
        Object value = metadata.get(key);
        float[] scores = new float[n];
        if (value == null) {
            return scores;
        }
        if (value instanceof float[] f) {
            if (f.length < n) {
                throw new GgufException("metadata " + key + " has " + f.length + " entries, fewer than the " + n + " tokens");
            }
            System.arraycopy(f, 0, scores, 0, n);
        } else if (value instanceof int[] i) {
            if (i.length < n) {
                throw new GgufException("metadata " + key + " has " + i.length + " entries, fewer than the " + n + " tokens");
            }
            for (int k = 0; k < n; k++) {
                scores[k] = i[k];
            }
        } else {
            throw new GgufException("metadata " + key + " is not a float32 or int32 array");
        }
        return scores;
    }

    private static int[] readAttributes(GgufMetadata metadata, int n) {
        String key = "tokenizer.ggml.token_type";
        int[] attrs = new int[n];
        Object value = metadata.get(key);
        if (value == null) {
            Arrays.fill(attrs, ATTR_NORMAL);
            return attrs;
        }
        if (!(value instanceof int[] types)) {
            throw new GgufException("metadata " + key + " is not an int32 array");
        }
        if (types.length < n) {
            throw new GgufException("metadata " + key + " has " + types.length + " entries, fewer than the " + n + " tokens");
        }
        for (int id = 0; id < n; id++) {
            attrs[id] = switch (types[id]) {
                case 1 -> ATTR_NORMAL;
                case 2 -> ATTR_UNKNOWN;
                case 3 -> ATTR_CONTROL;
                case 4 -> ATTR_USER_DEFINED;
                case 5 -> ATTR_UNUSED;
                case 6 -> ATTR_BYTE;
                default -> 0;
            };
        }
        return attrs;
    }

    /** llama.cpp's rule: a default out of range is dropped; a metadata id out of range keeps the default. */
    private static int specialId(GgufMetadata metadata, String key, int fallback, int n) {
        int id = fallback >= n ? -1 : fallback;
        Object value = metadata.get(key);
        if (value == null) {
            return id;
        }
        if (!(value instanceof Long l)) {
            throw new GgufException("metadata " + key + " is not an integer");
        }
        return l >= 0 && l < n ? (int) (long) l : id;
    }

    private boolean[] findEndOfGeneration(TextIndex index, int eos, int eot, int eom) {
        int n = texts.length;
        int fimPre = -1;
        int fimSuf = -1;
        int fimMid = -1;
        int fimPad = -1;
        int fimRep = -1;
        int fimSep = -1;
        for (int id = 0; id < n; id++) {
            String text = texts[id];
            if (fimPre < 0 && FIM_PRE_TEXTS.contains(text)) {
                fimPre = id;
                attrs[id] |= ATTR_CONTROL;
            }
            if (fimSuf < 0 && FIM_SUF_TEXTS.contains(text)) {
                fimSuf = id;
                attrs[id] |= ATTR_CONTROL;
            }
            if (fimMid < 0 && FIM_MID_TEXTS.contains(text)) {
                fimMid = id;
                attrs[id] |= ATTR_CONTROL;
            }
            if (eot < 0 && EOT_TEXTS.contains(text)) {
                eot = id;
                attrs[id] |= ATTR_CONTROL;
            }
            if (eom < 0 && text.equals("<|eom_id|>")) {
                eom = id;
                attrs[id] |= ATTR_CONTROL;
            }
            if (fimPad < 0 && FIM_PAD_TEXTS.contains(text)) {
                fimPad = id;
                attrs[id] |= ATTR_CONTROL;
            }
            if (fimRep < 0 && FIM_REP_TEXTS.contains(text)) {
                fimRep = id;
                attrs[id] |= ATTR_CONTROL;
            }
            if (fimSep < 0 && FIM_SEP_TEXTS.contains(text)) {
                fimSep = id;
                attrs[id] |= ATTR_CONTROL;
            }
        }
        boolean[] eog = new boolean[n];
        for (int id : new int[] {fimPad, fimRep, fimSep, eos, eot, eom}) {
            if (id >= 0) {
                eog[id] = true;
            }
        }
        for (int id = 0; id < n; id++) {
            if (EOG_TEXTS.contains(texts[id])) {
                eog[id] = true;
                attrs[id] |= ATTR_CONTROL;
            }
            if (ALWAYS_USER_DEFINED.contains(texts[id])) {
                attrs[id] = ATTR_USER_DEFINED;
            }
        }
        // gpt-oss / solar-open: with <|return|> and <|call|> (or <|calls|> and <|flush|>), <|end|> is no EOG
        int end = index.get("<|end|>");
        int ret = index.get("<|return|>");
        int call = index.get("<|call|>") >= 0 ? index.get("<|call|>") : index.get("<|calls|>");
        int flush = index.get("<|flush|>");
        if (end >= 0 && eog[end] && call >= 0 && eog[call] && ((ret >= 0 && eog[ret]) || (flush >= 0 && eog[flush]))) {
            eog[end] = false;
            attrs[end] = ATTR_USER_DEFINED;
        }
        return eog;
    }

    private int[] specialTokenOrder() {
        List<Integer> ids = new ArrayList<>();
        for (int id = 0; id < texts.length; id++) {
            if ((attrs[id] & (ATTR_CONTROL | ATTR_USER_DEFINED | ATTR_UNKNOWN)) != 0 && texts[id].charAt(0) != GgufFile.RAW_MARK) {
                ids.add(id);
            }
        }
        ids.sort((a, b) -> Integer.compare(utf8Length(texts[b]), utf8Length(texts[a])));
        return ids.stream().mapToInt(Integer::intValue).toArray();
    }

    private static int utf8Length(String s) {
        return s.getBytes(StandardCharsets.UTF_8).length;
    }

    // ---- encoding ----

    public int[] encode(String text, boolean addSpecial, boolean parseSpecial) {
        text = replaceLoneSurrogates(text);
        List<int[]> fragments = partition(text, parseSpecial);
        IntList out = new IntList(text.length() / 3 + 4);
        if (addSpecial && addBos) {
            out.add(bosId);
        }
        boolean previousSpecial = true;
        for (int[] fragment : fragments) {
            if (fragment[0] >= 0) {
                out.add(fragment[0]);
                previousSpecial = true;
                continue;
            }
            String raw = text.substring(fragment[1], fragment[2]);
            if (spm) {
                String prefixed = addSpacePrefix && previousSpecial ? " " + raw : raw;
                spmEncoder.encode(prefixed.replace(" ", SPACE_ESCAPE), out);
            } else {
                bpeEncoder.encode(raw, out);
            }
            previousSpecial = false;
        }
        if (addSpecial && addEos) {
            out.add(eosId);
        }
        return out.toArray();
    }

    /** tokenizer_st_partition: fragments {token, -1, -1} or {-1, start, end} of text, in order. */
    private List<int[]> partition(String text, boolean parseSpecial) {
        List<int[]> fragments = new ArrayList<>();
        if (text.isEmpty()) {
            return fragments;
        }
        fragments.add(new int[] {-1, 0, text.length()});
        for (int special : specialTokens) {
            if (!parseSpecial && (attrs[special] & (ATTR_CONTROL | ATTR_UNKNOWN)) != 0) {
                continue;
            }
            String needle = texts[special];
            List<int[]> next = null;
            for (int f = 0; f < fragments.size(); f++) {
                int[] fragment = fragments.get(f);
                int at = fragment[0] < 0 ? text.indexOf(needle, fragment[1], fragment[2]) : -1;
                if (at < 0) {
                    if (next != null) {
                        next.add(fragment);
                    }
                    continue;
                }
                if (next == null) {
                    next = new ArrayList<>(fragments.subList(0, f));
                }
                int start = fragment[1];
                int end = fragment[2];
                while (at >= 0) {
                    if (at > start) {
                        next.add(new int[] {-1, start, at});
                    }
                    next.add(new int[] {special, -1, -1});
                    start = at + needle.length();
                    at = text.indexOf(needle, start, end);
                }
                if (start < end) {
                    next.add(new int[] {-1, start, end});
                }
            }
            if (next != null) {
                fragments = next;
            }
        }
        return fragments;
    }

    static String replaceLoneSurrogates(String text) {
        for (int i = 0; i < text.length(); i++) {
            char c = text.charAt(i);
            if (Character.isSurrogate(c)) {
                if (Character.isHighSurrogate(c) && i + 1 < text.length() && Character.isLowSurrogate(text.charAt(i + 1))) {
                    i++;
                    continue;
                }
                StringBuilder sb = new StringBuilder(text.length());
                text.codePoints().forEach(cp -> sb.appendCodePoint(cp >= 0xD800 && cp <= 0xDFFF ? 0xFFFD : cp));
                return sb.toString();
            }
        }
        return text;
    }

    static int[] codePoints(String text) {
        return text.codePoints().toArray();
    }

    // ---- decoding ----

    /** token_to_piece(special = false): the bytes the token contributes to text. */
    private byte[] piece(int id) {
        int attr = attrs[id];
        String text = texts[id];
        if ((attr & (ATTR_CONTROL | ATTR_UNKNOWN)) != 0) {
            return new byte[0];
        }
        if ((attr & ATTR_USER_DEFINED) != 0) {
            return GgufFile.rawBytes(text);
        }
        if ((attr & ATTR_NORMAL) != 0) {
            return spm ? unescapeSpaces(GgufFile.rawBytes(text)) : byteDecode(text);
        }
        if ((attr & ATTR_BYTE) != 0) {
            if (text.length() < 6 || !text.startsWith("<0x")) {
                throw new GgufException("metadata tokenizer.ggml.tokens[" + id + "] = '" + text + "' is a byte token but not <0xNN>");
            }
            return new byte[] {(byte) Integer.parseInt(text.substring(3, 5), 16)};
        }
        return new byte[0];
    }

    /** llama_unescape_whitespace on bytes: every UTF-8 U+2581 (E2 96 81) becomes a space. */
    private static byte[] unescapeSpaces(byte[] bytes) {
        ByteArrayOutputStream out = new ByteArrayOutputStream(bytes.length);
        for (int i = 0; i < bytes.length; i++) {
            if (i + 2 < bytes.length && bytes[i] == (byte) 0xE2 && bytes[i + 1] == (byte) 0x96 && bytes[i + 2] == (byte) 0x81) {
                out.write(' ');
                i += 2;
            } else {
                out.write(bytes[i]);
            }
        }
        return out.toByteArray();
    }

    /** llama_decode_text: GPT-2 characters back to bytes; an unmapped character becomes [UNK_BYTE_0x..] as in llama.cpp. */
    private static byte[] byteDecode(String text) {
        ByteArrayOutputStream out = new ByteArrayOutputStream(text.length());
        String valid = text.charAt(0) == GgufFile.RAW_MARK ? new String(GgufFile.rawBytes(text), StandardCharsets.UTF_8) : text;
        for (int i = 0; i < valid.length(); ) {
            int cp = valid.codePointAt(i);
            i += Character.charCount(cp);
            int b = cp < BpeEncoder.CHAR_TO_BYTE.length ? BpeEncoder.CHAR_TO_BYTE[cp] : -1;
            if (b >= 0) {
                out.write(b);
            } else {
                StringBuilder unk = new StringBuilder("[UNK_BYTE_0x");
                for (byte u : new String(Character.toChars(cp)).getBytes(StandardCharsets.UTF_8)) {
                    unk.append(String.format("%02x", u & 0xFF));
                }
                unk.append(valid).append(']');
                out.writeBytes(unk.toString().getBytes(StandardCharsets.UTF_8));
            }
        }
        return out.toByteArray();
    }

    public byte[] tokenBytes(int id) {
        return pieces[checkId(id)].clone();
    }

    public String decode(int[] ids) {
        ByteArrayOutputStream out = new ByteArrayOutputStream(ids.length * 4);
        for (int i = 0; i < ids.length; i++) {
            byte[] piece = pieces[checkId(ids[i])];
            int from = i == 0 && addSpacePrefix && piece.length > 0 && piece[0] == ' ' ? 1 : 0;
            out.write(piece, from, piece.length - from);
        }
        return out.toString(StandardCharsets.UTF_8);
    }

    private int checkId(int id) {
        if (id < 0 || id >= texts.length) {
            throw new IllegalArgumentException("token id " + id + " is outside the vocabulary of " + texts.length);
        }
        return id;
    }

    // ---- vocabulary ----

    /** The vocabulary entry as GgufFile gives it (not valid UTF-8: U+FFFF followed by the bytes as Latin-1). */
    public String token(int id) {
        return texts[checkId(id)];
    }

    public int size() {
        return texts.length;
    }

    public int bosId() {
        return bosId;
    }

    public int eosId() {
        return eosId;
    }

    public boolean addsBos() {
        return addBos;
    }

    public boolean isEndOfGeneration(int id) {
        return id >= 0 && id < texts.length && endOfGeneration[id];
    }

    public boolean isControl(int id) {
        return id >= 0 && id < texts.length && (attrs[id] & ATTR_CONTROL) != 0;
    }
}
