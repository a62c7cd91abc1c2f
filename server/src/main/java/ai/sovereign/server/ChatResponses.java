package ai.sovereign.server;

import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.util.List;

/**
 * The OpenAI shapes of an assistant message that may carry tool calls: the whole message of a
 * {@code chat.completion}, and the {@code tool_calls} delta of a {@code chat.completion.chunk}.
 * With calls, {@code content} is the text before them, or null when there is none, and the
 * finish reason is {@code tool_calls}.
 */
final class ChatResponses {
    private ChatResponses() {}

    static ObjectNode message(ToolCallParser.Result result) {
        ObjectNode message = Json.object();
        message.put("role", "assistant");
        if (result.hasCalls() && result.content().isEmpty()) {
            message.putNull("content");
        } else {
            message.put("content", result.content());
        }
        message.putNull("refusal");
        if (result.hasCalls()) {
            ArrayNode calls = message.putArray("tool_calls");
            for (ToolCall call : result.calls()) {
                calls.add(call(call));
            }
        }
        return message;
    }

    /** A chunk's delta carrying whole tool calls, each with its index in the message's list. */
    static ObjectNode toolCallsDelta(List<ToolCall> calls) {
        ObjectNode delta = Json.object();
        ArrayNode array = delta.putArray("tool_calls");
        for (int i = 0; i < calls.size(); i++) {
            array.add(call(calls.get(i)).put("index", i));
        }
        return delta;
    }

    /** The finish reason: tool_calls when the output held calls, else the generation's own. */
    static String finishReason(String generationReason, ToolCallParser.Result result) {
        return result != null && result.hasCalls() ? "tool_calls" : generationReason;
    }

    private static ObjectNode call(ToolCall call) {
        ObjectNode c = Json.object();
        c.put("id", call.id());
        c.put("type", "function");
        c.putObject("function").put("name", call.name()).put("arguments", call.arguments());
        return c;
    }
}
