package ai.sovereign.server;

import ai.sovereign.policy.PiiGuard;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.io.IOException;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

/**
 * Serves a generation on a remote node and relays its answer.
 *
 * <h2>Design</h2>
 * <ul>
 *   <li><b>Upstream request.</b> The client's JSON with the guarded texts (what the PII guard left) and the node's model
 *       id in place of ours; streamed requests ask for {@code stream_options.include_usage} so token counts come from
 *       the node.</li>
 *   <li><b>Failover boundary.</b> An attempt counts as started once the node's first event (streamed) or whole body
 *       has arrived; until then nothing has reached the client, so a failure returns {@code false} and the router
 *       tries the next candidate. After it, a failure ends the stream with an {@code upstream_error} event: two nodes'
 *       output are never spliced.</li>
 *   <li><b>Ledger.</b> The decision entry is written at that boundary, after the failed attempts are known and before
 *       the first byte to the client (guarantee 3); the outcome follows as on the local path.</li>
 *   <li><b>Relay.</b> Each event is rewritten (our model name, pseudonyms restored across chunks by one
 *       {@link PiiGuard.Restorer} per choice, the usage chunk dropped unless the client asked for it) and flushed as
 *       it comes; nothing buffers the stream.</li>
 * </ul>
 */
final class RemoteRelay {
    private final RemoteClient client;
    private final LedgerRecorder ledger;
    private final Metrics metrics;

    RemoteRelay(RemoteClient client, LedgerRecorder ledger, Metrics metrics) {
        this.client = client;
        this.ledger = ledger;
        this.metrics = metrics;
    }

    /** One request's facts for an attempt. */
    record Job(CompletionRequest request, ObjectNode clientBody, boolean rewritten, PiiGuard.Pseudonyms pseudonyms,
               ModelRegistry.Entry model, String endpoint, long start, long deadlineNanos) {}

    /**
     * Tries {@code node}; false when the attempt failed before anything reached the client (recorded on the trace, the
     * node's circuit told), true once the request was served or failed after its first byte.
     */
    boolean attempt(Exchange ex, Job job, Fleet.Node node, RouteTrace trace) throws IOException {
        if (!node.circuit.tryAcquire(System.nanoTime())) {
            trace.attempt(node.id, "circuit_open");
            return false;
        }
        byte[] body = Json.bytes(upstreamBody(job, node.models.get(job.model().name())));
        String path = job.request().chat() ? "/chat/completions" : "/completions";
        node.begin();
        try {
            if (job.request().stream()) {
                RemoteClient.Events events;
                JsonNode first;
                try {
                    events = client.stream(node, path, body, job.deadlineNanos());
                    try {
                        first = events.next();
                    } catch (RemoteClient.UpstreamException e) {
                        events.close();
                        throw e;
                    }
                } catch (RemoteClient.UpstreamException e) {
                    failed(node, trace, e);
                    return false;
                }
                succeeded(node, trace, job.start());
                try (events) {
                    stream(ex, job, node, trace, events, first);
                }
            } else {
                JsonNode answer;
                try {
                    answer = client.call(node, path, body, job.deadlineNanos());
                } catch (RemoteClient.UpstreamException e) {
                    failed(node, trace, e);
                    return false;
                }
                succeeded(node, trace, job.start());
                whole(ex, job, node, trace, (ObjectNode) answer);
            }
            return true;
        } finally {
            node.end();
        }
    }

    /** An embedding request on a remote node: as {@link #attempt}, for {@code /embeddings} (never streamed). */
    boolean embed(Exchange ex, ModelRegistry.Entry model, ObjectNode clientBody, int inputs, Fleet.Node node, RouteTrace trace,
                  long start, long deadlineNanos) {
        if (!node.circuit.tryAcquire(System.nanoTime())) {
            trace.attempt(node.id, "circuit_open");
            return false;
        }
        ObjectNode body = clientBody.deepCopy();
        body.put("model", node.models.get(model.name()));
        node.begin();
        try {
            JsonNode answer;
            try {
                answer = client.call(node, "/embeddings", Json.bytes(body), deadlineNanos, "data");
            } catch (RemoteClient.UpstreamException e) {
                failed(node, trace, e);
                return false;
            }
            succeeded(node, trace, start);
            Job job = new Job(null, clientBody, false, null, model, "/v1/embeddings", start, deadlineNanos);
            long decision = decide(ex, job, node);
            int status = 500;
            long tokens = answer.at("/usage/prompt_tokens").asLong(0);
            try {
                ((ObjectNode) answer).put("model", model.name());
                metrics.recordEmbedding(model.name(), inputs, (int) tokens);
                ex.json(200, answer);
                status = 200;
            } finally {
                ledger.finish(ex, decision, new LedgerRecorder.Ending(status, List.of(), tokens, 0, start, System.nanoTime(), 0, null));
            }
            return true;
        } finally {
            node.end();
        }
    }

    private static void failed(Fleet.Node node, RouteTrace trace, RemoteClient.UpstreamException e) {
        trace.attempt(node.id, e.result);
        Log.warn("node " + node.id + " failed before the first byte (" + e.result + "): " + e.getMessage());
        boolean callerFault = e.result.startsWith("http_4") && !e.result.equals("http_429") && !e.result.equals("http_408");
        if (!callerFault) {
            node.circuit.failure(System.nanoTime());
        } else {
            node.circuit.success();
        }
    }

    private static void succeeded(Fleet.Node node, RouteTrace trace, long start) {
        node.circuit.success();
        node.latency((System.nanoTime() - start) / 1e6);
        trace.attempt(node.id, "selected");
        trace.served(node);
    }

    private ObjectNode upstreamBody(Job job, String upstreamModel) {
        ObjectNode body = job.clientBody().deepCopy();
        body.put("model", upstreamModel);
        CompletionRequest r = job.request();
        if (job.rewritten()) {
            if (r.chat()) {
                ArrayNode messages = (ArrayNode) body.get("messages");
                for (int i = 0; i < r.messages().size(); i++) {
                    ChatMessage m = r.messages().get(i);
                    ObjectNode raw = (ObjectNode) messages.get(i);
                    if (m.content() != null) {
                        raw.put("content", m.content());
                    }
                    JsonNode calls = raw.get("tool_calls");
                    for (int j = 0; j < m.toolCalls().size() && calls != null && calls.isArray(); j++) {
                        ((ObjectNode) calls.get(j).path("function")).put("arguments", m.toolCalls().get(j).arguments());
                    }
                }
            } else {
                body.put("prompt", r.prompt());
            }
        }
        if (r.stream()) {
            ObjectNode options = body.has("stream_options") && body.get("stream_options").isObject()
                    ? (ObjectNode) body.get("stream_options") : body.putObject("stream_options");
            options.put("include_usage", true);
        }
        return body;
    }

    private long decide(Exchange ex, Job job, Fleet.Node node) {
        long t0 = System.nanoTime();
        long index = ledger.decide(ex, job.endpoint(), job.model().name(), job.model().sha256());
        metrics.ledgerAppend((System.nanoTime() - t0) / 1e9);
        ex.header("x-sovereign-ledger-index", Long.toString(index));
        ex.header("x-ai-generated", "true");
        ex.header("x-sovereign-node", node.id);
        ex.header("x-sovereign-jurisdiction", node.jurisdiction.code());
        if (job.model().sha256() != null) {
            ex.header("x-sovereign-model-sha256", job.model().sha256());
        }
        return index;
    }

    private void stream(Exchange ex, Job job, Fleet.Node node, RouteTrace trace, RemoteClient.Events events, JsonNode first)
            throws IOException {
        CompletionRequest r = job.request();
        long decision = decide(ex, job, node);
        Map<Integer, PiiGuard.Restorer> restorers = new HashMap<>();
        Map<Integer, StringBuilder> texts = new HashMap<>();
        Map<Integer, String> finish = new HashMap<>();
        long[] usage = {0, 0};
        long firstToken = System.nanoTime();
        int status = 500;
        try {
            ex.startEvents();
            JsonNode event = first;
            while (event != null) {
                ObjectNode out = relay(r, job, (ObjectNode) event, restorers, texts, finish, usage);
                if (out != null) {
                    ex.event(out.toString());
                }
                try {
                    event = events.next();
                } catch (RemoteClient.UpstreamException e) {
                    trace.attempt(node.id, "failed_after_first_byte:" + e.result);
                    node.circuit.failure(System.nanoTime());
                    Log.warn("request " + ex.requestId + ": node " + node.id + " failed mid-stream (" + e.result + ")");
                    ex.event(errorEvent("the node serving this request failed mid-stream (" + e.result + "); request id " + ex.requestId));
                    status = 502;
                    return;
                }
            }
            ex.event("[DONE]");
            status = 200;
        } catch (IOException clientGone) {
            status = 499;
            metrics.disconnected(job.model().name());
            throw clientGone;
        } finally {
            ex.endEvents();
            end(ex, job, decision, status, finish, texts, usage, firstToken);
        }
    }

    /** One upstream event rewritten for the client; null when there is nothing to send. */
    private static ObjectNode relay(CompletionRequest r, Job job, ObjectNode event, Map<Integer, PiiGuard.Restorer> restorers,
                                    Map<Integer, StringBuilder> texts, Map<Integer, String> finish, long[] usage) {
        event.put("model", job.model().name());
        JsonNode u = event.get("usage");
        if (u != null && u.isObject()) {
            usage[0] = u.path("prompt_tokens").asLong(usage[0]);
            usage[1] = u.path("completion_tokens").asLong(usage[1]);
        }
        for (JsonNode c : event.withArray("choices")) {
            if (!c.isObject()) {
                continue;
            }
            int index = c.path("index").asInt(0);
            PiiGuard.Restorer restorer = restorers.computeIfAbsent(index, i -> job.pseudonyms().restorer());
            ObjectNode holder = r.chat() ? (c.get("delta") instanceof ObjectNode d ? d : null) : (ObjectNode) c;
            String field = r.chat() ? "content" : "text";
            String restored = "";
            if (holder != null && holder.path(field).isTextual()) {
                String piece = holder.get(field).asText();
                texts.computeIfAbsent(index, i -> new StringBuilder()).append(piece);
                restored = restorer.accept(piece);
            }
            JsonNode reason = c.get("finish_reason");
            if (reason != null && reason.isTextual()) {
                finish.put(index, reason.asText());
                restored += restorer.finish();
            }
            if (holder != null && (holder.has(field) || !restored.isEmpty())) {
                holder.put(field, restored);
            } else if (!r.chat()) {
                ((ObjectNode) c).put("text", restored);
            }
        }
        if (!r.includeUsage()) {
            if (event.withArray("choices").isEmpty()) {
                return null;
            }
            event.remove("usage");
        }
        return event;
    }

    private void whole(Exchange ex, Job job, Fleet.Node node, RouteTrace trace, ObjectNode answer) {
        CompletionRequest r = job.request();
        long decision = decide(ex, job, node);
        Map<Integer, String> finish = new HashMap<>();
        Map<Integer, StringBuilder> texts = new HashMap<>();
        int status = 500;
        try {
            answer.put("model", job.model().name());
            for (JsonNode c : answer.withArray("choices")) {
                int index = c.path("index").asInt(0);
                ObjectNode holder = r.chat() ? (c.get("message") instanceof ObjectNode m ? m : null) : (ObjectNode) c;
                String field = r.chat() ? "content" : "text";
                if (holder != null && holder.path(field).isTextual()) {
                    String text = holder.get(field).asText();
                    texts.put(index, new StringBuilder(text));
                    holder.put(field, job.pseudonyms().restore(text));
                }
                finish.put(index, c.path("finish_reason").asText("stop"));
            }
            JsonNode u = answer.path("usage");
            long[] usage = {u.path("prompt_tokens").asLong(0), u.path("completion_tokens").asLong(0)};
            answer.set("sovereign", Json.object()
                    .put("request_id", ex.requestId)
                    .put("ai_generated", true)
                    .put("model", job.model().name())
                    .put("model_sha256", job.model().sha256())
                    .put("node", node.id)
                    .put("jurisdiction", node.jurisdiction.code())
                    .put("ledger_index", decision));
            ex.json(200, answer);
            status = 200;
            end(ex, job, decision, status, finish, texts, usage, System.nanoTime());
        } finally {
            if (status != 200) {
                end(ex, job, decision, status, finish, texts, new long[] {0, 0}, 0);
            }
        }
    }

    private void end(Exchange ex, Job job, long decision, int status, Map<Integer, String> finish, Map<Integer, StringBuilder> texts,
                     long[] usage, long firstToken) {
        int n = Math.max(finish.size(), texts.size());
        List<String> reasons = new ArrayList<>();
        List<String> generated = new ArrayList<>();
        for (int i = 0; i < n; i++) {
            reasons.add(finish.getOrDefault(i, status == 200 ? "stop" : "error"));
            generated.add(texts.containsKey(i) ? texts.get(i).toString() : "");
        }
        long now = System.nanoTime();
        Fleet.Node node = ex.trace() == null ? null : ex.trace().served();
        if (node != null) {
            node.tokens(usage[1]);
        }
        metrics.recordGeneration(job.model().name(), (int) usage[0], (int) usage[1], (now - job.start()) / 1e9,
                firstToken > 0 ? (firstToken - job.start()) / 1e9 : Double.NaN);
        ledger.finish(ex, decision, new LedgerRecorder.Ending(status, reasons, usage[0], usage[1], job.start(), now, firstToken,
                generated.isEmpty() ? null : generated));
    }

    private static String errorEvent(String message) {
        ObjectNode error = Json.object();
        error.putObject("error").put("message", message).put("type", "server_error").putNull("param").put("code", "upstream_error");
        return error.toString();
    }
}
