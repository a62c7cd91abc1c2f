package ai.sovereign.server;

import ai.sovereign.ledger.AuditEntry;
import ai.sovereign.ledger.Checkpoint;
import com.fasterxml.jackson.databind.JsonNode;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

/** Test support: an in-process server over a YAML config, plain HTTP calls to it, and its ledger entries. */
final class Fleets {
    private static final HttpClient HTTP = HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1).build();

    private Fleets() {}

    /** Starts a server in-process on a free loopback port; {@code yaml} gets the store under {@code dir}. */
    static SovereignServer start(Path dir, String yaml) throws Exception {
        return start(dir, yaml, null);
    }

    /** The same, with {@code observer} watching the ledger's commits. */
    static SovereignServer start(Path dir, String yaml, ai.sovereign.ledger.Ledger.CommitObserver observer) throws Exception {
        Files.createDirectories(dir);
        Path file = dir.resolve("sovereign.yaml");
        Files.writeString(file, "store: { url: \"embedded:" + dir.resolve("data") + "\" }\n" + yaml);
        SovereignServer server = new SovereignServer(ServerConfig.load(file).withPort(0), file.toString(), observer);
        server.start();
        return server;
    }

    static String base(SovereignServer s) {
        return "http://127.0.0.1:" + s.address().getPort();
    }

    static HttpResponse<String> post(SovereignServer s, String path, String body, Map<String, String> headers) throws Exception {
        HttpRequest.Builder b = HttpRequest.newBuilder(URI.create(base(s) + path)).timeout(Duration.ofSeconds(30))
                .header("Content-Type", "application/json").POST(HttpRequest.BodyPublishers.ofString(body));
        headers.forEach(b::header);
        return HTTP.send(b.build(), HttpResponse.BodyHandlers.ofString());
    }

    static HttpResponse<String> get(SovereignServer s, String path) throws Exception {
        return getWith(s, path, Map.of());
    }

    static HttpResponse<String> getWith(SovereignServer s, String path, Map<String, String> headers) throws Exception {
        HttpRequest.Builder b = HttpRequest.newBuilder(URI.create(base(s) + path)).timeout(Duration.ofSeconds(30));
        headers.forEach(b::header);
        return HTTP.send(b.build(), HttpResponse.BodyHandlers.ofString());
    }

    /** The {@code data:} payloads of an SSE body, in order. */
    static List<String> events(String body) {
        List<String> out = new ArrayList<>();
        for (String block : body.split("\n\n")) {
            if (block.startsWith("data: ")) {
                out.add(block.substring(6));
            }
        }
        return out;
    }

    /** The concatenated content (chat) or text of a streamed answer. */
    static String streamedText(List<String> events) {
        StringBuilder sb = new StringBuilder();
        for (String e : events) {
            if (e.equals("[DONE]")) {
                continue;
            }
            JsonNode j = Json.parseBody(e.getBytes(StandardCharsets.UTF_8));
            for (JsonNode c : j.path("choices")) {
                sb.append(c.path("delta").path("content").asText(c.path("text").asText("")));
            }
        }
        return sb.toString();
    }

    /** Every ledger entry once the checkpoint covers at least {@code minSize}. */
    static List<AuditEntry> ledger(SovereignServer s, long minSize) throws Exception {
        String vkey = get(s, "/ledger/vkey").body().strip();
        long deadline = System.nanoTime() + 5_000_000_000L;
        Checkpoint cp;
        while (true) {
            cp = Checkpoint.open(get(s, "/ledger/checkpoint").body(), vkey).orThrow();
            if (cp.size() >= minSize || System.nanoTime() > deadline) {
                break;
            }
            Thread.sleep(50);
        }
        List<AuditEntry> out = new ArrayList<>();
        for (long n = 0; n * 256 < cp.size(); n++) {
            long width = Math.min(256, cp.size() - n * 256);
            String path = "/ledger/tile/entries/" + String.format("%03d", n) + (width < 256 ? ".p/" + width : "");
            HttpResponse<byte[]> r = HTTP.send(HttpRequest.newBuilder(URI.create(base(s) + path)).build(), HttpResponse.BodyHandlers.ofByteArray());
            ByteBuffer b = ByteBuffer.wrap(r.body());
            while (b.hasRemaining()) {
                byte[] e = new byte[b.getShort() & 0xffff];
                b.get(e);
                out.add(AuditEntry.decode(e).orThrow());
            }
        }
        return out;
    }

    static AuditEntry.Outcome outcome(List<AuditEntry> entries, String requestId) {
        return entries.stream().filter(e -> e instanceof AuditEntry.Outcome o && o.requestId().equals(requestId))
                .map(e -> (AuditEntry.Outcome) e).findFirst().orElseThrow(() -> new AssertionError("no outcome for " + requestId));
    }

    static AuditEntry.Decision decision(List<AuditEntry> entries, String requestId) {
        return entries.stream().filter(e -> e instanceof AuditEntry.Decision d && d.requestId().equals(requestId))
                .map(e -> (AuditEntry.Decision) e).findFirst().orElseThrow(() -> new AssertionError("no decision for " + requestId));
    }
}
