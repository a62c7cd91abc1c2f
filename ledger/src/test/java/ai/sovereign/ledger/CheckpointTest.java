package ai.sovereign.ledger;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;

import com.fasterxml.jackson.databind.JsonNode;
import java.nio.charset.StandardCharsets;
import java.util.List;
import org.junit.jupiter.api.Test;

/** C2SP tlog-checkpoint bodies, the Go sumdb tree note golden and bad trees, and tile paths. */
class CheckpointTest {

    /**
     * golang/mod {@code tlog-vectors.json}: the tree note golden, bad trees and the empty tree. Its
     * {@code recordFormat} (Go sumdb's {@code FormatRecord}, {@code "<id>\n<text>\n"}) is deliberately not
     * consumed: it is the go.sum database's own leaf content, and this log's leaves are the binary entries of
     * {@code ledger/ENTRY-FORMAT.md}, hashed as RFC 9162 leaves ({@link MerkleTest} covers that hashing).
     */
    @Test
    void goTreeNoteGolden() {
        JsonNode t = Vectors.json("golang-mod-sumdb/tlog-vectors.json");
        JsonNode f = t.get("formatTree");
        Hash root = Hash.wrap(Merkle.leafHash("hello world".getBytes(StandardCharsets.UTF_8)));
        Checkpoint c = new Checkpoint("go.sum database tree", f.get("treeSize").asLong(), root);
        assertEquals(f.get("golden").asText(), c.body());
        assertEquals(c, Checkpoint.parse(f.get("golden").asText()).orThrow());
        JsonNode bad = t.get("badTrees");
        // 1: wrong origin: parses, but is not the Go tree.
        assertFalse(Checkpoint.parse(bad.get(0).asText()).orThrow().origin().equals("go.sum database tree"));
        assertEquals("malformed checkpoint: size \"0xabcdef\" is not a decimal number without leading zeros", Checkpoint.parse(bad.get(1).asText()).reason());
        assertEquals("malformed checkpoint: root hash \"TszzRgjTG6xce+z2AG31kAXYKBgQVtCSCE40Hmuw…\" is not base64 of 32 bytes",
                Checkpoint.parse(bad.get(2).asText()).reason());
        JsonNode empty = t.get("emptyTree");
        assertEquals(empty.get("rootHex").asText(), Hash.wrap(Merkle.EMPTY_ROOT.clone()).hex());
    }

    @Test
    void checkpointSyntax() {
        JsonNode ex = Vectors.json("c2sp/spec-examples.json").get("formatOnlyExamples");
        Notes.Parsed p = Notes.parse(ex.get("checkpoint").asText()).orThrow();
        Checkpoint c = Checkpoint.parse(p.text()).orThrow();
        assertEquals(new Checkpoint("example.com/behind-the-sofa", 20852163, Hash.ofBase64("CsUYapGGPo4dkMgIAUqom/Xajj7h2fB2MPA3j2jxq2I=")), c);
        assertEquals(p.text(), c.body());
        Checkpoint ext = Checkpoint.parse(p.text() + "extension one\n").orThrow();
        assertEquals(List.of("extension one"), ext.extensions());
        assertEquals(p.text() + "extension one\n", ext.body());
        String root = "CsUYapGGPo4dkMgIAUqom/Xajj7h2fB2MPA3j2jxq2I=";
        assertEquals("malformed checkpoint: size \"012\" is not a decimal number without leading zeros", Checkpoint.parse("o\n012\n" + root + "\n").reason());
        assertEquals("malformed checkpoint: size \"99999999999999999999\" is not a decimal number without leading zeros",
                Checkpoint.parse("o\n99999999999999999999\n" + root + "\n").reason());
        assertEquals("malformed checkpoint: size 9999999999999999999 is above 2^63-1", Checkpoint.parse("o\n9999999999999999999\n" + root + "\n").reason());
        assertEquals("malformed checkpoint: 2 lines; origin, size and root hash are required", Checkpoint.parse("o\n1\n").reason());
        assertEquals("malformed checkpoint: the text does not end in a newline", Checkpoint.parse("o\n1\n" + root).reason());
        assertEquals("malformed checkpoint: empty origin line", Checkpoint.parse("\n1\n" + root + "\n").reason());
        assertEquals("malformed checkpoint: empty extension line 1", Checkpoint.parse("o\n1\n" + root + "\n\n").reason());
        assertEquals(0, Checkpoint.parse("o\n0\n" + Hash.wrap(Merkle.EMPTY_ROOT.clone()).base64() + "\n").orThrow().size());
    }

    @Test
    void tilePathExamplesAndLayout() {
        JsonNode ex = Vectors.json("c2sp/spec-examples.json");
        JsonNode paths = ex.get("tilePathExamples");
        assertEquals(paths.get(0).get("encoded").asText(), TilePath.encodeIndex(paths.get(0).get("index").asLong()));
        assertEquals(paths.get(1).get("path").asText(), new TilePath(0, 1, 44).path());
        assertEquals(paths.get(2).get("path").asText(), new TilePath(TilePath.ENTRIES, 0, 256).path());
        assertEquals("005", TilePath.encodeIndex(5));
        assertEquals("x001/000", TilePath.encodeIndex(1000));
        assertEquals("999", TilePath.encodeIndex(999));
        // 70,000 entries: 273 full level-0 tiles, 0/273.p/112, 1/000, 1/001.p/17, 2/000.p/1.
        List<String> tiles = TilePath.hashTiles(ex.get("tileLayoutExample").get("treeSize").asLong()).stream().map(TilePath::path).toList();
        assertEquals(273 + 4, tiles.size());
        assertEquals(List.of("tile/0/272", "tile/0/273.p/112", "tile/1/000", "tile/1/001.p/17", "tile/2/000.p/1"), tiles.subList(272, 277));
        assertEquals(List.of("tile/0/000", "tile/1/000.p/1"), TilePath.hashTiles(256).stream().map(TilePath::path).toList());
        assertEquals(List.of(), TilePath.hashTiles(0));
        assertEquals(List.of("tile/entries/000", "tile/entries/001.p/44"), TilePath.entryBundles(300).stream().map(TilePath::path).toList());
    }

    @Test
    void tilePathsParseStrictly() {
        for (String ok : List.of("tile/0/000", "tile/0/001.p/44", "tile/1/000.p/1", "tile/entries/x001/x234/067", "tile/63/x001/000.p/255", "tile/entries/005.p/1")) {
            assertEquals(ok, TilePath.parse(ok).orThrow().path());
        }
        assertEquals(new TilePath(5, 123456078, 2), TilePath.parse("tile/5/x123/x456/078.p/2").orThrow());
        // The Go sumdb form carries a height element; under C2SP it is not a valid tile path.
        JsonNode sumdb = Vectors.json("golang-mod-sumdb/tlog-vectors.json").get("sumdbTilePaths");
        for (JsonNode v : sumdb.get("valid")) {
            assertFalse(TilePath.parse(v.get("path").asText()).isOk(), v.get("path").asText());
        }
        for (JsonNode v : sumdb.get("invalid")) {
            assertFalse(TilePath.parse(v.asText()).isOk(), v.asText());
        }
        assertEquals("tile path \"tile/0/1\": index element \"1\" is not 3 digits", TilePath.parse("tile/0/1").reason());
        assertEquals("tile path \"tile/64/000\": level \"64\" is not 0..63 or entries", TilePath.parse("tile/64/000").reason());
        assertEquals("tile path \"tile/0/000.p/256\": partial width \"256\" is not 1..255", TilePath.parse("tile/0/000.p/256").reason());
        assertEquals("tile path \"tile/0/000.p/0\": partial width \"0\" is not 1..255", TilePath.parse("tile/0/000.p/0").reason());
        assertEquals("tile path \"tile/0/x000/001\": index has a leading zero group", TilePath.parse("tile/0/x000/001").reason());
        assertEquals("tile path \"tile/0/001/002\": index element \"001\" is not x and 3 digits", TilePath.parse("tile/0/001/002").reason());
        assertFalse(TilePath.parse("tile/0/../000").isOk());
        assertFalse(TilePath.parse("tile/00/000").isOk());
        assertFalse(TilePath.parse("/tile/0/000").isOk());
    }
}
