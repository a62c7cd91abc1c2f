package ai.sovereign.engine;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

/**
 * A context-free grammar over bytes, in the form {@link GrammarMatcher} runs (the shape of
 * llama.cpp's GBNF grammars): rules of alternatives, each a sequence of elements that are either a
 * byte set (a terminal) or a reference to a rule.
 *
 * <p>Guarantees established by {@link Builder#build}: no rule can reach itself without consuming a
 * byte (no left recursion, so expanding a position always terminates), and every alternative left
 * in the grammar can derive some finite byte string (alternatives through unproductive rules, such
 * as a required property that recursively requires itself, are dropped). Together these make every
 * live matcher stack completable: whatever prefix the matcher accepts extends to a full sentence.
 *
 * <p>Encoding: all alternatives are flattened into {@link #code}, each ended by {@link #END}; an
 * element {@code >= 0} is a terminal id, {@code <= -2} is a reference to rule {@code -2 - element}.
 */
final class Grammar {
    static final int END = -1;

    final int[] code;
    /** Per rule: the positions in {@link #code} where its alternatives start. */
    final int[][] alternatives;
    /** Four 64-bit words per terminal: the set of bytes it matches. */
    private final long[] terminals;
    final int root;

    private Grammar(int[] code, int[][] alternatives, long[] terminals, int root) {
        this.code = code;
        this.alternatives = alternatives;
        this.terminals = terminals;
        this.root = root;
    }

    static int ref(int rule) {
        return -2 - rule;
    }

    static boolean isRef(int element) {
        return element <= -2;
    }

    static int ruleOf(int element) {
        return -2 - element;
    }

    boolean matches(int terminal, int b) {
        return (terminals[terminal * 4 + (b >>> 6)] >>> (b & 63) & 1) != 0;
    }

    /** Builds a grammar rule by rule; elements are terminal ids from {@link #bytes} or {@link #ref}s. */
    static final class Builder {
        private final List<List<int[]>> rules = new ArrayList<>();
        private final List<long[]> sets = new ArrayList<>();
        private final Map<String, Integer> setIds = new HashMap<>();
        private final Map<String, Integer> literals = new HashMap<>();

        /** A new rule without alternatives yet; returns its id. */
        int rule() {
            rules.add(new ArrayList<>());
            return rules.size() - 1;
        }

        void alternative(int rule, int... elements) {
            rules.get(rule).add(elements.clone());
        }

        /** A terminal for the bytes lo..hi (inclusive) and any further lo/hi pairs. */
        int bytes(int... ranges) {
            long[] set = new long[4];
            for (int i = 0; i < ranges.length; i += 2) {
                for (int b = ranges[i]; b <= ranges[i + 1]; b++) {
                    set[b >>> 6] |= 1L << (b & 63);
                }
            }
            String key = Arrays.toString(set);
            Integer id = setIds.get(key);
            if (id == null) {
                id = sets.size();
                sets.add(set);
                setIds.put(key, id);
            }
            return id;
        }

        int oneByte(int b) {
            return bytes(b, b);
        }

        /** A reference to a rule matching exactly these bytes (shared between equal literals). */
        int literal(byte[] text) {
            String key = new String(text, java.nio.charset.StandardCharsets.ISO_8859_1);
            Integer rule = literals.get(key);
            if (rule == null) {
                int[] elements = new int[text.length];
                for (int i = 0; i < text.length; i++) {
                    elements[i] = oneByte(text[i] & 0xFF);
                }
                rule = rule();
                alternative(rule, elements);
                literals.put(key, rule);
            }
            return ref(rule);
        }

        int literal(String text) {
            return literal(text.getBytes(java.nio.charset.StandardCharsets.UTF_8));
        }

        /** A reference to a new rule with one alternative: the elements in sequence. */
        int sequence(int... elements) {
            int rule = rule();
            alternative(rule, elements);
            return ref(rule);
        }

        /** A reference to a new rule with one alternative per element. */
        int choice(int... elements) {
            int rule = rule();
            for (int e : elements) {
                alternative(rule, e);
            }
            return ref(rule);
        }

        int ruleCount() {
            return rules.size();
        }

        Grammar build(int root) {
            int n = rules.size();
            boolean[] productive = new boolean[n];
            for (boolean changed = true; changed; ) {
                changed = false;
                for (int r = 0; r < n; r++) {
                    if (!productive[r]) {
                        for (int[] alt : rules.get(r)) {
                            if (allProductive(alt, productive)) {
                                productive[r] = true;
                                changed = true;
                                break;
                            }
                        }
                    }
                }
            }
            if (!productive[root]) {
                throw new IllegalArgumentException("the schema admits no finite JSON value");
            }
            List<List<int[]>> kept = new ArrayList<>(n);
            for (int r = 0; r < n; r++) {
                List<int[]> alts = new ArrayList<>();
                for (int[] alt : rules.get(r)) {
                    if (allProductive(alt, productive)) {
                        alts.add(alt);
                    }
                }
                kept.add(alts);
            }
            checkNoLeftRecursion(kept);
            int size = 0;
            for (List<int[]> alts : kept) {
                for (int[] alt : alts) {
                    size += alt.length + 1;
                }
            }
            int[] code = new int[size];
            int[][] starts = new int[n][];
            int at = 0;
            for (int r = 0; r < n; r++) {
                List<int[]> alts = kept.get(r);
                starts[r] = new int[alts.size()];
                for (int a = 0; a < alts.size(); a++) {
                    starts[r][a] = at;
                    System.arraycopy(alts.get(a), 0, code, at, alts.get(a).length);
                    at += alts.get(a).length;
                    code[at++] = END;
                }
            }
            long[] terminals = new long[sets.size() * 4];
            for (int t = 0; t < sets.size(); t++) {
                System.arraycopy(sets.get(t), 0, terminals, t * 4, 4);
            }
            return new Grammar(code, starts, terminals, root);
        }

        private static boolean allProductive(int[] alt, boolean[] productive) {
            for (int e : alt) {
                if (isRef(e) && !productive[ruleOf(e)]) {
                    return false;
                }
            }
            return true;
        }

        /** Rejects a rule that reaches itself before any byte (it would make expansion loop). */
        private static void checkNoLeftRecursion(List<List<int[]>> rules) {
            int n = rules.size();
            boolean[] nullable = new boolean[n];
            for (boolean changed = true; changed; ) {
                changed = false;
                for (int r = 0; r < n; r++) {
                    if (nullable[r]) {
                        continue;
                    }
                    for (int[] alt : rules.get(r)) {
                        boolean all = true;
                        for (int e : alt) {
                            if (!isRef(e) || !nullable[ruleOf(e)]) {
                                all = false;
                                break;
                            }
                        }
                        if (all) {
                            nullable[r] = true;
                            changed = true;
                            break;
                        }
                    }
                }
            }
            // Left edges: r -> s when s can start r's match without a byte consumed before it.
            int[] mark = new int[n]; // 0 new, 1 on the path, 2 done
            for (int r = 0; r < n; r++) {
                if (mark[r] == 0) {
                    visit(r, rules, nullable, mark);
                }
            }
        }

        private static void visit(int start, List<List<int[]>> rules, boolean[] nullable, int[] mark) {
            // Iterative depth-first search (schemas can nest deeply).
            int n = rules.size();
            List<int[]> stack = new ArrayList<>(); // {rule, next edge index}
            int[][] edges = new int[n][];
            stack.add(new int[] {start, 0});
            mark[start] = 1;
            while (!stack.isEmpty()) {
                int[] top = stack.get(stack.size() - 1);
                int r = top[0];
                if (edges[r] == null) {
                    edges[r] = leftEdges(rules.get(r), nullable);
                }
                if (top[1] == edges[r].length) {
                    mark[r] = 2;
                    stack.remove(stack.size() - 1);
                    continue;
                }
                int s = edges[r][top[1]++];
                if (mark[s] == 1) {
                    throw new IllegalArgumentException("the schema has a reference cycle that consumes no input");
                }
                if (mark[s] == 0) {
                    mark[s] = 1;
                    stack.add(new int[] {s, 0});
                }
            }
        }

        private static int[] leftEdges(List<int[]> alts, boolean[] nullable) {
            List<Integer> out = new ArrayList<>();
            for (int[] alt : alts) {
                for (int e : alt) {
                    if (!isRef(e)) {
                        break;
                    }
                    out.add(ruleOf(e));
                    if (!nullable[ruleOf(e)]) {
                        break;
                    }
                }
            }
            return out.stream().mapToInt(Integer::intValue).toArray();
        }
    }
}
