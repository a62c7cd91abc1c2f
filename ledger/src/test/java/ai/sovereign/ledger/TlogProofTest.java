package ai.sovereign.ledger;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Base64;
import java.util.List;
import java.util.stream.Collectors;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * C2SP tlog-proof files: the spec's layout (with its {@code extra} line) parses and verifies, the proofs this log
 * serves carry their entry and verify offline, and each kind of tampering fails with a reason that says what.
 */
class TlogProofTest {
    private static final String ORIGIN = "factory.example.kr/ledger";

    @TempDir
    Path tmp;

    private static byte[] utf8(String s) {
        return s.getBytes(StandardCharsets.UTF_8);
    }

    /** spec-examples.json {@code tlogProofHeader}, its placeholders filled with a real proof of leaf 73894. */
    @Test
    void theSpecsLayoutWithAnExtraLineVerifies() {
        String template = Vectors.json("c2sp/spec-examples.json").get("formatOnlyExamples").get("tlogProofHeader").asText();
        long index = 73894;
        MemoryTree tree = MemoryTree.ofSize(index + 1);
        NoteSigner log = NoteSigner.generate("example.com/fancylog");
        String note = log.signNote(new Checkpoint("example.com/fancylog", index + 1, Hash.wrap(tree.root(index + 1))).body());
        byte[] entry = utf8("entry " + index);
        String proof = template.replace("<base64>", Base64.getEncoder().encodeToString(entry))
                .replace("<inclusion proof hashes, one per line>", Proofs.inclusion(tree, index, index + 1).stream()
                        .map(Proofs::b64).collect(Collectors.joining("\n")))
                .replace("<checkpoint>", note);
        assertTrue(proof.startsWith("c2sp.org/tlog-proof@v1\nextra "), proof);

        TlogProof parsed = TlogProof.parse(utf8(proof)).orThrow();
        assertEquals(index, parsed.index());
        assertArrayEquals(entry, parsed.extra());
        assertEquals(Proofs.inclusionLength(index, index + 1), parsed.hashes().size());
        assertEquals(note, parsed.checkpoint());
        assertEquals(proof, parsed.format(), "formatting gives the same file back");

        Ledger.ProvenEntry proven = Ledger.verifyProof(utf8(proof), null, log.verifier().vkey(), List.of()).orThrow();
        assertEquals(index, proven.index());
        assertArrayEquals(entry, proven.entry());
        assertEquals(index + 1, proven.checkpoint().size());
        // Without the extra line the entry must come from elsewhere.
        String bare = proof.replaceFirst("extra [^\n]*\n", "");
        assertEquals("the proof carries no entry (no extra line) and none was given beside it",
                Ledger.verifyProof(utf8(bare), null, log.verifier().vkey(), List.of()).reason());
        assertEquals(index, Ledger.verifyProof(utf8(bare), entry, log.verifier().vkey(), List.of()).orThrow().index());
    }

    @Test
    void aServedProofVerifiesOfflineAndEachTamperingIsNamed() {
        Path dir = tmp.resolve("ledger");
        String proof;
        String vkey;
        byte[] entry;
        try (Ledger l = Ledger.open(dir, tmp.resolve("ledger.key"), ORIGIN, new Ledger.Options(4096, Duration.ofMillis(50)))) {
            for (int i = 0; i < 300; i++) {
                l.append(new AuditEntry.AdminEvent(i, "test.event", "entry " + i, List.of()).encode());
            }
            l.publish();
            vkey = l.verifierKey();
            proof = l.tlogProof(257);
            entry = new AuditEntry.AdminEvent(257, "test.event", "entry 257", List.of()).encode();
        }
        assertTrue(proof.startsWith("c2sp.org/tlog-proof@v1\nextra " + Base64.getEncoder().encodeToString(entry) + "\nindex 257\n"), proof);
        Ledger.ProvenEntry ok = Ledger.verifyProof(utf8(proof), null, vkey, List.of()).orThrow();
        assertEquals(257, ok.index());
        assertArrayEquals(entry, ok.entry());
        assertEquals(300, ok.checkpoint().size());
        assertEquals(257, Ledger.verifyProof(utf8(proof), entry, vkey, List.of()).orThrow().index(), "the same entry given beside it");

        TlogProof p = TlogProof.parse(utf8(proof)).orThrow();
        String notInTree = "entry 257 is not in the checkpointed tree (the entry or a proof hash was altered): "
                + "inclusion proof for leaf 257 of a tree of 300 computes root ";
        byte[] flippedEntry = entry.clone();
        flippedEntry[entry.length - 1] ^= 1;
        String reason = verify(new TlogProof(flippedEntry, 257, p.hashes(), p.checkpoint()), vkey);
        assertTrue(reason.startsWith(notInTree), reason);
        List<byte[]> hashes = new ArrayList<>(p.hashes());
        byte[] h = hashes.get(2).clone();
        h[5] ^= 1;
        hashes.set(2, h);
        reason = verify(new TlogProof(entry, 257, hashes, p.checkpoint()), vkey);
        assertTrue(reason.startsWith(notInTree), reason);
        int n = Proofs.inclusionLength(257, 300);
        assertEquals("inclusion proof has " + (n - 1) + " hashes; leaf 257 of a tree of 300 needs " + n,
                verify(new TlogProof(entry, 257, p.hashes().subList(1, p.hashes().size()), p.checkpoint()), vkey)
                        .substring(notInTree.indexOf("inclusion")));
        assertEquals("entry index 300 is not below the checkpoint's size 300", verify(new TlogProof(entry, 300, p.hashes(), p.checkpoint()), vkey));

        // A flipped byte of the checkpoint's signature (decoded, so the line stays base64).
        int sig = p.checkpoint().lastIndexOf(' ') + 1;
        byte[] blob = Base64.getDecoder().decode(p.checkpoint().substring(sig).strip());
        blob[10] ^= 1;
        String forged = p.checkpoint().substring(0, sig) + Base64.getEncoder().encodeToString(blob) + "\n";
        assertEquals("checkpoint: invalid signature for key " + ORIGIN + "+" + vkey.split("\\+")[1] + ": signature does not verify",
                verify(new TlogProof(entry, 257, p.hashes(), forged), vkey));
        assertTrue(verify(new TlogProof(entry, 257, p.hashes(), p.checkpoint().replace("\n300\n", "\n301\n")), vkey)
                .startsWith("checkpoint: invalid signature for key " + ORIGIN), "the size is signed");
        String other = NoteSigner.generate(ORIGIN).verifier().vkey();
        assertTrue(Ledger.verifyProof(utf8(proof), null, other, List.of()).reason().startsWith("checkpoint: note has no verifiable signatures"));
        String witness = NoteSigner.generate("regulator.example.kr/witness", NoteVerifier.COSIGNATURE_V1).verifier().vkey();
        assertTrue(Ledger.verifyProof(utf8(proof), null, vkey, List.of(witness)).reason()
                .startsWith("checkpoint is not cosigned by witness regulator.example.kr/witness+"));
        assertEquals("the entry given is not the one the proof carries in its extra line",
                Ledger.verifyProof(utf8(proof), flippedEntry, vkey, List.of()).reason());

        // Malformed files: each names its line.
        assertEquals("malformed tlog-proof: the first line must be c2sp.org/tlog-proof@v1, not \"c2sp.org/tlog-proof@v2\"",
                Ledger.verifyProof(utf8(proof.replace("@v1", "@v2")), null, vkey, List.of()).reason());
        assertEquals("malformed tlog-proof: line 4 (proof hash 0) is not the base64 of a 32-byte hash",
                Ledger.verifyProof(utf8(proof.replace(Proofs.b64(p.hashes().getFirst()), "not-base64")), null, vkey, List.of()).reason());
        assertEquals("malformed tlog-proof: line 3: the index is not a decimal number below 2^63 without leading zeros",
                Ledger.verifyProof(utf8(proof.replace("index 257", "index 0257")), null, vkey, List.of()).reason());
        assertEquals("malformed tlog-proof: line 2: the extra data is not canonical standard base64",
                Ledger.verifyProof(utf8(proof.replace("extra ", "extra *")), null, vkey, List.of()).reason());
        assertEquals("malformed tlog-proof: no empty line before the checkpoint",
                Ledger.verifyProof(utf8(proof.substring(0, proof.indexOf("\n\n"))), null, vkey, List.of()).reason());
        assertNull(Ledger.verifyProof(utf8(proof), null, vkey, List.of()).reason());
    }

    private static String verify(TlogProof p, String vkey) {
        return Ledger.verifyProof(utf8(p.format()), null, vkey, List.of()).reason();
    }
}
