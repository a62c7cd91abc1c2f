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
 *   <li><b>Relay.</b> Each event is parsed (texts for the outcome's hash, finish reasons, usage) and rewritten (our
 *       model name, pseudonyms restored across chunks by one {@link PiiGuard.Restorer} per choice, the usage chunk
 *       dropped unless the client asked for it) and flushed as it comes; nothing buffers the stream. When the event
 *       needs no restore and no usage removal, its own bytes are sent with only the top-level {@code model} value
 *       replaced, instead of serializing the parsed tree again.</li>
 *   <li><b>Embeddings</b> are read by tokens (no tree, no number converted) and sent as the node's bytes with only the
 *       top-level {@code model} value replaced: parsing and printing thousands of floats was most of their cost.</li>
 *   <li><b>Upstream body.</b> Built once per request from the client's parsed JSON (guarded texts, max_tokens,
 *       stream_options); an attempt only sets the node's model id and serializes it.</li>
 *   <li><b>A stream broken after its first byte</b> was sent as HTTP 200; its outcome says so: status 200 and, for
 *       each choice that had not finished, the finish reason {@code upstream_error:<result>} (ENTRY-FORMAT.md).</li>
 *   <li><b>Writes.</b> The first event is written at once; later events already received are written together (one
 *       write and one wake-up per burst, at most 16 KiB), and whatever is held is sent before the relay waits for the
 *       node, so a silent node never delays an event the client could have.</li>
 * </ul>
 */
final class RemoteRelay {
    private final RemoteClient client;
    private final LedgerRecorder ledger;
    private final Metrics metrics;
    private final Provenance provenance;

    RemoteRelay(RemoteClient client, LedgerRecorder ledger, Metrics metrics) {
        this.client = client;
        this.ledger = ledger;
        this.metrics = metrics;
        this.provenance = new Provenance(ledger, metrics);
    }

    /**
     * One request's facts for its attempts. {@code clientBody} is the client's parsed JSON; the first attempt turns it
     * into the upstream body in place (it is not read as the client's afterwards).
     */
    static final class Job {
        final CompletionRequest request;
        final boolean rewritten;
        final PiiGuard.Pseudonyms pseudonyms;
        final ModelRegistry.Entry model;
        final String endpoint;
        final long start;
        final long deadlineNanos;
        private final ObjectNode clientBody;
        private ObjectNode upstream;

        Job(CompletionRequest request, ObjectNode clientBody, boolean rewritten, PiiGuard.Pseudonyms pseudonyms, ModelRegistry.Entry model,
            String endpoint, long start, long deadlineNanos) {
            this.request = request;
            this.clientBody = clientBody;
            this.rewritten = rewritten;
            this.pseudonyms = pseudonyms;
            this.model = model;
            this.endpoint = endpoint;
            this.start = start;
            this.deadlineNanos = deadlineNanos;
        }

        /** The body for {@code node}: the one upstream body with the node's model id. */
        byte[] body(String upstreamModel) {
            if (upstream == null) {
                upstream = upstreamBody(this);
            }
            upstream.put("model", upstreamModel);
            return Json.bytes(upstream);
        }
    }

    /**
     * Tries {@code node}; false when the attempt failed before anything reached the client (recorded on the trace, the
     * node's circuit told), true once the request was served or failed after its first byte.
     */
    boolean attempt(Exchange ex, Job job, Fleet.Node node, RouteTrace trace) throws IOException {
        if (!node.circuit.tryAcquire(System.nanoTime())) {
            trace.attempt(node.id, "circuit_open");
            return false;
        }
        String upstreamModel = node.models.get(job.model.name());
        byte[] body = job.body(upstreamModel);
        String path = job.request.chat() ? "/chat/completions" : "/completions";
        node.begin();
        try {
            if (job.request.stream()) {
                RemoteClient.Events events;
                JsonNode first;
                try {
                    events = client.stream(node, path, body, job.deadlineNanos);
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
                succeeded(node, trace, job.start);
                try (events) {
                    stream(ex, job, node, upstreamModel, events, first);
                }
            } else {
                JsonNode answer;
                try {
                    answer = client.call(node, path, body, job.deadlineNanos);
                } catch (RemoteClient.UpstreamException e) {
                    failed(node, trace, e);
                    return false;
                }
                succeeded(node, trace, job.start);
                whole(ex, job, node, (ObjectNode) answer);
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
        ObjectNode body = clientBody; // the request's own tree, used for nothing else: only the model id changes per node
        body.put("model", node.models.get(model.name()));
        node.begin();
        try {
            RemoteClient.Body answer;
            Embedded parsed;
            try {
                answer = client.callRaw(node, "/embeddings", Json.bytes(body), deadlineNanos);
                parsed = Embedded.read(answer);
            } catch (RemoteClient.UpstreamException e) {
                failed(node, trace, e);
                return false;
            }
            succeeded(node, trace, start);
            long decision = provenance.decideGeneration(ex, "/v1/embeddings", model, node);
            int status = 500;
            try {
                metrics.recordEmbedding(model.name(), inputs, (int) parsed.promptTokens());
                ex.json(200, parsed.withModel(answer, model.name()));
                status = 200;
            } finally {
                ledger.finish(ex, decision, new LedgerRecorder.Ending(status, List.of(), parsed.promptTokens(), 0, start, System.nanoTime(), 0, null));
            }
            return true;
        } finally {
            node.end();
        }
    }

    /**
     * What the relay needs of a node's embeddings answer, read by tokens without building a tree or converting a
     * number (the vectors are thousands of floats): that it is one object with a {@code data} array, its
     * {@code usage.prompt_tokens}, and where its top-level {@code model} string lies, so the answer goes to the client
     * as the node's bytes with only that value replaced.
     */
    record Embedded(long promptTokens, int modelStart, int modelEnd) {
        static Embedded read(RemoteClient.Body body) throws RemoteClient.UpstreamException {
            long tokens = 0;
            int modelStart = -1, modelEnd = -1;
            boolean data = false;
            try (com.fasterxml.jackson.core.JsonParser p = Json.MAPPER.getFactory().createParser(body.bytes(), 0, body.length())) {
                if (p.nextToken() != com.fasterxml.jackson.core.JsonToken.START_OBJECT) {
                    throw malformed("is not a JSON object");
                }
                while (p.nextToken() == com.fasterxml.jackson.core.JsonToken.FIELD_NAME) {
                    String field = p.currentName();
                    com.fasterxml.jackson.core.JsonToken value = p.nextToken();
                    switch (field) {
                        case "data" -> {
                            data = value == com.fasterxml.jackson.core.JsonToken.START_ARRAY;
                            p.skipChildren();
                        }
                        case "model" -> {
                            if (value == com.fasterxml.jackson.core.JsonToken.VALUE_STRING) {
                                modelStart = (int) p.currentTokenLocation().getByteOffset();
                                p.getText(); // reads to the closing quote
                                modelEnd = (int) p.currentLocation().getByteOffset();
                            }
                        }
                        case "usage" -> {
                            if (value == com.fasterxml.jackson.core.JsonToken.START_OBJECT) {
                                JsonNode usage = p.readValueAsTree();
                                tokens = usage.path("prompt_tokens").asLong(0);
                            } else {
                                p.skipChildren();
                            }
                        }
                        default -> p.skipChildren();
                    }
                }
                if (p.currentToken() != com.fasterxml.jackson.core.JsonToken.END_OBJECT || p.nextToken() != null) {
                    throw malformed("is not one JSON object");
                }
            } catch (java.io.IOException e) {
                throw malformed("is not JSON");
            }
            if (!data) {
                throw malformed("has no data array");
            }
            return new Embedded(tokens, modelStart, modelEnd);
        }

        private static RemoteClient.UpstreamException malformed(String what) {
            return new RemoteClient.UpstreamException("malformed_response", "the node's embeddings response " + what);
        }

        /** The answer's bytes with its top-level {@code model} set to {@code name} (added first when the node sent none). */
        byte[] withModel(RemoteClient.Body body, String name) {
            byte[] value = Json.bytes(Json.MAPPER.getNodeFactory().textNode(name));
            java.io.ByteArrayOutputStream out = new java.io.ByteArrayOutputStream(body.length() + value.length + 16);
            if (modelStart >= 0) {
                out.write(body.bytes(), 0, modelStart);
                out.writeBytes(value);
                out.write(body.bytes(), modelEnd, body.length() - modelEnd);
            } else {
                int open = 0;
                while (body.bytes()[open] != '{') {
                    open++;
                }
                out.write(body.bytes(), 0, open + 1);
                out.writeBytes("\"model\":".getBytes(java.nio.charset.StandardCharsets.UTF_8));
                out.writeBytes(value);
                out.write(',');
                out.write(body.bytes(), open + 1, body.length() - open - 1);
            }
            return out.toByteArray();
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

    /** The client's JSON turned into the upstream request, in place: guarded texts, usage asked of the node. */
    private static ObjectNode upstreamBody(Job job) {
        ObjectNode body = job.clientBody;
        CompletionRequest r = job.request;
        if (job.rewritten) {
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

    private void stream(Exchange ex, Job job, Fleet.Node node, String upstreamModel, RemoteClient.Events events, JsonNode first)
            throws IOException {
        long decision = provenance.decideGeneration(ex, job.endpoint, job.model, node);
        Relayed relayed = new Relayed(job, upstreamModel);
        long firstToken = System.nanoTime();
        int status = 500;
        String broken = null;
        try {
            ex.startEvents();
            events.beforeWait(ex::flushEvents);
            JsonNode event = first;
            boolean sent = false;
            while (event != null) {
                String out = relayed.event((ObjectNode) event, events.raw());
                if (out != null) {
                    ex.event(out, sent); // the first at once (time to first byte); later ones before the relay next waits, or with [DONE]
                    sent = true;
                }
                try {
                    event = events.next();
                } catch (RemoteClient.UpstreamException e) {
                    node.circuit.failure(System.nanoTime());
                    Log.warn("request " + ex.requestId + ": node " + node.id + " failed mid-stream (" + e.result + ")");
                    ex.event(errorEvent("the node serving this request failed mid-stream (" + e.result + "); request id " + ex.requestId));
                    status = 200; // as the client received it; the outcome's finish reasons say the stream broke
                    broken = "upstream_error:" + e.result;
                    return;
                }
            }
            ex.event("[DONE]");
            status = 200;
        } catch (IOException | java.io.UncheckedIOException clientGone) {
            status = 499;
            metrics.disconnected(job.model.name());
            throw clientGone instanceof java.io.UncheckedIOException u ? u.getCause() : (IOException) clientGone;
        } finally {
            ex.endEvents();
            end(ex, job, decision, status, broken, relayed.finish, relayed.texts, relayed.usage, firstToken);
        }
    }

    /** A relayed stream's state: restorers and texts per choice, finish reasons, the node's usage. */
    private static final class Relayed {
        private final Job job;
        private final String upstreamModel;
        /** {@code "model":"<upstream id>"} as the node writes it compactly, for the in-place rename. */
        private final String upstreamField;
        private final String ourField;
        final Map<Integer, PiiGuard.Restorer> restorers = new HashMap<>();
        final Map<Integer, StringBuilder> texts = new HashMap<>();
        final Map<Integer, String> finish = new HashMap<>();
        final long[] usage = {0, 0};

        Relayed(Job job, String upstreamModel) {
            this.job = job;
            this.upstreamModel = upstreamModel;
            this.upstreamField = "\"model\":" + Json.MAPPER.getNodeFactory().textNode(upstreamModel);
            this.ourField = "\"model\":" + Json.MAPPER.getNodeFactory().textNode(job.model.name());
        }

        /** One upstream event ({@code raw} is its JSON text) rewritten for the client; null when there is nothing to send. */
        String event(ObjectNode event, String raw) {
            CompletionRequest r = job.request;
            boolean changed = false;
            JsonNode u = event.get("usage");
            if (u != null && u.isObject()) {
                usage[0] = u.path("prompt_tokens").asLong(usage[0]);
                usage[1] = u.path("completion_tokens").asLong(usage[1]);
            }
            String field = r.chat() ? "content" : "text";
            for (JsonNode c : event.withArray("choices")) {
                if (!c.isObject()) {
                    continue;
                }
                int index = c.path("index").asInt(0);
                ObjectNode holder = r.chat() ? (c.get("delta") instanceof ObjectNode d ? d : null) : (ObjectNode) c;
                String piece = holder != null && holder.path(field).isTextual() ? holder.get(field).asText() : null;
                if (piece != null) {
                    texts.computeIfAbsent(index, i -> new StringBuilder()).append(piece);
                }
                JsonNode reason = c.get("finish_reason");
                if (reason != null && reason.isTextual()) {
                    finish.put(index, reason.asText());
                }
                if (job.pseudonyms.isEmpty()) {
                    if (piece == null && !r.chat()) {
                        ((ObjectNode) c).put("text", "");
                        changed = true;
                    }
                    continue;
                }
                PiiGuard.Restorer restorer = restorers.computeIfAbsent(index, i -> job.pseudonyms.restorer());
                String restored = piece == null ? "" : restorer.accept(piece);
                if (reason != null && reason.isTextual()) {
                    restored += restorer.finish();
                }
                if (holder != null && (piece != null || !restored.isEmpty())) {
                    holder.put(field, restored);
                } else if (!r.chat()) {
                    ((ObjectNode) c).put("text", restored);
                }
                changed = true;
            }
            if (!r.includeUsage()) {
                if (event.withArray("choices").isEmpty()) {
                    return null;
                }
                if (event.has("usage")) {
                    event.remove("usage");
                    changed = true;
                }
            }
            if (!changed && raw != null && upstreamModel.equals(event.path("model").asText(null))) {
                int at = raw.indexOf(upstreamField);
                if (at >= 0 && raw.indexOf(upstreamField, at + 1) < 0) {
                    return upstreamField.equals(ourField) ? raw : raw.substring(0, at) + ourField + raw.substring(at + upstreamField.length());
                }
            }
            event.put("model", job.model.name());
            return event.toString();
        }
    }

    private void whole(Exchange ex, Job job, Fleet.Node node, ObjectNode answer) {
        CompletionRequest r = job.request;
        long decision = provenance.decideGeneration(ex, job.endpoint, job.model, node);
        Map<Integer, String> finish = new HashMap<>();
        Map<Integer, StringBuilder> texts = new HashMap<>();
        int status = 500;
        try {
            answer.put("model", job.model.name());
            for (JsonNode c : answer.withArray("choices")) {
                int index = c.path("index").asInt(0);
                ObjectNode holder = r.chat() ? (c.get("message") instanceof ObjectNode m ? m : null) : (ObjectNode) c;
                String field = r.chat() ? "content" : "text";
                if (holder != null && holder.path(field).isTextual()) {
                    String text = holder.get(field).asText();
                    texts.put(index, new StringBuilder(text));
                    if (!job.pseudonyms.isEmpty()) {
                        holder.put(field, job.pseudonyms.restore(text));
                    }
                }
                finish.put(index, c.path("finish_reason").asText("stop"));
            }
            JsonNode u = answer.path("usage");
            long[] usage = {u.path("prompt_tokens").asLong(0), u.path("completion_tokens").asLong(0)};
            answer.set("sovereign", Provenance.body(ex, job.model, node, decision));
            ex.json(200, answer);
            status = 200;
            end(ex, job, decision, status, null, finish, texts, usage, System.nanoTime());
        } finally {
            if (status != 200) {
                end(ex, job, decision, status, null, finish, texts, new long[] {0, 0}, 0);
            }
        }
    }

    /**
     * The outcome: per choice its finish reason ({@code broken}, the stream's break after its first byte, for a choice
     * that had not finished), its text for the keyed hash, the node's token counts.
     */
    private void end(Exchange ex, Job job, long decision, int status, String broken, Map<Integer, String> finish,
                     Map<Integer, StringBuilder> texts, long[] usage, long firstToken) {
        int n = Math.max(broken != null ? 1 : 0, Math.max(finish.size(), texts.size()));
        List<String> reasons = new ArrayList<>();
        List<String> generated = new ArrayList<>();
        for (int i = 0; i < n; i++) {
            String unfinished = broken != null ? broken : status == 200 ? "stop" : "error";
            reasons.add(finish.getOrDefault(i, unfinished));
            generated.add(texts.containsKey(i) ? texts.get(i).toString() : "");
        }
        long now = System.nanoTime();
        Fleet.Node node = ex.trace() == null ? null : ex.trace().served();
        if (node != null) {
            node.tokens(usage[1]);
        }
        metrics.recordGeneration(job.model.name(), (int) usage[0], (int) usage[1], (now - job.start) / 1e9,
                firstToken > 0 ? (firstToken - job.start) / 1e9 : Double.NaN);
        ledger.finish(ex, decision, new LedgerRecorder.Ending(status, reasons, usage[0], usage[1], job.start, now, firstToken,
                generated.isEmpty() ? null : generated));
    }

    private static String errorEvent(String message) {
        ObjectNode error = Json.object();
        error.putObject("error").put("message", message).put("type", "server_error").putNull("param").put("code", "upstream_error");
        return error.toString();
    }
}
