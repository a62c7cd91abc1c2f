package ai.sovereign.ledger;

import java.util.ArrayList;
import java.util.List;

/** An in-memory tree for tests: every perfect subtree hash, level by level. */
final class MemoryTree implements HashSource {
    final List<List<byte[]>> levels = new ArrayList<>();

    MemoryTree() {
        levels.add(new ArrayList<>());
    }

    static MemoryTree ofEntries(List<byte[]> entries) {
        MemoryTree t = new MemoryTree();
        entries.forEach(t::append);
        return t;
    }

    static MemoryTree ofSize(long size) {
        MemoryTree t = new MemoryTree();
        for (long i = 0; i < size; i++) {
            t.append(("entry " + i).getBytes());
        }
        return t;
    }

    void append(byte[] entry) {
        appendLeafHash(Merkle.leafHash(entry));
    }

    void appendLeafHash(byte[] h) {
        levels.getFirst().add(h);
        for (int l = 0; levels.get(l).size() % 2 == 0; l++) {
            List<byte[]> level = levels.get(l);
            if (levels.size() == l + 1) {
                levels.add(new ArrayList<>());
            }
            levels.get(l + 1).add(Merkle.nodeHash(level.get(level.size() - 2), level.getLast()));
        }
    }

    long size() {
        return levels.getFirst().size();
    }

    byte[] leaf(long i) {
        return levels.getFirst().get((int) i);
    }

    byte[] root(long size) {
        return Proofs.root(this, size);
    }

    @Override
    public byte[] node(int height, long index) {
        return levels.get(height).get((int) index);
    }
}
