package ai.sovereign.server;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.sovereign.engine.Fixtures;
import com.openai.client.OpenAIClient;
import com.openai.client.okhttp.OpenAIOkHttpClient;
import com.openai.core.JsonValue;
import com.openai.core.http.StreamResponse;
import com.openai.models.FunctionDefinition;
import com.openai.models.FunctionParameters;
import com.openai.models.ResponseFormatJsonSchema;
import com.openai.models.chat.completions.ChatCompletionFunctionTool;
import com.openai.models.chat.completions.ChatCompletionToolChoiceOption;
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
import java.util.Map;
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
    void jsonSchemaOutputIsAlwaysValidJsonMatchingTheSchema() throws Exception {
        var schema = ResponseFormatJsonSchema.JsonSchema.Schema.builder()
                .putAdditionalProperty("type", JsonValue.from("object"))
                .putAdditionalProperty("properties", JsonValue.from(Map.of(
                        "name", Map.of("type", "string", "maxLength", 12),
                        "age", Map.of("type", "integer"),
                        "city", Map.of("enum", List.of("Seoul", "Sejong", "Busan")))))
                .putAdditionalProperty("required", JsonValue.from(List.of("name", "age", "city")))
                .putAdditionalProperty("additionalProperties", JsonValue.from(false))
                .build();
        var format = ResponseFormatJsonSchema.builder().jsonSchema(ResponseFormatJsonSchema.JsonSchema.builder()
                .name("person").schema(schema).strict(true).build()).build();
        for (long seed = 1; seed <= 4; seed++) {
            ChatCompletion c = client.chat().completions().create(chat().maxCompletionTokens(200).temperature(1.0).seed(seed)
                    .responseFormat(format).build());
            String text = c.choices().getFirst().message().content().orElseThrow();
            var node = new com.fasterxml.jackson.databind.ObjectMapper().readTree(text);
            assertEquals(ChatCompletion.Choice.FinishReason.STOP, c.choices().getFirst().finishReason(), text);
            assertEquals(java.util.Set.of("name", "age", "city"), java.util.Set.copyOf(iteratorToList(node.fieldNames())), text);
            assertTrue(node.get("name").isTextual() && node.get("name").asText().codePointCount(0, node.get("name").asText().length()) <= 12, text);
            assertTrue(node.get("age").isIntegralNumber(), text);
            assertTrue(List.of("Seoul", "Sejong", "Busan").contains(node.get("city").asText()), text);
        }
    }

    @Test
    void requiredToolChoiceYieldsAToolCallWithSchemaValidArguments() throws Exception {
        var parameters = FunctionParameters.builder()
                .putAdditionalProperty("type", JsonValue.from("object"))
                .putAdditionalProperty("properties", JsonValue.from(Map.of("city", Map.of("type", "string", "maxLength", 20))))
                .putAdditionalProperty("required", JsonValue.from(List.of("city")))
                .putAdditionalProperty("additionalProperties", JsonValue.from(false))
                .build();
        ChatCompletion c = client.chat().completions().create(ChatCompletionCreateParams.builder().model("stories")
                .addUserMessage("What is the weather in Seoul?").maxCompletionTokens(120).temperature(0.0)
                .addTool(ChatCompletionFunctionTool.builder().function(FunctionDefinition.builder().name("get_weather")
                        .description("Current weather for a city").parameters(parameters).build()).build())
                .toolChoice(ChatCompletionToolChoiceOption.Auto.REQUIRED)
                .build());
        ChatCompletion.Choice choice = c.choices().getFirst();
        assertEquals(ChatCompletion.Choice.FinishReason.TOOL_CALLS, choice.finishReason());
        var call = choice.message().toolCalls().orElseThrow().getFirst().asFunction();
        assertEquals("get_weather", call.function().name());
        assertTrue(call.id().startsWith("call_"));
        var arguments = new com.fasterxml.jackson.databind.ObjectMapper().readTree(call.function().arguments());
        assertTrue(arguments.get("city").isTextual(), call.function().arguments());
        assertEquals(List.of("city"), iteratorToList(arguments.fieldNames()));
    }

    private static List<String> iteratorToList(java.util.Iterator<String> it) {
        List<String> out = new ArrayList<>();
        it.forEachRemaining(out::add);
        return out;
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
        assertEquals(List.of("stories", "all-minilm-l6-v2"), models.stream().map(Model::id).toList());
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
