package ai.sovereign.server;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.sovereign.engine.ChatTemplate;
import com.fasterxml.jackson.databind.JsonNode;
import java.util.List;
import java.util.Set;
import org.junit.jupiter.api.Test;

/** Tool calls in sample outputs of each format, whole and streamed; and the OpenAI response shapes. */
class ToolCallParserTest {
    private final ToolCallParser parser = new ToolCallParser(Set.of("get_weather", "get_time"), ToolCallParser.Format.HERMES);

    @Test
    void hermesQwenStyle() {
        var r = parser.parse("Let me check.\n<tool_call>\n{\"name\": \"get_weather\", \"arguments\": {\"city\": \"Seoul\"}}\n</tool_call>"
                + "\n<tool_call>\n{\"name\": \"get_time\", \"arguments\": {}}\n</tool_call>");
        assertEquals("Let me check.", r.content());
        assertEquals(2, r.calls().size());
        assertEquals("get_weather", r.calls().get(0).name());
        assertEquals("{\"city\":\"Seoul\"}", r.calls().get(0).arguments());
        assertEquals("{}", r.calls().get(1).arguments());
        assertTrue(r.calls().get(0).id().matches("call_[A-Za-z0-9]{24}"));
    }

    @Test
    void hermesWithoutClosingTagAtEndOfOutput() {
        var r = parser.parse("<tool_call>\n{\"name\": \"get_weather\", \"arguments\": {\"city\": \"Paris\"}}");
        assertEquals("", r.content());
        assertEquals(1, r.calls().size());
    }

    @Test
    void llama3JsonStyle() {
        var r = parser.parse("{\"name\": \"get_weather\", \"parameters\": {\"city\": \"Seoul\", \"unit\": \"celsius\"}}");
        assertEquals(1, r.calls().size());
        assertEquals("{\"city\":\"Seoul\",\"unit\":\"celsius\"}", r.calls().getFirst().arguments());
        var tagged = parser.parse("<|python_tag|>{\"name\": \"get_time\", \"parameters\": {\"zone\": \"KST\"}}");
        assertEquals("get_time", tagged.calls().getFirst().name());
    }

    @Test
    void mistralStyle() {
        ToolCallParser mistral = new ToolCallParser(Set.of("get_weather"), ToolCallParser.Format.MISTRAL);
        var r = mistral.parse("[TOOL_CALLS][{\"name\": \"get_weather\", \"arguments\": {\"city\": \"Seoul\"}, \"id\": \"abc123XYZ\"}]");
        assertEquals(1, r.calls().size());
        assertEquals("abc123XYZ", r.calls().getFirst().id());
        // [TOOL_CALLS] is a control token and decodes to no text: the bare array counts too.
        var bare = mistral.parse("[{\"name\": \"get_weather\", \"arguments\": {\"city\": \"Busan\"}}]");
        assertEquals("{\"city\":\"Busan\"}", bare.calls().getFirst().arguments());
        assertTrue(bare.calls().getFirst().id().matches("[A-Za-z0-9]{9}"), "Mistral's templates demand 9-character ids");
    }

    @Test
    void argumentsGivenAsJsonTextAreAccepted() {
        var r = parser.parse("<tool_call>{\"name\": \"get_weather\", \"arguments\": \"{\\\"city\\\": \\\"Seoul\\\"}\"}</tool_call>");
        assertEquals("{\"city\":\"Seoul\"}", r.calls().getFirst().arguments());
    }

    @Test
    void textThatIsNotACallStaysText() {
        for (String text : List.of("The weather is fine.", "{\"answer\": 42}", "{\"name\": \"rm_rf\", \"parameters\": {}}",
                "<tool_call>{not json}</tool_call>", "[1, 2, 3]", "{\"name\": \"get_weather\", \"parameters\": {}} and more")) {
            var r = parser.parse(text);
            assertFalse(r.hasCalls(), text);
            assertEquals(text, r.content());
        }
    }

    @Test
    void streamingReleasesTextAndHoldsTheCall() {
        ToolCallParser.Stream stream = parser.new Stream();
        StringBuilder sent = new StringBuilder();
        for (String piece : List.of("Let", " me", " check", ".\n<", "tool", "_call>\n{\"name\": \"get_weather\",", " \"arguments\": {}}", "\n</tool_call>")) {
            sent.append(stream.accept(piece));
        }
        assertEquals("Let me check.\n", sent.toString());
        var r = stream.finish();
        assertEquals("", r.content());
        assertEquals("get_weather", r.calls().getFirst().name());
    }

    @Test
    void streamingPlainTextPassesThroughAndAFalseStartIsReleasedAtTheEnd() {
        ToolCallParser.Stream stream = parser.new Stream();
        StringBuilder sent = new StringBuilder();
        for (String piece : List.of("Use", " a < b", " or <t", "ag>.")) {
            sent.append(stream.accept(piece));
        }
        assertEquals("Use a < b or <tag>.", sent + stream.finish().content());
        ToolCallParser.Stream json = parser.new Stream();
        assertEquals("", json.accept("  {\"answer\""));
        assertEquals("", json.accept(": 42}"));
        var r = json.finish();
        assertFalse(r.hasCalls());
        assertEquals("  {\"answer\": 42}", r.content());
    }

    @Test
    void responseShapes() {
        var call = new ToolCall("call_1", "get_weather", "{\"city\":\"Seoul\"}");
        JsonNode message = ChatResponses.message(new ToolCallParser.Result("", List.of(call)));
        assertTrue(message.get("content").isNull());
        assertEquals("assistant", message.get("role").asText());
        JsonNode c = message.get("tool_calls").get(0);
        assertEquals("call_1", c.get("id").asText());
        assertEquals("function", c.get("type").asText());
        assertEquals("get_weather", c.get("function").get("name").asText());
        assertEquals("{\"city\":\"Seoul\"}", c.get("function").get("arguments").asText());
        assertEquals("tool_calls", ChatResponses.finishReason("stop", new ToolCallParser.Result("", List.of(call))));
        assertEquals("stop", ChatResponses.finishReason("stop", new ToolCallParser.Result("hi", List.of())));
        JsonNode plain = ChatResponses.message(new ToolCallParser.Result("hi", List.of()));
        assertEquals("hi", plain.get("content").asText());
        assertFalse(plain.has("tool_calls"));
        JsonNode delta = ChatResponses.toolCallsDelta(List.of(call, call));
        assertEquals(1, delta.get("tool_calls").get(1).get("index").asInt());
    }

    @Test
    void formatFromTemplate() {
        assertEquals(ToolCallParser.Format.HERMES, ToolCallParser.Format.of("... <tool_call> ...", ChatTemplate.PLAIN));
        assertEquals(ToolCallParser.Format.MISTRAL, ToolCallParser.Format.of("... [TOOL_CALLS] ...", ChatTemplate.PLAIN));
        assertEquals(ToolCallParser.Format.LLAMA3, ToolCallParser.Format.of("<|start_header_id|>", ChatTemplate.PLAIN));
        assertEquals(ToolCallParser.Format.LLAMA3, ToolCallParser.Format.of(null, ChatTemplate.LLAMA3));
    }
}
