package ai.sovereign.ledger;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.sun.net.httpserver.HttpServer;
import java.net.InetSocketAddress;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The witness (C2SP tlog-witness add-checkpoint, cosignature/v1) and a ledger that asks one to cosign. */
class WitnessTest {
    private static final String ORIGIN = "factory.example.kr/ledger";
    private static final Ledger.Options FAST = new Ledger.Options(4096, Duration.ofMillis(50));

    @TempDir
    Path tmp;

    private Ledger log(String name) {
        return Ledger.open(tmp.resolve(name), tmp.resolve("ledger.key"), ORIGIN, FAST);
    }

    private Witness witness(Ledger l) {
        return Witness.open(tmp.resolve("witness"), "regulator.example.kr/witness", List.of(l.verifierKey()));
    }

    private static void append(Ledger l, String prefix, int n) {
        List<CompletableFuture<Long>> fs = new ArrayList<>();
        for (int i = 0; i < n; i++) {
            fs.add(l.appendAsync((prefix + i).getBytes(StandardCharsets.UTF_8)));
        }
        fs.forEach(CompletableFuture::join);
    }

    private static byte[] request(long old, List<Hash> proof, String note) {
        StringBuilder sb = new StringBuilder("old ").append(old).append('\n');
        proof.forEach(h -> sb.append(h.base64()).append('\n'));
        return sb.append('\n').append(note).toString().getBytes(StandardCharsets.UTF_8);
    }

    private static void assertRefused(int status, String reasonPart, Witness.Result r) {
        Witness.Refused refused = assertInstanceOf(Witness.Refused.class, r, String.valueOf(r));
        assertEquals(status, refused.status(), refused.reason());
        assertTrue(refused.reason().contains(reasonPart), refused.reason());
    }

    @Test
    void cosignsConsistentCheckpointsAndRefusesForksRollbacksAndBadSignatures() throws Exception {
        try (Ledger l = log("log")) {
            Witness w = witness(l);
            assertEquals("rw-------", PosixFilePermissions.toString(Files.getPosixFilePermissions(tmp.resolve("witness/witness.key"))));
            NoteVerifier cosigner = NoteVerifier.parse(w.verifierKey()).orThrow();
            assertEquals(NoteVerifier.COSIGNATURE_V1, cosigner.type());

            append(l, "a", 300);
            String first = l.publish();
            Witness.Cosigned c1 = assertInstanceOf(Witness.Cosigned.class, w.addCheckpoint(request(0, List.of(), first)));
            assertEquals(300, c1.checkpoint().size());
            Notes.Opened opened = Notes.open(first + c1.lines(), List.of(cosigner)).orThrow();
            assertTrue(NoteVerifier.cosignatureTime(opened.verified().getFirst().blob()).orThrow() > 1_700_000_000L);
            // The cosignature covers the checkpoint text: moved to another body it fails.
            assertTrue(Notes.open(first.replace("\n300\n", "\n301\n") + c1.lines(), List.of(cosigner)).reason().startsWith("invalid signature"));

            append(l, "b", 700);
            String second = l.publish();
            assertEquals(new Witness.Conflict(300), w.addCheckpoint(request(0, List.of(), second)), "old must be the size it cosigned");
            assertRefused(422, "not consistent", w.addCheckpoint(request(300, List.of(), second)));
            List<Hash> proof = l.consistencyProof(300, 1000).hashes();
            assertInstanceOf(Witness.Cosigned.class, w.addCheckpoint(request(300, proof, second)));
            // The same checkpoint again is fine (idempotent); the older one is a rollback.
            assertInstanceOf(Witness.Cosigned.class, w.addCheckpoint(request(1000, List.of(), second)));
            assertRefused(400, "rollback", w.addCheckpoint(request(1000, List.of(), first)));

            // A fork: the same key signs a different history of the same origin.
            try (Ledger fork = log("fork")) {
                append(fork, "x", 1000);
                assertRefused(422, "size 1000 has root", w.addCheckpoint(request(1000, List.of(), fork.publish())));
                append(fork, "y", 10);
                String forked = fork.publish();
                assertRefused(422, "a fork", w.addCheckpoint(request(1000, fork.consistencyProof(1000, 1010).hashes(), forked)));
            }

            // Signatures: a flipped signature byte, an unknown log, a malformed request.
            int sig = second.lastIndexOf(' ') + 20;
            String bad = second.substring(0, sig) + (second.charAt(sig) == 'A' ? 'B' : 'A') + second.substring(sig + 1);
            assertRefused(403, "invalid signature", w.addCheckpoint(request(1000, List.of(), bad)));
            Ledger other = Ledger.open(tmp.resolve("other"), tmp.resolve("other.key"), "other.example/log", FAST);
            try (other) {
                append(other, "o", 3);
                assertRefused(404, "unknown log", w.addCheckpoint(request(0, List.of(), other.publish())));
            }
            assertRefused(400, "old", w.addCheckpoint("new 3\n\nx".getBytes(StandardCharsets.UTF_8)));

            // The state survives a restart: a new witness over the same directory remembers size 1000.
            assertEquals(new Witness.Conflict(1000), witness(l).addCheckpoint(request(300, proof, second)));
        }
    }

    /**
     * The tlog-witness refusals the fork test does not reach: {@code old 0} with a proof (422), a size-0 checkpoint
     * whose root is not the empty tree's (422), a proof line that is not base64 (400), 64 proof lines (400).
     */
    @Test
    void refusesProofsFromTheEmptyTreeWrongEmptyRootsAndMalformedProofLines() {
        try (Ledger l = log("log")) {
            Witness w = witness(l);
            append(l, "a", 5);
            String note = l.publish();
            Hash h = l.root(3);
            assertRefused(422, "a proof from size 0 must be empty", w.addCheckpoint(request(0, List.of(h), note)));

            NoteSigner logKey = Ledger.loadOrCreateKey(tmp.resolve("ledger.key"), ORIGIN);
            String wrongEmpty = logKey.signNote(new Checkpoint(ORIGIN, 0, h).body());
            assertRefused(422, "a checkpoint of size 0 must have the empty tree's root", w.addCheckpoint(request(0, List.of(), wrongEmpty)));
            String rightEmpty = logKey.signNote(new Checkpoint(ORIGIN, 0, Hash.wrap(Merkle.EMPTY_ROOT.clone())).body());
            assertInstanceOf(Witness.Cosigned.class, w.addCheckpoint(request(0, List.of(), rightEmpty)), "the empty tree, rightly");

            byte[] notBase64 = ("old 0\n" + h.base64() + "\nnot*base64!\n\n" + note).getBytes(StandardCharsets.UTF_8);
            assertRefused(400, "proof line 2 is not the base64 of a 32-byte hash", w.addCheckpoint(notBase64));
            byte[] short31 = ("old 0\n" + java.util.Base64.getEncoder().encodeToString(new byte[31]) + "\n\n" + note).getBytes(StandardCharsets.UTF_8);
            assertRefused(400, "proof line 1 is not the base64 of a 32-byte hash", w.addCheckpoint(short31));
            assertRefused(400, "a consistency proof has at most 63 hashes, not 64", w.addCheckpoint(request(0, java.util.Collections.nCopies(64, h), note)));
            // 63 lines are a well-formed request: it gets as far as the proof check.
            assertRefused(422, "a proof from size 0 must be empty", w.addCheckpoint(request(0, java.util.Collections.nCopies(63, h), note)));
            assertInstanceOf(Witness.Cosigned.class, w.addCheckpoint(request(0, List.of(), note)), "and the right request still cosigns");
        }
    }

    /**
     * The add-checkpoint body of the C2SP tlog-witness spec (spec-examples.json {@code addCheckpointRequest}): it
     * parses (old size, four proof hashes, a checkpoint with two signature lines), an unknown origin is 404, and a
     * witness that knows another key of that name refuses it as unsigned (403): the spec's key is not published.
     */
    @Test
    void theSpecsAddCheckpointRequestParses() {
        String body = Vectors.json("c2sp/spec-examples.json").get("formatOnlyExamples").get("addCheckpointRequest").asText();
        Witness.Request r = Witness.parse(body.getBytes(StandardCharsets.UTF_8)).orThrow();
        assertEquals(20852014, r.old());
        assertEquals(4, r.proof().size());
        assertEquals("PlRNCrwHpqhGrupue0L7gxbjbMiKA9temvuZZDDpkaw=", Hash.wrap(r.proof().getFirst()).base64());
        assertEquals("example.com/behind-the-sofa", r.checkpoint().origin());
        assertEquals(20852163, r.checkpoint().size());
        assertEquals("CsUYapGGPo4dkMgIAUqom/Xajj7h2fB2MPA3j2jxq2I=", r.checkpoint().root().base64());
        assertEquals(2, r.parsed().signatures().size());
        assertTrue(body.endsWith(r.note()));

        Witness other = Witness.open(tmp.resolve("w1"), "regulator.example.kr/witness", List.of(NoteSigner.generate(ORIGIN).verifier().vkey()));
        assertRefused(404, "unknown log \"example.com/behind-the-sofa\"", other.addCheckpoint(body.getBytes(StandardCharsets.UTF_8)));
        Witness sameName = Witness.open(tmp.resolve("w2"), "regulator.example.kr/witness",
                List.of(NoteSigner.generate("example.com/behind-the-sofa").verifier().vkey()));
        assertRefused(403, "checkpoint of example.com/behind-the-sofa: ", sameName.addCheckpoint(body.getBytes(StandardCharsets.UTF_8)));
        // One proof hash cut short is a malformed request before any key is looked at.
        String cut = body.replace("PlRNCrwHpqhGrupue0L7gxbjbMiKA9temvuZZDDpkaw=", "PlRNCrwHpqhGrupue0L7gxbjbMiKA9temvuZZDDpka");
        assertRefused(400, "proof line 1 is not the base64 of a 32-byte hash", other.addCheckpoint(cut.getBytes(StandardCharsets.UTF_8)));
    }

    /** Waits (up to 10 s) until the served checkpoint is at least {@code size} and cosigned by {@code cosigner}. */
    private static Checkpoint awaitCosigned(Ledger l, NoteVerifier cosigner, long size) throws InterruptedException {
        long deadline = System.nanoTime() + 10_000_000_000L;
        while (true) {
            String note = l.checkpoint();
            Checkpoint cp = Checkpoint.open(note, l.verifierKey()).orThrow();
            if (cp.size() >= size && Notes.open(note, List.of(cosigner)).isOk()) {
                return cp;
            }
            assertTrue(System.nanoTime() < deadline, "checkpoint " + cp.size() + " not cosigned within 10 s");
            Thread.sleep(5);
        }
    }

    /**
     * A witness that accepts the connection and never answers: the ledger opens at once, publishes a checkpoint within
     * its 1 s interval of each append (PRODUCT.md), serves it without the missing cosignature, and closes within the
     * grace it gives witnesses. Before witnessing was asynchronous, open took the request's 10 s timeout.
     */
    @Test
    void aWitnessThatNeverAnswersDelaysNeitherStartNorCheckpoints() throws Exception {
        java.util.concurrent.CountDownLatch release = new java.util.concurrent.CountDownLatch(1);
        java.util.concurrent.atomic.AtomicInteger asked = new java.util.concurrent.atomic.AtomicInteger();
        HttpServer http = HttpServer.create(new InetSocketAddress("127.0.0.1", 0), 0);
        http.setExecutor(java.util.concurrent.Executors.newVirtualThreadPerTaskExecutor());
        http.createContext("/add-checkpoint", ex -> {
            asked.incrementAndGet();
            try {
                release.await(); // never answers while the test runs
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
            ex.close();
        });
        http.start();
        try {
            String witnessKey = NoteSigner.generate("silent.example/witness", NoteVerifier.COSIGNATURE_V1).verifier().vkey();
            Ledger.Options options = new Ledger.Options(4096, Duration.ofSeconds(1), Duration.ZERO,
                    List.of(new Ledger.WitnessEndpoint(URI.create("http://127.0.0.1:" + http.getAddress().getPort() + "/"), witnessKey)));
            long t0 = System.nanoTime();
            Ledger l = Ledger.open(tmp.resolve("log"), tmp.resolve("ledger.key"), ORIGIN, options);
            long openMs = (System.nanoTime() - t0) / 1_000_000;
            try {
                assertTrue(openMs < 1000, "open took " + openMs + " ms with a silent witness");
                for (int round = 0; round < 3; round++) {
                    long index = l.append(("e" + round).getBytes(StandardCharsets.UTF_8));
                    long appended = System.nanoTime();
                    while (Checkpoint.open(l.checkpoint(), l.verifierKey()).orThrow().size() <= index) {
                        assertTrue(System.nanoTime() - appended < 1_000_000_000L, "no checkpoint of entry " + index + " within 1 s");
                        Thread.sleep(2);
                    }
                    long ms = (System.nanoTime() - appended) / 1_000_000;
                    System.out.println("checkpoint of entry " + index + " after " + ms + " ms, the witness silent");
                }
                assertTrue(asked.get() >= 1, "the witness was asked");
                assertFalse(Notes.open(l.checkpoint(), List.of(NoteVerifier.parse(witnessKey).orThrow())).isOk());
            } finally {
                long c0 = System.nanoTime();
                l.close();
                long closeMs = (System.nanoTime() - c0) / 1_000_000;
                assertTrue(closeMs < 5000, "close took " + closeMs + " ms");
            }
            assertTrue(Ledger.verify(tmp.resolve("log"), null, null).isOk(), "the log verifies without the witness");
        } finally {
            release.countDown();
            http.stop(0);
        }
    }

    @Test
    void aLedgerPublishesItsWitnessesCosignaturesAndVerifyCanRequireThem() throws Exception {
        Path keyFile = tmp.resolve("ledger.key");
        String logVkey;
        try (Ledger l = log("log")) {
            logVkey = l.verifierKey();
        }
        Witness w = Witness.open(tmp.resolve("witness"), "regulator.example.kr/witness", List.of(logVkey));
        HttpServer http = HttpServer.create(new InetSocketAddress("127.0.0.1", 0), 0);
        http.createContext("/add-checkpoint", ex -> {
            byte[] body = ex.getRequestBody().readAllBytes();
            Witness.Result r = w.addCheckpoint(body);
            String out = switch (r) {
                case Witness.Cosigned c -> c.lines();
                case Witness.Conflict c -> c.size() + "\n";
                case Witness.Refused f -> f.reason() + "\n";
            };
            int status = switch (r) {
                case Witness.Cosigned c -> 200;
                case Witness.Conflict c -> 409;
                case Witness.Refused f -> f.status();
            };
            byte[] b = out.getBytes(StandardCharsets.UTF_8);
            ex.sendResponseHeaders(status, b.length);
            ex.getResponseBody().write(b);
            ex.close();
        });
        http.start();
        try {
            URI url = URI.create("http://127.0.0.1:" + http.getAddress().getPort() + "/");
            Ledger.Options withWitness = new Ledger.Options(4096, Duration.ofMillis(50), Duration.ZERO,
                    List.of(new Ledger.WitnessEndpoint(url, w.verifierKey())));
            NoteVerifier cosigner = NoteVerifier.parse(w.verifierKey()).orThrow();
            try (Ledger l = Ledger.open(tmp.resolve("log"), keyFile, ORIGIN, withWitness)) {
                append(l, "a", 10);
                String note = l.publish();
                assertFalse(Notes.open(note, List.of(cosigner)).isOk(), "published at once, before the witness answered");
                assertEquals(10, awaitCosigned(l, cosigner, 10).size());
                append(l, "b", 500);
                l.publish(); // the witness cosigns the next one from its own size (consistency proof 10 -> 510)
                assertEquals(510, awaitCosigned(l, cosigner, 510).size());
                assertTrue(l.tlogProof(7).startsWith("c2sp.org/tlog-proof@v1\nextra "));
                assertTrue(l.tlogProof(7).contains("\nindex 7\n"));
                assertEquals(7, Ledger.verifyProof(l.tlogProof(7).getBytes(StandardCharsets.UTF_8), null, l.verifierKey(),
                        List.of(w.verifierKey())).orThrow().index(), "a proof that requires the witness's cosignature");
                assertTrue(l.tlogProof(7).endsWith(l.checkpoint()), "the proof carries the checkpoint verbatim, cosignatures included");
            }
            assertTrue(Ledger.verify(tmp.resolve("log"), logVkey, null, false, List.of(w.verifierKey())).isOk());
            // A witness the checkpoint does not name fails verification, with the key in the message.
            String stranger = Witness.open(tmp.resolve("stranger"), "stranger.example/witness", List.of(logVkey)).verifierKey();
            Verification<Checkpoint> v = Ledger.verify(tmp.resolve("log"), logVkey, null, false, List.of(stranger));
            assertTrue(v.reason().startsWith("checkpoint is not cosigned by witness stranger.example/witness+"), v.reason());
        } finally {
            http.stop(0);
        }
    }
}
