package ai.sovereign.server;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;

import com.fasterxml.jackson.databind.JsonNode;
import org.junit.jupiter.api.Test;

/** Validation of tools, tool_choice, assistant tool_calls and tool messages: 400s naming the parameter. */
class CompletionRequestToolsTest {
    private static final String TOOLS = "[{\"type\":\"function\",\"function\":{\"name\":\"get_weather\",\"parameters\":{\"type\":\"object\"}}}]";

    private static CompletionRequest parse(String json) throws Exception {
        JsonNode body = Json.MAPPER.readTree(json);
        return CompletionRequest.parse(body, true, Limits.DEFAULTS);
    }

    private static String param(String json) {
        return assertThrows(ApiException.class, () -> parse(json)).param;
    }

    @Test
    void parsesAToolConversation() throws Exception {
        CompletionRequest r = parse("{\"model\":\"m\",\"tools\":" + TOOLS + ",\"messages\":[{\"role\":\"user\",\"content\":\"hi\"},"
                + "{\"role\":\"assistant\",\"content\":null,\"tool_calls\":[{\"id\":\"call_1\",\"type\":\"function\",\"function\":{\"name\":\"get_weather\",\"arguments\":\"{}\"}}]},"
                + "{\"role\":\"tool\",\"tool_call_id\":\"call_1\",\"content\":\"sunny\"}]}");
        assertEquals(ToolChoice.AUTO, r.toolChoice());
        assertEquals("get_weather", r.tools().getFirst().name());
        assertNull(r.messages().get(1).content());
        assertEquals("get_weather", r.messages().get(1).toolCalls().getFirst().name());
        assertEquals("call_1", r.messages().get(2).toolCallId());
        assertEquals(ToolChoice.Mode.FUNCTION, parse("{\"model\":\"m\",\"tools\":" + TOOLS
                + ",\"tool_choice\":{\"type\":\"function\",\"function\":{\"name\":\"get_weather\"}},\"messages\":[{\"role\":\"user\",\"content\":\"hi\"}]}").toolChoice().mode());
        assertEquals(0, parse("{\"model\":\"m\",\"tools\":" + TOOLS + ",\"tool_choice\":\"none\",\"messages\":[{\"role\":\"user\",\"content\":\"hi\"}]}").promptTools().size());
    }

    @Test
    void wrongShapesNameTheParameter() {
        String user = ",\"messages\":[{\"role\":\"user\",\"content\":\"hi\"}]}";
        assertEquals("tools", param("{\"model\":\"m\",\"tools\":{}" + user));
        assertEquals("tools[0].type", param("{\"model\":\"m\",\"tools\":[{\"type\":\"x\"}]" + user));
        assertEquals("tools[0].function.name", param("{\"model\":\"m\",\"tools\":[{\"type\":\"function\",\"function\":{\"name\":\"a b\"}}]" + user));
        assertEquals("tools[0].function.parameters", param("{\"model\":\"m\",\"tools\":[{\"type\":\"function\",\"function\":{\"name\":\"a\",\"parameters\":1}}]" + user));
        assertEquals("tool_choice", param("{\"model\":\"m\",\"tools\":" + TOOLS + ",\"tool_choice\":\"always\"" + user));
        assertEquals("tool_choice", param("{\"model\":\"m\",\"tools\":" + TOOLS + ",\"tool_choice\":{\"type\":\"function\",\"function\":{\"name\":\"other\"}}" + user));
        assertEquals("tool_choice", param("{\"model\":\"m\",\"tool_choice\":\"required\"" + user));
        assertEquals("messages[0].tool_call_id", param("{\"model\":\"m\",\"messages\":[{\"role\":\"tool\",\"content\":\"x\"}]}"));
        assertEquals("messages[0].tool_calls[0].function.arguments", param("{\"model\":\"m\",\"messages\":[{\"role\":\"assistant\",\"tool_calls\":"
                + "[{\"id\":\"c\",\"type\":\"function\",\"function\":{\"name\":\"f\",\"arguments\":{}}}]}]}"));
        assertEquals("messages[0].content", param("{\"model\":\"m\",\"messages\":[{\"role\":\"user\",\"content\":null}]}"));
    }
}
