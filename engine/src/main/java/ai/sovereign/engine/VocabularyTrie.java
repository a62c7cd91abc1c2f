package ai.sovereign.engine;

import java.util.Arrays;
import java.util.Map;
import java.util.WeakHashMap;

/**
 * The vocabulary's token byte strings as a byte trie, flattened in preorder so it can be walked
 * without recursion: node {@code i} has a byte {@link #label}, a {@link #depth}, and its subtree
 * ends just before {@link #subtreeEnd}; skipping a rejected subtree is one assignment. Tokens ending
 * at a node are {@code tokens[tokenStart[i] .. tokenStart[i + 1])}. Node 0 is the root (empty
 * prefix, no tokens).
 *
 * <p>Holds the tokens a grammar may ever allow: control tokens, end-of-generation tokens (listed in
 * {@link #endOfGeneration} instead) and tokens with no bytes are left out. Built once per
 * tokenizer and shared (immutable).
 */
final class VocabularyTrie {
    private static final Map<Tokenizer, VocabularyTrie> CACHE = new WeakHashMap<>();
    private static final byte[] EMPTY = new byte[0];

    final byte[] label;
    final int[] depth;
    final int[] subtreeEnd;
    final int[] tokenStart;
    final int[] tokens;
    final int[] endOfGeneration;
    final int maxDepth;
    final int vocabularySize;
    private final byte[][] tokenBytes;

    private VocabularyTrie(Tokenizer tokenizer) {
        int n = tokenizer.size();
        vocabularySize = n;
        byte[][] bytes = new byte[n][];
        Integer[] order = new Integer[n];
        int count = 0;
        int eogCount = 0;
        int[] eog = new int[n];
        for (int id = 0; id < n; id++) {
            if (tokenizer.isEndOfGeneration(id)) {
                eog[eogCount++] = id;
                continue;
            }
            if (tokenizer.isControl(id)) {
                continue;
            }
            byte[] b = tokenizer.tokenBytes(id);
            if (b.length == 0) {
                continue;
            }
            bytes[id] = b;
            order[count++] = id;
        }
        endOfGeneration = Arrays.copyOf(eog, eogCount);
        tokenBytes = bytes;
        Integer[] sorted = Arrays.copyOf(order, count);
        Arrays.sort(sorted, (x, y) -> Arrays.compareUnsigned(bytes[x], bytes[y]));

        // Upper bound on nodes: total bytes + root.
        long total = 1;
        for (int i = 0; i < count; i++) {
            total += bytes[sorted[i]].length;
        }
        int capacity = (int) Math.min(Integer.MAX_VALUE - 8, total);
        byte[] lab = new byte[capacity];
        int[] dep = new int[capacity];
        int[] end = new int[capacity];
        int[] tokenAt = new int[capacity + 1];
        int[] path = new int[1];
        int nodes = 1;
        int pathLength = 0; // nodes on the current path below the root
        byte[] previous = new byte[0];
        int maxDepthSeen = 0;
        int[] nodeOfToken = new int[count];
        for (int i = 0; i < count; i++) {
            byte[] b = bytes[sorted[i]];
            int common = Arrays.mismatch(previous, b);
            if (common < 0) {
                common = b.length; // same bytes as the previous token
            }
            common = Math.min(common, pathLength);
            for (int d = pathLength; d > common; d--) {
                end[path[d - 1]] = nodes;
            }
            pathLength = common;
            if (path.length < b.length) {
                path = Arrays.copyOf(path, Math.max(b.length, path.length * 2));
            }
            for (int d = common; d < b.length; d++) {
                lab[nodes] = b[d];
                dep[nodes] = d + 1;
                path[d] = nodes;
                nodes++;
            }
            pathLength = b.length;
            maxDepthSeen = Math.max(maxDepthSeen, b.length);
            nodeOfToken[i] = path[b.length - 1];
            previous = b;
        }
        for (int d = pathLength; d > 0; d--) {
            end[path[d - 1]] = nodes;
        }
        end[0] = nodes;
        // Tokens grouped by node, in node order (sorted order visits nodes in increasing index).
        tokens = new int[count];
        for (int i = 0; i < count; i++) {
            tokens[i] = sorted[i];
            tokenAt[nodeOfToken[i] + 1]++;
        }
        for (int i = 0; i < nodes; i++) {
            tokenAt[i + 1] += tokenAt[i];
        }
        label = Arrays.copyOf(lab, nodes);
        depth = Arrays.copyOf(dep, nodes);
        subtreeEnd = Arrays.copyOf(end, nodes);
        tokenStart = Arrays.copyOf(tokenAt, nodes + 1);
        maxDepth = maxDepthSeen;
    }

    static VocabularyTrie of(Tokenizer tokenizer) {
        synchronized (CACHE) {
            return CACHE.computeIfAbsent(tokenizer, VocabularyTrie::new);
        }
    }

    /** The token's bytes as the grammar sees them: none for control, end-of-generation and empty tokens. */
    byte[] bytesOf(int token) {
        byte[] b = tokenBytes[token];
        return b == null ? EMPTY : b;
    }

    /** Index of the token in {@link #endOfGeneration}, or a negative number. */
    int endOfGenerationIndex(int token) {
        return Arrays.binarySearch(endOfGeneration, token);
    }

    int nodeCount() {
        return label.length;
    }
}
