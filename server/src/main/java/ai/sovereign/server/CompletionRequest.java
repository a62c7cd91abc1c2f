package ai.sovereign.server;

import ai.sovereign.engine.SamplingSettings;
import com.fasterxml.jackson.databind.JsonNode;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Set;
import java.util.regex.Pattern;
import java.util.concurrent.ThreadLocalRandom;

/**
 * A validated {@code /v1/chat/completions} or {@code /v1/completions} request. Validation follows
 * OpenAI: wrong types and out-of-range values are 400s naming the parameter; unknown fields are
 * ignored. Error messages never quote message content.
 */
record CompletionRequest(
        String model,
        boolean chat,
        List<ChatMessage> messages,
        List<Tool> tools,
        ToolChoice toolChoice,
        String prompt,
        Integer maxTokens,
        SamplingSettings sampling,
        List<String> stop,
        int n,
        boolean stream,
        boolean includeUsage,
        boolean logprobs,
        int topLogprobs,
        String responseFormat,
        String jsonSchema) {

    private static final Set<String> ROLES = Set.of("system", "developer", "user", "assistant", "tool");
    private static final Pattern FUNCTION_NAME = Pattern.compile("[a-zA-Z0-9_-]{1,64}");
    private static final int MAX_TOOLS = 128;

    /** The tools a template should see: none when tool_choice is none, only the named one when one is named. */
    List<Tool> promptTools() {
        return switch (toolChoice.mode()) {
            case NONE -> List.of();
            case FUNCTION -> tools.stream().filter(t -> t.name().equals(toolChoice.function())).toList();
            case AUTO, REQUIRED -> tools;
        };
    }

    /** This request with its texts replaced (by the PII guard): chat messages, or the completion prompt. */
    CompletionRequest withTexts(List<ChatMessage> newMessages, String newPrompt) {
        return new CompletionRequest(model, chat, newMessages, tools, toolChoice, newPrompt, maxTokens, sampling, stop, n, stream,
                includeUsage, logprobs, topLogprobs, responseFormat, jsonSchema);
    }

    /** Whether the output is to be searched for tool calls. */
    boolean toolsActive() {
        return chat && !promptTools().isEmpty();
    }

    /** The names of the functions the model may call. */
    Set<String> callableTools() {
        Set<String> names = new LinkedHashSet<>();
        promptTools().forEach(t -> names.add(t.name()));
        return names;
    }

    static CompletionRequest parse(JsonNode body, boolean chat, Limits limits) {
        if (!body.isObject()) {
            throw ApiException.invalid(null, "the request body must be a JSON object");
        }
        String model = requiredString(body, "model");
        List<ChatMessage> messages = null;
        List<Tool> tools = List.of();
        ToolChoice toolChoice = ToolChoice.NONE;
        String prompt = null;
        if (chat) {
            messages = messages(body.get("messages"), limits);
            tools = tools(body.get("tools"));
            toolChoice = toolChoice(body.get("tool_choice"), tools);
        } else {
            prompt = prompt(body.get("prompt"));
        }
        Integer maxTokens = optionalInt(body, chat && body.hasNonNull("max_completion_tokens") ? "max_completion_tokens" : "max_tokens", 0, limits.maxTokensCap());
        float temperature = (float) optionalNumber(body, "temperature", 0, 2, 1.0);
        float topP = (float) optionalNumber(body, "top_p", 0, 1, 1.0);
        if (topP == 0f) {
            topP = Float.MIN_VALUE;
        }
        float presence = (float) optionalNumber(body, "presence_penalty", -2, 2, 0);
        float frequency = (float) optionalNumber(body, "frequency_penalty", -2, 2, 0);
        Long seed = body.hasNonNull("seed") ? longValue(body, "seed") : null;
        int n = optionalInt(body, "n", 1, limits.maxChoices()) instanceof Integer i ? i : 1;
        boolean stream = optionalBoolean(body, "stream", false);
        boolean includeUsage = false;
        JsonNode streamOptions = body.get("stream_options");
        if (streamOptions != null && !streamOptions.isNull()) {
            if (!streamOptions.isObject()) {
                throw ApiException.invalid("stream_options", "stream_options must be an object");
            }
            includeUsage = optionalBoolean(streamOptions, "include_usage", false);
        }
        boolean logprobs;
        int topLogprobs;
        if (chat) {
            logprobs = optionalBoolean(body, "logprobs", false);
            topLogprobs = optionalInt(body, "top_logprobs", 0, 20) instanceof Integer t ? t : 0;
            if (topLogprobs > 0 && !logprobs) {
                throw ApiException.invalid("top_logprobs", "top_logprobs requires logprobs to be true");
            }
        } else {
            Integer k = optionalInt(body, "logprobs", 0, 5);
            logprobs = k != null;
            topLogprobs = k == null ? 0 : k;
        }
        String responseFormat = "text";
        String schema = null;
        JsonNode format = body.get("response_format");
        if (format != null && !format.isNull()) {
            if (!format.isObject() || !format.path("type").isTextual()) {
                throw ApiException.invalid("response_format", "response_format must be an object with a string type");
            }
            responseFormat = format.get("type").asText();
            switch (responseFormat) {
                case "text", "json_object" -> { }
                case "json_schema" -> {
                    JsonNode s = format.path("json_schema").path("schema");
                    if (!s.isObject()) {
                        throw ApiException.invalid("response_format.json_schema.schema", "json_schema needs a schema object");
                    }
                    schema = s.toString();
                }
                default -> throw ApiException.invalid("response_format.type",
                        "response_format type '" + clip(responseFormat) + "' is not supported (text, json_object, json_schema)");
            }
        }
        long seedValue = seed != null ? seed : ThreadLocalRandom.current().nextLong();
        SamplingSettings sampling = new SamplingSettings(temperature, 0, topP, 0f, 1f, 64, presence, frequency, seedValue);
        return new CompletionRequest(model, chat, messages, tools, toolChoice, prompt, maxTokens, sampling, stop(body.get("stop"), limits),
                n, stream, includeUsage, logprobs, topLogprobs, responseFormat, schema);
    }

    private static List<ChatMessage> messages(JsonNode node, Limits limits) {
        if (node == null || node.isNull()) {
            throw ApiException.invalid("messages", "messages is required");
        }
        if (!node.isArray()) {
            throw ApiException.invalid("messages", "messages must be an array");
        }
        if (node.isEmpty()) {
            throw ApiException.invalid("messages", "messages must not be empty");
        }
        if (node.size() > limits.maxMessages()) {
            throw ApiException.invalid("messages", "too_many_messages",
                    node.size() + " messages exceed the limit of " + limits.maxMessages() + " (limits.max_messages)");
        }
        List<ChatMessage> out = new ArrayList<>(node.size());
        for (int i = 0; i < node.size(); i++) {
            JsonNode m = node.get(i);
            String param = "messages[" + i + "]";
            if (!m.isObject()) {
                throw ApiException.invalid(param, param + " must be an object");
            }
            JsonNode role = m.get("role");
            if (role == null || !role.isTextual() || !ROLES.contains(role.asText())) {
                throw ApiException.invalid(param + ".role", param + ".role must be one of system, developer, user, assistant, tool");
            }
            String r = role.asText().equals("developer") ? "system" : role.asText();
            List<ToolCall> calls = r.equals("assistant") ? toolCalls(m.get("tool_calls"), param + ".tool_calls") : List.of();
            String toolCallId = null;
            if (r.equals("tool")) {
                JsonNode id = m.get("tool_call_id");
                if (id == null || !id.isTextual() || id.asText().isEmpty()) {
                    throw ApiException.invalid(param + ".tool_call_id", param + ".tool_call_id is required for tool messages and must be a string");
                }
                toolCallId = id.asText();
            }
            JsonNode content = m.get("content");
            String text = (content == null || content.isNull()) && r.equals("assistant") ? null : content(content, param + ".content", r);
            if (text == null && calls.isEmpty()) {
                text = "";
            }
            out.add(new ChatMessage(r, text, calls, toolCallId));
        }
        return out;
    }

    private static List<ToolCall> toolCalls(JsonNode node, String param) {
        if (node == null || node.isNull()) {
            return List.of();
        }
        if (!node.isArray()) {
            throw ApiException.invalid(param, param + " must be an array");
        }
        List<ToolCall> out = new ArrayList<>(node.size());
        for (int i = 0; i < node.size(); i++) {
            JsonNode call = node.get(i);
            String p = param + "[" + i + "]";
            if (!call.isObject()) {
                throw ApiException.invalid(p, p + " must be an object");
            }
            JsonNode type = call.get("type");
            if (type != null && !type.isNull() && !"function".equals(type.asText(null))) {
                throw ApiException.invalid(p + ".type", p + ".type must be function");
            }
            JsonNode id = call.get("id");
            if (id == null || !id.isTextual()) {
                throw ApiException.invalid(p + ".id", p + ".id is required and must be a string");
            }
            JsonNode function = call.get("function");
            if (function == null || !function.isObject()) {
                throw ApiException.invalid(p + ".function", p + ".function must be an object");
            }
            JsonNode name = function.get("name");
            if (name == null || !name.isTextual()) {
                throw ApiException.invalid(p + ".function.name", p + ".function.name is required and must be a string");
            }
            JsonNode arguments = function.get("arguments");
            if (arguments == null || !arguments.isTextual()) {
                throw ApiException.invalid(p + ".function.arguments", p + ".function.arguments is required and must be a string of JSON");
            }
            out.add(new ToolCall(id.asText(), name.asText(), arguments.asText()));
        }
        return out;
    }

    private static List<Tool> tools(JsonNode node) {
        if (node == null || node.isNull()) {
            return List.of();
        }
        if (!node.isArray()) {
            throw ApiException.invalid("tools", "tools must be an array");
        }
        if (node.size() > MAX_TOOLS) {
            throw ApiException.invalid("tools", node.size() + " tools exceed the limit of " + MAX_TOOLS);
        }
        List<Tool> out = new ArrayList<>(node.size());
        Set<String> names = new HashSet<>();
        for (int i = 0; i < node.size(); i++) {
            JsonNode tool = node.get(i);
            String p = "tools[" + i + "]";
            if (!tool.isObject()) {
                throw ApiException.invalid(p, p + " must be an object");
            }
            if (!"function".equals(tool.path("type").asText(null))) {
                throw ApiException.invalid(p + ".type", p + ".type must be function");
            }
            JsonNode function = tool.get("function");
            if (function == null || !function.isObject()) {
                throw ApiException.invalid(p + ".function", p + ".function must be an object");
            }
            JsonNode name = function.get("name");
            if (name == null || !name.isTextual() || !FUNCTION_NAME.matcher(name.asText()).matches()) {
                throw ApiException.invalid(p + ".function.name", p + ".function.name must be a string of 1 to 64 letters, digits, _ or -");
            }
            JsonNode description = function.get("description");
            if (description != null && !description.isNull() && !description.isTextual()) {
                throw ApiException.invalid(p + ".function.description", p + ".function.description must be a string");
            }
            JsonNode parameters = function.get("parameters");
            if (parameters != null && !parameters.isNull() && !parameters.isObject()) {
                throw ApiException.invalid(p + ".function.parameters", p + ".function.parameters must be a JSON Schema object");
            }
            if (!names.add(name.asText())) {
                throw ApiException.invalid(p + ".function.name", "function " + name.asText() + " is listed twice in tools");
            }
            out.add(new Tool(name.asText(), tool));
        }
        return List.copyOf(out);
    }

    private static ToolChoice toolChoice(JsonNode node, List<Tool> tools) {
        if (node == null || node.isNull()) {
            return tools.isEmpty() ? ToolChoice.NONE : ToolChoice.AUTO;
        }
        ToolChoice choice;
        if (node.isTextual()) {
            choice = switch (node.asText()) {
                case "none" -> ToolChoice.NONE;
                case "auto" -> ToolChoice.AUTO;
                case "required" -> ToolChoice.REQUIRED;
                default -> throw ApiException.invalid("tool_choice",
                        "tool_choice '" + clip(node.asText()) + "' is not supported (none, auto, required, or {\"type\":\"function\",\"function\":{\"name\":...}})");
            };
        } else if (node.isObject() && "function".equals(node.path("type").asText(null)) && node.path("function").path("name").isTextual()) {
            String name = node.get("function").get("name").asText();
            if (tools.stream().noneMatch(t -> t.name().equals(name))) {
                throw ApiException.invalid("tool_choice", "tool_choice names function '" + clip(name) + "', which is not in tools");
            }
            choice = new ToolChoice(ToolChoice.Mode.FUNCTION, name);
        } else {
            throw ApiException.invalid("tool_choice", "tool_choice must be none, auto, required, or {\"type\":\"function\",\"function\":{\"name\":...}}");
        }
        if (choice.mode() != ToolChoice.Mode.NONE && tools.isEmpty()) {
            throw ApiException.invalid("tool_choice", "tool_choice is only allowed when tools are specified");
        }
        return choice;
    }

    private static String content(JsonNode content, String param, String role) {
        if (content == null || content.isNull()) {
            if (role.equals("assistant")) {
                return "";
            }
            throw ApiException.invalid(param, param + " is required");
        }
        if (content.isTextual()) {
            return content.asText();
        }
        if (content.isArray()) {
            StringBuilder text = new StringBuilder();
            for (int i = 0; i < content.size(); i++) {
                JsonNode part = content.get(i);
                String type = part.path("type").asText("");
                if (!type.equals("text") || !part.path("text").isTextual()) {
                    throw ApiException.invalid(param + "[" + i + "]",
                            "content parts must be {\"type\":\"text\",\"text\":...}; type '" + clip(type) + "' is not supported");
                }
                text.append(part.get("text").asText());
            }
            return text.toString();
        }
        throw ApiException.invalid(param, param + " must be a string or an array of text parts");
    }

    private static String prompt(JsonNode node) {
        if (node == null || node.isNull()) {
            throw ApiException.invalid("prompt", "prompt is required");
        }
        if (node.isTextual()) {
            return node.asText();
        }
        if (node.isArray() && node.size() == 1 && node.get(0).isTextual()) {
            return node.get(0).asText();
        }
        throw ApiException.invalid("prompt", "prompt must be a string (or an array of one string)");
    }

    private static List<String> stop(JsonNode node, Limits limits) {
        if (node == null || node.isNull()) {
            return List.of();
        }
        List<String> out = new ArrayList<>();
        if (node.isTextual()) {
            out.add(node.asText());
        } else if (node.isArray()) {
            for (JsonNode s : node) {
                if (!s.isTextual()) {
                    throw ApiException.invalid("stop", "stop must be a string or an array of strings");
                }
                out.add(s.asText());
            }
        } else {
            throw ApiException.invalid("stop", "stop must be a string or an array of strings");
        }
        if (out.size() > limits.maxStopStrings()) {
            throw ApiException.invalid("stop", out.size() + " stop sequences exceed the limit of " + limits.maxStopStrings());
        }
        out.removeIf(String::isEmpty);
        return out;
    }

    private static String requiredString(JsonNode body, String field) {
        JsonNode v = body.get(field);
        if (v == null || v.isNull()) {
            throw ApiException.invalid(field, field + " is required");
        }
        if (!v.isTextual()) {
            throw ApiException.invalid(field, field + " must be a string");
        }
        return v.asText();
    }

    private static Integer optionalInt(JsonNode body, String field, int min, int max) {
        JsonNode v = body.get(field);
        if (v == null || v.isNull()) {
            return null;
        }
        if (!v.isIntegralNumber() || !v.canConvertToInt()) {
            throw ApiException.invalid(field, field + " must be an integer");
        }
        int value = v.asInt();
        if (value < min || value > max) {
            throw ApiException.invalid(field, field + " is " + value + "; allowed " + min + ".." + max);
        }
        return value;
    }

    private static double optionalNumber(JsonNode body, String field, double min, double max, double fallback) {
        JsonNode v = body.get(field);
        if (v == null || v.isNull()) {
            return fallback;
        }
        if (!v.isNumber()) {
            throw ApiException.invalid(field, field + " must be a number");
        }
        double value = v.asDouble();
        if (!(value >= min && value <= max)) {
            throw ApiException.invalid(field, field + " is " + value + "; allowed " + min + ".." + max);
        }
        return value;
    }

    private static boolean optionalBoolean(JsonNode body, String field, boolean fallback) {
        JsonNode v = body.get(field);
        if (v == null || v.isNull()) {
            return fallback;
        }
        if (!v.isBoolean()) {
            throw ApiException.invalid(field, field + " must be a boolean");
        }
        return v.asBoolean();
    }

    private static long longValue(JsonNode body, String field) {
        JsonNode v = body.get(field);
        if (!v.isIntegralNumber() || !v.canConvertToLong()) {
            throw ApiException.invalid(field, field + " must be an integer");
        }
        return v.asLong();
    }

    /** A client-supplied identifier shown in an error, clipped so errors cannot carry content. */
    static String clip(String s) {
        return s.length() <= 40 ? s : s.substring(0, 40) + "…";
    }
}
