package ai.sovereign.server;

import ai.sovereign.engine.BatchScheduler;
import ai.sovereign.engine.ContextOverflowException;
import ai.sovereign.engine.GeneratedToken;
import ai.sovereign.engine.GenerationResult;
import ai.sovereign.engine.GenerationSettings;
import ai.sovereign.engine.JsonConstraint;
import ai.sovereign.engine.TokenConstraint;
import ai.sovereign.engine.TokenListener;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.io.IOException;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;

/**
 * The request pipeline for generations, top to bottom:
 * <pre>
 *   parse and validate (OpenAI semantics)        CompletionRequest.parse
 *   authenticate (key -> tenant, scopes)          ApiHandler, StoreTenants (store key, else config key) -> 401 / 403 insufficient_scope
 *   guard personal data (tenant's PII policy)     guard()   -> 400 pii_blocked, or redacted/pseudonymized texts
 *   route (policy + model + fleet -> candidates)  Router    -> 403 jurisdiction_policy / 503 no_capacity
 *   try candidates in order, each at most once:
 *     remote node:
 *       admit (estimate + max_tokens)             AdmissionStage -> 429 rate_limited / quota_exceeded, Retry-After
 *       relay                                     RemoteRelay (decision at its first event; failover before it)
 *     local engine:
 *       prompt (chat template, tokenizer, limits) tokens()
 *       admit (exact prompt + max_tokens x n)     AdmissionStage (fair-share queue of the model) -> 429 when full,
 *                                                 unless a later candidate is a remote node (then it tries that)
 *       record the decision (durable entry)       Provenance.decide -> x-sovereign-ledger-index
 *       generate (continuous batching), stream    submit(), Response (pseudonyms restored, also across chunks)
 *   every attempt failed                          502 upstream_error
 *   meter                                         metrics.recordGeneration()
 *   record the outcome (second ledger entry)      recordOutcome() -> LedgerRecorder.finish settles the reservation
 *                                                 (real tokens, node, time, energy); ApiHandler releases an unsettled one
 * </pre>
 * Admission comes after the guard and routing (a request refused by policy takes no quota) and before the decision
 * entry, so a 429 is a ledger refusal like any other refusal; one request holds one reservation across its failovers.
 * The decision entry is fsynced before the first response byte (guarantee 3): on the local engine before
 * generation starts, on a remote node once it has answered (so the entry lists the attempts that failed before);
 * the outcome is queued however the request ends (success, error, timeout, cancel, client gone).
 * Failover happens only before anything reached the client; a remote stream that breaks later ends with an
 * {@code upstream_error} event.
 * The guard runs before routing and prompt building, so no node ever sees what the policy removes;
 * the ledger's decision carries the PII types and counts it found, never values.
 * Every served generation is labelled as AI output with its provenance (Korea's AI Basic Act,
 * Art. 31): {@code x-ai-generated}, the model's weight hash, the node and its jurisdiction, in
 * headers and in a {@code sovereign} object that OpenAI clients ignore.
 */
final class InferencePipeline {
    private final ModelRegistry models;
    private final Limits limits;
    private final Metrics metrics;
    private final Embeddings embeddings;
    private final LedgerRecorder ledger;
    private final PiiStage pii;
    private final Router router;
    private final RemoteRelay relay;
    private final AdmissionStage admission;
    private final Provenance provenance;

    InferencePipeline(ModelRegistry models, Limits limits, Metrics metrics, Embeddings embeddings,
                      LedgerRecorder ledger, PiiStage pii, Router router, RemoteRelay relay, AdmissionStage admission) {
        this.admission = admission;
        this.pii = pii;
        this.router = router;
        this.relay = relay;
        this.models = models;
        this.limits = limits;
        this.metrics = metrics;
        this.embeddings = embeddings;
        this.ledger = ledger;
        this.provenance = new Provenance(ledger, metrics);
    }

    /** {@code POST /v1/embeddings} on the embedded model. */
    void embed(Exchange ex) throws IOException {
        JsonNode body = Json.parseBody(ex.body(limits.maxBodyBytes()));
        if (!body.isObject()) {
            throw ApiException.invalid(null, "the request body must be a JSON object");
        }
        JsonNode model = body.get("model");
        if (model == null || !model.isTextual()) {
            throw ApiException.invalid("model", "model is required and must be a string");
        }
        if (!model.asText().equals(Embeddings.MODEL_ID)) {
            ModelRegistry.Entry remote = models.find(model.asText());
            if (remote == null || !remote.kind().equals("embedding") || remote.engine() != null) {
                throw ApiException.modelNotFound("the embedding model '" + CompletionRequest.clip(model.asText()) + "' does not exist; use "
                        + Embeddings.MODEL_ID + " or a remote model registered with kind: embedding");
            }
            embedRemote(ex, (ObjectNode) body, remote);
            return;
        }
        List<String> inputs = embeddingInputs(body.get("input"));
        JsonNode dimensions = body.get("dimensions");
        if (dimensions != null && !dimensions.isNull() && (!dimensions.isInt() || dimensions.asInt() != Embeddings.DIMENSIONS)) {
            throw ApiException.invalid("dimensions", Embeddings.MODEL_ID + " has " + Embeddings.DIMENSIONS + " dimensions; dimensions cannot change that");
        }
        String format = body.path("encoding_format").asText("float");
        if (!format.equals("float") && !format.equals("base64")) {
            throw ApiException.invalid("encoding_format", "encoding_format must be float or base64");
        }
        inputs = pii.embeddings(ex, inputs);
        RouteTrace trace = router.route(ex, ex.tenant(), Embeddings.MODEL_ID); // the embedded model runs on the local node only
        Fleet.Node local = trace.node(Fleet.LOCAL);
        trace.attempt(local.id, "selected");
        trace.served(local);
        admission.admit(ex, Embeddings.MODEL_ID, AdmissionStage.estimate(inputs, inputs.size()));
        long decision = provenance.decide(ex, "/v1/embeddings", Embeddings.MODEL_ID, embeddings.sha256());
        long start = System.nanoTime();
        Embeddings.Result result;
        try {
            result = embeddings.embed(inputs);
        } catch (RuntimeException e) {
            ledger.finish(ex, decision, new LedgerRecorder.Ending(500, List.of("error"), 0, 0, start, System.nanoTime(), 0, null));
            throw e;
        }
        ledger.finish(ex, decision, new LedgerRecorder.Ending(200, List.of(), result.tokens(), 0, start, System.nanoTime(), 0, null));
        ObjectNode response = Json.object().put("object", "list");
        ArrayNode data = response.putArray("data");
        for (int i = 0; i < result.vectors().size(); i++) {
            ObjectNode item = data.addObject().put("object", "embedding").put("index", i);
            float[] v = result.vectors().get(i);
            if (format.equals("base64")) {
                java.nio.ByteBuffer bytes = java.nio.ByteBuffer.allocate(v.length * 4).order(java.nio.ByteOrder.LITTLE_ENDIAN);
                for (float f : v) {
                    bytes.putFloat(f);
                }
                item.put("embedding", java.util.Base64.getEncoder().encodeToString(bytes.array()));
            } else {
                ArrayNode values = item.putArray("embedding");
                for (float f : v) {
                    values.add(f);
                }
            }
        }
        response.put("model", Embeddings.MODEL_ID);
        response.putObject("usage").put("prompt_tokens", result.tokens()).put("total_tokens", result.tokens());
        metrics.recordEmbedding(Embeddings.MODEL_ID, inputs.size(), result.tokens());
        ex.json(200, response);
    }

    /** An embedding model served by remote nodes: guard, route, try candidates (each once), relay the node's answer. */
    private void embedRemote(Exchange ex, ObjectNode body, ModelRegistry.Entry model) throws IOException {
        List<String> inputs = embeddingInputs(body.get("input"));
        List<String> guarded = pii.embeddings(ex, inputs);
        ObjectNode upstream = body; // the request's tree serves as the upstream body (the ledger hashes the bytes read)
        if (!guarded.equals(inputs)) {
            if (body.get("input").isTextual()) {
                upstream.put("input", guarded.getFirst());
            } else {
                ArrayNode array = upstream.putArray("input");
                guarded.forEach(array::add);
            }
        }
        RouteTrace trace = router.route(ex, ex.tenant(), model.name());
        admission.admitRemote(ex, model.name(), AdmissionStage.estimate(inputs, inputs.size()));
        long start = System.nanoTime();
        long deadline = start + TimeUnit.SECONDS.toNanos(limits.requestTimeoutSeconds());
        for (String id : trace.candidates) {
            if (System.nanoTime() >= deadline) {
                trace.attempt(id, "not_tried:total_timeout");
                continue;
            }
            if (relay.embed(ex, model, upstream, inputs.size(), trace.node(id), trace, start, deadline)) {
                return;
            }
        }
        throw new ApiException(502, "server_error", "upstream_error", null, "every node allowed to serve model " + model.name() + " failed ("
                + trace.attempts().size() + " attempts); sovereign.attempts lists them; request id " + ex.requestId, null, trace.json());
    }

    private static List<String> embeddingInputs(JsonNode input) {
        if (input == null || input.isNull()) {
            throw ApiException.invalid("input", "input is required");
        }
        List<String> out = new ArrayList<>();
        if (input.isTextual()) {
            out.add(input.asText());
        } else if (input.isArray()) {
            if (input.isEmpty()) {
                throw ApiException.invalid("input", "input must not be empty");
            }
            if (input.size() > Embeddings.MAX_INPUTS) {
                throw ApiException.invalid("input", input.size() + " inputs exceed the limit of " + Embeddings.MAX_INPUTS);
            }
            for (JsonNode item : input) {
                if (!item.isTextual()) {
                    throw ApiException.invalid("input", "input must be a string or an array of strings (token arrays are not supported by "
                            + Embeddings.MODEL_ID + ")");
                }
                out.add(item.asText());
            }
        } else {
            throw ApiException.invalid("input", "input must be a string or an array of strings");
        }
        for (String s : out) {
            if (s.isEmpty()) {
                throw ApiException.invalid("input", "input strings must not be empty");
            }
        }
        return out;
    }

    void handle(Exchange ex, boolean chat) throws IOException {
        JsonNode raw = Json.parseBody(ex.body(limits.maxBodyBytes()));
        CompletionRequest parsed = CompletionRequest.parse(raw, chat, limits);
        PiiStage.Passed guarded = guard(ex, parsed);
        CompletionRequest request = guarded.request();
        ModelRegistry.Entry model = find(request.model());
        RouteTrace trace = router.route(ex, ex.tenant(), model.name());
        String endpoint = chat ? "/v1/chat/completions" : "/v1/completions";
        long start = System.nanoTime();
        long deadline = start + TimeUnit.SECONDS.toNanos(limits.requestTimeoutSeconds());
        long remoteReservation = -1;
        if (request.maxTokens() == null) { // bounded upstream as reserved
            ((ObjectNode) raw).put("max_tokens", limits.defaultMaxTokens());
        }
        RemoteRelay.Job job = new RemoteRelay.Job(request, (ObjectNode) raw, request != parsed, guarded.pseudonyms(), model, endpoint,
                start, deadline);
        ApiException localQueueFull = null;
        boolean remoteTried = false;
        for (String id : trace.candidates) {
            Fleet.Node node = trace.node(id);
            if (System.nanoTime() >= deadline) {
                trace.attempt(id, "not_tried:total_timeout");
                continue;
            }
            if (node.local()) {
                node.begin();
                try {
                    localQueueFull = serveLocal(ex, request, guarded, model, endpoint, node, trace);
                } finally {
                    node.end();
                }
                if (localQueueFull == null) {
                    return;
                }
                trace.attempt(id, "queue_full"); // a compliant remote node serving the model may take it
                continue;
            }
            if (remoteReservation < 0) { // once, before the first attempt turns raw into the upstream body; later attempts keep it
                remoteReservation = remoteEstimate(raw, request);
            }
            admission.admitRemote(ex, model.name(), remoteReservation);
            remoteTried = true;
            if (relay.attempt(ex, job, node, trace)) {
                return;
            }
        }
        if (localQueueFull != null && !remoteTried) {
            metrics.rejected(model.name());
            throw localQueueFull;
        }
        throw new ApiException(502, "server_error", "upstream_error", null, "every node allowed to serve model " + model.name() + " failed ("
                + trace.attempts().size() + " attempts); sovereign.attempts lists them; request id " + ex.requestId, null, trace.json());
    }

    /**
     * The in-process engine: prompt, admission, decision, generation, response. Returns the 429 of the model's full
     * fair-share queue instead of throwing it (nothing recorded yet, so the request may go to a remote node), else null.
     */
    private ApiException serveLocal(Exchange ex, CompletionRequest request, PiiStage.Passed guarded, ModelRegistry.Entry model, String endpoint,
                                    Fleet.Node node, RouteTrace trace) throws IOException {
        int[] prompt = tokens(model, request);
        int maxTokens = maxTokens(model, request, prompt.length);
        TokenConstraint.Factory constraint = constraint(request);
        ApiException queueFull = admission.admitLocalOrQueueFull(ex, model.name(), prompt.length + (long) maxTokens * request.n());
        if (queueFull != null) {
            return queueFull;
        }
        trace.attempt(node.id, "selected");
        trace.served(node);
        long decision = provenance.decideGeneration(ex, endpoint, model, node);
        long start = System.nanoTime();
        List<Choice> choices = new ArrayList<>();
        LinkedBlockingQueue<Event> events = new LinkedBlockingQueue<>();
        int status = 500;
        try {
            submit(model, request, prompt, maxTokens, constraint, choices, events, start);
            ex.request.addFailureListener(failure -> choices.forEach(c -> c.ticket.cancel()));
            Response response = new Response(ex, request, model, node, choices, prompt.length, decision, guarded.pseudonyms());
            if (request.stream()) {
                response.stream(events, limits.requestTimeoutSeconds());
            } else {
                response.whole(events, limits.requestTimeoutSeconds());
            }
            status = 200;
        } catch (ApiException e) {
            status = e.status;
            throw e;
        } catch (IOException e) {
            status = 499; // the client went away
            throw e;
        } finally {
            choices.forEach(c -> c.ticket.cancel());
            node.tokens(choices.stream().mapToInt(c -> c.tokens).sum());
            metrics.recordGeneration(model.name(), prompt.length * request.n(), choices.stream().mapToInt(c -> c.tokens).sum(),
                    (System.nanoTime() - start) / 1e9, !choices.isEmpty() && choices.getFirst().firstTokenNanos > 0
                            ? (choices.getFirst().firstTokenNanos - start) / 1e9 : Double.NaN);
            recordOutcome(ex, decision, status, choices, prompt.length, start);
        }
        return null;
    }

    /** A remote node's reservation: the client's texts as an upper estimate of the prompt, plus max_tokens (or the default) per choice. */
    private long remoteEstimate(JsonNode raw, CompletionRequest request) {
        List<String> texts = new ArrayList<>();
        for (String field : new String[] {"messages", "prompt", "tools"}) {
            if (raw.has(field)) {
                texts.add(raw.get(field).toString());
            }
        }
        long maxTokens = request.maxTokens() != null ? request.maxTokens() : limits.defaultMaxTokens();
        return AdmissionStage.estimate(texts, request.chat() ? request.messages().size() : 1) + maxTokens * request.n();
    }

    /**
     * The tenant's personal-data policy on the request's texts: refuses it (400 pii_blocked, types and positions only)
     * or returns it with redacted/pseudonymized texts and the pseudonyms to restore in the answer.
     */
    private PiiStage.Passed guard(Exchange ex, CompletionRequest request) {
        return pii.completion(ex, request);
    }

    /** Starts the request's n generations; refuses with 429 (cancelling what started) when the model's queue is full. */
    private void submit(ModelRegistry.Entry model, CompletionRequest request, int[] prompt, int maxTokens, TokenConstraint.Factory constraint,
                        List<Choice> choices, LinkedBlockingQueue<Event> events, long start) {
        try {
            for (int i = 0; i < request.n(); i++) {
                Choice choice = new Choice(i);
                GenerationSettings settings = new GenerationSettings(maxTokens, request.sampling().withSeed(request.sampling().seed() + i),
                        request.stop(), true, request.logprobs(), request.topLogprobs(), null, constraint);
                choice.ticket = model.engine().submit(prompt, settings, choice.listener(events, start));
                choice.ticket.result().whenComplete((r, t) -> events.add(new Event(choice.index, null, r, t)));
                choices.add(choice);
            }
        } catch (BatchScheduler.QueueFullException e) {
            choices.forEach(c -> c.ticket.cancel());
            metrics.rejected(model.name());
            throw ApiException.overloaded("model " + model.name() + " is at capacity (" + e.queued() + " requests waiting); retry after 1 s", 1);
        }
    }

    /**
     * The outcome entry, queued once the generations have ended: each choice's finish reason and
     * generated text (for the keyed hash) come from its result, awaited briefly after the cancel
     * above (a cancelled generation ends before its next token).
     */
    private void recordOutcome(Exchange ex, long decision, int status, List<Choice> choices, int promptTokens, long start) {
        List<String> reasons = new ArrayList<>();
        List<String> texts = new ArrayList<>();
        long firstToken = 0;
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(2);
        for (Choice c : choices) {
            GenerationResult r = null;
            String reason;
            try {
                r = c.ticket.result().get(Math.max(0, deadline - System.nanoTime()), TimeUnit.NANOSECONDS);
                reason = switch (r.finishReason()) {
                    case STOP -> "stop";
                    case LENGTH -> "length";
                    case CANCELLED -> "cancelled";
                };
            } catch (java.util.concurrent.ExecutionException e) {
                reason = "error";
            } catch (java.util.concurrent.TimeoutException e) {
                reason = "incomplete";
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                reason = "incomplete";
            }
            reasons.add(reason);
            texts.add(r == null ? "" : r.text());
            if (c.firstTokenNanos > 0 && (firstToken == 0 || c.firstTokenNanos < firstToken)) {
                firstToken = c.firstTokenNanos;
            }
        }
        long completion = choices.stream().mapToLong(c -> c.tokens).sum();
        ledger.finish(ex, decision, new LedgerRecorder.Ending(status, reasons, promptTokens, completion, start, System.nanoTime(),
                firstToken, choices.isEmpty() ? null : texts));
    }

    /** The registered chat model a request names (404 when none; 503 when it cannot be served at all). */
    private ModelRegistry.Entry find(String name) {
        ModelRegistry.Entry model = models.find(name);
        if (model == null) {
            if (!models.hasAvailableChatModel()) {
                throw ApiException.modelNotFound("the model '" + CompletionRequest.clip(name) + "' does not exist: no chat model is configured; "
                        + "start with --model NAME=PATH.gguf or add one under models: in sovereign.yaml");
            }
            throw ApiException.modelNotFound("the model '" + CompletionRequest.clip(name) + "' does not exist; GET /v1/models lists the models");
        }
        if (!model.available()) {
            throw ApiException.unavailable("model_unavailable", "model " + model.name() + " is unavailable: " + model.unavailableReason());
        }
        if (!model.kind().equals("chat")) {
            throw ApiException.invalid("model", "model " + model.name() + " is an embedding model");
        }
        return model;
    }

    private int[] tokens(ModelRegistry.Entry model, CompletionRequest request) {
        var tokenizer = model.model().tokenizer();
        int[] prompt = request.chat()
                ? model.formatter().encode(tokenizer, model.formatter().render(request.messages(), request.promptTools(), true))
                : tokenizer.encode(request.prompt(), true, false);
        if (prompt.length == 0) {
            throw ApiException.invalid(request.chat() ? "messages" : "prompt", "the prompt has no tokens");
        }
        int context = model.model().contextLength();
        if (prompt.length >= context) {
            throw ApiException.invalid(request.chat() ? "messages" : "prompt", "context_length_exceeded",
                    "the prompt has " + prompt.length + " tokens; this model's context is " + context + " tokens");
        }
        return prompt;
    }

    private int maxTokens(ModelRegistry.Entry model, CompletionRequest request, int promptTokens) {
        int room = model.model().contextLength() - promptTokens;
        if (request.maxTokens() == null) {
            return Math.min(limits.defaultMaxTokens(), room);
        }
        if (request.maxTokens() > room) {
            throw ApiException.invalid("max_tokens", "context_length_exceeded", "the prompt has " + promptTokens + " tokens and max_tokens is "
                    + request.maxTokens() + ", together more than this model's context of " + model.model().contextLength() + " tokens");
        }
        return request.maxTokens();
    }

    /**
     * Grammar constraints: a forced tool call (tool_choice required or a named function) must be one
     * JSON call of an offered tool, {"name": ..., "arguments": {...}} with the tool's parameter
     * schema; json_object and json_schema outputs must be JSON (matching the schema).
     */
    private static TokenConstraint.Factory constraint(CompletionRequest request) {
        if (request.chat() && request.toolChoice().forced()) {
            return toolCallConstraint(request);
        }
        return switch (request.responseFormat()) {
            case "json_object" -> JsonConstraint.anyObject();
            case "json_schema" -> {
                try {
                    yield JsonConstraint.schema(request.jsonSchema());
                } catch (IllegalArgumentException e) {
                    throw ApiException.invalid("response_format.json_schema.schema", e.getMessage());
                }
            }
            default -> null;
        };
    }

    private static TokenConstraint.Factory toolCallConstraint(CompletionRequest request) {
        ArrayNode alternatives = Json.MAPPER.createArrayNode();
        for (Tool tool : request.promptTools()) {
            JsonNode parameters = tool.definition().path("function").path("parameters");
            ObjectNode call = alternatives.addObject().put("type", "object").put("additionalProperties", false);
            ObjectNode properties = call.putObject("properties");
            properties.putObject("name").put("const", tool.name());
            properties.set("arguments", parameters.isObject() ? parameters : Json.object().put("type", "object"));
            call.putArray("required").add("name").add("arguments");
        }
        ObjectNode schema = Json.object();
        schema.set("anyOf", alternatives);
        try {
            return JsonConstraint.schema(schema.toString());
        } catch (IllegalArgumentException e) {
            throw ApiException.invalid("tools", "a forced tool call needs tool parameter schemas this server can enforce: " + e.getMessage());
        }
    }

    /** A choice's token, or its end (result or failure), for the HTTP thread. */
    record Event(int choice, GeneratedToken token, GenerationResult result, Throwable failure) {}

    /** One of the n generations of a request. */
    static final class Choice {
        final int index;
        BatchScheduler.Ticket ticket;
        final List<GeneratedToken> logprobs = new ArrayList<>();
        volatile int tokens;
        volatile long firstTokenNanos;

        Choice(int index) {
            this.index = index;
        }

        TokenListener listener(LinkedBlockingQueue<Event> events, long start) {
            return token -> {
                if (token.id() >= 0) {
                    tokens++;
                    if (firstTokenNanos == 0) {
                        firstTokenNanos = System.nanoTime();
                    }
                }
                events.add(new Event(index, token, null, null));
                return true;
            };
        }
    }

    /** Writes the OpenAI response shapes: one JSON body, or SSE chunks ending in [DONE]. */
    private final class Response {
        private final Exchange ex;
        private final CompletionRequest request;
        private final ModelRegistry.Entry model;
        private final Fleet.Node node;
        private final List<Choice> choices;
        private final int promptTokens;
        private final String id;
        private final long ledgerIndex;
        private final ai.sovereign.policy.PiiGuard.Pseudonyms pseudonyms;
        private final long created = System.currentTimeMillis() / 1000;

        Response(Exchange ex, CompletionRequest request, ModelRegistry.Entry model, Fleet.Node node, List<Choice> choices, int promptTokens,
                 long ledgerIndex, ai.sovereign.policy.PiiGuard.Pseudonyms pseudonyms) {
            this.ex = ex;
            this.node = node;
            this.pseudonyms = pseudonyms;
            this.ledgerIndex = ledgerIndex;
            this.request = request;
            this.model = model;
            this.choices = choices;
            this.promptTokens = promptTokens;
            this.id = (request.chat() ? "chatcmpl-" : "cmpl-") + ex.requestId;
        }

        void whole(LinkedBlockingQueue<Event> events, int timeoutSeconds) throws IOException {
            GenerationResult[] results = new GenerationResult[choices.size()];
            StringBuilder[] texts = new StringBuilder[choices.size()];
            for (int i = 0; i < texts.length; i++) {
                texts[i] = new StringBuilder();
            }
            int open = choices.size();
            long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(timeoutSeconds);
            while (open > 0) {
                Event e = poll(events, deadline, timeoutSeconds);
                if (e.failure() != null) {
                    throw failure(e.failure());
                }
                if (e.result() != null) {
                    results[e.choice()] = e.result();
                    open--;
                } else if (e.token() != null && e.token().id() >= 0 && request.logprobs()) {
                    choices.get(e.choice()).logprobs.add(e.token());
                }
            }
            ObjectNode body = envelope(request.chat() ? "chat.completion" : "text_completion");
            ArrayNode array = body.putArray("choices");
            int completion = 0;
            for (int i = 0; i < results.length; i++) {
                ObjectNode c = array.addObject();
                c.put("index", i);
                ToolCallParser.Result parsed = null;
                String text = pseudonyms.restore(results[i].text());
                if (request.chat()) {
                    parsed = request.toolsActive() ? toolCalls(text) : new ToolCallParser.Result(text, List.of());
                    c.set("message", ChatResponses.message(parsed));
                } else {
                    c.put("text", text);
                }
                c.set("logprobs", request.logprobs() ? logprobs(choices.get(i).logprobs) : null);
                c.put("finish_reason", ChatResponses.finishReason(finishReason(results[i]), parsed));
                completion += results[i].completionTokens();
            }
            body.set("usage", usage(completion));
            body.set("sovereign", Provenance.body(ex, model, node, ledgerIndex));
            workDone();
            ex.json(200, body);
        }

        /** The engine is done with this request: free its fair-share slot before the answer's last byte. */
        private void workDone() {
            if (ex.ticket() != null) {
                ex.ticket().workDone();
            }
        }

        void stream(LinkedBlockingQueue<Event> events, int timeoutSeconds) throws IOException {
            ex.startEvents();
            try {
                if (request.chat()) {
                    for (Choice c : choices) {
                        ObjectNode delta = Json.object().put("role", "assistant").put("content", "");
                        ex.event(chunk(c.index, delta, null, null).toString());
                    }
                }
                int open = choices.size();
                int completion = 0;
                List<ToolCallParser.Stream> toolStreams = new ArrayList<>();
                List<ai.sovereign.policy.PiiGuard.Restorer> restorers = new ArrayList<>();
                List<PiiLogprobs> logprobStreams = new ArrayList<>();
                for (int i = 0; i < choices.size(); i++) {
                    toolStreams.add(request.toolsActive() ? parser().new Stream() : null);
                    restorers.add(pseudonyms.restorer());
                    logprobStreams.add(logprobStream());
                }
                long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(timeoutSeconds);
                while (open > 0) {
                    Event e;
                    try {
                        e = poll(events, deadline, timeoutSeconds);
                    } catch (ApiException timeout) {
                        ex.event(errorEvent(timeout.getMessage(), "timeout"));
                        break;
                    }
                    if (e.failure() != null) {
                        Log.error("request " + ex.requestId + " failed during generation: " + e.failure().getClass().getSimpleName());
                        ex.event(errorEvent("generation failed; request id " + ex.requestId, "internal_error"));
                        break;
                    }
                    ToolCallParser.Stream tools = toolStreams.get(e.choice());
                    if (e.result() != null) {
                        open--;
                        completion += e.result().completionTokens();
                        ToolCallParser.Result parsed = null;
                        String held = restorers.get(e.choice()).finish(); // what restoring held back at the end
                        if (tools != null) {
                            held = tools.accept(held);
                        }
                        ObjectNode heldLogprobs = null;
                        if (request.logprobs()) { // entries held while a pseudonym might have been forming
                            heldLogprobs = Json.object();
                            logprobStreams.get(e.choice()).finish(heldLogprobs.putArray("content"));
                        }
                        if (!held.isEmpty() || (heldLogprobs != null && !heldLogprobs.get("content").isEmpty())) {
                            ex.event(chunk(e.choice(), request.chat() ? Json.object().put("content", held) : null, null, heldLogprobs, held).toString());
                        }
                        if (tools != null) {
                            parsed = tools.finish();
                            if (!parsed.content().isEmpty()) {
                                ex.event(chunk(e.choice(), Json.object().put("content", parsed.content()), null, null).toString());
                            }
                            if (parsed.hasCalls()) {
                                ex.event(chunk(e.choice(), ChatResponses.toolCallsDelta(parsed.calls()), null, null).toString());
                            } else {
                                missingRequiredCall();
                            }
                        }
                        ex.event(chunk(e.choice(), request.chat() ? Json.object() : null,
                                ChatResponses.finishReason(finishReason(e.result()), parsed), null).toString());
                    } else if (e.token() != null && (!e.token().text().isEmpty() || request.logprobs())) {
                        String restored = restorers.get(e.choice()).accept(e.token().text());
                        String text = tools != null ? tools.accept(restored) : restored;
                        ObjectNode lp = null;
                        if (request.logprobs() && e.token().id() >= 0) {
                            lp = Json.object();
                            logprobStreams.get(e.choice()).accept(e.token(), lp.putArray("content"));
                        }
                        if (text.isEmpty() && (lp == null || lp.get("content").isEmpty())) {
                            continue;
                        }
                        ObjectNode delta = request.chat() ? Json.object().put("content", text) : null;
                        ex.event(chunk(e.choice(), delta, null, lp, text).toString());
                    }
                }
                if (request.includeUsage()) {
                    ObjectNode usageChunk = envelope(request.chat() ? "chat.completion.chunk" : "text_completion");
                    usageChunk.putArray("choices");
                    usageChunk.set("usage", usage(completion));
                    ex.event(usageChunk.toString());
                }
                workDone();
                ex.event("[DONE]");
            } catch (IOException clientGone) {
                choices.forEach(c -> c.ticket.cancel());
                metrics.disconnected(model.name());
                throw clientGone;
            } finally {
                ex.endEvents();
            }
        }

        private ToolCallParser parser() {
            return new ToolCallParser(request.callableTools(), model.formatter().toolFormat());
        }

        /** The output split into content and tool calls. */
        private ToolCallParser.Result toolCalls(String text) {
            ToolCallParser.Result parsed = parser().parse(text);
            if (!parsed.hasCalls()) {
                missingRequiredCall();
            }
            return parsed;
        }

        /**
         * tool_choice required or a named function, and no call came (the grammar constraint makes
         * this happen only when max_tokens cut the call short): the text is returned as content and logged.
         */
        private void missingRequiredCall() {
            if (request.toolChoice().forced()) {
                Log.warn("request " + ex.requestId + ": tool_choice asked for a tool call and model " + model.name() + " produced none");
            }
        }

        private Event poll(LinkedBlockingQueue<Event> events, long deadline, int timeoutSeconds) throws IOException {
            try {
                Event e = events.poll(Math.max(0, deadline - System.nanoTime()), TimeUnit.NANOSECONDS);
                if (e == null) {
                    choices.forEach(c -> c.ticket.cancel());
                    throw ApiException.timeout(timeoutSeconds);
                }
                return e;
            } catch (InterruptedException interrupted) {
                Thread.currentThread().interrupt();
                choices.forEach(c -> c.ticket.cancel());
                throw new IOException("interrupted while generating", interrupted);
            }
        }

        private RuntimeException failure(Throwable t) {
            if (t instanceof ContextOverflowException c) {
                return ApiException.invalid("max_tokens", "context_length_exceeded", c.getMessage());
            }
            return t instanceof RuntimeException r ? r : new IllegalStateException(t);
        }

        private ObjectNode chunk(int index, ObjectNode delta, String finish, JsonNode logprobs) {
            return chunk(index, delta, finish, logprobs, "");
        }

        private ObjectNode chunk(int index, ObjectNode delta, String finish, JsonNode logprobs, String text) {
            ObjectNode chunk = envelope(request.chat() ? "chat.completion.chunk" : "text_completion");
            ObjectNode c = chunk.putArray("choices").addObject();
            c.put("index", index);
            if (request.chat()) {
                c.set("delta", delta);
            } else {
                c.put("text", text);
            }
            c.set("logprobs", logprobs);
            c.put("finish_reason", finish);
            if (request.includeUsage()) {
                chunk.putNull("usage");
            }
            return chunk;
        }

        private ObjectNode envelope(String object) {
            ObjectNode o = Json.object();
            o.put("id", id);
            o.put("object", object);
            o.put("created", created);
            o.put("model", model.name());
            o.put("system_fingerprint", "sovereign-" + model.sha256().substring(0, 12));
            return o;
        }

        private ObjectNode usage(int completionTokens) {
            int prompt = promptTokens;
            return Json.object().put("prompt_tokens", prompt).put("completion_tokens", completionTokens)
                    .put("total_tokens", prompt + completionTokens);
        }

        /** A whole answer's logprobs, with pseudonyms restored in them as in its text ({@link PiiLogprobs}). */
        private JsonNode logprobs(List<GeneratedToken> tokens) {
            return PiiLogprobs.whole(pseudonyms, model.model().tokenizer()::tokenBytes, tokens);
        }

        private PiiLogprobs logprobStream() {
            return new PiiLogprobs(pseudonyms, model.model().tokenizer()::tokenBytes);
        }

        private String errorEvent(String message, String code) {
            ObjectNode error = Json.object();
            error.putObject("error").put("message", message).put("type", "server_error").putNull("param").put("code", code);
            return error.toString();
        }

        private static String finishReason(GenerationResult r) {
            return switch (r.finishReason()) {
                case STOP -> "stop";
                case LENGTH -> "length";
                case CANCELLED -> "stop";
            };
        }
    }
}
