package ai.sovereign.server;

import ai.sovereign.engine.ChatTemplate;
import ai.sovereign.engine.GgufMetadata;
import ai.sovereign.engine.Tokenizer;
import com.fasterxml.jackson.databind.JsonNode;
import com.hubspot.jinjava.Jinjava;
import com.hubspot.jinjava.interpret.JinjavaInterpreter;
import com.hubspot.jinjava.interpret.TemplateError;
import com.hubspot.jinjava.objects.collections.PyList;
import com.hubspot.jinjava.objects.collections.PyMap;
import com.hubspot.jinjava.tree.Node;
import java.time.Clock;
import java.time.ZonedDateTime;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.atomic.AtomicBoolean;

/**
 * Turns a chat request into prompt text with the model's own Jinja chat template
 * ({@code tokenizer.chat_template}), rendered as Hugging Face's {@code apply_chat_template} does
 * (see {@link HfJinja}). The template is parsed once, when the model loads.
 *
 * <p>Fallback: a model without a template, or whose template does not parse, uses the engine's
 * built-in format ({@link ChatTemplate#detect}); a template that fails on one conversation (an
 * unsupported construct, or its own {@code raise_exception}) falls back for that request. Either is
 * logged once per model, with the template's line and error kind, never message content.
 *
 * <p>Template values follow the conventions llama.cpp and transformers use: messages carry only the
 * fields the client sent (templates test {@code 'tool_calls' in message}); null content is "";
 * tool-call arguments, JSON text in the OpenAI API, are parsed into objects (templates apply
 * {@code tojson} to them); {@code tools} is the client's list of tool objects, or undefined when empty.
 *
 * <p>BOS: many templates write {@code bos_token} themselves; {@link #encode} adds the tokenizer's BOS
 * only when the text does not already start with it (as llama.cpp does), so it is never doubled.
 */
final class ChatFormatter {
    private final String modelName;
    private final Jinjava jinjava;
    private final Node template;
    private final ChatTemplate fallback;
    private final String bosToken;
    private final String eosToken;
    private final ToolCallParser.Format toolFormat;
    private final Clock clock;
    private final AtomicBoolean warned = new AtomicBoolean();

    ChatFormatter(String modelName, String templateText, String bosToken, String eosToken, ChatTemplate fallback, Clock clock) {
        this.modelName = modelName;
        this.fallback = fallback;
        this.bosToken = bosToken;
        this.eosToken = eosToken;
        this.clock = clock;
        Jinjava engine = null;
        Node parsed = null;
        if (templateText != null && !templateText.isBlank()) {
            try {
                engine = HfJinja.create();
                JinjavaInterpreter interpreter = engine.newInterpreter();
                parsed = interpreter.parse(HfJinja.adapt(templateText));
                TemplateError error = firstError(interpreter.getErrors());
                if (error != null) {
                    warnOnce("its chat template does not parse (" + describe(error) + ")");
                    parsed = null;
                }
            } catch (RuntimeException e) {
                warnOnce("its chat template does not parse (" + e.getClass().getSimpleName() + ")");
                parsed = null;
            }
        }
        this.jinjava = parsed == null ? null : engine;
        this.template = parsed;
        this.toolFormat = ToolCallParser.Format.of(templateText, fallback);
    }

    static ChatFormatter forModel(String modelName, GgufMetadata metadata, Tokenizer tokenizer) {
        return new ChatFormatter(modelName, metadata.string("tokenizer.chat_template").orElse(null),
                tokenText(tokenizer, tokenizer.bosId()), tokenText(tokenizer, tokenizer.eosId()),
                ChatTemplate.detect(metadata, tokenizer), Clock.systemDefaultZone());
    }

    private static String tokenText(Tokenizer tokenizer, int id) {
        if (id < 0 || id >= tokenizer.size()) {
            return "";
        }
        String text = tokenizer.token(id);
        return text.startsWith("\uFFFF") ? "" : text;
    }

    /** "jinja" when the model's template renders, else the built-in format's name. */
    String describe() {
        return template != null ? "jinja (" + toolFormat.name().toLowerCase(Locale.ROOT) + " tool calls)"
                : fallback.name().toLowerCase(Locale.ROOT) + " (built-in)";
    }

    boolean usesTemplate() {
        return template != null;
    }

    ToolCallParser.Format toolFormat() {
        return toolFormat;
    }

    /** The prompt text; the model's template when it renders, else the built-in format. */
    String render(List<ChatMessage> messages, List<Tool> tools, boolean addGenerationPrompt) {
        if (template != null) {
            try {
                return renderTemplate(messages, tools, addGenerationPrompt);
            } catch (TemplateFailure e) {
                warnOnce("its chat template failed on a request (" + e.getMessage() + ")");
            }
        }
        return fallback.render(messages.stream().map(ChatMessage::plain).toList(), addGenerationPrompt);
    }

    /** Renders with the template only; TemplateFailure when it cannot (for tests and diagnostics). */
    String renderTemplate(List<ChatMessage> messages, List<Tool> tools, boolean addGenerationPrompt) {
        if (template == null) {
            throw new TemplateFailure("no template");
        }
        JinjavaInterpreter interpreter = jinjava.newInterpreter();
        var context = interpreter.getContext();
        context.put("messages", messageValues(messages));
        if (!tools.isEmpty()) {
            List<Object> list = new ArrayList<>();
            tools.forEach(t -> list.add(HfJinja.value(t.definition())));
            context.put("tools", new PyList(list));
        }
        context.put("add_generation_prompt", addGenerationPrompt);
        context.put("bos_token", bosToken);
        context.put("eos_token", eosToken);
        context.put(HfJinja.NOW, ZonedDateTime.now(clock));
        context.put("strftime_now", true); // so that "strftime_now is defined" holds, as in transformers
        JinjavaInterpreter.pushCurrent(interpreter);
        String text;
        try {
            text = interpreter.render(template);
        } catch (HfJinja.TemplateRaised e) {
            throw new TemplateFailure("raise_exception: " + CompletionRequest.clip(e.getMessage()));
        } catch (RuntimeException e) {
            throw new TemplateFailure(e.getClass().getSimpleName());
        } finally {
            JinjavaInterpreter.popCurrent();
        }
        TemplateError error = firstError(interpreter.getErrors());
        if (error != null) {
            throw new TemplateFailure(describe(error));
        }
        return text;
    }

    /** Tokens of rendered prompt text: BOS added only when the text does not already begin with it. */
    int[] encode(Tokenizer tokenizer, String prompt) {
        boolean hasBos = !bosToken.isEmpty() && prompt.startsWith(bosToken);
        return tokenizer.encode(prompt, !hasBos, true);
    }

    private static PyList messageValues(List<ChatMessage> messages) {
        List<Object> out = new ArrayList<>(messages.size());
        for (ChatMessage m : messages) {
            Map<String, Object> map = new LinkedHashMap<>();
            map.put("role", m.role());
            map.put("content", m.content() == null ? "" : m.content());
            if (!m.toolCalls().isEmpty()) {
                List<Object> calls = new ArrayList<>();
                for (ToolCall call : m.toolCalls()) {
                    Map<String, Object> function = new LinkedHashMap<>();
                    function.put("name", call.name());
                    function.put("arguments", arguments(call.arguments()));
                    Map<String, Object> c = new LinkedHashMap<>();
                    c.put("id", call.id());
                    c.put("type", "function");
                    c.put("function", new PyMap(function));
                    calls.add(new PyMap(c));
                }
                map.put("tool_calls", new PyList(calls));
            }
            if (m.toolCallId() != null) {
                map.put("tool_call_id", m.toolCallId());
            }
            out.add(new PyMap(map));
        }
        return new PyList(out);
    }

    private static Object arguments(String json) {
        try {
            JsonNode node = Json.MAPPER.readTree(json);
            return node == null ? json : HfJinja.value(node);
        } catch (java.io.IOException e) {
            return json;
        }
    }

    private static TemplateError firstError(List<TemplateError> errors) {
        for (TemplateError e : errors) {
            if (e.getSeverity() == TemplateError.ErrorType.FATAL) {
                return e;
            }
        }
        return null;
    }

    /** The error's kind and line: Jinjava's messages may quote values, so they stay out of logs. */
    private static String describe(TemplateError e) {
        return e.getReason() + " at template line " + e.getLineno()
                + (e.getException() instanceof HfJinja.TemplateRaised r ? ": raise_exception: " + CompletionRequest.clip(r.getMessage()) : "");
    }

    private void warnOnce(String what) {
        if (warned.compareAndSet(false, true)) {
            Log.warn("model " + modelName + ": " + what + "; using the built-in " + fallback.name().toLowerCase(Locale.ROOT) + " format");
        }
    }

    /** The template could not render this conversation; the message names the cause, never content. */
    static final class TemplateFailure extends RuntimeException {
        TemplateFailure(String message) {
            super(message, null, false, false);
        }
    }
}
