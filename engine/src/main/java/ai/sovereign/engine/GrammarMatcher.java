package ai.sovereign.engine;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashMap;

/**
 * Runs a {@link Grammar} over bytes as a pushdown automaton, lazily determinized.
 *
 * <p>A stack is a linked list of grammar positions: the top points at a terminal, the frames below
 * at where to continue after the enclosing rule ends (a reference that ends its alternative pushes
 * no frame, so loops written as right recursion keep the stack flat). Alternatives make the
 * automaton nondeterministic, so a {@link State} is a set of stacks, as in llama.cpp's grammar
 * sampler. Stacks are hash-consed (equal stacks are the same object) and states interned, so a
 * state reached again is the same object and its byte transitions, cached in a 256-entry table, are
 * computed once: walking the vocabulary trie is then mostly table lookups, without allocation.
 *
 * <p>The empty stack {@link #accepted} stands for "the sentence may end here". Not thread-safe: one
 * matcher per generation.
 */
final class GrammarMatcher {
    /** A set of stacks, interned. */
    static final class State {
        final Node[] stacks;
        /** The sentence may end here. */
        final boolean accepting;
        /** The sentence must end here: nothing may follow. */
        final boolean finished;
        private State[] transitions;

        State(Node[] stacks, boolean accepting) {
            this.stacks = stacks;
            this.accepting = accepting;
            this.finished = accepting && stacks.length == 1;
        }
    }

    /** One stack frame: a position in the grammar code, and the frames below. */
    static final class Node {
        final int pos;
        final Node next;
        final int id;

        Node(int pos, Node next, int id) {
            this.pos = pos;
            this.next = next;
            this.id = id;
        }
    }

    /** The state after a byte no stack accepts. */
    static final State DEAD = new State(new Node[0], false);
    private static final int MAX_STATES = 10_000;

    private final Grammar grammar;
    private final int[] code;
    private final Node accepted = new Node(-1, null, 0);
    private final HashMap<Long, Node> nodes = new HashMap<>();
    private final HashMap<StackSet, State> states = new HashMap<>();
    private final ArrayList<Node> scratch = new ArrayList<>();
    private int nextNodeId = 1;
    final State start;

    GrammarMatcher(Grammar grammar) {
        this.grammar = grammar;
        this.code = grammar.code;
        for (int alt : grammar.alternatives[grammar.root]) {
            expand(alt, accepted);
        }
        start = intern();
    }

    /** The state after byte {@code b} (0..255) in state {@code s}, or {@link #DEAD}. */
    State next(State s, int b) {
        State[] table = s.transitions;
        if (table == null) {
            if (s == DEAD) {
                return DEAD;
            }
            table = s.transitions = new State[256];
        }
        State n = table[b];
        if (n == null) {
            n = compute(s, b);
            table[b] = n;
        }
        return n;
    }

    /** The state after the bytes, or {@link #DEAD}. */
    State next(State s, byte[] bytes) {
        for (int i = 0; i < bytes.length && s != DEAD; i++) {
            s = next(s, bytes[i] & 0xFF);
        }
        return s;
    }

    /**
     * Bounds memory over a long generation: past {@link #MAX_STATES} interned states, forgets all
     * states and their transitions (states still held stay valid; equal ones built later are new
     * objects, which only costs cache misses).
     */
    void trimCaches() {
        if (states.size() > MAX_STATES) {
            for (State s : states.values()) {
                s.transitions = null;
            }
            states.clear();
            nodes.clear();
        }
    }

    int stateCount() {
        return states.size();
    }

    /** How many distinct stacks were built (for tests and diagnostics). */
    int nodeCount() {
        return nextNodeId;
    }

    private State compute(State s, int b) {
        scratch.clear();
        for (Node node : s.stacks) {
            if (node != accepted && grammar.matches(code[node.pos], b)) {
                expand(node.pos + 1, node.next);
            }
        }
        return intern();
    }

    /** Adds to {@link #scratch} every stack that continues at {@code pos} with {@code rest} below. */
    private void expand(int pos, Node rest) {
        int e = code[pos];
        while (e == Grammar.END) {
            if (rest == accepted) {
                scratch.add(accepted);
                return;
            }
            pos = rest.pos;
            rest = rest.next;
            e = code[pos];
        }
        if (!Grammar.isRef(e)) {
            scratch.add(node(pos, rest));
            return;
        }
        Node after = code[pos + 1] == Grammar.END ? rest : node(pos + 1, rest);
        for (int alt : grammar.alternatives[Grammar.ruleOf(e)]) {
            expand(alt, after);
        }
    }

    private Node node(int pos, Node next) {
        long key = (long) pos << 32 | (next.id & 0xFFFFFFFFL);
        Node n = nodes.get(key);
        if (n == null) {
            n = new Node(pos, next, nextNodeId++);
            nodes.put(key, n);
        }
        return n;
    }

    private State intern() {
        if (scratch.isEmpty()) {
            return DEAD;
        }
        scratch.sort((x, y) -> Integer.compare(x.id, y.id));
        int count = 0;
        for (int i = 0; i < scratch.size(); i++) {
            if (i == 0 || scratch.get(i) != scratch.get(i - 1)) {
                scratch.set(count++, scratch.get(i));
            }
        }
        int[] ids = new int[count];
        Node[] stacks = new Node[count];
        boolean accepting = false;
        for (int i = 0; i < count; i++) {
            stacks[i] = scratch.get(i);
            ids[i] = stacks[i].id;
            accepting |= stacks[i] == accepted;
        }
        StackSet key = new StackSet(ids);
        State state = states.get(key);
        if (state == null) {
            state = new State(stacks, accepting);
            states.put(key, state);
        }
        return state;
    }

    private record StackSet(int[] ids) {
        @Override
        public boolean equals(Object o) {
            return o instanceof StackSet other && Arrays.equals(ids, other.ids);
        }

        @Override
        public int hashCode() {
            return Arrays.hashCode(ids);
        }
    }
}
