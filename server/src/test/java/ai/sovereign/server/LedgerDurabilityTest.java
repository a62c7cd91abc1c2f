package ai.sovereign.server;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.sovereign.ledger.Checkpoint;
import ai.sovereign.ledger.Ledger;
import java.io.IOException;
import java.io.InputStream;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Guarantee 3 in-process, over a disk the test controls ({@link Ledger.CommitObserver}): the decision entry is durable
 * before the first response byte, streamed or whole, on the local engine and on a remote node, even when each fsync
 * takes 300 ms (so a decision appended asynchronously would be caught: its headers would come first); a ledger that
 * cannot write answers 503 {@code ledger_unavailable} and serves no generation; a checkpoint covers an append within
 * 1 s (PRODUCT.md).
 */
class LedgerDurabilityTest {
    private static final HttpClient HTTP = HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1).build();
    private static final long SLOW_SYNC_MS = 300;

    @TempDir
    Path dir;

    /** A disk to slow down or break; records when each size became durable. */
    static final class Disk implements Ledger.CommitObserver {
        volatile long delayMillis;
        volatile boolean broken;
        private final List<long[]> durable = new CopyOnWriteArrayList<>(); // {size, System.nanoTime()}

        @Override
        public void syncing(long first, int count) throws IOException {
            if (broken) {
                throw new IOException("simulated disk failure");
            }
            if (delayMillis > 0) {
                try {
                    Thread.sleep(delayMillis);
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                }
            }
        }

        @Override
        public void durable(long size) {
            durable.add(new long[] {size, System.nanoTime()});
        }

        /** When entry {@code index} was durable (System.nanoTime), or Long.MAX_VALUE while it is not. */
        long durableAt(long index) {
            return durable.stream().filter(d -> d[0] > index).mapToLong(d -> d[1]).min().orElse(Long.MAX_VALUE);
        }
    }

    private static String yaml(StubNode node) {
        return "models:\n  - { name: stories, path: \"" + ai.sovereign.engine.Fixtures.shared("models/stories260K.gguf") + "\" }\n"
                + "  - { name: m, remote: true }\n"
                + "routing: { " + RemoteRoutingTest.FAST + " }\nnodes:\n" + RemoteRoutingTest.node(node, "high");
    }

    private static String body(String model, boolean stream) {
        return "{\"model\":\"" + model + "\",\"stream\":" + stream + ",\"max_tokens\":8,\"messages\":[{\"role\":\"user\",\"content\":\"Once upon a time\"}]}";
    }

    private static HttpResponse<InputStream> send(SovereignServer s, String body) throws Exception {
        return HTTP.send(HttpRequest.newBuilder(URI.create(Fleets.base(s) + "/v1/chat/completions")).timeout(Duration.ofSeconds(30))
                .header("Content-Type", "application/json").POST(HttpRequest.BodyPublishers.ofString(body)).build(),
                HttpResponse.BodyHandlers.ofInputStream());
    }

    @Test
    void theDecisionIsDurableBeforeTheFirstByteEvenOnASlowDisk() throws Exception {
        Disk disk = new Disk();
        try (StubNode node = new StubNode("kr-1", "KR", StubNode.Behaviour.OK);
             SovereignServer server = Fleets.start(dir, yaml(node), disk)) {
            disk.delayMillis = SLOW_SYNC_MS;
            for (String model : List.of("stories", "m")) {
                for (boolean stream : new boolean[] {true, false}) {
                    String what = model + (stream ? " streamed" : " whole");
                    long sent = System.nanoTime();
                    HttpResponse<InputStream> r = send(server, body(model, stream)); // returns when the headers (the first bytes) arrive
                    long firstByte = System.nanoTime();
                    try (InputStream in = r.body()) {
                        assertEquals(200, r.statusCode(), what + ": " + new String(in.readAllBytes(), StandardCharsets.UTF_8));
                        long index = Long.parseLong(r.headers().firstValue("x-sovereign-ledger-index").orElseThrow());
                        long durable = disk.durableAt(index);
                        assertTrue(durable <= firstByte, what + ": the first byte came " + (durable == Long.MAX_VALUE ? "before the decision was durable at all"
                                : (durable - firstByte) / 1_000_000 + " ms before decision " + index + " was durable"));
                        assertTrue(firstByte - sent >= SLOW_SYNC_MS * 1_000_000, what + ": the slow fsync was not in the way ("
                                + (firstByte - sent) / 1_000_000 + " ms), so this proves nothing");
                        in.readAllBytes();
                    }
                }
            }
        }
    }

    @Test
    void aLedgerThatCannotWriteRefusesWith503AndServesNoGeneration() throws Exception {
        Disk disk = new Disk();
        try (StubNode node = new StubNode("kr-1", "KR", StubNode.Behaviour.OK);
             SovereignServer server = Fleets.start(dir, yaml(node), disk)) {
            assertEquals(200, send(server, body("stories", false)).statusCode(), "served while the disk works");
            double generated = generatedTokens(server);
            disk.broken = true;
            for (String model : List.of("stories", "m")) {
                for (boolean stream : new boolean[] {true, false}) {
                    String what = model + (stream ? " streamed" : " whole");
                    HttpResponse<InputStream> r = send(server, body(model, stream));
                    String text;
                    try (InputStream in = r.body()) {
                        text = new String(in.readAllBytes(), StandardCharsets.UTF_8);
                    }
                    assertEquals(503, r.statusCode(), what + ": " + text);
                    assertEquals("ledger_unavailable", Json.parseBody(text.getBytes(StandardCharsets.UTF_8)).at("/error/code").asText(), what + ": " + text);
                    assertTrue(r.headers().firstValue("x-sovereign-ledger-index").isEmpty(), what + ": no index without an entry");
                    assertTrue(r.headers().firstValue("x-ai-generated").isEmpty(), what);
                    assertFalse(text.contains("Hello from the stub") || text.contains("choices"), what + ": generated text reached the client: " + text);
                }
            }
            assertEquals(generated, generatedTokens(server), "the local engine generated nothing once the ledger failed");
        }
    }

    @Test
    void aCheckpointCoversEachAppendWithinOneSecond() throws Exception {
        Disk disk = new Disk();
        try (StubNode node = new StubNode("kr-1", "KR", StubNode.Behaviour.OK);
             SovereignServer server = Fleets.start(dir, yaml(node), disk)) {
            String vkey = Fleets.get(server, "/ledger/vkey").body().strip();
            long worst = 0;
            for (int i = 0; i < 4; i++) {
                HttpResponse<InputStream> r = send(server, body(i % 2 == 0 ? "stories" : "m", false));
                r.body().readAllBytes();
                long decision = Long.parseLong(r.headers().firstValue("x-sovereign-ledger-index").orElseThrow());
                for (long index : new long[] {decision, decision + 1}) { // the decision, then its (asynchronous) outcome
                    long deadline = System.nanoTime() + 3_000_000_000L;
                    while (disk.durableAt(index) == Long.MAX_VALUE && System.nanoTime() < deadline) {
                        Thread.sleep(1);
                    }
                    long durable = disk.durableAt(index);
                    assertTrue(durable != Long.MAX_VALUE, "entry " + index + " never became durable");
                    while (Checkpoint.open(Fleets.get(server, "/ledger/checkpoint").body(), vkey).orThrow().size() <= index) {
                        assertTrue(System.nanoTime() - durable < 1_000_000_000L, "no checkpoint covers entry " + index + " 1 s after it was durable");
                        Thread.sleep(5);
                    }
                    worst = Math.max(worst, System.nanoTime() - durable);
                }
            }
            System.out.println("checkpoint after an append: worst " + worst / 1_000_000 + " ms of 8 appends");
            assertTrue(worst < 1_000_000_000L);
        }
    }

    private static double generatedTokens(SovereignServer s) throws Exception {
        double sum = 0;
        for (String line : Fleets.get(s, "/metrics").body().split("\n")) {
            if (line.startsWith("sovereign_engine_generated_tokens_total")) {
                sum += Double.parseDouble(line.substring(line.lastIndexOf(' ') + 1));
            }
        }
        return sum;
    }
}
