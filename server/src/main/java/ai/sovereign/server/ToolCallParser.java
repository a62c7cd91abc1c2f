package ai.sovereign.server;

import ai.sovereign.engine.ChatTemplate;
import com.fasterxml.jackson.core.JsonParser;
import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.MappingIterator;
import java.security.SecureRandom;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;

/**
 * Finds tool calls in a model's output. Three syntaxes, as models are trained to write them:
 * <pre>
 *   HERMES  (Qwen 2.5/3, Hermes)   text &lt;tool_call&gt;{"name": ..., "arguments": {...}}&lt;/tool_call&gt; ...
 *   LLAMA3  (Llama 3.1/3.2 JSON)   [&lt;|python_tag|&gt;]{"name": ..., "parameters": {...}}   (the whole output)
 *   MISTRAL (Mistral/Nemo)         [TOOL_CALLS][{"name": ..., "arguments": {...}}, ...]
 * </pre>
 * All three are recognized whatever the model's template, since control tokens such as
 * {@code [TOOL_CALLS]} and {@code <|python_tag|>} decode to no text: a bare JSON call object or
 * array at the start of the output counts too. A call counts only when it names one of the request's
 * tools, so an answer that happens to be JSON is not mistaken for a call. Arguments are returned as
 * JSON text (OpenAI's shape), whichever of {@code arguments} / {@code parameters} the model wrote.
 *
 * <p>{@link Stream} does the same for streamed output: it releases text while it cannot be the start
 * of a call, and holds the rest until the generation ends.
 */
final class ToolCallParser {
    private static final String HERMES_OPEN = "<tool_call>";
    private static final String HERMES_CLOSE = "</tool_call>";
    private static final String MISTRAL_MARKER = "[TOOL_CALLS]";
    private static final String PYTHON_TAG = "<|python_tag|>";
    private static final List<String> MARKERS = List.of(HERMES_OPEN, MISTRAL_MARKER, PYTHON_TAG);
    private static final SecureRandom RANDOM = new SecureRandom();
    private static final String ALPHANUMERIC = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789";

    /** The syntax a model's template teaches; it decides the call-id shape (Mistral's templates demand 9 characters). */
    enum Format {
        HERMES, LLAMA3, MISTRAL;

        static Format of(String template, ChatTemplate fallback) {
            String t = template == null ? "" : template;
            if (t.contains(HERMES_OPEN)) {
                return HERMES;
            }
            if (t.contains(MISTRAL_MARKER)) {
                return MISTRAL;
            }
            if (t.contains(PYTHON_TAG) || t.contains("<|start_header_id|>")) {
                return LLAMA3;
            }
            return switch (fallback) {
                case LLAMA3 -> LLAMA3;
                case LLAMA2 -> MISTRAL;
                default -> HERMES;
            };
        }

        /** A new call id: {@code call_} and 24 characters, or 9 alphanumerics for Mistral's templates. */
        String newCallId() {
            return this == MISTRAL ? random(9) : "call_" + random(24);
        }
    }

    /** The output split into the text before any call and the calls (empty when none were found). */
    record Result(String content, List<ToolCall> calls) {
        boolean hasCalls() {
            return !calls.isEmpty();
        }
    }

    private final Set<String> toolNames;
    private final Format format;

    ToolCallParser(Set<String> toolNames, Format format) {
        this.toolNames = Set.copyOf(toolNames);
        this.format = format;
    }

    Result parse(String output) {
        int hermes = output.indexOf(HERMES_OPEN);
        if (hermes >= 0) {
            List<ToolCall> calls = hermes(output.substring(hermes));
            if (calls != null) {
                return new Result(output.substring(0, hermes).strip(), calls);
            }
        }
        int mistral = output.indexOf(MISTRAL_MARKER);
        if (mistral >= 0) {
            List<ToolCall> calls = json(output.substring(mistral + MISTRAL_MARKER.length()));
            if (calls != null) {
                return new Result(output.substring(0, mistral).strip(), calls);
            }
        }
        String start = output.strip();
        if (start.startsWith(PYTHON_TAG)) {
            start = start.substring(PYTHON_TAG.length()).strip();
        }
        if (start.startsWith("{") || start.startsWith("[")) {
            List<ToolCall> calls = json(start);
            if (calls != null) {
                return new Result("", calls);
            }
        }
        return new Result(output, List.of());
    }

    /** One or more {@code <tool_call>...</tool_call>} blocks (the last may lack its close at end of output). */
    private List<ToolCall> hermes(String text) {
        List<ToolCall> calls = new ArrayList<>();
        int at = 0;
        while (true) {
            int open = text.indexOf(HERMES_OPEN, at);
            if (open < 0) {
                break;
            }
            if (!text.substring(at, open).isBlank()) {
                return null;
            }
            int close = text.indexOf(HERMES_CLOSE, open);
            String body = text.substring(open + HERMES_OPEN.length(), close < 0 ? text.length() : close);
            ToolCall call = call(parseOne(body.strip()));
            if (call == null) {
                return null;
            }
            calls.add(call);
            at = close < 0 ? text.length() : close + HERMES_CLOSE.length();
        }
        return calls.isEmpty() || !text.substring(at).isBlank() ? null : calls;
    }

    /** A JSON call object, an array of them, or several objects one after another; nothing else may follow. */
    private List<ToolCall> json(String text) {
        List<JsonNode> values = new ArrayList<>();
        try (JsonParser parser = Json.MAPPER.createParser(text.strip());
             MappingIterator<JsonNode> it = Json.MAPPER.readValues(parser, JsonNode.class)) {
            while (it.hasNextValue()) {
                values.add(it.nextValue());
            }
        } catch (java.io.IOException | RuntimeException e) {
            return null;
        }
        List<ToolCall> calls = new ArrayList<>();
        for (JsonNode v : values) {
            if (v.isArray()) {
                for (JsonNode item : v) {
                    ToolCall call = call(item);
                    if (call == null) {
                        return null;
                    }
                    calls.add(call);
                }
            } else {
                ToolCall call = call(v);
                if (call == null) {
                    return null;
                }
                calls.add(call);
            }
        }
        return calls.isEmpty() ? null : calls;
    }

    private static JsonNode parseOne(String text) {
        try {
            return Json.MAPPER.readTree(text);
        } catch (JsonProcessingException e) {
            return null;
        }
    }

    private ToolCall call(JsonNode node) {
        if (node == null || !node.isObject()) {
            return null;
        }
        JsonNode function = node.has("function") && node.get("function").isObject() ? node.get("function") : node;
        JsonNode name = function.get("name");
        if (name == null || !name.isTextual() || !toolNames.contains(name.asText())) {
            return null;
        }
        JsonNode args = function.has("arguments") ? function.get("arguments") : function.get("parameters");
        String arguments;
        if (args == null || args.isNull()) {
            arguments = "{}";
        } else if (args.isTextual()) {
            JsonNode inner = parseOne(args.asText());
            arguments = inner != null && inner.isObject() ? inner.toString() : null;
        } else {
            arguments = args.isObject() ? args.toString() : null;
        }
        if (arguments == null) {
            return null;
        }
        String id = node.path("id").isTextual() && !node.get("id").asText().isBlank() ? node.get("id").asText() : format.newCallId();
        return new ToolCall(id, name.asText(), arguments);
    }

    private static String random(int length) {
        StringBuilder b = new StringBuilder(length);
        for (int i = 0; i < length; i++) {
            b.append(ALPHANUMERIC.charAt(RANDOM.nextInt(ALPHANUMERIC.length())));
        }
        return b.toString();
    }

    /**
     * Streaming: {@link #accept} returns the text that can be sent now. Text is held back once the
     * output may be a call: a marker ({@code <tool_call>}, {@code [TOOL_CALLS]}, {@code <|python_tag|>}),
     * or JSON ({@code {} or {@code [}) before anything else; a tail that may grow into a marker waits
     * for the next piece. {@link #finish} parses the whole output when the generation ends.
     */
    final class Stream {
        private final StringBuilder all = new StringBuilder();
        private int released;
        private boolean holding;

        String accept(String piece) {
            all.append(piece);
            if (holding) {
                return "";
            }
            if (all.substring(0, released).isBlank()) {
                int first = released;
                while (first < all.length() && Character.isWhitespace(all.charAt(first))) {
                    first++;
                }
                if (first == all.length()) {
                    return "";
                }
                if (all.charAt(first) == '{' || all.charAt(first) == '[') {
                    holding = true;
                    return "";
                }
            }
            int marker = -1;
            for (String m : MARKERS) {
                int at = all.indexOf(m, released);
                if (at >= 0 && (marker < 0 || at < marker)) {
                    marker = at;
                }
            }
            if (marker >= 0) {
                holding = true;
                return release(marker);
            }
            return release(partialMarkerStart());
        }

        /** The calls, with the content not yet sent: none when calls were found, else the held text. */
        Result finish() {
            Result result = parse(all.toString());
            return result.hasCalls() ? new Result("", result.calls()) : new Result(all.substring(released), List.of());
        }

        private String release(int end) {
            String out = all.substring(released, end);
            released = end;
            return out;
        }

        /** The start of a tail that is a proper prefix of a marker, or the end of the text. */
        private int partialMarkerStart() {
            for (int from = Math.max(released, all.length() - PYTHON_TAG.length()); from < all.length(); from++) {
                String tail = all.substring(from);
                for (String m : MARKERS) {
                    if (m.startsWith(tail)) {
                        return from;
                    }
                }
            }
            return all.length();
        }
    }
}
