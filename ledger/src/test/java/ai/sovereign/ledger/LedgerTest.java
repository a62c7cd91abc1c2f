package ai.sovereign.ledger;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.nio.file.attribute.PosixFilePermissions;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The on-disk ledger: durable appends, checkpoints, recovery, serving, and verify's tamper detection. */
class LedgerTest {
    private static final String ORIGIN = "factory.example.kr/ledger";
    private static final Ledger.Options FAST = new Ledger.Options(4096, Duration.ofMillis(50));

    @TempDir
    Path tmp;

    private Path dir() {
        return tmp.resolve("ledger");
    }

    private Path key() {
        return tmp.resolve("ledger.key");
    }

    private Ledger open() {
        return Ledger.open(dir(), key(), ORIGIN, FAST);
    }

    private static byte[] entry(long i) {
        return ("entry " + i).getBytes(StandardCharsets.UTF_8);
    }

    private static void appendAll(Ledger l, long from, long to) {
        List<CompletableFuture<Long>> fs = new ArrayList<>();
        for (long i = from; i < to; i++) {
            fs.add(l.appendAsync(entry(i)));
        }
        for (int i = 0; i < fs.size(); i++) {
            assertEquals(from + i, fs.get(i).join());
        }
    }

    @Test
    void concurrentAppendsGetDistinctIndicesAndTheLogVerifies() throws Exception {
        ConcurrentLinkedQueue<Long> indices = new ConcurrentLinkedQueue<>();
        String vkey;
        try (Ledger l = open()) {
            vkey = l.verifierKey();
            List<Thread> threads = new ArrayList<>();
            for (int t = 0; t < 16; t++) {
                int id = t;
                threads.add(Thread.ofVirtual().start(() -> {
                    for (int i = 0; i < 40; i++) {
                        indices.add(l.append(("t" + id + " e" + i).getBytes(StandardCharsets.UTF_8)));
                    }
                }));
            }
            for (Thread t : threads) {
                t.join();
            }
            assertEquals(640, l.size());
            String note = l.publish();
            Checkpoint cp = Checkpoint.open(note, vkey).orThrow();
            assertEquals(640, cp.size());
            for (long i : new long[] {0, 1, 255, 256, 639}) {
                InclusionProof p = l.inclusionProof(i, 640);
                assertTrue(p.verify(cp.root()).isOk());
            }
            assertEquals(note, Files.readString(dir().resolve("checkpoint")));
        }
        Set<Long> unique = new HashSet<>(indices);
        assertEquals(640, unique.size());
        assertEquals(0L, unique.stream().mapToLong(Long::longValue).min().getAsLong());
        assertEquals(639L, unique.stream().mapToLong(Long::longValue).max().getAsLong());
        Verification<Checkpoint> v = Ledger.verify(dir(), vkey, null);
        assertTrue(v.isOk(), v.reason());
        assertEquals(vkey + "\n", Files.readString(dir().resolve("vkey")));
    }

    @Test
    void readEntriesHandsBackEveryEntryInOrderAcrossBundlesAndTheEdge() {
        List<byte[]> written = new ArrayList<>();
        try (Ledger l = open()) {
            java.util.Random random = new java.util.Random(7);
            for (int i = 0; i < 600; i++) {
                byte[] e = new byte[random.nextInt(i % 97 == 0 ? 3000 : 40) + 1];
                random.nextBytes(e);
                written.add(e);
                assertEquals(i, l.append(e));
            }
            for (long[] range : new long[][] {{0, 600}, {255, 257}, {300, 555}, {599, 600}, {512, 512}}) {
                List<Long> indices = new ArrayList<>();
                l.readEntries(range[0], range[1], (index, entry) -> {
                    indices.add(index);
                    assertArrayEquals(written.get((int) index), entry, "entry " + index);
                });
                assertEquals(java.util.stream.LongStream.range(range[0], range[1]).boxed().toList(), indices);
            }
            assertThrows(IllegalArgumentException.class, () -> l.readEntries(0, 601, (i, e) -> { }), "beyond the durable size");
            assertThrows(IllegalArgumentException.class, () -> l.readEntries(10, 9, (i, e) -> { }));
        }
    }

    @Test
    void keyFileIsCreatedPrivateAndReused() throws IOException {
        String vkey;
        try (Ledger l = open()) {
            vkey = l.verifierKey();
        }
        assertEquals("rw-------", PosixFilePermissions.toString(Files.getPosixFilePermissions(key())));
        assertTrue(Files.readString(key()).startsWith("PRIVATE+KEY+" + ORIGIN + "+"));
        try (Ledger l = open()) {
            assertEquals(vkey, l.verifierKey());
        }
        Files.setPosixFilePermissions(key(), PosixFilePermissions.fromString("rw-r--r--"));
        LedgerException e = assertThrows(LedgerException.class, this::open);
        assertEquals("key file " + key() + " is accessible by group or others (mode rw-r--r--); chmod 600 it", e.getMessage());
        Files.setPosixFilePermissions(key(), PosixFilePermissions.fromString("rw-------"));
        e = assertThrows(LedgerException.class, () -> Ledger.open(dir(), key(), "other.example/log", FAST));
        assertEquals("key file " + key() + " holds the key of \"" + ORIGIN + "\", not of origin \"other.example/log\"", e.getMessage());
    }

    @Test
    void entriesSurviveReopenAndCheckpointsStayConsistent() {
        String first;
        String vkey;
        try (Ledger l = open()) {
            vkey = l.verifierKey();
            appendAll(l, 0, 300);
            first = l.publish();
        }
        try (Ledger l = open()) {
            assertEquals(300, l.size());
            assertEquals(first, l.checkpoint());
            appendAll(l, 300, 1000);
            String second = l.publish();
            Checkpoint a = Checkpoint.open(first, vkey).orThrow();
            Checkpoint b = Checkpoint.open(second, vkey).orThrow();
            assertTrue(l.consistencyProof(300, 1000).verify(a.root(), b.root()).isOk());
            assertEquals(b.root(), l.root(1000));
        }
        Verification<Checkpoint> v = Ledger.verify(dir(), vkey, first);
        assertTrue(v.isOk(), v.reason());
        assertEquals(1000, v.orThrow().size());
    }

    @Test
    void aTornJournalTailIsCutAndNothingAcknowledgedIsLost() throws IOException {
        String vkey;
        try (Ledger l = open()) {
            vkey = l.verifierKey();
            appendAll(l, 0, 100);
        }
        // A record whose length says 50 bytes but only 3 follow, as a crash mid-write leaves it
        // (after the last record, in the preallocated zeros).
        writeAfterRecords(new byte[] {0, 50, 1, 2, 3});
        try (Ledger l = open()) {
            assertEquals(100, l.size());
            assertEquals(5, l.repairedBytes());
            assertEquals(100, l.append(entry(100)));
        }
        // A whole record of garbage (bad CRC) is cut too; its trailing zeros read as free space.
        writeAfterRecords(new byte[] {0, 2, 'h', 'i', 0, 0, 0, 0});
        try (Ledger l = open()) {
            assertEquals(101, l.size());
            assertEquals(4, l.repairedBytes());
            assertEquals(101, l.append(entry(101)));
        }
        try (Ledger l = open()) {
            assertEquals(102, l.size());
            assertEquals(0, l.repairedBytes(), "the torn bytes were zeroed, so the next record did not land in front of them");
        }
        assertTrue(Ledger.verify(dir(), vkey, null).isOk());
    }

    /** Recovery refuses a journal damaged in the middle (acknowledged entries after it) instead of cutting it there. */
    @Test
    void recoveryRefusesAJournalDamagedInTheMiddle() throws IOException {
        try (Ledger l = open()) {
            appendAll(l, 0, 100);
        }
        Path journal = dir().resolve("journal");
        int at = Journal.HEADER;
        for (int i = 0; i < 40; i++) {
            at += 2 + entry(i).length + 4;
        }
        byte[] b = Files.readAllBytes(journal);
        b[at + 2] ^= 1; // the first byte of entry 40
        Files.write(journal, b);
        LedgerException e = assertThrows(LedgerException.class, this::open);
        assertTrue(e.getMessage().startsWith("cannot open the ledger in " + dir() + ": ") || e.getMessage().startsWith(journal.toAbsolutePath().toString()),
                e.getMessage());
        assertTrue(e.getMessage().contains("record 40 (at byte " + at + ") is damaged, but record 41 after it"), e.getMessage());
        assertTrue(e.getMessage().contains("refusing to start"), e.getMessage());
    }

    @Test
    void groupCommitBatchesByTimeWhileAppendersAreBusyButNeverHoldsALoneAppender() throws Exception {
        assertThrows(IllegalArgumentException.class, () -> new Ledger.Options(16, Duration.ofSeconds(1), Duration.ofSeconds(2)));
        assertThrows(IllegalArgumentException.class, () -> new Ledger.Options(16, Duration.ofSeconds(1), Duration.ofMillis(-1)));
        try (Ledger l = Ledger.open(dir(), key(), ORIGIN, new Ledger.Options(4096, Duration.ofMillis(50), Duration.ofMillis(500)))) {
            // A lone appender: each append is its own commit, with no wait (the previous batch held one).
            for (int i = 0; i < 5; i++) {
                l.append(entry(i));
            }
            assertEquals(5, l.commits());
            // Busy: a burst, then 50 appends 1 ms apart. Within the 500 ms delay they share one or two commits
            // (without the delay each would find the committer idle and get its own).
            appendAll(l, 5, 105);
            long before = l.commits();
            List<CompletableFuture<Long>> spaced = new ArrayList<>();
            for (int i = 0; i < 50; i++) {
                spaced.add(l.appendAsync(entry(105 + i)));
                Thread.sleep(1);
            }
            for (int i = 0; i < spaced.size(); i++) {
                assertEquals(105 + i, spaced.get(i).join());
            }
            assertTrue(l.commits() - before <= 3, "50 spaced appends took " + (l.commits() - before) + " commits");
        }
    }

    /** The commit observer sees each batch before its fsync and its durable size before the appends complete; its failure is a write failure. */
    @Test
    void aCommitObserverSeesDurabilityBeforeAcknowledgementAndItsFailureStopsTheLedger() {
        List<Long> durable = new java.util.concurrent.CopyOnWriteArrayList<>();
        java.util.concurrent.atomic.AtomicBoolean fail = new java.util.concurrent.atomic.AtomicBoolean();
        Ledger.CommitObserver observer = new Ledger.CommitObserver() {
            @Override
            public void syncing(long first, int count) throws IOException {
                if (fail.get()) {
                    throw new IOException("simulated disk failure at entry " + first);
                }
            }

            @Override
            public void durable(long size) {
                durable.add(size);
            }
        };
        try (Ledger l = Ledger.open(dir(), key(), ORIGIN, FAST.withObserver(observer))) {
            for (int i = 0; i < 3; i++) {
                long index = l.append(entry(i));
                assertTrue(durable.getLast() > index, "durable(" + durable.getLast() + ") before append " + index + " returned");
            }
            fail.set(true);
            LedgerException e = assertThrows(LedgerException.class, () -> l.append(entry(3)));
            assertEquals("the ledger stopped after a write failure (simulated disk failure at entry 3); reopen it to recover", e.getMessage());
            assertThrows(LedgerException.class, () -> l.append(entry(4)), "and stays stopped");
            assertEquals(3, l.size());
        }
        try (Ledger l = open()) {
            assertEquals(3, l.size(), "reopened, it recovers what was durable");
        }
    }

    private void writeAfterRecords(byte[] bytes) throws IOException {
        Path journal = dir().resolve("journal");
        long end = Journal.read(journal).validBytes();
        try (java.nio.channels.FileChannel ch = java.nio.channels.FileChannel.open(journal, StandardOpenOption.WRITE)) {
            ch.write(java.nio.ByteBuffer.wrap(bytes), end);
        }
    }

    @Test
    void aCopyTakenWhileRunningRecoversEveryAcknowledgedEntry() throws IOException {
        Path copy = tmp.resolve("copy");
        try (Ledger l = open()) {
            appendAll(l, 0, 700);
            // No close: the copy is the state a SIGKILL would leave (journal fsynced, tiles as written).
            copyTree(dir(), copy);
        }
        try (Ledger l = Ledger.open(copy, key(), ORIGIN, FAST)) {
            assertEquals(700, l.size());
            assertArrayEquals(l.tile("tile/entries/002.p/188").orElseThrow(), new Bundle().addAll(512, 700).bytes());
        }
        assertTrue(Ledger.verify(copy, null, null).isOk());
    }

    @Test
    void recoveryRefusesACheckpointBeyondWhatWasRecovered() throws IOException {
        try (Ledger l = open()) {
            appendAll(l, 0, 10);
        }
        String note = Files.readString(dir().resolve("checkpoint"));
        Files.write(dir().resolve("journal"), Files.readAllBytes(dir().resolve("journal")).length > 0
                ? java.util.Arrays.copyOf(Files.readAllBytes(dir().resolve("journal")), Journal.HEADER) : new byte[0]);
        LedgerException e = assertThrows(LedgerException.class, this::open);
        assertEquals(dir().toAbsolutePath().resolve("checkpoint") + " covers 10 entries, but only 0 were recovered; refusing to start (acknowledged entries are missing)",
                e.getMessage());
        assertTrue(note.startsWith(ORIGIN + "\n10\n"));
    }

    @Test
    void servesTilesAndPartialsAsPrefixes() {
        try (Ledger l = open()) {
            appendAll(l, 0, 300);
            l.publish();
            MemoryTree ref = MemoryTree.ofEntries(Stream.iterate(0L, i -> i + 1).limit(300).map(LedgerTest::entry).toList());
            assertArrayEquals(TileMath.tileBytes(ref, new TilePath(0, 0, 256)), l.tile("tile/0/000").orElseThrow());
            assertArrayEquals(TileMath.tileBytes(ref, new TilePath(0, 1, 44)), l.tile("tile/0/001.p/44").orElseThrow());
            assertArrayEquals(TileMath.tileBytes(ref, new TilePath(0, 0, 10)), l.tile("tile/0/000.p/10").orElseThrow());
            assertArrayEquals(TileMath.tileBytes(ref, new TilePath(1, 0, 1)), l.tile("tile/1/000.p/1").orElseThrow());
            assertArrayEquals(new Bundle().addAll(0, 3).bytes(), l.tile("tile/entries/000.p/3").orElseThrow());
            assertArrayEquals(new Bundle().addAll(256, 300).bytes(), l.tile("tile/entries/001.p/44").orElseThrow());
            assertFalse(l.tile("tile/0/001.p/45").isPresent());
            assertFalse(l.tile("tile/0/001").isPresent());
            assertFalse(l.tile("tile/1/000").isPresent());
            assertFalse(l.tile("tile/0/../000").isPresent());
            assertArrayEquals(ref.root(300), l.root(300).bytes());
            assertThrows(IllegalArgumentException.class, () -> l.append(new byte[65_536]));
            assertEquals(300, l.append(new byte[65_535]));
        }
    }

    @Test
    void seventyThousandEntriesCrossTileLevelsAndRecover() {
        String vkey;
        try (Ledger l = open()) {
            vkey = l.verifierKey();
            appendAll(l, 0, 70_000);
        }
        assertTrue(Files.exists(dir().resolve("tile/1/000")));
        assertTrue(Files.exists(dir().resolve("tile/2/000.p/1")));
        try (Ledger l = open()) {
            assertEquals(70_000, l.size());
            MemoryTree ref = MemoryTree.ofSize(0);
            for (long i = 0; i < 70_001; i++) {
                ref.append(entry(i));
            }
            assertEquals(70_000, l.append(entry(70_000)));
            assertArrayEquals(ref.root(70_001), l.root(70_001).bytes());
            Checkpoint cp = Checkpoint.open(l.publish(), vkey).orThrow();
            assertTrue(l.inclusionProof(65_537, 70_001).verify(cp.root()).isOk());
        }
        Verification<Checkpoint> v = Ledger.verify(dir(), vkey, null);
        assertTrue(v.isOk(), v.reason());
    }

    @Test
    void verifyAndProveOverHttp() throws IOException {
        String vkey = build(300);
        com.sun.net.httpserver.HttpServer http = com.sun.net.httpserver.HttpServer.create(new java.net.InetSocketAddress("127.0.0.1", 0), 0);
        http.createContext("/ledger/", ex -> {
            Path f = dir().resolve(ex.getRequestURI().getPath().substring("/ledger/".length()));
            byte[] body = Files.isRegularFile(f) ? Files.readAllBytes(f) : null;
            ex.sendResponseHeaders(body == null ? 404 : 200, body == null ? -1 : body.length);
            if (body != null) {
                ex.getResponseBody().write(body);
            }
            ex.close();
        });
        http.start();
        try {
            java.net.URI prefix = java.net.URI.create("http://127.0.0.1:" + http.getAddress().getPort() + "/ledger/");
            Verification<Checkpoint> v = Ledger.verify(prefix, vkey, null);
            assertTrue(v.isOk(), v.reason());
            String proof = Ledger.prove(prefix, 257, vkey).orThrow();
            String[] parts = proof.split("\n\n", 2);
            List<String> head = List.of(parts[0].split("\n"));
            assertEquals("c2sp.org/tlog-proof@v1", head.get(0));
            assertEquals("extra " + java.util.Base64.getEncoder().encodeToString(entry(257)), head.get(1), "the entry itself, from its bundle");
            assertEquals("index 257", head.get(2));
            Checkpoint cp = Checkpoint.open(parts[1], vkey).orThrow();
            List<Hash> hashes = head.subList(3, head.size()).stream().map(Hash::ofBase64).toList();
            InclusionProof p = new InclusionProof(257, cp.size(), Hash.wrap(Merkle.leafHash(entry(257))), hashes);
            assertTrue(p.verify(cp.root()).isOk());
            assertEquals("index 300 is not below the checkpoint's size 300", Ledger.prove(prefix, 300, vkey).reason());
            assertEquals(257, Ledger.verifyProof(proof.getBytes(StandardCharsets.UTF_8), null, vkey, List.of()).orThrow().index());
            assertTrue(Ledger.verify(java.net.URI.create("http://127.0.0.1:" + http.getAddress().getPort() + "/nothing/"), vkey, null)
                    .reason().equals("the log has no checkpoint"));
        } finally {
            http.stop(0);
        }
    }

    // ---------------------------------------------------------------- tamper tests for verify

    private String build(int n) {
        try (Ledger l = open()) {
            appendAll(l, 0, n);
            return l.verifierKey();
        }
    }

    private static void flipByte(Path f, int offset) throws IOException {
        byte[] b = Files.readAllBytes(f);
        b[offset] ^= 0x01;
        Files.write(f, b);
    }

    @Test
    void verifyNamesAFlippedTileByte() throws IOException {
        String vkey = build(300);
        flipByte(dir().resolve("tile/0/000"), 32 * 7 + 3);
        assertEquals(Verification.failed("x").getClass(), Ledger.verify(dir(), vkey, null).getClass());
        String reason = Ledger.verify(dir(), vkey, null).reason();
        assertTrue(reason.startsWith("tile/0/000: hash 7 is "), reason);
        assertTrue(reason.contains(", not the leaf hash of entry 7 ("), reason);
    }

    /** A flipped entry byte is the bundle's fault (the tile's hash is the signed one), in a full bundle and in the partial one. */
    @Test
    void verifyBlamesTheBundleForAFlippedEntryByte() throws IOException {
        String vkey = build(300);
        flipByte(dir().resolve("tile/entries/001.p/44"), 2);   // first byte of entry 256
        String reason = Ledger.verify(dir(), vkey, null).reason();
        assertTrue(reason.startsWith("tile/entries/001.p/44: entry 256 was altered: its leaf hash is "), reason);
        assertTrue(reason.endsWith(" there (tile/0/001.p/44 hash 0, proven against the checkpoint's root)"), reason);
        flipByte(dir().resolve("tile/entries/001.p/44"), 2);
        assertTrue(Ledger.verify(dir(), vkey, null).isOk());
        flipByte(dir().resolve("tile/entries/000"), 2 + entry(0).length + 2 + 3); // entry 1, fourth byte
        reason = Ledger.verify(dir(), vkey, null).reason();
        assertTrue(reason.startsWith("tile/entries/000: entry 1 was altered: its leaf hash is "), reason);
        assertTrue(reason.contains("(tile/0/000 hash 1, proven against the checkpoint's root)"), reason);
    }

    /** The checkpoint's signature line with one byte of the signature flipped (still valid base64). */
    @Test
    void verifyNamesAFlippedSignatureByte() throws IOException {
        String vkey = build(300);
        Path cp = dir().resolve("checkpoint");
        String note = Files.readString(cp);
        int sig = note.lastIndexOf(' ') + 1;
        byte[] blob = java.util.Base64.getDecoder().decode(note.substring(sig).strip());
        blob[4 + 17] ^= 0x20; // a byte of the Ed25519 signature, after the 4-byte key id
        Files.writeString(cp, note.substring(0, sig) + java.util.Base64.getEncoder().encodeToString(blob) + "\n");
        assertEquals("checkpoint: invalid signature for key " + ORIGIN + "+" + vkey.split("\\+")[1] + ": signature does not verify",
                Ledger.verify(dir(), vkey, null).reason());
        blob[4 + 17] ^= 0x20;
        blob[0] ^= 1; // the key id: the line no longer names this key
        Files.writeString(cp, note.substring(0, sig) + java.util.Base64.getEncoder().encodeToString(blob) + "\n");
        assertTrue(Ledger.verify(dir(), vkey, null).reason().startsWith("checkpoint: note has no verifiable signatures"));
    }

    @Test
    void verifyNamesATamperedCheckpoint() throws IOException {
        String vkey = build(300);
        Path cp = dir().resolve("checkpoint");
        String note = Files.readString(cp);
        Files.writeString(cp, note.replace("\n300\n", "\n299\n"));
        assertEquals("checkpoint: invalid signature for key " + ORIGIN + "+" + vkey.split("\\+")[1] + ": signature does not verify",
                Ledger.verify(dir(), vkey, null).reason());
        Files.writeString(cp, note);
        String other = NoteSigner.generate(ORIGIN).verifier().vkey();
        assertTrue(Ledger.verify(dir(), other, null).reason().startsWith("checkpoint: note has no verifiable signatures"));
    }

    @Test
    void verifyNamesTruncation() throws IOException {
        String vkey = build(300);
        Path bundle = dir().resolve("tile/entries/001.p/44");
        byte[] b = Files.readAllBytes(bundle);
        Files.write(bundle, java.util.Arrays.copyOf(b, b.length - 3));
        assertEquals("tile/entries/001.p/44: entry 299 (9 bytes) runs past the end of the bundle", Ledger.verify(dir(), vkey, null).reason());
        Files.delete(bundle);
        assertEquals("tile/entries/001.p/44 is missing", Ledger.verify(dir(), vkey, null).reason());
        Path tile = dir().resolve("tile/0/000");
        Files.write(tile, java.util.Arrays.copyOf(Files.readAllBytes(tile), 8000));
        Files.write(bundle, b);
        assertEquals("tile/0/000 is 8000 bytes; a tile of width 256 is 8192", Ledger.verify(dir(), vkey, null).reason());
    }

    @Test
    void verifyNamesAFork() throws IOException {
        // Two logs with the same key and origin that diverge at entry 5: the second's checkpoint,
        // trusted earlier, is not consistent with the first.
        String vkey = build(10);
        Path forkDir = tmp.resolve("fork");
        String forked;
        try (Ledger f = Ledger.open(forkDir, key(), ORIGIN, FAST)) {
            appendAll(f, 0, 5);
            f.append("something else".getBytes(StandardCharsets.UTF_8));
            forked = f.publish();
        }
        String reason = Ledger.verify(dir(), vkey, forked).reason();
        assertTrue(reason.startsWith("the log is not consistent with the trusted checkpoint (size 6, root "), reason);
        assertTrue(reason.endsWith("(a fork or rewritten history)"), reason);
        // And a rollback: the fork trusted at size 6, a log of size 10 trusted against a size-4 log.
        Path small = tmp.resolve("small");
        try (Ledger s = Ledger.open(small, key(), ORIGIN, FAST)) {
            appendAll(s, 0, 4);
        }
        assertEquals("the log rolled back: the trusted checkpoint has size 10, the current one 4",
                Ledger.verify(small, vkey, Files.readString(dir().resolve("checkpoint"))).reason());
    }

    // ---------------------------------------------------------------- helpers

    /** Builds the C2SP bundle bytes of entries [from, to). */
    private static final class Bundle {
        private final java.io.ByteArrayOutputStream out = new java.io.ByteArrayOutputStream();

        Bundle addAll(long from, long to) {
            for (long i = from; i < to; i++) {
                byte[] e = entry(i);
                out.write(e.length >>> 8);
                out.write(e.length);
                out.writeBytes(e);
            }
            return this;
        }

        byte[] bytes() {
            return out.toByteArray();
        }
    }

    private static void copyTree(Path from, Path to) throws IOException {
        try (Stream<Path> s = Files.walk(from)) {
            for (Path p : s.toList()) {
                Path t = to.resolve(from.relativize(p).toString());
                if (Files.isDirectory(p)) {
                    Files.createDirectories(t);
                } else {
                    try {
                        Files.copy(p, t);
                    } catch (java.nio.file.NoSuchFileException e) {
                        // a temporary file renamed away mid-copy
                    }
                }
            }
        }
    }
}
