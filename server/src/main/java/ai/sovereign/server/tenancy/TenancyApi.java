package ai.sovereign.server.tenancy;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.time.Duration;
import java.time.Instant;
import java.time.temporal.ChronoUnit;
import java.util.ArrayList;
import java.util.EnumSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * The admin API ({@code /admin/…}, admin scope) and a tenant's own usage ({@code GET /v1/usage}, any
 * scope), independent of the HTTP server: the caller authenticates, then passes the method, path,
 * query and body and writes back the {@link Reply}. Admin keys are the operator's (issued with
 * {@code sovereign keys create --scopes admin}); every other key sees only its own tenant's usage
 * (an organization's includes its projects).
 *
 * <pre>
 * GET    /admin/tenants                     POST /admin/tenants            {tenant JSON as `tenants show` prints}
 * GET    /admin/tenants/ID                  PUT  /admin/tenants/ID         DELETE /admin/tenants/ID
 * POST   /admin/tenants/ID/keys             {"scopes":["inference"],"name":"…","expires_at":"…"} → the key, once
 * GET    /admin/keys[?tenant=ID]            POST /admin/keys/LOOKUP/revoke  POST /admin/keys/LOOKUP/rotate {"grace_seconds":N}
 * POST   /admin/tenants/ID/grants           {"model":"m","starts_at":"…","ends_at":"…"}   DELETE /admin/grants/GRANT
 * GET    /admin/usage[?tenant=&amp;from=&amp;to=]  GET /admin/idle-grants[?below=&amp;from=&amp;to=]
 * GET    /v1/usage[?from=&amp;to=]
 * </pre>
 * Errors are OpenAI-shaped: 401 {@code invalid_api_key}, 403 {@code insufficient_scope}, 404
 * {@code not_found}, 400 {@code invalid_request}; messages name ids and fields, never secrets.
 */
public final class TenancyApi {
    private final Tenancy tenancy;

    public TenancyApi(Tenancy tenancy) {
        this.tenancy = tenancy;
    }

    /** A response: status and a JSON body. */
    /** A status and its JSON body; a refusal also as its parts, so a transport can render it in its own error shape. */
    public record Reply(int status, String json, Failure failure) {}

    /** An OpenAI-style error: {@code error.type}, {@code error.code}, {@code error.message}. */
    public record Failure(String type, String code, String message) {}

    /** Whether this API serves {@code path}. */
    public static boolean serves(String path) {
        return path.startsWith("/admin/") || path.equals("/v1/usage");
    }

    /** Serves one request of {@code caller} (null: no valid key). */
    public Reply handle(Authentication.Principal caller, String method, String path, Map<String, String> query, String body) {
        if (caller == null) {
            return error(401, "invalid_api_key", "a valid API key is required (Authorization: Bearer …)");
        }
        try {
            if (path.equals("/v1/usage") && method.equals("GET")) {
                return ok(rollups(tenancy.usage(from(query), to(query), caller.tenant().id())));
            }
            if (!caller.may(ApiKey.Scope.ADMIN)) {
                return error(403, "insufficient_scope", "this endpoint needs a key with the admin scope");
            }
            return admin(method, path.substring("/admin/".length()).split("/"), query, body);
        } catch (IllegalArgumentException e) {
            return error(e.getMessage() != null && e.getMessage().endsWith("does not exist") ? 404 : 400,
                    e.getMessage() != null && e.getMessage().endsWith("does not exist") ? "not_found" : "invalid_request", e.getMessage());
        } catch (JsonProcessingException e) {
            return error(400, "invalid_request", "the body is not valid JSON");
        }
    }

    private Reply admin(String method, String[] p, Map<String, String> query, String body) throws JsonProcessingException {
        if (p.length > 3) {
            return error(404, "not_found", "no admin endpoint " + method + " /admin/" + String.join("/", p));
        }
        String route = method + " " + p[0] + "/" + (p.length > 1 ? "ID" : "") + (p.length > 2 ? "/" + p[2] : "");
        return switch (route) {
            case "GET tenants/" -> ok(tenancy.tenants().stream().map(TenancyCli::json).toList());
            case "POST tenants/" -> created(TenancyCli.json(tenancy.createTenant(tenant(json(body), null))));
            case "GET tenants/ID" -> {
                Tenant t = tenancy.tenant(p[1]).orElseThrow(() -> new IllegalArgumentException("tenant " + p[1] + " does not exist"));
                Map<String, Object> m = new LinkedHashMap<>(TenancyCli.json(t));
                m.put("keys", tenancy.keys(t.id()).stream().map(TenancyCli::json).toList());
                m.put("grants", tenancy.grants(t.id()).stream().map(TenancyCli::json).toList());
                yield ok(m);
            }
            case "PUT tenants/ID" -> {
                Tenant old = tenancy.tenant(p[1]).orElseThrow(() -> new IllegalArgumentException("tenant " + p[1] + " does not exist"));
                yield ok(TenancyCli.json(tenancy.updateTenant(tenant(json(body), old))));
            }
            case "DELETE tenants/ID" -> {
                tenancy.deleteTenant(p[1]);
                yield ok(Map.of("deleted", p[1]));
            }
            case "POST tenants/ID/keys" -> {
                JsonNode b = json(body);
                Set<ApiKey.Scope> scopes = EnumSet.noneOf(ApiKey.Scope.class);
                b.path("scopes").forEach(s -> scopes.add(ApiKey.Scope.parse(s.asText())));
                if (scopes.isEmpty()) {
                    scopes.add(ApiKey.Scope.INFERENCE);
                }
                String expires = text(b, "expires_at");
                ApiKey.Issued issued = tenancy.createKey(p[1], scopes, text(b, "name"),
                        expires == null ? null : TenancyCli.instant(expires, "expires_at"));
                Map<String, Object> m = new LinkedHashMap<>(TenancyCli.json(issued.key()));
                m.put("key", issued.secret());
                yield created(m);
            }
            case "GET keys/" -> ok(tenancy.keys(query.get("tenant")).stream().map(TenancyCli::json).toList());
            case "POST keys/ID/revoke" -> ok(TenancyCli.json(tenancy.revokeKey(p[1])));
            case "POST keys/ID/rotate" -> {
                JsonNode b = body == null || body.isBlank() ? JsonNodeFactory.instance.objectNode() : json(body);
                ApiKey.Issued issued = tenancy.rotateKey(p[1], Duration.ofSeconds(b.path("grace_seconds").asLong(0)));
                Map<String, Object> m = new LinkedHashMap<>(TenancyCli.json(issued.key()));
                m.put("key", issued.secret());
                yield created(m);
            }
            case "POST tenants/ID/grants" -> {
                JsonNode b = json(body);
                yield created(TenancyCli.json(tenancy.addGrant(p[1], required(b, "model"),
                        TenancyCli.instant(required(b, "starts_at"), "starts_at"), TenancyCli.instant(required(b, "ends_at"), "ends_at"))));
            }
            case "DELETE grants/ID" -> {
                tenancy.removeGrant(p[1]);
                yield ok(Map.of("deleted", p[1]));
            }
            case "GET usage/" -> ok(rollups(tenancy.usage(from(query), to(query), query.get("tenant"))));
            case "GET idle-grants/" -> {
                double below = query.containsKey("below") ? Double.parseDouble(query.get("below")) : 0.25;
                List<Map<String, Object>> out = new ArrayList<>();
                for (Metering.IdleGrant i : tenancy.idleGrants(from(query), to(query), below)) {
                    out.add(i.fields());
                }
                yield ok(out);
            }
            default -> error(404, "not_found", "no admin endpoint " + method + " /admin/" + String.join("/", p));
        };
    }

    /** A tenant from a JSON body shaped like {@code tenants show}'s output; on update, absent fields keep {@code old}'s values. */
    private static Tenant tenant(JsonNode b, Tenant old) {
        String id = old != null ? old.id() : required(b, "id");
        String parent = old != null ? old.parent() : text(b, "parent");
        Tenant base = old != null ? old : parent == null ? Tenant.organization(id) : Tenant.project(id, parent);
        List<String> j = b.has("jurisdictions") ? strings(b.get("jurisdictions")) : base.jurisdictions();
        List<String> models = b.has("models") ? strings(b.get("models")) : base.models();
        Map<String, String> pii = base.pii();
        if (b.has("pii")) {
            pii = new LinkedHashMap<>();
            for (Map.Entry<String, JsonNode> e : b.get("pii").properties()) {
                pii.put(e.getKey(), e.getValue().asText());
            }
        }
        JsonNode q = b.path("quotas");
        Tenant.Quotas oq = base.quotas();
        Tenant.Quotas quotas = new Tenant.Quotas(longOr(q, "requests_per_minute", oq.requestsPerMinute()),
                longOr(q, "tokens_per_minute", oq.tokensPerMinute()), longOr(q, "tokens_per_day", oq.tokensPerDay()),
                longOr(q, "tokens_per_month", oq.tokensPerMonth()), longOr(q, "max_concurrent", oq.maxConcurrent()));
        JsonNode share = b.path("share");
        int weight = share.has("weight") ? share.get("weight").asInt() : base.weight();
        Tenant.Priority priority = share.has("priority") ? Tenant.Priority.parse(share.get("priority").asText()) : base.priority();
        String tier = b.has("min_tier") ? text(b, "min_tier") : base.minTier();
        return new Tenant(id, parent, j, tier, pii, models, quotas, weight, priority);
    }

    private static List<String> strings(JsonNode array) {
        List<String> out = new ArrayList<>();
        for (JsonNode n : array) {
            out.add(n.asText());
        }
        return out;
    }

    private static Long longOr(JsonNode q, String field, Long old) {
        if (!q.has(field)) {
            return old;
        }
        JsonNode v = q.get(field);
        if (v.isNull()) {
            return null;
        }
        if (!v.canConvertToLong()) {
            throw new IllegalArgumentException("quotas." + field + " must be a whole number or null");
        }
        return v.asLong();
    }

    private static List<Map<String, Object>> rollups(List<Metering.Rollup> rows) {
        List<Map<String, Object>> out = new ArrayList<>();
        for (Metering.Rollup r : rows) {
            out.add(r.fields());
        }
        return out;
    }

    private static Instant from(Map<String, String> q) {
        return q.containsKey("from") ? TenancyCli.instant(q.get("from"), "from") : Instant.now().minus(30, ChronoUnit.DAYS);
    }

    private static Instant to(Map<String, String> q) {
        return q.containsKey("to") ? TenancyCli.instant(q.get("to"), "to") : Instant.now().plusSeconds(1);
    }

    private static JsonNode json(String body) throws JsonProcessingException {
        JsonNode n = TenancyCli.JSON.readTree(body == null ? "" : body);
        if (n == null || !n.isObject()) {
            throw new IllegalArgumentException("the body must be a JSON object");
        }
        return n;
    }

    private static String text(JsonNode b, String field) {
        JsonNode v = b.get(field);
        return v == null || v.isNull() ? null : v.asText();
    }

    private static String required(JsonNode b, String field) {
        String v = text(b, field);
        if (v == null) {
            throw new IllegalArgumentException("field " + field + " is required");
        }
        return v;
    }

    private static Reply ok(Object value) {
        return new Reply(200, TenancyCli.line(Map.of("data", value)), null);
    }

    private static Reply created(Object value) {
        return new Reply(201, TenancyCli.line(Map.of("data", value)), null);
    }

    private static Reply error(int status, String code, String message) {
        Failure f = new Failure(status == 401 ? "authentication_error" : status == 403 ? "permission_error" : "invalid_request_error", code, message);
        ObjectNode e = JsonNodeFactory.instance.objectNode();
        ObjectNode inner = e.putObject("error");
        inner.put("message", f.message());
        inner.put("type", f.type());
        inner.putNull("param");
        inner.put("code", f.code());
        return new Reply(status, e.toString(), f);
    }
}
