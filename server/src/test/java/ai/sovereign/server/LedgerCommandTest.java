package ai.sovereign.server;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.sovereign.ledger.AuditEntry;
import ai.sovereign.ledger.Ledger;
import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.InputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Base64;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * {@code sovereign ledger verify --dir} and {@code sovereign ledger verify-proof}: exit 0 on a good log or proof, 1 on a
 * tampered one with a one-line reason on stderr that names what was altered, 2 on bad usage.
 */
class LedgerCommandTest {
    private static final String ORIGIN = "factory.example.kr/ledger";

    private record Run(int status, String out, String err) {}

    private static synchronized Run run(byte[] stdin, String... args) {
        PrintStream out = System.out, err = System.err;
        InputStream in = System.in;
        ByteArrayOutputStream o = new ByteArrayOutputStream(), e = new ByteArrayOutputStream();
        System.setOut(new PrintStream(o, true, StandardCharsets.UTF_8));
        System.setErr(new PrintStream(e, true, StandardCharsets.UTF_8));
        if (stdin != null) {
            System.setIn(new ByteArrayInputStream(stdin));
        }
        try {
            int status = Main.run(args);
            return new Run(status, o.toString(StandardCharsets.UTF_8), e.toString(StandardCharsets.UTF_8));
        } finally {
            System.setOut(out);
            System.setErr(err);
            System.setIn(in);
        }
    }

    private static Run run(String... args) {
        return run(null, args);
    }

    private static byte[] event(int i) {
        return new AuditEntry.AdminEvent(i, "test.event", "entry " + i, List.of(new AuditEntry.Attribute("n", Integer.toString(i)))).encode();
    }

    /** A log of {@code n} admin events; returns its verifier key. */
    private static String build(Path dir, Path key, int from, int n) {
        try (Ledger l = Ledger.open(dir, key, ORIGIN)) {
            for (int i = from; i < n; i++) {
                l.append(event(i));
            }
            return l.verifierKey();
        }
    }

    private static void flip(Path f, int offset) throws Exception {
        byte[] b = Files.readAllBytes(f);
        b[offset] ^= 1;
        Files.write(f, b);
    }

    @Test
    void verifyDirectory(@TempDir Path tmp) throws Exception {
        Path dir = tmp.resolve("ledger");
        String vkey = build(dir, tmp.resolve("ledger.key"), 0, 300);
        Run ok = run("ledger", "verify", "--dir", dir.toString(), "--vkey", vkey);
        assertEquals(0, ok.status(), ok.err());
        assertTrue(ok.out().startsWith("ok: " + ORIGIN + " size 300 root "), ok.out());
        assertEquals(0, run("ledger", "verify", "--dir", dir.toString()).status());
        assertEquals(0, run("ledger", "verify", "--dir", dir.toString(), "--vkey", vkey, "--trusted", dir.resolve("checkpoint").toString()).status());
        assertEquals(2, run("ledger", "verify").status());
        assertEquals(2, run("ledger", "verify", "--dir", dir.toString(), "--url", "http://localhost/").status());
        try (Ledger l = Ledger.open(tmp.resolve("raw"), tmp.resolve("raw.key"), ORIGIN)) {
            l.append("not an audit entry".getBytes(StandardCharsets.UTF_8));
        }
        Run raw = run("ledger", "verify", "--dir", tmp.resolve("raw").toString());
        assertEquals(1, raw.status(), "every entry must decode");
        assertTrue(raw.err().contains("sovereign ledger verify: tile/entries/000.p/1: entry 0 is not a valid audit entry: "), raw.err());

        flip(dir.resolve("tile/0/000"), 32 * 3 + 5);
        Run tile = run("ledger", "verify", "--dir", dir.toString(), "--vkey", vkey);
        assertEquals(1, tile.status());
        assertEquals(1, tile.err().lines().count(), "one line: " + tile.err());
        assertTrue(tile.err().contains("sovereign ledger verify: tile/0/000: hash 3 is "), tile.err());
        assertTrue(tile.err().contains(", not the leaf hash of entry 3 ("), tile.err());
        flip(dir.resolve("tile/0/000"), 32 * 3 + 5);

        flip(dir.resolve("tile/entries/000"), 2 + 4); // a byte inside entry 0
        Run bundle = run("ledger", "verify", "--dir", dir.toString(), "--vkey", vkey);
        assertEquals(1, bundle.status());
        assertTrue(bundle.err().contains("sovereign ledger verify: tile/entries/000: entry 0 was altered: its leaf hash is "), bundle.err());
    }

    /** {@code --trusted}: an older checkpoint of the same log passes, one of a fork (same key, other history) fails naming the fork. */
    @Test
    void verifyTrustedOlderPassesAndForkedFails(@TempDir Path tmp) throws Exception {
        Path key = tmp.resolve("ledger.key");
        Path dir = tmp.resolve("ledger");
        String vkey = build(dir, key, 0, 100);
        Path older = tmp.resolve("older.checkpoint");
        Files.copy(dir.resolve("checkpoint"), older);
        build(dir, key, 100, 300);
        Run ok = run("ledger", "verify", "--dir", dir.toString(), "--vkey", vkey, "--trusted", older.toString());
        assertEquals(0, ok.status(), ok.err());
        assertTrue(ok.out().startsWith("ok: " + ORIGIN + " size 300 "), ok.out());

        Path fork = tmp.resolve("fork");
        build(fork, key, 0, 50);
        try (Ledger f = Ledger.open(fork, key, ORIGIN)) {
            f.append(new AuditEntry.AdminEvent(50, "test.event", "another history", List.of()).encode());
        }
        Run forked = run("ledger", "verify", "--dir", dir.toString(), "--vkey", vkey, "--trusted", fork.resolve("checkpoint").toString());
        assertEquals(1, forked.status(), forked.out());
        assertTrue(forked.err().startsWith("sovereign ledger verify: the log is not consistent with the trusted checkpoint (size 51, root "),
                forked.err());
        assertTrue(forked.err().strip().endsWith("(a fork or rewritten history)"), forked.err());
        Run rollback = run("ledger", "verify", "--dir", fork.toString(), "--vkey", vkey, "--trusted", dir.resolve("checkpoint").toString());
        assertEquals(1, rollback.status());
        assertTrue(rollback.err().contains("the log rolled back: the trusted checkpoint has size 300, the current one 51"), rollback.err());
    }

    @Test
    void verifyProofChecksAProofOfflineAndNamesEachTampering(@TempDir Path tmp) throws Exception {
        Path dir = tmp.resolve("ledger");
        String proof;
        String vkey;
        try (Ledger l = Ledger.open(dir, tmp.resolve("ledger.key"), ORIGIN)) {
            for (int i = 0; i < 300; i++) {
                l.append(event(i));
            }
            l.publish();
            vkey = l.verifierKey();
            proof = l.tlogProof(257);
        }
        Path file = tmp.resolve("257.tlog-proof");
        Files.writeString(file, proof);
        Run ok = run("ledger", "verify-proof", "--vkey", vkey, file.toString());
        assertEquals(0, ok.status(), ok.err());
        List<String> lines = ok.out().lines().toList();
        assertTrue(lines.get(0).startsWith("ok: entry 257 of " + ORIGIN + ", checkpoint size 300 root "), ok.out());
        var entry = Json.parseBody(lines.get(1).getBytes(StandardCharsets.UTF_8));
        assertEquals(257, entry.path("index").asLong());
        assertEquals("admin", entry.path("type").asText());
        assertEquals("test.event", entry.path("action").asText());
        assertEquals("entry 257", entry.path("subject").asText());
        assertEquals("257", entry.at("/attributes/n").asText());
        assertEquals(0, run(proof.getBytes(StandardCharsets.UTF_8), "ledger", "verify-proof", "--vkey", vkey, "-").status(), "from stdin");

        String[] head = proof.substring(0, proof.indexOf("\n\n")).split("\n");
        // A flipped byte of the entry (the extra line stays base64).
        byte[] e = Base64.getDecoder().decode(head[1].substring("extra ".length()));
        e[e.length - 1] ^= 1;
        Run entryFlipped = verifyProof(tmp, proof.replace(head[1], "extra " + Base64.getEncoder().encodeToString(e)), vkey);
        assertEquals(1, entryFlipped.status());
        assertTrue(entryFlipped.err().startsWith("sovereign ledger verify-proof: entry 257 is not in the checkpointed tree "
                + "(the entry or a proof hash was altered): inclusion proof for leaf 257 of a tree of 300 computes root "), entryFlipped.err());
        // A flipped byte of a proof hash.
        byte[] h = Base64.getDecoder().decode(head[4]);
        h[0] ^= 1;
        Run hashFlipped = verifyProof(tmp, proof.replace(head[4], Base64.getEncoder().encodeToString(h)), vkey);
        assertEquals(1, hashFlipped.status());
        assertTrue(hashFlipped.err().startsWith("sovereign ledger verify-proof: entry 257 is not in the checkpointed tree"), hashFlipped.err());
        // A flipped byte of the checkpoint's signature.
        int sig = proof.lastIndexOf(' ') + 1;
        byte[] blob = Base64.getDecoder().decode(proof.substring(sig).strip());
        blob[30] ^= 1;
        Run sigFlipped = verifyProof(tmp, proof.substring(0, sig) + Base64.getEncoder().encodeToString(blob) + "\n", vkey);
        assertEquals(1, sigFlipped.status());
        assertEquals("sovereign ledger verify-proof: checkpoint: invalid signature for key " + ORIGIN + "+" + vkey.split("\\+")[1]
                + ": signature does not verify", sigFlipped.err().strip());
        // A required witness that did not cosign; a proof line that is not a hash; bad usage.
        String witness = ai.sovereign.ledger.Witness.open(tmp.resolve("witness"), "regulator.example.kr/witness", List.of(vkey)).verifierKey();
        Run unwitnessed = run("ledger", "verify-proof", "--vkey", vkey, "--witness", witness, file.toString());
        assertEquals(1, unwitnessed.status());
        assertTrue(unwitnessed.err().startsWith("sovereign ledger verify-proof: checkpoint is not cosigned by witness regulator.example.kr/witness+"),
                unwitnessed.err());
        Run malformed = verifyProof(tmp, proof.replace(head[4], "not a hash"), vkey);
        assertEquals("sovereign ledger verify-proof: malformed tlog-proof: line 5 (proof hash 1) is not the base64 of a 32-byte hash",
                malformed.err().strip());
        assertEquals(2, run("ledger", "verify-proof", file.toString()).status(), "--vkey is required");
        assertEquals(1, run("ledger", "verify-proof", "--vkey", vkey, tmp.resolve("missing").toString()).status());
    }

    private static Run verifyProof(Path tmp, String proof, String vkey) throws Exception {
        Path f = Files.createTempFile(tmp, "proof-", ".tlog-proof");
        Files.writeString(f, proof);
        return run("ledger", "verify-proof", "--vkey", vkey, f.toString());
    }
}
