package ai.sovereign.ledger;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.stream.Stream;
import org.junit.jupiter.api.DynamicTest;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestFactory;

/** Every inclusion and consistency vector of transparency-dev/merkle {@code testdata/}, negative cases included. */
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
