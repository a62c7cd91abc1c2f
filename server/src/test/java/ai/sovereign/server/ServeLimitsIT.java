package ai.sovereign.server;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.sovereign.engine.Fixtures;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Capacity and time limits from sovereign.yaml: a full queue is a 429 with Retry-After; a slow request times out. */
class ServeLimitsIT {
    private static final String LONG = "{\"model\":\"stories\",\"messages\":[{\"role\":\"user\",\"content\":\"Once upon a time\"}],"
            + "\"max_tokens\":1900,\"temperature\":1}";

    @Test
    void aFullQueueAnswers429WithRetryAfterAndTheServerRecovers(@TempDir Path dir) throws Exception {
        Files.writeString(dir.resolve("sovereign.yaml"), "local: { max_sequences: 1, max_queued: 0, context_length: 2048 }\n"
                + "models:\n  - { name: stories, path: \"" + Fixtures.shared("models/stories260K.gguf") + "\" }\n");
        try (ServeProcess serve = ServeProcess.start(dir)) {
            HttpClient client = HttpClient.newHttpClient();
            HttpRequest longRequest = HttpRequest.newBuilder(URI.create(serve.baseUrl + "/v1/chat/completions"))
                    .header("Content-Type", "application/json").POST(HttpRequest.BodyPublishers.ofString(LONG)).build();
            CompletableFuture<HttpResponse<String>> first = client.sendAsync(longRequest, HttpResponse.BodyHandlers.ofString());
            long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(10);
            while (!serve.get("/metrics").body().contains("sovereign_running_sequences{model=\"stories\"} 1.0") && System.nanoTime() < deadline) {
                Thread.sleep(2);
            }
            HttpResponse<String> refused = serve.post("/v1/chat/completions", LONG);
            assertEquals(429, refused.statusCode(), refused.body());
            assertEquals("1", refused.headers().firstValue("Retry-After").orElseThrow());
            assertEquals("rate_limited", new ObjectMapper().readTree(refused.body()).at("/error/code").asText());
            assertEquals(200, first.get(60, TimeUnit.SECONDS).statusCode());
            assertEquals(200, serve.post("/v1/chat/completions", LONG.replace("1900", "4")).statusCode(), "served again once the slot is free");
            assertTrue(serve.get("/metrics").body().contains("sovereign_rejected_total{model=\"stories\"} 1.0"));
        }
    }

    @Test
    void aRequestOverItsTimeIsCancelledWithA504(@TempDir Path dir) throws Exception {
        Files.writeString(dir.resolve("sovereign.yaml"), "limits: { request_timeout_seconds: 1 }\nlocal: { threads: 1 }\n"
                + "models:\n  - { name: stories, path: \"" + Fixtures.shared("models/stories260K.gguf") + "\" }\n");
        try (ServeProcess serve = ServeProcess.start(dir)) {
            HttpResponse<String> slow = serve.post("/v1/chat/completions",
                    "{\"model\":\"stories\",\"messages\":[{\"role\":\"user\",\"content\":\"Once upon a time\"}],\"max_tokens\":1900,\"n\":8}");
            assertEquals(504, slow.statusCode(), slow.body());
            assertEquals("timeout", new ObjectMapper().readTree(slow.body()).at("/error/code").asText());
            long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(5);
            while (!serve.get("/metrics").body().contains("sovereign_running_sequences{model=\"stories\"} 0.0") && System.nanoTime() < deadline) {
                Thread.sleep(5);
            }
            assertTrue(serve.get("/metrics").body().contains("sovereign_running_sequences{model=\"stories\"} 0.0"), "the timed-out generations were cancelled");
        }
    }
}
