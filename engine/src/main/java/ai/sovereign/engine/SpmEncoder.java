package ai.sovereign.engine;

import java.nio.charset.StandardCharsets;

/**
 * SentencePiece-style BPE as in llama.cpp's llm_tokenizer_spm_session: the (already ▁-escaped) text
 * starts as one symbol per code point; every adjacent pair whose concatenation is a vocabulary entry
 * is queued by that entry's score, and the best pair (highest score, then leftmost) is merged until
 * none is left, O(n log n) with a priority queue over a linked list. A final symbol that is not a
 * vocabulary entry is emitted as its UTF-8 bytes through the {@code <0xNN>} tokens (byte fallback),
 * or as the unknown token when the vocabulary has no token for a byte.
 */
final class SpmEncoder {
    private final TextIndex tokens;
    private final float[] scores;
    private final int[] byteTokens = new int[256];

    SpmEncoder(TextIndex tokens, float[] scores, int unknownId) {
        this.tokens = tokens;
        this.scores = scores;
        for (int b = 0; b < 256; b++) {
            int id = tokens.get(String.format("<0x%02X>", b));
            if (id < 0) {
                id = tokens.get(b < 0x80 ? String.valueOf((char) b) : GgufFile.RAW_MARK + String.valueOf((char) b));
            }
            byteTokens[b] = id >= 0 ? id : unknownId;
        }
    }

    void encode(String escaped, IntList out) {
        char[] text = escaped.toCharArray();
        int n = escaped.codePointCount(0, text.length);
        if (n == 0) {
            return;
        }
        int[] start = new int[n];
        int[] len = new int[n];
        int[] prev = new int[n];
        int[] next = new int[n];
        for (int i = 0, c = 0; i < n; i++) {
            start[i] = c;
            len[i] = Character.isHighSurrogate(text[c]) && c + 1 < text.length && Character.isLowSurrogate(text[c + 1]) ? 2 : 1;
            c += len[i];
            prev[i] = i - 1;
            next[i] = i + 1 < n ? i + 1 : -1;
        }
        BigramHeap heap = new BigramHeap();
        for (int i = 1; i < n; i++) {
            addBigram(text, start, len, i - 1, i, heap);
        }
        while (!heap.isEmpty()) {
            heap.pop();
            int left = heap.topLeft;
            int right = heap.topRight;
            if (len[left] == 0 || len[right] == 0 || len[left] + len[right] != heap.topA) {
                continue;
            }
            len[left] += len[right];
            len[right] = 0;
            next[left] = next[right];
            if (next[right] >= 0) {
                prev[next[right]] = left;
            }
            if (prev[left] >= 0) {
                addBigram(text, start, len, prev[left], left, heap);
            }
            if (next[left] >= 0) {
                addBigram(text, start, len, left, next[left], heap);
            }
        }
        for (int i = 0; i != -1; i = next[i]) {
            int id = tokens.get(text, start[i], len[i]);
            if (id >= 0) {
                out.add(id);
                continue;
            }
            byte[] bytes = new String(text, start[i], len[i]).getBytes(StandardCharsets.UTF_8);
            for (byte b : bytes) {
                int byteId = byteTokens[b & 0xFF];
                if (byteId < 0) {
                    throw new IllegalStateException("byte 0x" + Integer.toHexString(b & 0xFF)
                            + " has no <0xNN> token and the vocabulary has no unknown token");
                }
                out.add(byteId);
            }
        }
    }

    private void addBigram(char[] text, int[] start, int[] len, int left, int right, BigramHeap heap) {
        int size = len[left] + len[right];
        int id = tokens.get(text, start[left], size);
        if (id >= 0) {
            heap.push(-(double) scores[id], left, right, size, 0);
        }
    }
}
