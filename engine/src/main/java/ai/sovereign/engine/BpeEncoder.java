package ai.sovereign.engine;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;

/**
 * Byte-level BPE as in llama.cpp's llm_tokenizer_bpe_session: the pre-tokenizer splits the text into
 * words, each word's UTF-8 bytes are mapped to GPT-2's printable characters, and within a word the
 * adjacent pair with the lowest merge rank is merged repeatedly (ties: leftmost), using a priority
 * queue and a linked list of symbols, so a word of n bytes costs O(n log n). With ignore_merges
 * (Llama 3) a word that is itself a vocabulary entry is emitted whole. A final symbol that is not a
 * vocabulary entry falls back to the tokens of its single bytes, as llama.cpp does.
 *
 * <p>Symbols carry "piece" ids instead of strings: vocabulary entries keep their token id, strings
 * that only occur in merges get ids from the vocabulary size up. Equal pieces are equal strings, so
 * llama.cpp's string comparisons become int comparisons.
 */
final class BpeEncoder {
    /** GPT-2's bytes_to_unicode: byte value to the character that stands for it in the vocabulary. */
    static final char[] BYTE_TO_CHAR = new char[256];
    /** The inverse: character (below 0x144) to byte value, or -1. */
    static final int[] CHAR_TO_BYTE = new int[0x144];

    static {
        Arrays.fill(CHAR_TO_BYTE, -1);
        int n = 0;
        for (int b = 0; b < 256; b++) {
            boolean printable = (b >= 0x21 && b <= 0x7E) || (b >= 0xA1 && b <= 0xAC) || (b >= 0xAE && b <= 0xFF);
            char c = printable ? (char) b : (char) (256 + n++);
            BYTE_TO_CHAR[b] = c;
            CHAR_TO_BYTE[c] = b;
        }
    }

    private final TextIndex tokens;
    private final int vocabSize;
    private final boolean ignoreMerges;
    private final PreTokenizer preTokenizer;
    private final String[] extraPieces;      // piece id - vocabSize -> text
    private final int[] charPiece = new int[0x144];

    // merge table: open addressing on (leftPiece << 32 | rightPiece)
    private final long[] mergeKeys;
    private final int[] mergeRanks;
    private final int[] mergeResults;
    private final int mergeMask;

    BpeEncoder(String[] vocab, TextIndex tokens, String[] merges, boolean ignoreMerges, PreTokenizer preTokenizer) {
        this.tokens = tokens;
        this.vocabSize = vocab.length;
        this.ignoreMerges = ignoreMerges;
        this.preTokenizer = preTokenizer;

        TextIndex pieces = new TextIndex(vocab.length + 2 * merges.length + 0x144);
        for (int id = 0; id < vocab.length; id++) {
            pieces.putIfAbsent(vocab[id], id);
        }
        List<String> extra = new ArrayList<>();
        for (int c = 0; c < 0x144; c++) {
            charPiece[c] = piece(pieces, extra, String.valueOf((char) c));
        }

        int capacity = Integer.highestOneBit(Math.max(4, merges.length * 2 - 1)) << 1;
        mergeKeys = new long[capacity];
        Arrays.fill(mergeKeys, -1L);
        mergeRanks = new int[capacity];
        mergeResults = new int[capacity];
        mergeMask = capacity - 1;
        for (int rank = 0; rank < merges.length; rank++) {
            String merge = merges[rank];
            int space = merge.indexOf(' ', 1);
            if (space < 0) {
                continue;
            }
            String first = merge.substring(0, space);
            String second = merge.substring(space + 1);
            long key = pairKey(piece(pieces, extra, first), piece(pieces, extra, second));
            int slot = slot(key);
            if (mergeKeys[slot] == -1L) {
                mergeKeys[slot] = key;
                mergeRanks[slot] = rank;
                mergeResults[slot] = piece(pieces, extra, first + second);
            }
        }
        extraPieces = extra.toArray(new String[0]);
    }

    private int piece(TextIndex pieces, List<String> extra, String text) {
        int id = pieces.putIfAbsent(text, vocabSize + extra.size());
        if (id == vocabSize + extra.size()) {
            extra.add(text);
        }
        return id;
    }

    private static long pairKey(int left, int right) {
        return ((long) left << 32) | (right & 0xFFFFFFFFL);
    }

    /** The slot holding key, or the empty slot where it would go. */
    private int slot(long key) {
        int slot = (int) ((key * 0x9E3779B97F4A7C15L) >>> 32) & mergeMask;
        while (mergeKeys[slot] != -1L && mergeKeys[slot] != key) {
            slot = (slot + 1) & mergeMask;
        }
        return slot;
    }

    /** Per-call working storage, so one encoder can serve concurrent callers. */
    private static final class Work {
        final PreTokenizer.Words words = new PreTokenizer.Words();
        final BigramHeap heap = new BigramHeap();
        char[] mapped = new char[64];
        int[] piece = new int[64];
        int[] len = new int[64];
        int[] prev = new int[64];
        int[] next = new int[64];

        void ensure(int n) {
            if (mapped.length < n) {
                int size = Math.max(n, mapped.length * 2);
                mapped = new char[size];
                piece = new int[size];
                len = new int[size];
                prev = new int[size];
                next = new int[size];
            }
        }
    }

    void encode(String text, IntList out) {
        int[] cps = Tokenizer.codePoints(text);
        Work w = new Work();
        preTokenizer.split(cps, cps.length, w.words);
        int start = 0;
        for (int i = 0; i < w.words.count; i++) {
            int end = start + w.words.lengths[i];
            encodeWord(cps, start, end, w, out);
            start = end;
        }
    }

    private void encodeWord(int[] cps, int start, int end, Work w, IntList out) {
        w.ensure(4 * (end - start));
        int n = 0;
        char[] mapped = w.mapped;
        for (int i = start; i < end; i++) {
            n = appendMapped(cps[i], mapped, n);
        }
        if (ignoreMerges) {
            int whole = tokens.get(mapped, 0, n);
            if (whole >= 0) {
                out.add(whole);
                return;
            }
        }
        int[] piece = w.piece;
        int[] len = w.len;
        int[] prev = w.prev;
        int[] next = w.next;
        for (int i = 0; i < n; i++) {
            piece[i] = charPiece[mapped[i]];
            len[i] = 1;
            prev[i] = i - 1;
            next[i] = i + 1 < n ? i + 1 : -1;
        }
        BigramHeap heap = w.heap;
        heap.clear();
        for (int i = 1; i < n; i++) {
            addBigram(i - 1, i, piece, heap);
        }
        while (!heap.isEmpty()) {
            heap.pop();
            int left = heap.topLeft;
            int right = heap.topRight;
            int slot = heap.topA;
            if (len[left] == 0 || len[right] == 0 || mergeKeys[slot] != pairKey(piece[left], piece[right])) {
                continue;
            }
            len[left] += len[right];
            len[right] = 0;
            piece[left] = mergeResults[slot];
            next[left] = next[right];
            if (next[right] >= 0) {
                prev[next[right]] = left;
            }
            if (prev[left] >= 0) {
                addBigram(prev[left], left, piece, heap);
            }
            if (next[left] >= 0) {
                addBigram(left, next[left], piece, heap);
            }
        }
        for (int i = 0; i != -1 && n > 0; i = next[i]) {
            if (len[i] == 0) {
                continue;
            }
            int p = piece[i];
            if (p < vocabSize) {
                out.add(p);
            } else {
                emitBytesOf(extraPieces[p - vocabSize], out);
            }
        }
    }

    private void addBigram(int left, int right, int[] piece, BigramHeap heap) {
        int slot = slot(pairKey(piece[left], piece[right]));
        if (mergeKeys[slot] != -1L) {
            heap.push(mergeRanks[slot], left, right, slot, 0);
        }
    }

    /** llama.cpp's fallback for a symbol that is no token: the tokens of its single UTF-8 bytes, where they exist. */
    private void emitBytesOf(String pieceText, IntList out) {
        byte[] bytes = GgufFile.rawBytes(pieceText);
        for (byte b : bytes) {
            int v = b & 0xFF;
            String single = v < 0x80 ? String.valueOf((char) v) : GgufFile.RAW_MARK + String.valueOf((char) v);
            int id = tokens.get(single);
            if (id >= 0) {
                out.add(id);
            }
        }
    }

    /** Appends the GPT-2 characters for the UTF-8 bytes of cp; lone surrogates count as U+FFFD. */
    static int appendMapped(int cp, char[] out, int n) {
        if (cp < 0x80) {
            out[n++] = BYTE_TO_CHAR[cp];
        } else if (cp < 0x800) {
            out[n++] = BYTE_TO_CHAR[0xC0 | (cp >> 6)];
            out[n++] = BYTE_TO_CHAR[0x80 | (cp & 0x3F)];
        } else if (cp < 0x10000) {
            if (cp >= 0xD800 && cp <= 0xDFFF) {
                cp = 0xFFFD;
            }
            out[n++] = BYTE_TO_CHAR[0xE0 | (cp >> 12)];
            out[n++] = BYTE_TO_CHAR[0x80 | ((cp >> 6) & 0x3F)];
            out[n++] = BYTE_TO_CHAR[0x80 | (cp & 0x3F)];
        } else {
            out[n++] = BYTE_TO_CHAR[0xF0 | (cp >> 18)];
            out[n++] = BYTE_TO_CHAR[0x80 | ((cp >> 12) & 0x3F)];
            out[n++] = BYTE_TO_CHAR[0x80 | ((cp >> 6) & 0x3F)];
            out[n++] = BYTE_TO_CHAR[0x80 | (cp & 0x3F)];
        }
        return n;
    }
}
