package ai.sovereign.server;

import ai.sovereign.policy.FilePiiKeyVault;
import ai.sovereign.policy.PiiGuard;
import ai.sovereign.policy.PiiPolicy;
import ai.sovereign.policy.PiiScanner;
import ai.sovereign.policy.PiiType;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * The pipeline's guard stage: applies the tenant's personal-data policy ({@link PiiGuard}) to a validated request before
 * routing and prompt building, so no node ever sees what policy removes.
 * <ul>
 *   <li>Texts guarded: chat message {@code content} and assistant tool-call {@code arguments}; the completion
 *       {@code prompt}; embedding {@code input}s. Tool definitions, the {@code json_schema} of {@code response_format} and
 *       stop sequences are scanned too, but as structure they are never rewritten: an entity there whose action is not
 *       allow blocks the request ({@code field} names it, e.g. {@code tools[1]}, with offsets into its compact JSON, and no
 *       {@code message}). The model name is an identifier chosen by the operator and is not scanned.</li>
 *   <li>Blocked: 400 {@code pii_blocked} with {@code sovereign.entities = [{type, message, field, start, end}]}
 *       (message or input index, UTF-16 offsets into that field; a message's text parts count as one text, concatenated
 *       in order, so an identifier split across parts is still found); a detector or key fault: 503
 *       {@code pii_guard_unavailable} (fail closed). Neither ever names a value.</li>
 *   <li>Counts per type go on the exchange for the ledger's decision entry (types and counts only).</li>
 * </ul>
 */
final class PiiStage {
    private final PiiGuard guard;
    private final Metrics metrics;

    PiiStage(PiiGuard guard, Metrics metrics) {
        this.metrics = metrics;
        this.guard = guard;
    }

    /** The stage with the embedded key vault; each request brings its tenant's policy. */
    static PiiStage open(ServerConfig config, Metrics metrics) {
        PiiPolicy policy = config.piiPolicy();
        Log.info("pii: top-level policy (tenant " + ConfigTenants.DEFAULT + (config.pii() == null ? ", the default" : "") + "): "
                + policy.actions() + ", default " + policy.defaultAction().configName() + (policy.failOpen() ? ", fails OPEN" : ", fails closed")
                + "; keys in " + config.piiKeyDirectory());
        return new PiiStage(new PiiGuard(new PiiScanner(), new FilePiiKeyVault(config.piiKeyDirectory())), metrics);
    }

    /** A guarded generation request: what the model may see, and how to restore its answer. */
    record Passed(CompletionRequest request, PiiGuard.Pseudonyms pseudonyms) {}

    Passed completion(Exchange ex, CompletionRequest request) {
        return completion(ex.tenant(), ex.requestId, ex::piiCounts, request);
    }

    /** As above, for a tenant, a request id and where the counts go (tests call this directly). */
    Passed completion(Tenant tenant, String requestId, java.util.function.Consumer<Map<String, Long>> counts, CompletionRequest request) {
        List<PiiGuard.Text> texts = new ArrayList<>();
        if (request.chat()) {
            for (int i = 0; i < request.messages().size(); i++) {
                ChatMessage m = request.messages().get(i);
                if (m.content() != null) {
                    texts.add(new PiiGuard.Text(i, "content", m.content()));
                }
                for (int j = 0; j < m.toolCalls().size(); j++) {
                    texts.add(new PiiGuard.Text(i, "tool_calls[" + j + "].function.arguments", m.toolCalls().get(j).arguments()));
                }
            }
        } else {
            texts.add(new PiiGuard.Text(0, "prompt", request.prompt()));
        }
        for (int i = 0; i < request.tools().size(); i++) {
            texts.add(new PiiGuard.Text(-1, "tools[" + i + "]", request.tools().get(i).definition().toString(), false));
        }
        if (request.jsonSchema() != null) {
            texts.add(new PiiGuard.Text(-1, "response_format", request.jsonSchema(), false));
        }
        for (int i = 0; i < request.stop().size(); i++) {
            texts.add(new PiiGuard.Text(-1, "stop[" + i + "]", request.stop().get(i), false));
        }
        PiiGuard.Guarded g = apply(tenant, requestId, counts, texts);
        if (!g.rewritten(texts)) {
            return new Passed(request, g.pseudonyms());
        }
        var out = g.texts().iterator();
        if (!request.chat()) {
            return new Passed(request.withTexts(request.messages(), out.next()), g.pseudonyms());
        }
        List<ChatMessage> messages = new ArrayList<>();
        for (ChatMessage m : request.messages()) {
            String content = m.content() != null ? out.next() : null;
            List<ToolCall> calls = new ArrayList<>();
            for (ToolCall c : m.toolCalls()) {
                calls.add(new ToolCall(c.id(), c.name(), out.next()));
            }
            messages.add(new ChatMessage(m.role(), content, calls, m.toolCallId()));
        }
        return new Passed(request.withTexts(messages, request.prompt()), g.pseudonyms());
    }

    /** Embedding inputs as the model may see them (pseudonyms need no restoring: vectors carry no text). */
    List<String> embeddings(Exchange ex, List<String> inputs) {
        List<PiiGuard.Text> texts = new ArrayList<>();
        for (int i = 0; i < inputs.size(); i++) {
            texts.add(new PiiGuard.Text(i, "input", inputs.get(i)));
        }
        return apply(ex.tenant(), ex.requestId, ex::piiCounts, texts).texts();
    }

    private PiiGuard.Guarded apply(Tenant tenant, String requestId, java.util.function.Consumer<Map<String, Long>> sink,
                                   List<PiiGuard.Text> texts) {
        PiiPolicy policy = tenant.pii();
        PiiGuard.Result result = guard.apply(tenant.id(), policy, texts);
        Map<String, Long> counts = new LinkedHashMap<>();
        result.counts().forEach((type, n) -> counts.put(type.name(), n.longValue()));
        sink.accept(counts);
        if (metrics != null) {
            result.counts().forEach((type, n) -> metrics.piiEntities(type.name(), policy.action(type).configName(), n));
            if (result instanceof PiiGuard.Blocked b) {
                metrics.piiRefused(b.fault() ? "fault" : "policy");
            }
        }
        return switch (result) {
            case PiiGuard.Guarded g -> {
                if (g.unguarded()) {
                    Log.warn("request " + requestId + ": the PII detector failed and policy fails open; served unguarded");
                }
                yield g;
            }
            case PiiGuard.Blocked b when b.fault() -> {
                Log.error("request " + requestId + ": the PII guard failed; refused (fail closed)");
                throw ApiException.unavailable("pii_guard_unavailable",
                        "the personal-data guard could not check this request, so it was not served (fail closed); request id "
                                + requestId);
            }
            case PiiGuard.Blocked b -> throw blocked(b);
        };
    }

    private static ApiException blocked(PiiGuard.Blocked b) {
        ObjectNode sovereign = Json.object();
        ArrayNode entities = sovereign.putArray("entities");
        java.util.Set<PiiType> types = new java.util.TreeSet<>();
        for (PiiGuard.Finding f : b.entities()) {
            ObjectNode entity = entities.addObject().put("type", f.type().name());
            if (f.message() >= 0) {
                entity.put("message", f.message());
            }
            entity.put("field", f.field()).put("start", f.start()).put("end", f.end());
            types.add(f.type());
        }
        return ApiException.piiBlocked("the request contains personal data that policy blocks (" + types.stream().map(Enum::name)
                .reduce((x, y) -> x + ", " + y).orElse("") + "); sovereign.entities gives types and positions", sovereign);
    }
}
