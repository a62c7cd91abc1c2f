package ai.sovereign.engine;

import java.util.Arrays;
import java.util.HashSet;
import java.util.Set;

/**
 * A made-up SentencePiece-style vocabulary ({@code tokenizer.ggml.model = llama}) of any size, for
 * synthesized models without a real tokenizer: {@code <unk>} 0, {@code <s>} 1, {@code </s>} 2, the
 * 256 byte tokens {@code <0x00>..<0xFF>} (so every text encodes), the printable ASCII characters
 * and {@code ▁}, then letter strings over a frequency-ordered alphabet (all pairs, then all
 * triples, ...) until the size is reached, each reachable by merging two shorter pieces. Scores
 * fall with the id, so shorter pieces merge first.
 */
final class SyntheticVocabulary {
    private static final String ALPHABET = "\u2581etaoinsrhldcumfpgwybvkxjqz";
    static final int MIN_SIZE = 3 + 256 + 1;

    private SyntheticVocabulary() {}

    static String[] tokens(int size) {
        if (size < MIN_SIZE) {
            throw new IllegalArgumentException("a synthetic vocabulary needs at least " + MIN_SIZE + " tokens, not " + size);
        }
        String[] tokens = new String[size];
        Set<String> used = new HashSet<>();
        int n = 0;
        for (String special : new String[] {"<unk>", "<s>", "</s>"}) {
            tokens[n++] = special;
        }
        for (int b = 0; b < 256; b++) {
            tokens[n++] = String.format("<0x%02X>", b);
        }
        used.addAll(Arrays.asList(tokens).subList(0, n));
        StringBuilder singles = new StringBuilder("\u2581");
        for (char c = 0x21; c < 0x7F; c++) {
            singles.append(c);
        }
        for (int i = 0; i < singles.length() && n < size; i++) {
            String piece = String.valueOf(singles.charAt(i));
            if (used.add(piece)) {
                tokens[n++] = piece;
            }
        }
        String[] previous = ALPHABET.chars().mapToObj(c -> String.valueOf((char) c)).toArray(String[]::new);
        while (n < size) {
            String[] longer = new String[previous.length * ALPHABET.length()];
            int k = 0;
            for (String p : previous) {
                for (int i = 0; i < ALPHABET.length(); i++) {
                    longer[k++] = p + ALPHABET.charAt(i);
                }
            }
            for (String piece : longer) {
                if (n == size) {
                    break;
                }
                // a word boundary only at the start, as SentencePiece pieces have it
                if (piece.indexOf('\u2581', 1) < 0 && used.add(piece)) {
                    tokens[n++] = piece;
                }
            }
            previous = longer;
        }
        return tokens;
    }

    static void putMetadata(GgufWriter w, int size) {
        String[] tokens = tokens(size);
        float[] scores = new float[size];
        int[] types = new int[size];
        for (int id = 0; id < size; id++) {
            scores[id] = id < 3 ? 0f : -id;
            types[id] = id == 0 ? 2 : id < 3 ? 3 : id < 259 ? 6 : 1; // unknown, control, byte, normal
        }
        w.putString("tokenizer.ggml.model", "llama");
        w.putStrings("tokenizer.ggml.tokens", tokens);
        w.putFloats("tokenizer.ggml.scores", scores);
        w.putArray("tokenizer.ggml.token_type", types, GgufValueType.INT32);
        w.putUint32("tokenizer.ggml.bos_token_id", 1);
        w.putUint32("tokenizer.ggml.eos_token_id", 2);
        w.putUint32("tokenizer.ggml.unknown_token_id", 0);
        w.putBool("tokenizer.ggml.add_bos_token", true);
        w.putBool("tokenizer.ggml.add_space_prefix", true);
    }
}
