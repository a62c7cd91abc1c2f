package ai.sovereign.server;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.sovereign.ledger.Checkpoint;
import ai.sovereign.ledger.Ledger;
import ai.sovereign.ledger.Verification;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * {@code GET /ledger/...} as {@link LedgerApi} serves it from a running server, past the first full tile (over 256
 * entries, made by 150 refused requests: a decision and an outcome each): full hash tiles and entry bundles are
 * cacheable forever, partial ones for 60 s, the checkpoint not at all; and what is served verifies.
 */
class LedgerApiTest {
    private static final HttpClient HTTP = HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1).build();
    private static final String IMMUTABLE = "public, max-age=31536000, immutable";
    private static final String BRIEFLY = "public, max-age=60";

    @TempDir
    Path dir;

    private static HttpResponse<byte[]> get(SovereignServer s, String path) throws Exception {
        return HTTP.send(HttpRequest.newBuilder(URI.create(Fleets.base(s) + path)).build(), HttpResponse.BodyHandlers.ofByteArray());
    }

    private static void assertServed(SovereignServer s, String path, String cacheControl, String type, int bytes) throws Exception {
        HttpResponse<byte[]> r = get(s, path);
        assertEquals(200, r.statusCode(), path);
        assertEquals(cacheControl, r.headers().firstValue("cache-control").orElse(null), path);
        assertTrue(r.headers().firstValue("content-type").orElse("").startsWith(type), path + ": " + r.headers().firstValue("content-type"));
        if (bytes >= 0) {
            assertEquals(bytes, r.body().length, path);
        }
    }

    @Test
    void fullTilesAreImmutablePartialOnesBriefAndTheCheckpointUncached() throws Exception {
        try (SovereignServer server = Fleets.start(dir, "")) {
            List<CompletableFuture<HttpResponse<String>>> calls = new ArrayList<>();
            for (int i = 0; i < 150; i++) {
                calls.add(HTTP.sendAsync(HttpRequest.newBuilder(URI.create(Fleets.base(server) + "/v1/chat/completions"))
                        .header("Content-Type", "application/json").POST(HttpRequest.BodyPublishers.ofString("{not json " + i)).build(),
                        HttpResponse.BodyHandlers.ofString()));
            }
            calls.forEach(c -> assertEquals(400, c.join().statusCode()));
            String vkey = Fleets.get(server, "/ledger/vkey").body().strip();
            Checkpoint cp;
            long deadline = System.nanoTime() + 5_000_000_000L;
            do {
                Thread.sleep(20);
                cp = Checkpoint.open(Fleets.get(server, "/ledger/checkpoint").body(), vkey).orThrow();
            } while (cp.size() < 300 && System.nanoTime() < deadline);
            assertTrue(cp.size() >= 300 && cp.size() < 512, "checkpoint size " + cp.size());
            int width = (int) (cp.size() - 256);

            assertServed(server, "/ledger/checkpoint", "no-cache", "text/plain", -1);
            assertServed(server, "/ledger/tile/0/000", IMMUTABLE, "application/octet-stream", 8192);
            assertServed(server, "/ledger/tile/0/001.p/" + width, BRIEFLY, "application/octet-stream", 32 * width);
            assertServed(server, "/ledger/tile/0/000.p/17", BRIEFLY, "application/octet-stream", 32 * 17);
            assertServed(server, "/ledger/tile/1/000.p/1", BRIEFLY, "application/octet-stream", 32);
            assertServed(server, "/ledger/tile/entries/000", IMMUTABLE, "application/octet-stream", -1);
            assertServed(server, "/ledger/tile/entries/001.p/" + width, BRIEFLY, "application/octet-stream", -1);
            assertServed(server, "/ledger/vkey", "public, max-age=3600", "text/plain", -1);
            assertEquals(404, get(server, "/ledger/tile/0/001").statusCode(), "the second level-0 tile is not full yet");
            assertEquals(404, get(server, "/ledger/tile/1/000").statusCode());
            assertEquals(404, get(server, "/ledger/tile/entries/001.p/255").statusCode(), "beyond the log");

            // What was served is the log: the public verifier rebuilds every tile and the root from it.
            Verification<Checkpoint> v = Ledger.verify(URI.create(Fleets.base(server) + "/ledger/"), vkey, null, true);
            assertTrue(v.isOk(), v.reason());
        }
    }
}
