package ai.sovereign.server;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.sovereign.engine.Fixtures;
import ai.sovereign.engine.TemplatedModels;
import com.openai.client.OpenAIClient;
import com.openai.client.okhttp.OpenAIOkHttpClient;
import com.openai.core.JsonValue;
import com.openai.core.http.StreamResponse;
import com.openai.errors.BadRequestException;
import com.openai.models.FunctionDefinition;
import com.openai.models.FunctionParameters;
import com.openai.models.chat.completions.ChatCompletion;
import com.openai.models.chat.completions.ChatCompletionChunk;
import com.openai.models.chat.completions.ChatCompletionCreateParams;
import com.openai.models.chat.completions.ChatCompletionFunctionTool;
import com.openai.models.chat.completions.ChatCompletionToolChoiceOption;
import java.nio.file.Path;
import java.util.Map;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * A model's own chat template and tools through a real serve process and the OpenAI Java SDK:
 * stories260K, once as it is (no template: the built-in plain format) and once with a Jinja template
 * that writes bos_token, the messages, and the names of the tools. Token counts in usage show what
 * the prompt held: the tools rendered into it, and BOS exactly once.
 */
class ChatTemplateToolsIT {
    static final String TEMPLATE = "{{ bos_token }}{% for m in messages %}{{ m.content | trim }}{% endfor %}"
            + "{% if tools %}{% for t in tools %} {{ t.function.name }}{% endfor %}{% endif %}";

    @TempDir
    static Path workDir;
    private static ServeProcess serve;
    private static OpenAIClient client;

    @BeforeAll
    static void start() throws Exception {
        Path stories = Fixtures.shared("models/stories260K.gguf");
        Path templated = TemplatedModels.withChatTemplate(stories, workDir.resolve("stories-templated.gguf"), TEMPLATE);
        serve = ServeProcess.start(workDir, "--model", "plain=" + stories, "--model", "templated=" + templated);
        client = OpenAIOkHttpClient.builder().baseUrl(serve.baseUrl + "/v1").apiKey("not-needed-on-loopback").build();
    }

    @AfterAll
    static void stop() throws Exception {
        if (serve != null) {
            serve.close();
        }
    }

    private static ChatCompletionFunctionTool tool(String name) {
        return ChatCompletionFunctionTool.builder().function(FunctionDefinition.builder().name(name).description("a tool")
                .parameters(FunctionParameters.builder().putAdditionalProperty("type", JsonValue.from("object"))
                        .putAdditionalProperty("properties", JsonValue.from(Map.of())).build()).build()).build();
    }

    private static ChatCompletionCreateParams.Builder chat(String model) {
        return ChatCompletionCreateParams.builder().model(model).addUserMessage("Once upon a time").maxCompletionTokens(8).temperature(0.0);
    }

    @Test
    void theTemplateRendersWithBosOnceAndTheToolsGoIntoThePrompt() {
        long plain = client.chat().completions().create(chat("plain").build()).usage().orElseThrow().promptTokens();
        ChatCompletion templated = client.chat().completions().create(chat("templated").build());
        assertEquals(plain, templated.usage().orElseThrow().promptTokens(), "the template writes bos_token; it must not be added again");
        ChatCompletion withTools = client.chat().completions().create(chat("templated").addTool(tool("Lily")).build());
        assertTrue(withTools.usage().orElseThrow().promptTokens() > plain, "the tool's name is rendered into the prompt");
        assertEquals(templated.choices().getFirst().message().content(), client.chat().completions()
                .create(chat("templated").addTool(tool("Lily")).toolChoice(ChatCompletionToolChoiceOption.Auto.NONE).build())
                .choices().getFirst().message().content(), "tool_choice none keeps the tools out of the prompt");
        assertTrue(withTools.choices().getFirst().message().toolCalls().isEmpty(), "stories writes no tool call");
        assertEquals(ChatCompletion.Choice.FinishReason.LENGTH, withTools.choices().getFirst().finishReason());
    }

    @Test
    void toolsWithTheBuiltInFormatAndStreamingWork() {
        ChatCompletion whole = client.chat().completions().create(chat("plain").addTool(tool("get_weather")).build());
        StringBuilder streamed = new StringBuilder();
        try (StreamResponse<ChatCompletionChunk> stream = client.chat().completions()
                .createStreaming(chat("plain").addTool(tool("get_weather")).build())) {
            stream.stream().forEach(c -> c.choices().forEach(ch -> ch.delta().content().ifPresent(streamed::append)));
        }
        assertEquals(whole.choices().getFirst().message().content().orElseThrow(), streamed.toString());
    }

    @Test
    void aToolChoiceNamingAnUnknownFunctionIs400() {
        BadRequestException e = assertThrows(BadRequestException.class, () -> client.chat().completions().create(chat("plain")
                .addTool(tool("get_weather"))
                .toolChoice(ChatCompletionToolChoiceOption.ofNamedToolChoice(com.openai.models.chat.completions.ChatCompletionNamedToolChoice.builder()
                        .function(com.openai.models.chat.completions.ChatCompletionNamedToolChoice.Function.builder().name("other").build()).build()))
                .build()));
        assertEquals(400, e.statusCode());
        assertTrue(e.getMessage().contains("tool_choice"), e.getMessage());
    }
}
