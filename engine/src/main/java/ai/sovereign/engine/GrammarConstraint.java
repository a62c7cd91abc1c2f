package ai.sovereign.engine;

import java.util.Arrays;

/**
 * A {@link TokenConstraint} that allows exactly the tokens whose bytes keep the output a prefix of
 * a sentence of a {@link Grammar}.
 *
 * <p>Masking walks the {@link VocabularyTrie} in preorder together with the {@link GrammarMatcher}:
 * the state after a trie node's bytes is one cached transition from its parent's, and a subtree is
 * skipped as soon as its prefix is rejected, so a step costs in proportion to the allowed region of
 * the trie (plus one pass over the logits to write negative infinity). The allowed-token sets of the
 * last few states are kept, so a state that repeats (inside a long string, say) costs only that pass.
 *
 * <p>Control tokens and empty tokens are never allowed. End-of-generation tokens are allowed only
 * where the sentence may end. {@link #complete()} is true once nothing may follow the output (for a
 * top-level number, which could always take one more digit, generation ends by an end-of-generation
 * token or the token limit instead).
 */
final class GrammarConstraint implements TokenConstraint {
    private static final int CACHED_MASKS = 8;

    private final GrammarMatcher matcher;
    private final VocabularyTrie trie;
    private final GrammarMatcher.State[] walk;
    private final GrammarMatcher.State[] maskStates = new GrammarMatcher.State[CACHED_MASKS];
    private final long[][] masks;
    private int nextMask;
    private GrammarMatcher.State state;

    GrammarConstraint(Grammar grammar, Tokenizer tokenizer) {
        this.matcher = new GrammarMatcher(grammar);
        this.trie = VocabularyTrie.of(tokenizer);
        this.walk = new GrammarMatcher.State[trie.maxDepth + 1];
        this.masks = new long[CACHED_MASKS][(trie.vocabularySize + 63) >>> 6];
        this.state = matcher.start;
    }

    @Override
    public void mask(float[] logits) {
        long[] allowed = allowedTokens();
        int n = Math.min(logits.length, trie.vocabularySize);
        for (int w = 0, base = 0; base < n; w++, base += 64) {
            long bits = allowed[w];
            if (bits == -1L) {
                continue;
            }
            int top = Math.min(64, n - base);
            if (bits == 0) {
                Arrays.fill(logits, base, base + top, Float.NEGATIVE_INFINITY);
                continue;
            }
            for (int i = 0; i < top; i++) {
                if ((bits >>> i & 1) == 0) {
                    logits[base + i] = Float.NEGATIVE_INFINITY;
                }
            }
        }
        if (logits.length > n) {
            Arrays.fill(logits, n, logits.length, Float.NEGATIVE_INFINITY);
        }
    }

    @Override
    public void accept(int token) {
        if (trie.endOfGenerationIndex(token) >= 0) {
            if (!state.accepting) {
                throw new IllegalStateException("end-of-generation token " + token + " before the output is complete");
            }
            return;
        }
        if (state.finished) {
            throw new IllegalStateException("token " + token + " after the output is complete");
        }
        GrammarMatcher.State next = matcher.next(state, trie.bytesOf(token));
        if (next == GrammarMatcher.DEAD) {
            throw new IllegalStateException("token " + token + " is not allowed here by the grammar");
        }
        state = next;
        matcher.trimCaches();
    }

    @Override
    public boolean complete() {
        return state.finished;
    }

    /** Whether the output may end here (an end-of-generation token is allowed). */
    boolean mayEnd() {
        return state.accepting;
    }

    /** Drops the cached allowed-token sets (for measuring the trie walk). */
    void forgetMasks() {
        Arrays.fill(maskStates, null);
    }

    /** Bit set of the tokens allowed next (owned by this object; valid until the next call). */
    long[] allowedTokens() {
        for (int i = 0; i < CACHED_MASKS; i++) {
            if (maskStates[i] == state) {
                return masks[i];
            }
        }
        int slot = nextMask;
        nextMask = (nextMask + 1) % CACHED_MASKS;
        long[] allowed = masks[slot];
        Arrays.fill(allowed, 0L);
        maskStates[slot] = state;
        if (state.accepting) {
            for (int t : trie.endOfGeneration) {
                allowed[t >>> 6] |= 1L << t;
            }
        }
        if (state.finished) {
            return allowed;
        }
        byte[] label = trie.label;
        int[] depth = trie.depth;
        int[] subtreeEnd = trie.subtreeEnd;
        int[] tokenStart = trie.tokenStart;
        int[] tokens = trie.tokens;
        GrammarMatcher.State[] walk = this.walk;
        walk[0] = state;
        int nodes = label.length;
        for (int i = 1; i < nodes; ) {
            int d = depth[i];
            GrammarMatcher.State s = matcher.next(walk[d - 1], label[i] & 0xFF);
            if (s == GrammarMatcher.DEAD) {
                i = subtreeEnd[i];
                continue;
            }
            walk[d] = s;
            for (int k = tokenStart[i], end = tokenStart[i + 1]; k < end; k++) {
                int t = tokens[k];
                allowed[t >>> 6] |= 1L << t;
            }
            i++;
        }
        return allowed;
    }
}
