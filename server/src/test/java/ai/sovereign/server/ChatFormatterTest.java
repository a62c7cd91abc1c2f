package ai.sovereign.server;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.sovereign.engine.ChatTemplate;
import ai.sovereign.engine.Fixtures;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.time.Clock;
import java.time.LocalDateTime;
import java.time.ZoneOffset;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.stream.Stream;
import org.junit.jupiter.api.DynamicTest;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestFactory;

/**
 * Renders real chat templates (Llama 3, Llama 3.2, Qwen 2.5, Qwen 3, EXAONE 3.5, Mistral Nemo) on the
 * conversations of chat-templates/cases.json and compares with expected.json, made by
 * render_expected.py with Python jinja2 in the environment transformers uses.
 */
class ChatFormatterTest {
    static final Clock MARCH_14_2025 = Clock.fixed(LocalDateTime.of(2025, 3, 14, 10, 30).toInstant(ZoneOffset.UTC), ZoneOffset.UTC);

    /** name -> bos, eos (as render_expected.py passes them). */
    static final Map<String, String[]> SPECIALS = Map.of(
            "llama-3", new String[] {"<|begin_of_text|>", "<|end_of_text|>"},
            "qwen3", new String[] {"", "<|im_end|>"},
            "llama-3.2", new String[] {"<|begin_of_text|>", "<|eot_id|>"},
            "qwen2.5", new String[] {"", "<|im_end|>"},
            "exaone-3.5", new String[] {"[BOS]", "[|endofturn|]"},
            "mistral-nemo", new String[] {"<s>", "</s>"});

    @TestFactory
    Stream<DynamicTest> templatesRenderAsTransformersDoes() throws IOException {
        JsonNode expected = Json.MAPPER.readTree(resource("expected.json"));
        JsonNode cases = Json.MAPPER.readTree(resource("cases.json"));
        List<DynamicTest> tests = new ArrayList<>();
        for (var template : expected.properties()) {
            String name = template.getKey();
            for (var c : template.getValue().properties()) {
                tests.add(DynamicTest.dynamicTest(name + " " + c.getKey(), () -> {
                    ChatFormatter formatter = formatter(name);
                    boolean generation = c.getKey().endsWith("+generation");
                    CompletionRequest request = request(cases.get(c.getKey().replace("+generation", "")));
                    JsonNode want = c.getValue();
                    if (want.has("error")) {
                        assertThrows(ChatFormatter.TemplateFailure.class,
                                () -> formatter.renderTemplate(request.messages(), request.tools(), generation));
                    } else {
                        String actual = formatter.renderTemplate(request.messages(), request.tools(), generation);
                        if (!actual.equals(want.get("text").asText())) {
                            var dir = java.nio.file.Path.of("target", "chat-templates-actual");
                            Files.createDirectories(dir);
                            Files.writeString(dir.resolve(name + "." + c.getKey() + ".txt"), actual);
                        }
                        assertEquals(want.get("text").asText(), actual);
                    }
                }));
            }
        }
        return tests.stream();
    }

    @Test
    void noTemplateFallsBackToTheBuiltInFormat() {
        ChatFormatter formatter = new ChatFormatter("m", null, "", "", ChatTemplate.CHATML, MARCH_14_2025);
        assertFalse(formatter.usesTemplate());
        assertEquals("<|im_start|>user\nhi<|im_end|>\n<|im_start|>assistant\n",
                formatter.render(List.of(ChatMessage.of("user", "hi")), List.of(), true));
    }

    @Test
    void aTemplateThatDoesNotParseFallsBack() {
        ChatFormatter formatter = new ChatFormatter("m", "{% for m in messages %}{{ m.content }", "", "", ChatTemplate.CHATML, MARCH_14_2025);
        assertEquals("<|im_start|>user\nhi<|im_end|>\n<|im_start|>assistant\n",
                formatter.render(List.of(ChatMessage.of("user", "hi")), List.of(), true));
    }

    @Test
    void raiseExceptionFallsBackForThatRequest() {
        ChatFormatter formatter = new ChatFormatter("m",
                "{% if messages[0].role != 'user' %}{{ raise_exception('first must be user') }}{% endif %}T:{{ messages[0].content }}",
                "", "", ChatTemplate.CHATML, MARCH_14_2025);
        assertEquals("T:hi", formatter.render(List.of(ChatMessage.of("user", "hi")), List.of(), true));
        assertEquals("<|im_start|>system\ns<|im_end|>\n<|im_start|>assistant\n",
                formatter.render(List.of(ChatMessage.of("system", "s")), List.of(), true));
        ChatFormatter.TemplateFailure failure = assertThrows(ChatFormatter.TemplateFailure.class,
                () -> formatter.renderTemplate(List.of(ChatMessage.of("system", "secret prompt text")), List.of(), true));
        assertFalse(failure.getMessage().contains("secret"), failure.getMessage());
    }

    @Test
    void pythonStringMethodsAndFilters() {
        String template = "{{ messages[0].content.strip() }}|{{ messages[0].content.lstrip().split(',')[-1] }}|"
                + "{{ messages[0].content.startswith('  a') }}|{{ messages[0].content.endswith(('x', 'c ')) }}|"
                + "{{ messages[0].content.strip().upper() }}|{{ {'k': 'ü', 'n': [1, 2.5, none, true]} | tojson }}|"
                + "{{ 'x' | tojson(indent=2) }}|{{ strftime_now('%Y-%m-%d') }}|{% for i in [1, 2, 3] %}{% if i == 2 %}{% continue %}{% endif %}{{ i }}{% endfor %}"
                + "|{% set ns = namespace(n=0) %}{% for m in messages[::-1] %}{% set ns.n = ns.n + 1 %}{% endfor %}{{ ns.n }}";
        ChatFormatter formatter = new ChatFormatter("m", template, "", "", ChatTemplate.CHATML, MARCH_14_2025);
        assertEquals("a,b,c|c |true|true|A,B,C|{\"k\": \"ü\", \"n\": [1, 2.5, null, true]}|\"x\"|2025-03-14|13|1",
                formatter.renderTemplate(List.of(ChatMessage.of("user", "  a,b,c ")), List.of(), true));
    }

    @Test
    void messageTextIsNeverInterpreted() {
        ChatFormatter formatter = new ChatFormatter("m", "{% for m in messages %}[{{ m.content }}]{% endfor %}", "", "", ChatTemplate.CHATML, MARCH_14_2025);
        assertEquals("[{{ 7 * 7 }} {% if true %}x{% endif %}]",
                formatter.renderTemplate(List.of(ChatMessage.of("user", "{{ 7 * 7 }} {% if true %}x{% endif %}")), List.of(), true));
    }

    @Test
    void bosIsNotDoubled() throws IOException {
        ChatFormatter formatter = new ChatFormatter("m", "{{ bos_token }}x", "<s>", "</s>", ChatTemplate.LLAMA2, MARCH_14_2025);
        assertTrue(formatter.renderTemplate(List.of(ChatMessage.of("user", "hi")), List.of(), true).startsWith("<s>"));
    }

    private static ChatFormatter formatter(String name) throws IOException {
        String text = switch (name) {
            case "llama-3" -> npmTemplate("tokenizer-llama3");
            case "qwen3" -> npmTemplate("tokenizer-qwen3");
            default -> new String(resource(name + ".jinja").readAllBytes(), StandardCharsets.UTF_8);
        };
        String[] specials = SPECIALS.get(name);
        ChatFormatter formatter = new ChatFormatter(name, text, specials[0], specials[1], ChatTemplate.CHATML, MARCH_14_2025);
        assertTrue(formatter.usesTemplate(), name + " parses");
        return formatter;
    }

    private static String npmTemplate(String pkg) throws IOException {
        var config = Fixtures.cached("npm/node_modules/@lenml/" + pkg + "/models/tokenizer_config.json");
        return Json.MAPPER.readTree(Files.readAllBytes(config)).get("chat_template").asText();
    }

    static CompletionRequest request(JsonNode c) {
        ObjectNode body = Json.object().put("model", "m");
        body.set("messages", c.get("messages"));
        if (c.has("tools")) {
            body.set("tools", c.get("tools"));
        }
        return CompletionRequest.parse(body, true, Limits.DEFAULTS);
    }

    static InputStream resource(String name) {
        return ChatFormatterTest.class.getResourceAsStream("/chat-templates/" + name);
    }
}
