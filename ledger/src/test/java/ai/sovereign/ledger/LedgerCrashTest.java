package ai.sovereign.ledger;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Base64;
import java.util.HashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.Set;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Issue 4: a child process ({@link CrashAppender}) appending from 16 threads is killed with SIGKILL
 * at a random moment, 50 times, on one directory. In 10 of the rounds the kill comes at a random
 * moment from 0 to 1.25 times the last measured {@link Ledger#open} after the child starts it, so it
 * lands anywhere in recovery (journal replay and reset, tile rewrites, the first publish) or in the
 * first appends. After each kill:
 * <ol>
 *   <li>the directory as the child left it verifies ({@link Ledger#verify}) against the newest
 *       checkpoint the child reported (published state is self-consistent even before recovery);</li>
 *   <li>the ledger reopens (recovery), and every entry whose append was ever acknowledged, in this
 *       round or any earlier one, is at its acknowledged index with its bytes, read back through
 *       {@link Ledger#tile} entry bundles;</li>
 *   <li>every checkpoint ever reported is consistent with the recovered tree: same root at equal
 *       size, otherwise a consistency proof from its size to the current size verifies;</li>
 *   <li>after close (which publishes), the whole log verifies again, on its own, against the newest
 *       checkpoint ever reported, and against the oldest and newest of the round: every round, also
 *       one that reported no checkpoint.</li>
 * </ol>
 * The seed is printed; rerun one with {@code -Dcrash.seed=<seed>}.
 */
class LedgerCrashTest {
    private static final String ORIGIN = "factory.example.kr/ledger";
    private static final int ROUNDS = 50;
    private static final int THREADS = 16;
    /** Rounds whose kill lands during recovery: every fifth. */
    private static final int EARLY_EVERY = 5;

    @TempDir
    Path tmp;

    private record ChildOutput(List<String> lines, String stderr, boolean exitedOnItsOwn, boolean ready, long openMs) {}

    @Test
    void survivesFiftySigkillsUnderConcurrentAppends() throws Exception {
        long seed = Long.getLong("crash.seed", System.nanoTime());
        System.out.println("LedgerCrashTest seed " + seed + " (rerun with -Dcrash.seed=" + seed + ")");
        Random rnd = new Random(seed);
        Path dir = tmp.resolve("ledger");
        Path key = tmp.resolve("ledger.key");

        Map<Long, String> acked = new HashMap<>();
        Set<String> checkpoints = new LinkedHashSet<>();
        String vkey = null;
        long started = System.nanoTime();
        long checkpointChecks = 0;
        long ackChecks = 0;
        int tornTails = 0;
        int killedInRecovery = 0;
        long maxSize = 0;
        long openMs = 100;

        for (int round = 0; round < ROUNDS; round++) {
            boolean early = round % EARLY_EVERY == 2 && round > 0;
            int runMs = early ? rnd.nextInt((int) (openMs * 5 / 4) + 1) : 50 + rnd.nextInt(351);
            ChildOutput out = runAndKill(dir, key, round, runMs, early);
            String where = "round " + round + " (seed " + seed + ", killed " + runMs + " ms after " + (early ? "opening" : "ready") + ")";
            if (out.exitedOnItsOwn() || out.stderr().contains("Exception")) {
                fail(where + ": the child failed before the kill:\n" + out.stderr());
            }
            assertTrue(early || out.ready(), where + ": child never got ready:\n" + out.stderr());
            if (!out.ready()) {
                killedInRecovery++;
            } else if (!early) {
                openMs = out.openMs();
            }
            if (vkey == null && Files.exists(dir.resolve("vkey"))) {
                vkey = Files.readString(dir.resolve("vkey"), StandardCharsets.UTF_8).strip();
            }

            List<String> roundCps = new ArrayList<>();
            int roundAcks = 0;
            for (String line : out.lines()) {
                if (line.equals("OPENING") || line.equals("READY")) {
                    continue;
                }
                if (line.startsWith("ACK ")) {
                    String[] p = line.split(" ", 3);
                    long index = Long.parseLong(p[1]);
                    String prev = acked.putIfAbsent(index, p[2]);
                    if (prev != null) {
                        fail(where + ": index " + index + " acknowledged twice, for " + prev + " and " + p[2]);
                    }
                    roundAcks++;
                } else if (line.startsWith("CP ")) {
                    String note = new String(Base64.getDecoder().decode(line.substring(3)), StandardCharsets.UTF_8);
                    roundCps.add(note);
                    checkpoints.add(note);
                } else {
                    fail(where + ": unexpected child output " + line);
                }
            }

            // 1. The directory exactly as the kill left it: published tiles and checkpoint verify,
            //    and extend the newest checkpoint the child reported.
            String newest = roundCps.isEmpty() ? null : roundCps.getLast();
            assertTrue(vkey != null && Files.exists(dir.resolve("checkpoint")), where + ": no checkpoint on disk");
            Verification<Checkpoint> before = Ledger.verify(dir, vkey, newest);
            assertTrue(before.isOk(), where + ": the killed log does not verify: " + reason(before));

            // 2. Recovery, then every acknowledged entry ever.
            long size;
            try (Ledger l = Ledger.open(dir, key, ORIGIN)) {
                vkey = l.verifierKey();
                if (l.repairedBytes() > 0) {
                    tornTails++;
                }
                size = l.size();
                assertTrue(size >= maxSize, where + ": the log shrank from " + maxSize + " to " + size);
                maxSize = size;
                List<byte[]> entries = readEntries(l, size);
                for (Map.Entry<Long, String> a : acked.entrySet()) {
                    long i = a.getKey();
                    assertTrue(i < size, where + ": acknowledged entry " + i + " (" + a.getValue() + ") is lost; recovered size " + size);
                    assertArrayEquals(a.getValue().getBytes(StandardCharsets.UTF_8), entries.get((int) i),
                            where + ": entry " + i + " is not what was acknowledged (" + a.getValue() + ")");
                    ackChecks++;
                }

                // 3. Every checkpoint ever reported is consistent with the recovered tree.
                Hash now = l.root(size);
                for (String note : checkpoints) {
                    Checkpoint cp = open(note, vkey, where);
                    assertTrue(cp.size() <= size, where + ": checkpoint of size " + cp.size() + " is beyond the recovered " + size);
                    if (cp.size() == 0) {
                        // Every tree extends the empty tree (RFC 9162 has no proof for it).
                    } else if (cp.size() == size) {
                        assertEquals(cp.root(), now, where + ": checkpoint at size " + size + " has another root");
                    } else {
                        Verification<Void> v = l.consistencyProof(cp.size(), size).verify(cp.root(), now);
                        assertTrue(v.isOk(), where + ": checkpoint at size " + cp.size() + " is not consistent with size " + size + ": " + reason(v));
                    }
                    checkpointChecks++;
                }
            }

            // 4. After a clean close (which publishes), the whole log verifies: on its own, against the newest
            //    checkpoint ever reported, and against the round's first and last (every round, with or without them).
            List<String> trusted = new ArrayList<>();
            trusted.add(null);
            if (!checkpoints.isEmpty()) {
                trusted.add(checkpoints.stream().reduce((a, b) -> b).orElseThrow());
            }
            if (!roundCps.isEmpty()) {
                trusted.add(roundCps.getFirst());
                trusted.add(roundCps.getLast());
            }
            for (String t : trusted) {
                Verification<Checkpoint> after = Ledger.verify(dir, vkey, t);
                assertTrue(after.isOk(), where + ": the reopened log does not verify" + (t == null ? "" : " against a reported checkpoint")
                        + ": " + reason(after));
                assertEquals(size, after.orThrow().size(), where + ": the published checkpoint after close is not the recovered size");
            }
            System.out.printf("round %2d: killed %3d ms after %s, %5d acks, %3d checkpoints, size %d%n", round, runMs,
                    early ? (out.ready() ? "opening (ready after " + out.openMs() + " ms)" : "opening (in recovery)")
                            : "ready (open took " + out.openMs() + " ms)", roundAcks, roundCps.size(), size);
        }

        long ms = TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - started);
        System.out.printf("LedgerCrashTest: %d rounds in %d ms, %d acknowledged entries (%d ack checks), %d checkpoints (%d checks), "
                + "%d torn tails cut, %d kills before READY, final size %d%n", ROUNDS, ms, acked.size(), ackChecks, checkpoints.size(),
                checkpointChecks, tornTails, killedInRecovery, maxSize);
        assertTrue(acked.size() > ROUNDS, "the child barely appended: " + acked.size() + " acknowledged entries");
        assertTrue(checkpoints.size() > ROUNDS / 2, "the child barely published: " + checkpoints.size() + " checkpoints");
    }

    /**
     * Starts the child, waits for READY (or, {@code early}, for OPENING), lets it run for {@code runMs}, SIGKILLs it,
     * and returns all it printed.
     */
    private static ChildOutput runAndKill(Path dir, Path key, int round, int runMs, boolean early) throws Exception {
        String java = ProcessHandle.current().info().command().orElse(Path.of(System.getProperty("java.home"), "bin", "java").toString());
        Path stderr = Files.createTempFile(dir.getParent(), "child-", ".err");
        Process p = new ProcessBuilder(java, "-XX:+UseSerialGC", "-Xmx256m", "-XX:TieredStopAtLevel=1",
                "-cp", System.getProperty("java.class.path"), CrashAppender.class.getName(),
                dir.toString(), key.toString(), ORIGIN, Integer.toString(round), Integer.toString(THREADS))
                .redirectError(stderr.toFile())
                .start();
        ByteArrayOutputStream buf = new ByteArrayOutputStream();
        Object ready = new Object();
        boolean[] isReady = {false};
        boolean[] isOpening = {false};
        long[] openedAt = {0, -1};
        Thread reader = Thread.ofPlatform().name("child-stdout").start(() -> {
            try (InputStream in = p.getInputStream()) {
                byte[] b = new byte[65536];
                for (int n; (n = in.read(b)) > 0; ) {
                    synchronized (ready) {
                        buf.write(b, 0, n);
                        String sofar = buf.toString(StandardCharsets.UTF_8);
                        if (!isOpening[0] && sofar.startsWith("OPENING\n")) {
                            isOpening[0] = true;
                            openedAt[0] = System.nanoTime();
                            ready.notifyAll();
                        }
                        if (!isReady[0] && sofar.startsWith("OPENING\nREADY\n")) {
                            isReady[0] = true;
                            openedAt[1] = TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - openedAt[0]);
                            ready.notifyAll();
                        }
                    }
                }
            } catch (IOException e) {
                // The child is gone.
            } finally {
                synchronized (ready) {
                    ready.notifyAll();
                }
            }
        });
        boolean exitedOnItsOwn;
        try {
            long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(60);
            boolean[] waitFor = early ? isOpening : isReady;
            synchronized (ready) {
                while (!waitFor[0] && p.isAlive() && System.nanoTime() < deadline) {
                    ready.wait(early ? 1 : 100);
                }
            }
            if (waitFor[0]) {
                Thread.sleep(runMs);
            }
            exitedOnItsOwn = !p.isAlive();
        } finally {
            p.destroyForcibly(); // SIGKILL on Linux
        }
        p.waitFor();
        reader.join();
        String err = Files.readString(stderr, StandardCharsets.UTF_8);
        Files.delete(stderr);
        // A line cut by the kill (no newline yet) never happened as far as the parent knows.
        String all = buf.toString(StandardCharsets.UTF_8);
        int end = all.lastIndexOf('\n');
        List<String> lines = end < 0 ? List.of() : List.of(all.substring(0, end).split("\n"));
        long opened;
        synchronized (ready) {
            opened = openedAt[1];
        }
        return new ChildOutput(lines, err, exitedOnItsOwn, lines.contains("READY"), opened);
    }

    /** All entries of the first {@code size}, read back from the entry bundles the ledger serves. */
    private static List<byte[]> readEntries(Ledger l, long size) {
        List<byte[]> entries = new ArrayList<>((int) size);
        for (long n = 0; n * TilePath.WIDTH < size; n++) {
            int width = (int) Math.min(TilePath.WIDTH, size - n * TilePath.WIDTH);
            String path = new TilePath(TilePath.ENTRIES, n, width).path();
            byte[] bundle = l.tile(path).orElseThrow(() -> new AssertionError("entry bundle " + path + " is missing"));
            ByteBuffer b = ByteBuffer.wrap(bundle);
            for (int i = 0; i < width; i++) {
                byte[] e = new byte[b.getShort() & 0xffff];
                b.get(e);
                entries.add(e);
            }
            assertEquals(0, b.remaining(), path + " has trailing bytes");
        }
        return entries;
    }

    private static Checkpoint open(String note, String vkey, String where) {
        Verification<Checkpoint> v = Checkpoint.open(note, vkey);
        if (!(v instanceof Verification.Ok<Checkpoint>(Checkpoint cp))) {
            throw new AssertionError(where + ": a checkpoint the child reported does not verify: " + reason(v));
        }
        return cp;
    }

    private static String reason(Verification<?> v) {
        return v instanceof Verification.Failed<?> f ? f.reason() : "ok";
    }
}
