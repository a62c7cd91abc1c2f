package ai.sovereign.ledger;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.ArrayList;
import java.util.List;
import java.util.SplittableRandom;
import org.junit.jupiter.api.Test;

/** Properties over random trees: every proof we generate verifies, every flipped bit fails. */
class ProofPropertyTest {
    private static final long SEED = 0x5eed_1ed9e7L;

    @Test
    void everyInclusionProofVerifiesAndAnyFlippedBitFails() {
        SplittableRandom rnd = new SplittableRandom(SEED);
        MemoryTree tree = MemoryTree.ofSize(1100);
        for (int round = 0; round < 40; round++) {
            long n = round < 20 ? round + 1 : 1 + rnd.nextLong(1100);
            byte[] root = tree.root(n);
            assertArrayEquals(Merkle.rootOf(tree.levels.getFirst().subList(0, (int) n)), root, "root of " + n);
            for (long i = 0; i < n; i++) {
                List<byte[]> proof = Proofs.inclusion(tree, i, n);
                assertEquals(Proofs.inclusionLength(i, n), proof.size());
                Verification<Void> v = Proofs.verifyInclusion(i, n, tree.leaf(i), proof, root);
                assertTrue(v.isOk(), "leaf " + i + " of " + n + ": " + v.reason());
            }
            long i = rnd.nextLong(n);
            List<byte[]> proof = Proofs.inclusion(tree, i, n);
            for (int k = 0; k < proof.size(); k++) {
                List<byte[]> bad = flip(proof, k, rnd.nextInt(256));
                assertFalse(Proofs.verifyInclusion(i, n, tree.leaf(i), bad, root).isOk(), "flipped hash " + k);
            }
            assertFalse(Proofs.verifyInclusion(i, n, flip(tree.leaf(i), rnd.nextInt(256)), proof, root).isOk());
            assertFalse(Proofs.verifyInclusion(i, n, tree.leaf(i), proof, flip(root, rnd.nextInt(256))).isOk());
            if (n > 1) {
                assertFalse(Proofs.verifyInclusion((i + 1) % n, n, tree.leaf(i), proof, root).isOk(), "wrong index");
            }
        }
    }

    @Test
    void everyConsistencyProofVerifiesAndAnyFlippedBitFails() {
        SplittableRandom rnd = new SplittableRandom(SEED + 1);
        MemoryTree tree = MemoryTree.ofSize(2100);
        for (long m = 1; m <= 40; m++) {
            for (long n = m; n <= 40; n++) {
                Verification<Void> v = Proofs.verifyConsistency(m, n, Proofs.consistency(tree, m, n), tree.root(m), tree.root(n));
                assertTrue(v.isOk(), m + " -> " + n + ": " + v.reason());
            }
        }
        for (int round = 0; round < 300; round++) {
            long n = 2 + rnd.nextLong(2099);
            long m = 1 + rnd.nextLong(n - 1);
            List<byte[]> proof = Proofs.consistency(tree, m, n);
            assertEquals(Proofs.consistencyLength(m, n), proof.size(), m + " -> " + n);
            byte[] r1 = tree.root(m);
            byte[] r2 = tree.root(n);
            assertTrue(Proofs.verifyConsistency(m, n, proof, r1, r2).isOk(), m + " -> " + n);
            int k = rnd.nextInt(proof.size());
            assertFalse(Proofs.verifyConsistency(m, n, flip(proof, k, rnd.nextInt(256)), r1, r2).isOk(), "flipped hash " + k);
            assertFalse(Proofs.verifyConsistency(m, n, proof, flip(r1, rnd.nextInt(256)), r2).isOk());
            assertFalse(Proofs.verifyConsistency(m, n, proof, r1, flip(r2, rnd.nextInt(256))).isOk());
            assertFalse(Proofs.verifyConsistency(m, n, proof.subList(0, proof.size() - 1), r1, r2).isOk(), "truncated");
            if (m + 1 < n) {
                assertFalse(Proofs.verifyConsistency(m + 1, n, proof, r1, r2).isOk(), "wrong old size");
            }
        }
    }

    /**
     * Every subtree of every tree up to 40 leaves: the inclusion proof of each of its leaves and its consistency
     * proof to every larger tree verify; a flipped hash, a wrong root or a shifted range fails; a subtree
     * consistency proof from start 0 is the RFC 9162 consistency proof.
     */
    @Test
    void everySubtreeProofVerifiesAndAnyFlippedBitFails() {
        SplittableRandom rnd = new SplittableRandom(SEED + 3);
        MemoryTree tree = MemoryTree.ofSize(40);
        int subtrees = 0;
        for (long end = 1; end <= 40; end++) {
            for (long start = 0; start < end; start++) {
                if (Proofs.subtreeProblem(start, end) != null) {
                    continue;
                }
                subtrees++;
                byte[] sub = Proofs.subtree(tree, start, end);
                for (long i = start; i < end; i++) {
                    List<byte[]> proof = Proofs.subtreeInclusion(tree, i, start, end);
                    Verification<Void> v = Proofs.verifySubtreeInclusion(i, start, end, tree.leaf(i), proof, sub);
                    assertTrue(v.isOk(), "leaf " + i + " of [" + start + ", " + end + "): " + v.reason());
                    if (!proof.isEmpty()) {
                        assertFalse(Proofs.verifySubtreeInclusion(i, start, end, tree.leaf(i), flip(proof, rnd.nextInt(proof.size()), rnd.nextInt(256)), sub).isOk());
                    }
                }
                for (long size = end; size <= 40; size++) {
                    List<byte[]> proof = Proofs.subtreeConsistency(tree, start, end, size);
                    byte[] root = tree.root(size);
                    Verification<Void> v = Proofs.verifySubtreeConsistency(start, end, size, proof, sub, root);
                    assertTrue(v.isOk(), "[" + start + ", " + end + ") in " + size + ": " + v.reason());
                    if (start == 0 && end < size) {
                        assertEqualsProof(Proofs.consistency(tree, end, size), proof);
                    }
                    if (!proof.isEmpty()) {
                        int k = rnd.nextInt(proof.size());
                        assertFalse(Proofs.verifySubtreeConsistency(start, end, size, flip(proof, k, rnd.nextInt(256)), sub, root).isOk(),
                                "[" + start + ", " + end + ") in " + size + ", flipped hash " + k);
                        assertFalse(Proofs.verifySubtreeConsistency(start, end, size, proof, flip(sub, rnd.nextInt(256)), root).isOk());
                        assertFalse(Proofs.verifySubtreeConsistency(start, end, size, proof, sub, flip(root, rnd.nextInt(256))).isOk());
                    }
                }
            }
        }
        assertEquals(140, subtrees);
    }

    /** Proofs from tiles equal proofs from the in-memory tree, across tile and level boundaries. */
    @Test
    void proofsFromTilesEqualProofsFromMemory() {
        MemoryTree tree = MemoryTree.ofSize(70_000);
        SplittableRandom rnd = new SplittableRandom(SEED + 2);
        for (long size : new long[] {1, 255, 256, 257, 65_535, 65_536, 65_537, 70_000}) {
            HashSource tiles = TileMath.source(path -> {
                TilePath t = TilePath.parse(path).orThrow();
                return TileMath.tileBytes(tree, t);
            }, size);
            assertArrayEquals(tree.root(size), Proofs.root(tiles, size), "root " + size);
            for (int k = 0; k < 20; k++) {
                long i = rnd.nextLong(size);
                assertEqualsProof(Proofs.inclusion(tree, i, size), Proofs.inclusion(tiles, i, size));
                long m = 1 + rnd.nextLong(size);
                assertEqualsProof(Proofs.consistency(tree, m, size), Proofs.consistency(tiles, m, size));
            }
        }
    }

    private static void assertEqualsProof(List<byte[]> a, List<byte[]> b) {
        assertEquals(a.size(), b.size());
        for (int i = 0; i < a.size(); i++) {
            assertArrayEquals(a.get(i), b.get(i));
        }
    }

    static List<byte[]> flip(List<byte[]> proof, int k, int bit) {
        List<byte[]> out = new ArrayList<>(proof);
        out.set(k, flip(proof.get(k), bit));
        return out;
    }

    static byte[] flip(byte[] h, int bit) {
        byte[] c = h.clone();
        c[bit / 8] ^= (byte) (1 << (bit % 8));
        return c;
    }
}
