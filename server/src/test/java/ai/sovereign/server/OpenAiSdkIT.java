package ai.sovereign.server;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.sovereign.engine.Fixtures;
import com.openai.client.OpenAIClient;
import com.openai.client.okhttp.OpenAIOkHttpClient;
import com.openai.core.http.StreamResponse;
import com.openai.errors.BadRequestException;
import com.openai.errors.NotFoundException;
import com.openai.models.chat.completions.ChatCompletion;
import com.openai.models.chat.completions.ChatCompletionChunk;
import com.openai.models.chat.completions.ChatCompletionCreateParams;
import com.openai.models.chat.completions.ChatCompletionStreamOptions;
import com.openai.models.completions.Completion;
import com.openai.models.completions.CompletionCreateParams;
import com.openai.models.models.Model;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The official OpenAI Java SDK against a real {@code sovereign serve} process on stories260K. */
class OpenAiSdkIT {
    @TempDir
    static Path workDir;
    private static ServeProcess serve;
    private static OpenAIClient client;

    @BeforeAll
    static void start() throws Exception {
        Path model = Fixtures.shared("models/stories260K.gguf");
        serve = ServeProcess.start(workDir, "--model", "stories=" + model);
        client = OpenAIOkHttpClient.builder().baseUrl(serve.baseUrl + "/v1").apiKey("not-needed-on-loopback").build();
    }

    @AfterAll
    static void stop() throws Exception {
        if (serve != null) {
            serve.close();
        }
    }

    private static ChatCompletionCreateParams.Builder chat() {
        return ChatCompletionCreateParams.builder().model("stories").addUserMessage("Once upon a time");
    }

    @Test
    void chatCompletionIsLlamaCppsGreedyContinuation() {
        ChatCompletion completion = client.chat().completions().create(chat().maxCompletionTokens(20).temperature(0.0).build());
        String text = completion.choices().getFirst().message().content().orElseThrow();
        assertTrue(text.startsWith(", there was a little girl named Lily."), text);
        assertEquals(ChatCompletion.Choice.FinishReason.LENGTH, completion.choices().getFirst().finishReason());
        assertEquals(20, completion.usage().orElseThrow().completionTokens());
        assertEquals(5, completion.usage().orElseThrow().promptTokens());
        assertEquals("stories", completion.model());
    }

    @Test
    void streamingDeliversTheSameTextAndAUsageChunk() {
        ChatCompletionCreateParams params = chat().maxCompletionTokens(20).temperature(0.0)
                .streamOptions(ChatCompletionStreamOptions.builder().includeUsage(true).build()).build();
        StringBuilder text = new StringBuilder();
        List<ChatCompletionChunk> chunks = new ArrayList<>();
        try (StreamResponse<ChatCompletionChunk> stream = client.chat().completions().createStreaming(params)) {
            stream.stream().forEach(chunk -> {
                chunks.add(chunk);
                chunk.choices().forEach(c -> c.delta().content().ifPresent(text::append));
            });
        }
        String whole = client.chat().completions().create(chat().maxCompletionTokens(20).temperature(0.0).build())
                .choices().getFirst().message().content().orElseThrow();
        assertEquals(whole, text.toString());
        ChatCompletionChunk last = chunks.getLast();
        assertTrue(last.choices().isEmpty(), "the usage chunk has no choices");
        assertEquals(20, last.usage().orElseThrow().completionTokens());
        assertTrue(chunks.stream().anyMatch(c -> !c.choices().isEmpty()
                && c.choices().getFirst().finishReason().isPresent()), "a chunk carries finish_reason");
    }

    @Test
    void seededSamplingIsReproducibleAndNGivesDistinctChoices() {
        ChatCompletionCreateParams params = chat().maxCompletionTokens(24).temperature(1.0).seed(1234).n(3).build();
        ChatCompletion a = client.chat().completions().create(params);
        ChatCompletion b = client.chat().completions().create(params);
        assertEquals(3, a.choices().size());
        for (int i = 0; i < 3; i++) {
            assertEquals(a.choices().get(i).message().content(), b.choices().get(i).message().content());
        }
        assertFalse(a.choices().get(0).message().content().equals(a.choices().get(1).message().content())
                && a.choices().get(1).message().content().equals(a.choices().get(2).message().content()), "three identical samples");
    }

    @Test
    void logprobsComeWithTopAlternatives() {
        ChatCompletion c = client.chat().completions().create(chat().maxCompletionTokens(5).temperature(0.0).logprobs(true).topLogprobs(3).build());
        var content = c.choices().getFirst().logprobs().orElseThrow().content().orElseThrow();
        assertEquals(5, content.size());
        content.forEach(t -> {
            assertTrue(t.logprob() <= 0);
            assertEquals(3, t.topLogprobs().size());
            assertEquals(t.token(), t.topLogprobs().getFirst().token());
        });
    }

    @Test
    void stopSequenceEndsTheAnswer() {
        ChatCompletion c = client.chat().completions().create(chat().maxCompletionTokens(40).temperature(0.0).stop("Lily").build());
        assertEquals(", there was a little girl named ", c.choices().getFirst().message().content().orElseThrow());
        assertEquals(ChatCompletion.Choice.FinishReason.STOP, c.choices().getFirst().finishReason());
    }

    @Test
    void textCompletion() {
        Completion c = client.completions().create(CompletionCreateParams.builder().model("stories")
                .prompt("Once upon a time").maxTokens(12).temperature(0.0).build());
        assertTrue(c.choices().getFirst().text().startsWith(", there was a little girl"), c.choices().getFirst().text());
    }

    @Test
    void modelsListShowsTheRegisteredModelWithItsHash() {
        List<Model> models = client.models().list().data();
        assertEquals(1, models.size());
        assertEquals("stories", models.getFirst().id());
        assertEquals("270cba1bd5109f42d03350f60406024560464db173c0e387d91f0426d3bd256d",
                models.getFirst()._additionalProperties().get("sha256").asString().orElseThrow());
    }

    @Test
    void errorsArriveAsTheSdksTypedExceptions() {
        NotFoundException notFound = assertThrows(NotFoundException.class,
                () -> client.chat().completions().create(ChatCompletionCreateParams.builder().model("no-such-model").addUserMessage("hi").build()));
        assertEquals(404, notFound.statusCode());
        BadRequestException bad = assertThrows(BadRequestException.class,
                () -> client.chat().completions().create(chat().maxCompletionTokens(1_000_000).build()));
        assertEquals(400, bad.statusCode());
        assertNotNull(bad.getMessage());
    }
}
