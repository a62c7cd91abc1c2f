package ai.sovereign.ledger;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.PreparedStatement;
import java.sql.Statement;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Comparator;
import java.util.HexFormat;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.SplittableRandom;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.stream.Stream;

/**
 * Durable append throughput and latency of the ledger, next to PostgreSQL INSERT + COMMIT of a row
 * of the same size, and proof times at scale. A plain main (not JMH): each phase is a closed loop
 * of N threads, each appending (or inserting) one entry at a time and waiting for it to be durable
 * before the next; every call's latency is kept, so p50/p99 are exact over the measured window.
 *
 * <pre>
 * java -cp bench/target/benchmarks.jar ai.sovereign.ledger.LedgerAppendBench \
 *     --threads 1,16,64,256 --warmup 3 --seconds 10 --dir /tmp/ledger-bench \
 *     [--commit-delay-us 0] [--max-batch 4096] \
 *     [--pg 'jdbc:postgresql://127.0.0.1:PORT/postgres?user=bench'] [--proof-size 1000000]
 * </pre>
 * {@code scripts/ledger-bench.sh} starts a throwaway PostgreSQL cluster and runs this.
 */
public final class LedgerAppendBench {
    private LedgerAppendBench() {}

    private record Result(String what, int threads, long ops, double seconds, long[] sortedNanos) {
        double perSecond() {
            return ops / seconds;
        }

        double percentileMillis(double p) {
            if (sortedNanos.length == 0) {
                return Double.NaN;
            }
            int i = (int) Math.min(sortedNanos.length - 1, Math.ceil(p * sortedNanos.length) - 1);
            return sortedNanos[Math.max(0, i)] / 1e6;
        }

        String row() {
            return String.format("| %s | %d | %,.0f | %.2f | %.2f | %.2f |", what, threads, perSecond(),
                    percentileMillis(0.50), percentileMillis(0.99), sortedNanos.length == 0 ? Double.NaN : sortedNanos[sortedNanos.length - 1] / 1e6);
        }
    }

    /** One durable write of the entry; returns when it is durable. */
    @FunctionalInterface
    private interface Op {
        void run() throws Exception;
    }

    /** A per-thread operation: made once per thread (e.g. with its own connection). */
    @FunctionalInterface
    private interface OpFactory {
        Op open() throws Exception;
    }

    public static void main(String[] args) throws Exception {
        Map<String, String> a = parse(args);
        int[] threads = Arrays.stream(a.getOrDefault("threads", "1,16,64,256").split(",")).mapToInt(Integer::parseInt).toArray();
        double warmup = Double.parseDouble(a.getOrDefault("warmup", "3"));
        double seconds = Double.parseDouble(a.getOrDefault("seconds", "10"));
        Path root = Path.of(a.getOrDefault("dir", "/tmp/ledger-bench"));
        long delayMicros = Long.parseLong(a.getOrDefault("commit-delay-us", "0"));
        int maxBatch = Integer.parseInt(a.getOrDefault("max-batch", "4096"));
        String pg = a.get("pg");
        long proofSize = Long.parseLong(a.getOrDefault("proof-size", "0"));

        byte[] entry = sampleEntry();
        System.out.printf("entry: %d bytes (a decision entry); ledger options: max batch %d, commit delay %d µs%n",
                entry.length, maxBatch, delayMicros);
        Ledger.Options options = new Ledger.Options(maxBatch, Duration.ofSeconds(1), Duration.ofNanos(delayMicros * 1000));
        List<Result> results = new ArrayList<>();
        for (int n : threads) {
            Path dir = fresh(root.resolve("t" + n));
            try (Ledger ledger = Ledger.open(dir.resolve("log"), dir.resolve("key"), "bench.example/log", options)) {
                Result r = run("ledger", n, warmup, seconds, () -> () -> ledger.append(entry));
                results.add(r);
                System.out.println(r.row() + "  (log size " + ledger.size() + ")");
            }
            deleteTree(dir);
            if (pg != null) {
                try (Connection c = DriverManager.getConnection(pg); Statement s = c.createStatement()) {
                    s.execute("DROP TABLE IF EXISTS audit");
                    s.execute("CREATE TABLE audit (id bigserial PRIMARY KEY, entry bytea NOT NULL)");
                }
                Result r = run("postgresql", n, warmup, seconds, () -> {
                    Connection c = DriverManager.getConnection(pg);
                    c.setAutoCommit(true);
                    PreparedStatement ps = c.prepareStatement("INSERT INTO audit (entry) VALUES (?)");
                    return () -> {
                        ps.setBytes(1, entry);
                        ps.executeUpdate();
                    };
                });
                results.add(r);
                System.out.println(r.row());
            }
        }
        System.out.println();
        System.out.println("| store | appenders | durable appends/s | p50 ms | p99 ms | max ms |");
        System.out.println("|---|---:|---:|---:|---:|---:|");
        results.forEach(r -> System.out.println(r.row()));
        if (proofSize > 0) {
            proofs(root.resolve("proofs"), proofSize, entry);
        }
    }

    private static Result run(String what, int threads, double warmup, double seconds, OpFactory factory) throws Exception {
        AtomicBoolean measuring = new AtomicBoolean();
        AtomicBoolean stop = new AtomicBoolean();
        long[][] samples = new long[threads][];
        int[] counts = new int[threads];
        Throwable[] failure = new Throwable[1];
        CountDownLatch ready = new CountDownLatch(threads);
        List<Thread> ts = new ArrayList<>();
        for (int t = 0; t < threads; t++) {
            int id = t;
            ts.add(Thread.ofPlatform().name(what + "-" + t).start(() -> {
                long[] mine = new long[1 << 12];
                int n = 0;
                try {
                    Op op = factory.open();
                    ready.countDown();
                    while (!stop.get()) {
                        long t0 = System.nanoTime();
                        op.run();
                        long dt = System.nanoTime() - t0;
                        if (measuring.get()) {
                            if (n == mine.length) {
                                mine = Arrays.copyOf(mine, n * 2);
                            }
                            mine[n++] = dt;
                        }
                    }
                } catch (Throwable e) {
                    synchronized (failure) {
                        failure[0] = e;
                    }
                    ready.countDown();
                    stop.set(true);
                }
                samples[id] = mine;
                counts[id] = n;
            }));
        }
        ready.await();
        Thread.sleep((long) (warmup * 1000));
        measuring.set(true);
        long t0 = System.nanoTime();
        Thread.sleep((long) (seconds * 1000));
        measuring.set(false);
        long elapsed = System.nanoTime() - t0;
        stop.set(true);
        for (Thread t : ts) {
            t.join();
        }
        if (failure[0] != null) {
            throw new IllegalStateException(what + " with " + threads + " threads failed", failure[0]);
        }
        int total = Arrays.stream(counts).sum();
        long[] all = new long[total];
        int off = 0;
        for (int t = 0; t < threads; t++) {
            System.arraycopy(samples[t], 0, all, off, counts[t]);
            off += counts[t];
        }
        Arrays.sort(all);
        return new Result(what, threads, total, elapsed / 1e9, all);
    }

    /** Builds a log of {@code size} entries, then times inclusion and consistency proofs (generate, verify) at that size. */
    private static void proofs(Path root, long size, byte[] entry) throws Exception {
        Path dir = fresh(root);
        System.out.println();
        try (Ledger ledger = Ledger.open(dir.resolve("log"), dir.resolve("key"), "bench.example/log")) {
            long t0 = System.nanoTime();
            List<CompletableFuture<Long>> inflight = new ArrayList<>();
            for (long i = 0; i < size; i++) {
                inflight.add(ledger.appendAsync(entry));
                if (inflight.size() == 8192) {
                    inflight.getLast().join();
                    inflight.clear();
                }
            }
            inflight.forEach(CompletableFuture::join);
            System.out.printf("built a log of %,d entries in %.1f s (pipelined appends)%n", ledger.size(), (System.nanoTime() - t0) / 1e9);
            ledger.publish();
            Hash root1 = ledger.root(size);
            SplittableRandom rnd = new SplittableRandom(1);
            int rounds = 2000;
            long[] gen = new long[rounds];
            long[] ver = new long[rounds];
            int hashes = 0;
            for (int warm = 0; warm < 2; warm++) {
                for (int i = 0; i < rounds; i++) {
                    long index = rnd.nextLong(size);
                    long a = System.nanoTime();
                    InclusionProof p = ledger.inclusionProof(index, size);
                    long b = System.nanoTime();
                    p.verify(root1).orThrow();
                    long c = System.nanoTime();
                    gen[i] = b - a;
                    ver[i] = c - b;
                    hashes = p.hashes().size();
                }
            }
            report("inclusion proof", size, gen, ver, hashes);
            for (int warm = 0; warm < 2; warm++) {
                for (int i = 0; i < rounds; i++) {
                    long old = 1 + rnd.nextLong(size - 1);
                    Hash oldRoot = ledger.root(old);
                    long a = System.nanoTime();
                    ConsistencyProof p = ledger.consistencyProof(old, size);
                    long b = System.nanoTime();
                    p.verify(oldRoot, root1).orThrow();
                    long c = System.nanoTime();
                    gen[i] = b - a;
                    ver[i] = c - b;
                    hashes = p.hashes().size();
                }
            }
            report("consistency proof", size, gen, ver, hashes);
        }
        deleteTree(dir);
    }

    private static void report(String what, long size, long[] gen, long[] ver, int hashes) {
        long[] g = gen.clone();
        long[] v = ver.clone();
        Arrays.sort(g);
        Arrays.sort(v);
        System.out.printf("%s at %,d entries (%d hashes, random indices, %d rounds): generate p50 %.1f µs p99 %.1f µs; verify p50 %.1f µs p99 %.1f µs%n",
                what, size, hashes, g.length, g[g.length / 2] / 1e3, g[(int) (g.length * 0.99)] / 1e3, v[v.length / 2] / 1e3, v[(int) (v.length * 0.99)] / 1e3);
    }

    /** A realistic decision entry: the fields the server fills for a chat completion with routing and a PII count. */
    static byte[] sampleEntry() {
        byte[] h = HexFormat.of().parseHex("9f86d081884c7d659a2feaa0c55ad015a3bf4f1b2b0b822cd15d6c15b0f00a08");
        return new AuditEntry.Decision(1_795_000_000_000L, "req-0f8e2c1a6b3d4e5f", "tenant-acme", "key-7f3a", "/v1/chat/completions",
                "llama-3.2-1b-instruct-q4_k_m", Hash.of(h), "local", "KR", "confidential",
                List.of(new AuditEntry.PiiCount("KR_RRN", 1), new AuditEntry.PiiCount("EMAIL", 2)),
                List.of("local", "gpu-seoul-1"), List.of(new AuditEntry.Elimination("gpu-tokyo-1", "jurisdiction JP not allowed for KR")),
                List.of(new AuditEntry.Attempt("local", "selected")), Hash.of(h)).encode();
    }

    private static Map<String, String> parse(String[] args) {
        Map<String, String> m = new LinkedHashMap<>();
        for (int i = 0; i < args.length; i++) {
            if (!args[i].startsWith("--") || i + 1 >= args.length) {
                throw new IllegalArgumentException("usage: --name value ...; got " + args[i]);
            }
            m.put(args[i].substring(2), args[++i]);
        }
        return m;
    }

    private static Path fresh(Path dir) throws IOException {
        deleteTree(dir);
        Files.createDirectories(dir);
        return dir;
    }

    private static void deleteTree(Path dir) throws IOException {
        if (!Files.exists(dir)) {
            return;
        }
        try (Stream<Path> s = Files.walk(dir)) {
            for (Path p : s.sorted(Comparator.reverseOrder()).toList()) {
                Files.delete(p);
            }
        }
    }
}
