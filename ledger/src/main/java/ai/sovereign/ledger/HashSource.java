package ai.sovereign.ledger;

/**
 * Where proof generation reads a tree's perfect subtrees from: memory in tests, tiles in a store.
 * {@code node(h, i)} is {@code MTH(D[i·2^h .. (i+1)·2^h))}; callers only ask for subtrees that lie
 * entirely inside the tree.
 */
@FunctionalInterface
interface HashSource {
    byte[] node(int height, long index);
}
