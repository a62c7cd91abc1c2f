package ai.sovereign.ledger;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;

import com.fasterxml.jackson.databind.JsonNode;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;

/** RFC 9162 hashing against transparency-dev/merkle's reference tree and Sunlight's real tiles. */
class MerkleTest {

    @Test
    void hasherVectors() {
        JsonNode h = Vectors.json("transparency-dev-merkle/reference-tree.json").get("hasher");
        assertEquals(4, h.size());
        assertArrayEquals(Vectors.hex(h.get(0).get("hex").asText()), Merkle.EMPTY_ROOT);
        assertArrayEquals(Vectors.hex(h.get(1).get("hex").asText()), Merkle.leafHash(new byte[0]));
        assertArrayEquals(Vectors.hex(h.get(2).get("hex").asText()), Merkle.leafHash("L123456".getBytes(StandardCharsets.US_ASCII)));
        assertArrayEquals(Vectors.hex(h.get(3).get("hex").asText()),
                Merkle.nodeHash("N123".getBytes(StandardCharsets.US_ASCII), "N456".getBytes(StandardCharsets.US_ASCII)));
    }

    @Test
    void referenceTreeNodesAndEveryRoot() {
        JsonNode ref = Vectors.json("transparency-dev-merkle/reference-tree.json");
        List<byte[]> leaves = new ArrayList<>();
        ref.get("leafInputsHex").forEach(x -> leaves.add(Vectors.hex(x.asText())));
        MemoryTree tree = MemoryTree.ofEntries(leaves);
        JsonNode levels = ref.get("nodeHashesByLevel");
        int nodes = 0;
        for (int l = 0; l < levels.size(); l++) {
            for (int i = 0; i < levels.get(l).size(); i++, nodes++) {
                assertArrayEquals(Vectors.hex(levels.get(l).get(i).asText()), tree.node(l, i), "level " + l + " node " + i);
            }
        }
        assertEquals(15, nodes);
        JsonNode roots = ref.get("rootHashesBySize");
        assertEquals(9, roots.size());
        List<byte[]> leafHashes = leaves.stream().map(Merkle::leafHash).toList();
        for (int n = 0; n <= 8; n++) {
            byte[] want = Vectors.hex(roots.get(n).asText());
            assertArrayEquals(want, tree.root(n), "root of size " + n);
            assertArrayEquals(want, Merkle.rootOf(leafHashes.subList(0, n)), "reference MTH of size " + n);
        }
    }

    /** Sunlight's 300-leaf tree (leaf i = "record i"): our tiles must be byte-identical to theirs. */
    @Test
    void sunlightTilesAreByteIdentical() {
        MemoryTree tree = new MemoryTree();
        for (int i = 0; i < 300; i++) {
            tree.append(("record " + i).getBytes(StandardCharsets.US_ASCII));
        }
        List<TilePath> tiles = TilePath.hashTiles(300);
        assertEquals(List.of("tile/0/000", "tile/0/001.p/44", "tile/1/000.p/1"), tiles.stream().map(TilePath::path).toList());
        for (TilePath t : tiles) {
            byte[] want = Vectors.bytes("sunlight-skylight/mirror/" + t.path());
            assertArrayEquals(want, TileMath.tileBytes(tree, t), t.path());
        }
        Hash root = Hash.ofBase64("gw31yQrqZZCcEOPrzX+bpy3nJ6QgngTKn8G1m0i62uU=");
        assertArrayEquals(root.raw(), tree.root(300));
        // The root recomputed from the tile files alone.
        TileMath.FileTiles files = name -> Vectors.bytes("sunlight-skylight/mirror/" + name);
        assertArrayEquals(root.raw(), Proofs.root(TileMath.source(files, 300), 300));
        assertEquals(root, Checkpoint.parse("rome2026h1.example.org\n300\n" + root.base64() + "\n").orThrow().root());
    }

    @Test
    void perfectRootMatchesRecursion() {
        MemoryTree tree = MemoryTree.ofSize(256);
        byte[] all = new byte[256 * 32];
        for (int i = 0; i < 256; i++) {
            System.arraycopy(tree.leaf(i), 0, all, i * 32, 32);
        }
        for (int h = 0; h <= 8; h++) {
            for (int i = 0; i < 256 >> h; i++) {
                assertArrayEquals(tree.node(h, i), Merkle.perfectRoot(all, (i << h) * 32, 1 << h));
            }
        }
    }
}
