package ai.sovereign.server;

import ai.sovereign.engine.ChatTemplate;
import java.util.List;

/**
 * One message of a chat request as the OpenAI API carries it. {@code content} is null only for an
 * assistant message that made tool calls; {@code toolCalls} is empty unless the assistant made some;
 * {@code toolCallId} is set on {@code tool} messages.
 */
record ChatMessage(String role, String content, List<ToolCall> toolCalls, String toolCallId) {
    ChatMessage {
        toolCalls = List.copyOf(toolCalls);
    }

    static ChatMessage of(String role, String content) {
        return new ChatMessage(role, content, List.of(), null);
    }

    /** For the built-in formats, which know only role and text: tool calls are written as their JSON. */
    ChatTemplate.Message plain() {
        StringBuilder text = new StringBuilder(content == null ? "" : content);
        for (ToolCall call : toolCalls) {
            if (!text.isEmpty()) {
                text.append('\n');
            }
            text.append("{\"name\": ").append(Json.MAPPER.valueToTree(call.name()).toString())
                    .append(", \"arguments\": ").append(call.arguments()).append('}');
        }
        return new ChatTemplate.Message(role, text.toString());
    }
}
