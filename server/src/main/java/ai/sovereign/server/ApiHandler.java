package ai.sovereign.server;

import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import ai.sovereign.server.tenancy.ApiKey;
import java.io.IOException;
import java.util.UUID;
import org.eclipse.jetty.server.Handler;
import org.eclipse.jetty.server.Request;
import org.eclipse.jetty.server.Response;
import org.eclipse.jetty.util.Callback;

/**
 * Routes HTTP requests. Every response carries {@code x-request-id}; every refusal is an OpenAI
 * error object; an unexpected fault is a 500 naming the request id and nothing of the request.
 * An inference request refused before the pipeline recorded its decision is put on the ledger as
 * a refusal (status and error code, no content); see {@link LedgerRecorder}.
 */
final class ApiHandler extends Handler.Abstract.NonBlocking {
    private final ModelRegistry models;
    private final InferencePipeline pipeline;
    private final Metrics metrics;
    private final LedgerRecorder recorder;
    private final LedgerApi ledgerApi;
    private final TenantLedger tenantLedger;
    private volatile StoreTenants tenants;
    private final ai.sovereign.server.tenancy.TenancyApi tenancyApi;
    private final AdmissionStage admission;
    private final java.util.function.Supplier<Fleet> fleet;
    private volatile java.util.function.Supplier<com.fasterxml.jackson.databind.JsonNode> reload = () -> {
        throw ApiException.notFound("no route for POST /admin/reload");
    };
    private final long startedNanos = System.nanoTime();
    private volatile boolean ready;
    private final java.util.concurrent.atomic.AtomicInteger inFlight = new java.util.concurrent.atomic.AtomicInteger();

    ApiHandler(ModelRegistry models, InferencePipeline pipeline, Metrics metrics, LedgerRecorder recorder, StoreTenants tenants,
               ai.sovereign.server.tenancy.TenancyApi tenancyApi, AdmissionStage admission, java.util.function.Supplier<Fleet> fleet) {
        this.tenants = tenants;
        this.tenancyApi = tenancyApi;
        this.admission = admission;
        this.fleet = fleet;
        this.models = models;
        this.pipeline = pipeline;
        this.metrics = metrics;
        this.recorder = recorder;
        this.ledgerApi = new LedgerApi(recorder.ledger());
        this.tenantLedger = new TenantLedger(recorder.ledger());
    }

    /** Reads the log into the tenants' view of it now, so the first {@code /v1/ledger/entries} call need not. */
    void indexLedger() {
        try {
            tenantLedger.catchUp();
        } catch (RuntimeException e) {
            Log.warn("ledger: cannot index the log's entries by tenant now (" + e.getMessage() + "); the first query will");
        }
    }

    void tenants(StoreTenants value) {
        tenants = value;
    }

    void onReload(java.util.function.Supplier<com.fasterxml.jackson.databind.JsonNode> action) {
        reload = action;
    }

    void ready(boolean value) {
        ready = value;
    }

    int inFlight() {
        return inFlight.get();
    }

    /** Hands the request to a virtual thread at once; the callback completes the exchange there. */
    @Override
    public boolean handle(Request request, Response response, Callback callback) {
        inFlight.incrementAndGet();
        Thread.ofVirtual().name("sovereign-request").start(() -> process(request, response, callback));
        return true;
    }

    private void process(Request request, Response response, Callback callback) {
        Exchange ex = new Exchange(request, response, callback, UUID.randomUUID().toString().replace("-", ""));
        String route = "other";
        int status = 500;
        try {
            String path = ex.path();
            String method = ex.method();
            route = path;
            Tenants.Caller caller = null;
            if (path.startsWith("/v1/") || path.startsWith("/admin/")) {
                caller = tenants.authenticate(ex.header("Authorization"));
                ex.tenant(caller.tenant());
            }
            switch (path) {
                case "/v1/chat/completions", "/v1/completions" -> {
                    requireMethod(ex, "POST");
                    caller.require(ApiKey.Scope.INFERENCE, path);
                    pipeline.handle(ex, path.equals("/v1/chat/completions"));
                }
                case "/v1/embeddings" -> {
                    requireMethod(ex, "POST");
                    caller.require(ApiKey.Scope.INFERENCE, path);
                    pipeline.embed(ex);
                }
                case "/v1/models" -> {
                    requireMethod(ex, "GET");
                    ex.json(200, modelList());
                }
                case "/health/live" -> {
                    requireMethod(ex, "GET");
                    ex.json(200, Json.object().put("status", "live"));
                }
                case "/health/ready" -> {
                    requireMethod(ex, "GET");
                    ex.json(ready ? 200 : 503, Json.object().put("status", ready ? "ready" : "starting"));
                }
                case "/admin/fleet" -> {
                    requireMethod(ex, "GET");
                    caller.require(ApiKey.Scope.ADMIN, path);
                    ex.json(200, fleet.get().report(System.nanoTime() - startedNanos));
                }
                case "/admin/reload" -> {
                    requireMethod(ex, "POST");
                    caller.require(ApiKey.Scope.ADMIN, path);
                    ex.json(200, reload.get());
                }
                case "/v1/ledger/entries" -> {
                    requireMethod(ex, "GET");
                    ledgerEntries(ex, caller);
                }
                case "/metrics" -> {
                    requireMethod(ex, "GET");
                    ex.text(200, Metrics.contentType(), metrics.scrape());
                }
                default -> {
                    route = path.startsWith("/v1/models/") ? "/v1/models/{id}" : "other";
                    if (path.startsWith(LedgerApi.PREFIX)) {
                        route = LedgerApi.route(path);
                        requireMethod(ex, "GET");
                        ledgerApi.serve(ex, path);
                    } else if (ai.sovereign.server.tenancy.TenancyApi.serves(path)) {
                        route = path.startsWith("/admin/") ? "/admin/tenancy" : path;
                        tenancy(ex, caller);
                    } else if (path.startsWith("/v1/models/") && method.equals("GET")) {
                        ex.json(200, model(path.substring("/v1/models/".length())));
                    } else {
                        throw ApiException.notFound("no route for " + method + " " + CompletionRequest.clip(path));
                    }
                }
            }
            status = response.getStatus();
        } catch (ApiException e) {
            status = e.status;
            recordRefusal(ex, route, status, e.code);
            respond(ex, e);
        } catch (IOException e) {
            status = 499; // the client went away; nothing to answer
            if (!response.isCommitted()) {
                callback.failed(e);
            }
        } catch (RuntimeException e) {
            Log.error("request " + ex.requestId + " on " + route + " failed: " + e.getClass().getName()
                    + (System.getenv("SOVEREIGN_DEBUG") != null ? ": " + e.getMessage() : ""));
            status = 500;
            recordRefusal(ex, route, status, "internal_error");
            respond(ex, new ApiException(500, "server_error", "internal_error", null,
                    "internal error; request id " + ex.requestId, null));
        } finally {
            admission.release(ex);
            inFlight.decrementAndGet();
            metrics.request(route, status);
        }
    }

    /** An inference request that ended before its decision entry: recorded as a refusal (no-op once decided). */
    private void recordRefusal(Exchange ex, String route, int status, String code) {
        if (INFERENCE_ROUTES.contains(route) && ex.method().equals("POST")) {
            recorder.refused(ex, route, status, code);
        }
    }

    private static final java.util.Set<String> INFERENCE_ROUTES = java.util.Set.of("/v1/chat/completions", "/v1/completions", "/v1/embeddings");

    private static void respond(Exchange ex, ApiException e) {
        if (ex.response.isCommitted()) {
            if (ex.streaming()) {
                ex.endEvents();
            } else {
                ex.callback.failed(e);
            }
            return;
        }
        ex.error(e);
    }

    /**
     * The tenants store's admin API ({@code /admin/…}, admin scope) and a tenant's own usage ({@code GET /v1/usage}):
     * a caller sees only its own tenant's usage (an organization's includes its projects).
     */
    private void tenancy(Exchange ex, Tenants.Caller caller) throws IOException {
        String body = ex.method().equals("GET") || ex.method().equals("DELETE") ? ""
                : new String(ex.body(MAX_ADMIN_BODY), java.nio.charset.StandardCharsets.UTF_8);
        java.util.Map<String, String> query = ex.query();
        ai.sovereign.server.tenancy.TenancyApi.Reply reply = tenancyApi.handle(tenants.principal(caller), ex.method(), ex.path(), query, body);
        if (reply.failure() instanceof ai.sovereign.server.tenancy.TenancyApi.Failure f) {
            throw new ApiException(reply.status(), f.type(), f.code(), null, f.message(), null);
        }
        ex.text(reply.status(), "application/json", reply.json());
    }

    private static final int MAX_ADMIN_BODY = 1 << 20;

    /**
     * {@code GET /v1/ledger/entries[?before=N&limit=M]}: the caller's own entries (an organization's include its
     * projects'); an admin key may name another tenant with {@code tenant=ID}.
     */
    private void ledgerEntries(Exchange ex, Tenants.Caller caller) {
        java.util.Map<String, String> query = ex.query();
        String tenant = caller.tenant().id();
        if (query.containsKey("tenant") && !query.get("tenant").equals(tenant)) {
            caller.require(ApiKey.Scope.ADMIN, "another tenant's ledger entries");
            tenant = query.get("tenant");
        }
        Long before = query.containsKey("before") ? LedgerApi.number(query, "before") : null;
        long limit = query.containsKey("limit") ? LedgerApi.number(query, "limit") : TenantLedger.DEFAULT_LIMIT;
        if (limit < 1 || limit > TenantLedger.MAX_LIMIT) {
            throw ApiException.invalid("limit", "limit must be 1.." + TenantLedger.MAX_LIMIT);
        }
        ex.json(200, tenantLedger.page(tenants.visibleTenants(tenant), before, (int) limit));
    }

    private static void requireMethod(Exchange ex, String method) {
        if (!ex.method().equals(method)) {
            ex.header("Allow", method);
            throw ApiException.methodNotAllowed(ex.method(), ex.path());
        }
    }

    private ObjectNode modelList() {
        ObjectNode list = Json.object().put("object", "list");
        ArrayNode data = list.putArray("data");
        for (ModelRegistry.Entry m : models.all()) {
            data.add(describe(m, fleet.get()));
        }
        data.add(Json.object().put("id", Embeddings.MODEL_ID).put("object", "model").put("created", 0).put("owned_by", "sovereign")
                .put("kind", "embedding").put("status", "available").put("dimensions", Embeddings.DIMENSIONS).put("embedded", true));
        return list;
    }

    private ObjectNode model(String id) {
        if (id.equals(Embeddings.MODEL_ID)) {
            return (ObjectNode) modelList().get("data").get(models.all().size());
        }
        ModelRegistry.Entry m = models.find(id);
        if (m == null) {
            throw ApiException.modelNotFound("the model '" + CompletionRequest.clip(id) + "' does not exist");
        }
        return describe(m, fleet.get());
    }

    /** A model; one served only by remote nodes is unavailable while none of them is healthy with its circuit closed. */
    private static ObjectNode describe(ModelRegistry.Entry m, Fleet fleet) {
        ObjectNode o = Json.object();
        o.put("id", m.name());
        o.put("object", "model");
        o.put("created", 0);
        o.put("owned_by", "sovereign");
        o.put("kind", m.kind());
        String reason = m.unavailableReason();
        if (reason == null && m.engine() == null && fleet.facts().stream()
                .noneMatch(f -> f.models().contains(m.name()) && f.healthy() && !f.circuitOpen())) {
            reason = "no node serving it is available now (GET /admin/fleet shows the nodes)";
        }
        o.put("status", reason == null ? "available" : "unavailable");
        if (reason != null) {
            o.put("reason", reason);
        }
        if (m.sha256() != null) {
            o.put("sha256", m.sha256());
            o.put("pinned", m.pinned());
        }
        if (m.license() != null) {
            o.put("license", m.license());
        }
        if (m.model() != null) {
            o.put("architecture", m.model().config().architecture());
            o.put("context_length", m.model().contextLength());
        }
        return o;
    }
}
