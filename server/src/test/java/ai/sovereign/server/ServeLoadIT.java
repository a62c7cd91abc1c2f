package ai.sovereign.server;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.sovereign.engine.Fixtures;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.atomic.AtomicLong;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * A bounded loopback load test: {@code load.clients} (200) concurrent streaming clients for
 * {@code load.seconds} (10 here; 60 for BENCHMARKS.md) per run, three runs against one serve process.
 * Every stream must succeed and end with [DONE]; the server's thread count and resident memory must
 * not grow from the first run to the third. Prints time-to-first-token percentiles and aggregate
 * tokens/s per run.
 */
class ServeLoadIT {
    private static final int CLIENTS = Integer.getInteger("load.clients", 200);
    private static final int SECONDS = Integer.getInteger("load.seconds", 10);
    private static final int RUNS = Integer.getInteger("load.runs", 3);

    record Run(int streams, int errors, long tokens, double seconds, double[] ttftMillis, long threads, long rssKb, long liveHeapKb) {
        double percentile(double p) {
            double[] sorted = ttftMillis.clone();
            Arrays.sort(sorted);
            return sorted.length == 0 ? Double.NaN : sorted[Math.min(sorted.length - 1, (int) Math.ceil(p * sorted.length) - 1)];
        }
    }

    @Test
    void twoHundredStreamingClientsWithoutErrorsOrGrowth(@TempDir Path dir) throws Exception {
        try (ServeProcess serve = ServeProcess.start(dir, "--model", "stories=" + Fixtures.shared("models/stories260K.gguf"))) {
            List<Run> runs = new ArrayList<>();
            for (int i = 0; i < RUNS; i++) {
                Run run = run(serve);
                runs.add(run);
                System.out.printf("load run %d: %d clients x %d s: %d streams, %d errors, %.0f tokens/s, TTFT p50 %.1f ms p99 %.1f ms, "
                                + "server threads %d, RSS %d MB, live heap after GC %d MB%n", i + 1, CLIENTS, SECONDS, run.streams, run.errors,
                        run.tokens / run.seconds, run.percentile(0.5), run.percentile(0.99), run.threads, run.rssKb / 1024, run.liveHeapKb / 1024);
            }
            serve.stderr().lines().filter(l -> l.contains("ERROR") || l.contains("WARN") || l.contains("Exception")).limit(20)
                    .forEach(l -> System.out.println("server: " + l));
            for (Run run : runs) {
                assertEquals(0, run.errors, "errors in a run");
                assertTrue(run.streams >= CLIENTS, "every client completed at least one stream");
            }
            Run first = runs.getFirst();
            Run last = runs.getLast();
            assertTrue(last.threads <= first.threads + 8, "server threads grew: " + first.threads + " -> " + last.threads);
            assertTrue(last.liveHeapKb <= first.liveHeapKb + 16_384, "live heap grew: " + first.liveHeapKb + " -> " + last.liveHeapKb + " kB");
        }
    }

    private static Run run(ServeProcess serve) throws Exception {
        HttpClient client = HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1).connectTimeout(Duration.ofSeconds(10)).build();
        String body = "{\"model\":\"stories\",\"messages\":[{\"role\":\"user\",\"content\":\"Once upon a time\"}],"
                + "\"max_tokens\":48,\"temperature\":1.0,\"stream\":true}";
        HttpRequest request = HttpRequest.newBuilder(URI.create(serve.baseUrl + "/v1/chat/completions"))
                .timeout(Duration.ofSeconds(120)).header("Content-Type", "application/json")
                .POST(HttpRequest.BodyPublishers.ofString(body)).build();
        long end = System.nanoTime() + Duration.ofSeconds(SECONDS).toNanos();
        AtomicLong streams = new AtomicLong();
        AtomicLong errors = new AtomicLong();
        AtomicLong tokens = new AtomicLong();
        ConcurrentLinkedQueue<Double> ttft = new ConcurrentLinkedQueue<>();
        ConcurrentLinkedQueue<String> failures = new ConcurrentLinkedQueue<>();
        CountDownLatch done = new CountDownLatch(CLIENTS);
        long start = System.nanoTime();
        for (int c = 0; c < CLIENTS; c++) {
            Thread.ofVirtual().start(() -> {
                try {
                    while (System.nanoTime() < end) {
                        long sent = System.nanoTime();
                        HttpResponse<Stream<String>> response = client.send(request, HttpResponse.BodyHandlers.ofLines());
                        if (response.statusCode() != 200) {
                            errors.incrementAndGet();
                            failures.add("HTTP " + response.statusCode());
                            response.body().close();
                            continue;
                        }
                        boolean first = true;
                        boolean finished = false;
                        for (String line : (Iterable<String>) response.body()::iterator) {
                            if (line.equals("data: [DONE]")) {
                                finished = true;
                            } else if (line.contains("\"content\":\"") && !line.contains("\"role\"")) {
                                tokens.incrementAndGet();
                                if (first) {
                                    ttft.add((System.nanoTime() - sent) / 1e6);
                                    first = false;
                                }
                            }
                        }
                        if (finished) {
                            streams.incrementAndGet();
                        } else {
                            errors.incrementAndGet();
                            failures.add("stream ended without [DONE]");
                        }
                    }
                } catch (Exception e) {
                    errors.incrementAndGet();
                    failures.add(e.toString());
                } finally {
                    done.countDown();
                }
            });
        }
        done.await();
        double seconds = (System.nanoTime() - start) / 1e9;
        failures.stream().distinct().limit(5).forEach(f -> System.out.println("load failure: " + f));
        client.close();
        Thread.sleep(500); // let the server release what the run held
        long pid = serve.process.pid();
        String status = Files.readString(Path.of("/proc/" + pid + "/status"));
        return new Run((int) streams.get(), (int) errors.get(), tokens.get(), seconds,
                ttft.stream().mapToDouble(Double::doubleValue).toArray(), field(status, "Threads:"), field(status, "VmRSS:"), liveHeapKb(pid));
    }

    /** Heap in use right after a full GC of the server (jcmd from the JDK that runs this test). */
    private static long liveHeapKb(long pid) throws Exception {
        Path jcmd = Path.of(ProcessHandle.current().info().command().orElseThrow()).resolveSibling("jcmd");
        new ProcessBuilder(jcmd.toString(), Long.toString(pid), "GC.run").redirectErrorStream(true).start().waitFor();
        Process info = new ProcessBuilder(jcmd.toString(), Long.toString(pid), "GC.heap_info").redirectErrorStream(true).start();
        String text = new String(info.getInputStream().readAllBytes());
        info.waitFor();
        java.util.regex.Matcher m = java.util.regex.Pattern.compile("used (\\d+)K").matcher(text);
        long used = 0;
        while (m.find()) { // ParallelGC prints young and old generations
            used += Long.parseLong(m.group(1));
        }
        return used;
    }

    private static long field(String status, String name) {
        for (String line : status.split("\n")) {
            if (line.startsWith(name)) {
                return Long.parseLong(line.substring(name.length()).trim().split("\\s+")[0]);
            }
        }
        return -1;
    }
}
