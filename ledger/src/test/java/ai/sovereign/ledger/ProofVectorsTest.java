package ai.sovereign.ledger;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import java.math.BigInteger;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.regex.Pattern;
import java.util.stream.Stream;
import org.junit.jupiter.api.DynamicTest;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestFactory;

/**
 * Every vector of transparency-dev/merkle {@code testdata/} (inclusion, consistency, subtree inclusion, subtree
 * consistency), negative cases included; for the subtree vectors each negative case must fail for its own reason
 * (a flipped proof bit by a root mismatch, a malformed range by the range check, ...), not just fail.
 */
class ProofVectorsTest {

    private static MemoryTree referenceTree() {
        List<byte[]> leaves = new ArrayList<>();
        Vectors.json("transparency-dev-merkle/reference-tree.json").get("leafInputsHex").forEach(x -> leaves.add(Vectors.hex(x.asText())));
        return MemoryTree.ofEntries(leaves);
    }

    @TestFactory
    Stream<DynamicTest> inclusion() {
        List<Path> files = Vectors.files("transparency-dev-merkle/testdata/inclusion");
        assertEquals(98, files.size());
        return files.stream().map(f -> DynamicTest.dynamicTest(name(f), () -> {
            JsonNode v = Vectors.json(f);
            Verification<Void> r = Proofs.verifyInclusion(v.get("leafIdx").asLong(), v.get("treeSize").asLong(),
                    Vectors.b64(v.get("leafHash")), Vectors.b64List(v.get("proof")), Vectors.b64(v.get("root")));
            check(v, r);
        }));
    }

    @TestFactory
    Stream<DynamicTest> consistency() {
        List<Path> files = Vectors.files("transparency-dev-merkle/testdata/consistency");
        assertEquals(98, files.size());
        return files.stream().map(f -> DynamicTest.dynamicTest(name(f), () -> {
            JsonNode v = Vectors.json(f);
            Verification<Void> r = Proofs.verifyConsistency(v.get("size1").asLong(), v.get("size2").asLong(),
                    Vectors.b64List(v.get("proof")), Vectors.b64(v.get("root1")), Vectors.b64(v.get("root2")));
            check(v, r);
        }));
    }

    /*
     * Why each broken subtree vector must be refused. A vector whose own fields are malformed (a range that is no
     * subtree, a hash that is not 32 bytes, an empty subtree with a proof ...) must fail on exactly that, read from
     * its fields below; many mutations are applied to such bases. A well-formed one must fail for what its mutation
     * did: a changed hash by a root mismatch, an added or dropped hash by the proof's length, a moved index or size
     * by either (the length a proof needs depends on both).
     */
    private static final String COUNT = "hashes; .* needs \\d+";
    private static final String MISMATCH = "computes (subtree )?root";
    private static final Map<String, String> SUBTREE_REASONS = Map.ofEntries(
            Map.entry("random leaf", MISMATCH), Map.entry("wrong leaf", MISMATCH), Map.entry("random root", MISMATCH),
            Map.entry("empty root", MISMATCH), Map.entry("empty root and random leaf", MISMATCH),
            Map.entry("modified proof[0] bit @3", MISMATCH), Map.entry("modified proof[1] bit @3", MISMATCH),
            Map.entry("modified proof[2] bit @3", MISMATCH), Map.entry("modified proof@0 bit @4", MISMATCH),
            Map.entry("modified proof@1 bit @4", MISMATCH), Map.entry("modified proof@2 bit @4", MISMATCH),
            Map.entry("swapped roots", MISMATCH), Map.entry("wrong root1", MISMATCH), Map.entry("wrong root2", MISMATCH),
            Map.entry("inserted component", COUNT), Map.entry("removed component", COUNT), Map.entry("truncated proof", COUNT),
            Map.entry("preceding root", COUNT), Map.entry("trailing root", COUNT), Map.entry("preceding proof @0", COUNT),
            Map.entry("preceding root1", COUNT), Map.entry("preceding root2", COUNT), Map.entry("trailing root1", COUNT),
            Map.entry("trailing root2", COUNT), Map.entry("preceding garbage", COUNT), Map.entry("trailing garbage", COUNT),
            Map.entry("leafIdx XOR @2", COUNT + "|" + MISMATCH), Map.entry("leafIdx plus @1", COUNT + "|" + MISMATCH),
            Map.entry("leafIdx sub @1", COUNT + "|" + MISMATCH), Map.entry("treeSize div @2", COUNT + "|" + MISMATCH),
            Map.entry("treeSize mul @2", COUNT + "|" + MISMATCH), Map.entry("size1 XOR @2", COUNT + "|" + MISMATCH),
            Map.entry("size1 plus @1", COUNT + "|" + MISMATCH), Map.entry("size1 sub @1", COUNT + "|" + MISMATCH),
            Map.entry("size2 div @2", COUNT + "|" + MISMATCH), Map.entry("size2 mul @2", COUNT + "|" + MISMATCH));

    /** The smallest power of two at least {@code n} (test's own arithmetic, not the verifier's). */
    private static long bitCeil(long n) {
        long c = 1;
        while (c < n) {
            c <<= 1;
        }
        return c;
    }

    private static boolean notASubtree(long start, long end) {
        return start > end || (start != 0 && end > start && start % bitCeil(end - start) != 0);
    }

    private static String badLength(String name, byte[] hash) {
        return hash.length == Hash.SIZE ? null : "^" + name + " is " + hash.length + " bytes";
    }

    private static String badProofHash(List<byte[]> proof) {
        for (int k = 0; k < proof.size(); k++) {
            if (proof.get(k).length != Hash.SIZE) {
                return "^proof hash " + k + " is " + proof.get(k).length + " bytes";
            }
        }
        return null;
    }

    private static String firstOf(String... reasons) {
        return java.util.Arrays.stream(reasons).filter(java.util.Objects::nonNull).findFirst().orElse(null);
    }

    /** What a malformed subtree-inclusion vector must fail for, from its fields; null when it is well-formed. */
    private static String malformedInclusion(long index, long start, long end, byte[] leaf, byte[] root, List<byte[]> proof) {
        if (index < 0 || start < 0 || end < 0) {
            return "^negative";
        }
        if (notASubtree(start, end)) {
            return "is not a subtree";
        }
        if (index < start || index >= end) {
            return "^leaf index " + index + " is outside the subtree";
        }
        return firstOf(badLength("leaf hash", leaf), badLength("root", root), badProofHash(proof));
    }

    /** What a malformed subtree-consistency vector must fail for, from its fields; null when it is well-formed. */
    private static String malformedConsistency(long start, long end, long size, byte[] sub, byte[] root, List<byte[]> proof) throws Exception {
        byte[] emptyRoot = java.security.MessageDigest.getInstance("SHA-256").digest();
        if (start < 0 || end < 0 || size < 0) {
            return "^negative";
        }
        if (notASubtree(start, end)) {
            return "is not a subtree";
        }
        if (end > size) {
            return "ends beyond the tree size " + size;
        }
        if (start == end) {
            return !proof.isEmpty() ? "is empty: its consistency proof must be empty"
                    : !java.util.Arrays.equals(sub, emptyRoot) ? "^the empty subtree .* must have root " : null;
        }
        if (start == 0 && end == size) {
            return !proof.isEmpty() ? "is the whole tree: its consistency proof must be empty"
                    : !java.util.Arrays.equals(sub, root) ? "is the whole tree, but its root" : null;
        }
        if (proof.isEmpty()) {
            return "^empty consistency proof from subtree";
        }
        return firstOf(badLength("subtree root", sub), badLength("root", root), badProofHash(proof));
    }

    @TestFactory
    Stream<DynamicTest> subtreeInclusion() {
        List<Path> files = Vectors.files("transparency-dev-merkle/testdata/subtreeinclusion");
        assertEquals(204, files.size());
        assertEquals(8, files.stream().filter(f -> f.getParent().getFileName().toString().equals("errors")).count());
        return files.stream().map(f -> DynamicTest.dynamicTest(name(f), () -> {
            JsonNode v = Vectors.json(f);
            long index = u64(v, "leafIdx");
            long start = u64(v, "start");
            long end = u64(v, "end");
            byte[] leaf = Vectors.b64(v.get("leafHash"));
            byte[] root = Vectors.b64(v.get("root"));
            List<byte[]> proof = Vectors.b64List(v.get("proof"));
            check(v, Proofs.verifySubtreeInclusion(index, start, end, leaf, proof, root), malformedInclusion(index, start, end, leaf, root, proof));
        }));
    }

    @TestFactory
    Stream<DynamicTest> subtreeConsistency() {
        List<Path> files = Vectors.files("transparency-dev-merkle/testdata/subtreeconsistency");
        assertEquals(118, files.size());
        return files.stream().map(f -> DynamicTest.dynamicTest(name(f), () -> {
            JsonNode v = Vectors.json(f);
            long start = u64(v, "start");
            long end = u64(v, "end");
            long size = u64(v, "size");
            byte[] sub = Vectors.b64(v.get("root1"));
            byte[] root = Vectors.b64(v.get("root2"));
            List<byte[]> proof = Vectors.b64List(v.get("proof"));
            check(v, Proofs.verifySubtreeConsistency(start, end, size, proof, sub, root), malformedConsistency(start, end, size, sub, root, proof));
        }));
    }

    /** Subtree proofs we generate over the reference tree are exactly the happy-path vectors that lie in it. */
    @Test
    void generatedSubtreeProofsEqualHappyPaths() {
        MemoryTree tree = referenceTree();
        int compared = 0;
        for (Path f : Vectors.files("transparency-dev-merkle/testdata/subtreeinclusion")) {
            JsonNode v = Vectors.json(f);
            long start = u64(v, "start");
            long end = u64(v, "end");
            if (!v.get("wantErr").asBoolean() && end <= 8 && java.util.Arrays.equals(Vectors.b64(v.get("root")), Proofs.subtree(tree, start, end))) {
                assertProofEquals(Vectors.b64List(v.get("proof")), Proofs.subtreeInclusion(tree, u64(v, "leafIdx"), start, end), f);
                compared++;
            }
        }
        for (Path f : Vectors.files("transparency-dev-merkle/testdata/subtreeconsistency")) {
            JsonNode v = Vectors.json(f);
            long start = u64(v, "start");
            long end = u64(v, "end");
            long size = u64(v, "size");
            if (!v.get("wantErr").asBoolean() && start < end && size <= 8 && java.util.Arrays.equals(Vectors.b64(v.get("root2")), tree.root(size))
                    && java.util.Arrays.equals(Vectors.b64(v.get("root1")), Proofs.subtree(tree, start, end))) {
                assertProofEquals(Vectors.b64List(v.get("proof")), Proofs.subtreeConsistency(tree, start, end, size), f);
                compared++;
            }
        }
        assertTrue(compared >= 10, "compared " + compared + " happy paths");
    }

    /** The happy paths over the 8-leaf reference tree are exactly what our generator produces. */
    @Test
    void generatedProofsEqualHappyPaths() {
        MemoryTree tree = referenceTree();
        int compared = 0;
        for (Path f : Vectors.files("transparency-dev-merkle/testdata/inclusion")) {
            JsonNode v = Vectors.json(f);
            long n = v.get("treeSize").asLong();
            if (!v.get("wantErr").asBoolean() && n <= 8 && n > 0 && java.util.Arrays.equals(Vectors.b64(v.get("root")), tree.root(n))) {
                assertProofEquals(Vectors.b64List(v.get("proof")), Proofs.inclusion(tree, v.get("leafIdx").asLong(), n), f);
                compared++;
            }
        }
        for (Path f : Vectors.files("transparency-dev-merkle/testdata/consistency")) {
            JsonNode v = Vectors.json(f);
            long n = v.get("size2").asLong();
            if (!v.get("wantErr").asBoolean() && n <= 8 && java.util.Arrays.equals(Vectors.b64(v.get("root2")), tree.root(n))) {
                assertProofEquals(Vectors.b64List(v.get("proof")), Proofs.consistency(tree, v.get("size1").asLong(), n), f);
                compared++;
            }
        }
        assertTrue(compared >= 10, "compared " + compared + " happy paths");
    }

    private static void assertProofEquals(List<byte[]> want, List<byte[]> got, Path f) {
        assertEquals(want.size(), got.size(), f.toString());
        for (int i = 0; i < want.size(); i++) {
            assertArrayEquals(want.get(i), got.get(i), f + " hash " + i);
        }
    }

    /** A vector's unsigned 64-bit number as our signed position (values past 2^63 - 1 become negative and are refused as such). */
    private static long u64(JsonNode v, String field) {
        return new BigInteger(v.get(field).asText()).longValue();
    }

    /** {@code malformed}: the reason a structurally broken vector must give (null: well-formed, so its mutation's reason). */
    private static void check(JsonNode v, Verification<Void> r, String malformed) {
        check(v, r);
        if (v.get("wantErr").asBoolean()) {
            String desc = v.get("desc").asText().replace(" - subtree", "");
            String want = malformed != null ? malformed : SUBTREE_REASONS.get(desc);
            assertNotNull(want, "vector '" + desc + "' is well-formed and its mutation has no expected reason");
            assertTrue(Pattern.compile(want).matcher(r.reason()).find(), "'" + desc + "' must fail with /" + want + "/, not: " + r.reason());
        } else {
            assertNull(malformed, "a vector that must pass is well-formed");
        }
    }

    private static void check(JsonNode v, Verification<Void> r) {
        if (v.get("wantErr").asBoolean()) {
            assertFalse(r.isOk(), v.get("desc").asText() + " must fail");
            assertNotNull(r.reason());
            assertFalse(r.reason().isBlank());
        } else {
            assertTrue(r.isOk(), v.get("desc").asText() + ": " + r.reason());
        }
    }

    private static String name(Path f) {
        return f.getParent().getFileName() + "/" + f.getFileName();
    }

    /** Precise messages for the classic failure shapes. */
    @Test
    void failureMessagesNameTheProblem() {
        MemoryTree t = MemoryTree.ofSize(8);
        byte[] root = t.root(8);
        List<byte[]> p = Proofs.inclusion(t, 5, 8);
        assertEquals("leaf index 8 is not below tree size 8", Proofs.verifyInclusion(8, 8, t.leaf(5), p, root).reason());
        List<byte[]> longer = new ArrayList<>(p);
        longer.add(root);
        assertEquals("inclusion proof has 4 hashes; leaf 5 of a tree of 8 needs 3", Proofs.verifyInclusion(5, 8, t.leaf(5), longer, root).reason());
        assertEquals("leaf hash is 9 bytes; a hash is 32", Proofs.verifyInclusion(5, 8, new byte[9], p, root).reason());
        assertTrue(Proofs.verifyInclusion(5, 8, t.leaf(4), p, root).reason().startsWith("inclusion proof for leaf 5 of a tree of 8 computes root "));
        assertEquals("old size 9 is larger than new size 8 (a rollback)", Proofs.verifyConsistency(9, 8, List.of(), root, root).reason());
        assertEquals("a consistency proof from the empty tree is meaningless (size 0 to 8)",
                Proofs.verifyConsistency(0, 8, List.of(), Merkle.EMPTY_ROOT, root).reason());
        assertEquals("empty consistency proof from size 3 to 8", Proofs.verifyConsistency(3, 8, List.of(), t.root(3), root).reason());
        assertTrue(Proofs.verifyConsistency(3, 8, Proofs.consistency(t, 3, 8), t.root(4), root).reason()
                .startsWith("consistency proof from size 3 to 8 computes old root "));
    }
}
