package ai.sovereign.server.tenancy;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Set;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;

/**
 * Admission overhead per request: authenticate + admit (reserve under the tenant's lock, all four
 * windows and max_concurrent checked) + settle (with its metering row), on the embedded store and on
 * PostgreSQL. A harness, not a test; run after {@code mvn -pl engine,policy,ledger,server -am package -DskipTests test-compile}:
 * <pre>
 * cd server && java -cp "target/classes:target/test-classes:target/lib/*" ai.sovereign.server.tenancy.AdmissionBenchmark \
 *     [embedded|jdbc:postgresql://127.0.0.1:PORT/postgres?user=sovereign] [threads] [requests-per-thread]
 * </pre>
 * Prints mean, p50 and p99 microseconds per request and the aggregate requests/s.
 */
public final class AdmissionBenchmark {
    private AdmissionBenchmark() {}

    public static void main(String[] args) throws Exception {
        String where = args.length > 0 ? args[0] : "embedded";
        int threads = args.length > 1 ? Integer.parseInt(args[1]) : 1;
        int perThread = args.length > 2 ? Integer.parseInt(args[2]) : 5_000;
        Path tmp = null;
        String url = where;
        if (where.equals("embedded")) {
            tmp = Files.createTempDirectory("admission-bench");
            url = "embedded:" + tmp;
        } else {
            url = TestPostgresUrls.freshSchema(where);
        }
        try (Tenancy tenancy = Tenancy.open(url)) {
            tenancy.createTenant(Tenant.organization("org").withQuotas(new Tenant.Quotas(null, null, Long.MAX_VALUE / 4, null, null)));
            List<String> keys = new ArrayList<>();
            for (int i = 0; i < threads; i++) {
                String project = "p" + i;
                tenancy.createTenant(Tenant.project(project, "org").withQuotas(
                        new Tenant.Quotas(1_000_000_000L, 1_000_000_000_000L, null, Long.MAX_VALUE / 4, 1000L)));
                keys.add(tenancy.createKey(project, Set.of(ApiKey.Scope.INFERENCE), "bench", null).secret());
            }
            run(tenancy, keys, Math.min(500, perThread));
            long start = System.nanoTime();
            long[] latencies = run(tenancy, keys, perThread);
            double seconds = (System.nanoTime() - start) / 1e9;
            Arrays.sort(latencies);
            double mean = Arrays.stream(latencies).average().orElse(0) / 1e3;
            System.out.printf("%s threads=%d requests=%d mean=%.0f us p50=%.0f us p99=%.0f us throughput=%.0f req/s%n",
                    tenancy.description().replaceAll("currentSchema=\\w+", "…"), threads, latencies.length, mean,
                    latencies[latencies.length / 2] / 1e3, latencies[(int) (latencies.length * 0.99)] / 1e3, latencies.length / seconds);
        }
    }

    private static long[] run(Tenancy tenancy, List<String> keys, int perThread) throws Exception {
        long[] latencies = new long[keys.size() * perThread];
        try (ExecutorService pool = Executors.newFixedThreadPool(keys.size())) {
            List<Future<?>> futures = new ArrayList<>();
            for (int t = 0; t < keys.size(); t++) {
                int thread = t;
                futures.add(pool.submit(() -> {
                    for (int i = 0; i < perThread; i++) {
                        long t0 = System.nanoTime();
                        Authentication.Principal p = ((Authentication.Authenticated) tenancy.authenticate(keys.get(thread))).principal();
                        Ticket ticket = ((Admission.Admitted) tenancy.admit(p.tenant().id(), "m", 1024)).ticket();
                        ticket.settle(null, new Metering.Usage(100, 200, "local", 10, 1.0));
                        latencies[thread * perThread + i] = System.nanoTime() - t0;
                    }
                    return null;
                }));
            }
            for (Future<?> f : futures) {
                f.get();
            }
        }
        return latencies;
    }

    /** A fresh schema on the given PostgreSQL URL. */
    static final class TestPostgresUrls {
        static String freshSchema(String base) throws Exception {
            String schema = "bench" + System.nanoTime();
            try (var c = java.sql.DriverManager.getConnection(base); var s = c.createStatement()) {
                s.execute("CREATE SCHEMA " + schema);
            }
            return base + (base.contains("?") ? "&" : "?") + "currentSchema=" + schema;
        }
    }
}
