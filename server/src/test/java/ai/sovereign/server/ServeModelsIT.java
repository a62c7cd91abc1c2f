package ai.sovereign.server;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.sovereign.engine.Fixtures;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.openai.client.OpenAIClient;
import com.openai.client.okhttp.OpenAIOkHttpClient;
import com.openai.models.embeddings.CreateEmbeddingResponse;
import com.openai.models.embeddings.EmbeddingCreateParams;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Starting serve in different configurations: no model, a tampered model, and a graceful stop. */
class ServeModelsIT {
    private static final ObjectMapper JSON = new ObjectMapper();
    private static final String CHAT = "{\"model\":\"stories\",\"messages\":[{\"role\":\"user\",\"content\":\"Once upon a time\"}],\"max_tokens\":4}";

    @Test
    void withoutAModelServeStartsEmbeddingsWorkAndChatSaysHowToAddOne(@TempDir Path dir) throws Exception {
        try (ServeProcess serve = ServeProcess.start(dir)) {
            HttpResponse<String> chat = serve.post("/v1/chat/completions", CHAT);
            assertEquals(404, chat.statusCode());
            JsonNode error = JSON.readTree(chat.body()).get("error");
            assertEquals("model_not_found", error.get("code").asText());
            assertTrue(error.get("message").asText().contains("--model NAME=PATH.gguf"), error.toString());

            OpenAIClient client = OpenAIOkHttpClient.builder().baseUrl(serve.baseUrl + "/v1").apiKey("unused").build();
            CreateEmbeddingResponse response = client.embeddings().create(EmbeddingCreateParams.builder()
                    .model("all-minilm-l6-v2").inputOfArrayOfStrings(List.of("세종시 데이터센터", "Sejong data centre", "a recipe for kimchi")).build());
            assertEquals(3, response.data().size());
            List<Float> a = response.data().get(0).embedding();
            List<Float> b = response.data().get(1).embedding();
            List<Float> c = response.data().get(2).embedding();
            assertEquals(384, a.size());
            assertEquals(1.0, dot(a, a), 1e-3, "normalized");
            assertTrue(dot(a, b) > dot(a, c), "related sentences are closer: " + dot(a, b) + " vs " + dot(a, c));
            assertTrue(response.usage().promptTokens() > 0);
        }
    }

    @Test
    void aModelWhoseHashDoesNotMatchItsRegistrationIsNeverServed(@TempDir Path dir) throws Exception {
        Path model = Fixtures.shared("models/stories260K.gguf");
        String wrong = "0".repeat(64);
        Files.writeString(dir.resolve("sovereign.yaml"), "models:\n  - { name: stories, path: \"" + model + "\", sha256: \"" + wrong + "\" }\n"
                + "  - { name: good, path: \"" + model + "\", sha256: \"270cba1bd5109f42d03350f60406024560464db173c0e387d91f0426d3bd256d\" }\n");
        try (ServeProcess serve = ServeProcess.start(dir)) {
            JsonNode models = JSON.readTree(serve.get("/v1/models").body()).get("data");
            JsonNode stories = models.get(0);
            assertEquals("stories", stories.get("id").asText());
            assertEquals("unavailable", stories.get("status").asText());
            assertTrue(stories.get("reason").asText().contains("sha256 mismatch"), stories.toString());
            assertEquals("available", models.get(1).get("status").asText());
            assertTrue(models.get(1).get("pinned").asBoolean());
            HttpResponse<String> chat = serve.post("/v1/chat/completions", CHAT);
            assertEquals(503, chat.statusCode());
            assertEquals("model_unavailable", JSON.readTree(chat.body()).at("/error/code").asText());
            assertEquals(200, serve.post("/v1/chat/completions", CHAT.replace("\"stories\"", "\"good\"")).statusCode());
            assertTrue(serve.stderr().contains("NOT served"), "the log says why");
        }
    }

    @Test
    void sigtermLetsAnInFlightRequestFinish(@TempDir Path dir) throws Exception {
        ServeProcess serve = ServeProcess.start(dir, "--model", "stories=" + Fixtures.shared("models/stories260K.gguf"));
        try {
            CompletableFuture<HttpResponse<String>> inFlight = CompletableFuture.supplyAsync(() -> {
                try {
                    return serve.post("/v1/chat/completions", CHAT.replace("\"max_tokens\":4", "\"max_tokens\":1500"));
                } catch (Exception e) {
                    throw new IllegalStateException(e);
                }
            });
            long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(10);
            while (!serve.get("/metrics").body().contains("sovereign_running_sequences{model=\"stories\"} 1.0") && System.nanoTime() < deadline) {
                Thread.sleep(2);
            }
            serve.process.destroy();
            HttpResponse<String> response = inFlight.get(60, TimeUnit.SECONDS);
            assertEquals(200, response.statusCode());
            assertEquals(1500, JSON.readTree(response.body()).at("/usage/completion_tokens").asInt());
            assertTrue(serve.process.waitFor(30, TimeUnit.SECONDS));
        } finally {
            serve.close();
        }
    }

    private static double dot(List<Float> a, List<Float> b) {
        double s = 0;
        for (int i = 0; i < a.size(); i++) {
            s += a.get(i) * b.get(i);
        }
        return s;
    }
}
