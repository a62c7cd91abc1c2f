package ai.sovereign.server.tenancy;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.sovereign.ledger.AuditEntry;
import com.fasterxml.jackson.databind.JsonNode;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Set;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The admin API in memory: the admin scope guards it, every change is an admin event, a tenant sees only its own usage. */
class TenancyApiTest {
    @TempDir
    Path dir;
    Tenancy tenancy;
    TenancyApi api;
    Authentication.Principal admin;

    @BeforeEach
    void open() {
        tenancy = Tenancy.open("embedded:" + dir);
        api = new TenancyApi(tenancy);
        tenancy.createTenant(Tenant.organization("operator"));
        admin = principal(tenancy.createKey("operator", Set.of(ApiKey.Scope.ADMIN), "ops", null).secret());
    }

    @AfterEach
    void close() {
        tenancy.close();
    }

    private Authentication.Principal principal(String key) {
        return assertInstanceOf(Authentication.Authenticated.class, tenancy.authenticate(key)).principal();
    }

    private JsonNode call(Authentication.Principal who, int status, String method, String path, Map<String, String> query, String body)
            throws Exception {
        TenancyApi.Reply r = api.handle(who, method, path, query, body);
        assertEquals(status, r.status(), r.json());
        return TenancyCli.JSON.readTree(r.json());
    }

    @Test
    void adminManagesTenantsKeysAndGrantsAndEveryChangeIsAnEvent() throws Exception {
        call(admin, 201, "POST", "/admin/tenants", Map.of(), """
                {"id":"consortium","jurisdictions":["KR"],"quotas":{"tokens_per_day":5000000},"share":{"weight":3}}""");
        call(admin, 201, "POST", "/admin/tenants", Map.of(), """
                {"id":"team-a","parent":"consortium","pii":{"KR_RRN":"block"}}""");
        JsonNode updated = call(admin, 200, "PUT", "/admin/tenants/team-a", Map.of(), """
                {"quotas":{"max_concurrent":4},"share":{"priority":"high"}}""");
        assertEquals(4, updated.at("/data/quotas/max_concurrent").asInt());
        assertEquals("block", updated.at("/data/pii/KR_RRN").asText(), "absent fields keep their values");
        JsonNode key = call(admin, 201, "POST", "/admin/tenants/team-a/keys", Map.of(), "{\"scopes\":[\"inference\"],\"name\":\"app\"}");
        String secret = key.at("/data/key").asText();
        String lookup = key.at("/data/lookup").asText();
        principal(secret);
        call(admin, 201, "POST", "/admin/tenants/team-a/grants", Map.of(), """
                {"model":"stories","starts_at":"2026-01-01","ends_at":"2027-01-01"}""");
        JsonNode shown = call(admin, 200, "GET", "/admin/tenants/team-a", Map.of(), null);
        assertEquals(lookup, shown.at("/data/keys/0/lookup").asText());
        assertFalse(shown.toString().contains(secret.substring(20)), "never the secret again");
        JsonNode rotated = call(admin, 201, "POST", "/admin/keys/" + lookup + "/rotate", Map.of(), "{\"grace_seconds\":0}");
        assertInstanceOf(Authentication.Rejected.class, tenancy.authenticate(secret));
        call(admin, 200, "POST", "/admin/keys/" + rotated.at("/data/lookup").asText() + "/revoke", Map.of(), null);
        call(admin, 404, "GET", "/admin/tenants/nobody", Map.of(), null);
        call(admin, 400, "POST", "/admin/tenants", Map.of(), "{\"id\":\"Bad Id\"}");
        call(admin, 400, "POST", "/admin/tenants", Map.of(), "not json");
        call(admin, 404, "GET", "/admin/nothing/here", Map.of(), null);

        List<AuditEntry.AdminEvent> events = new ArrayList<>();
        tenancy.drainAdminEvents(events::add);
        assertEquals(List.of("tenant.create", "key.create", "tenant.create", "tenant.create", "tenant.update", "key.create",
                "grant.create", "key.create", "key.rotate", "key.revoke"), events.stream().map(AuditEntry.AdminEvent::action).toList());
    }

    @Test
    void onlyAdminKeysReachAdminAndATenantSeesOnlyItsOwnUsage() throws Exception {
        tenancy.createTenant(Tenant.organization("a"));
        tenancy.createTenant(Tenant.organization("b"));
        Authentication.Principal a = principal(tenancy.createKey("a", Set.of(ApiKey.Scope.INFERENCE, ApiKey.Scope.AUDITOR), "", null).secret());
        for (String t : List.of("a", "b", "b")) {
            assertInstanceOf(Admission.Admitted.class, tenancy.admit(t, "m", 10)).ticket()
                    .settle(null, new Metering.Usage(3, 4, "local", 5, 0.1));
        }
        JsonNode mine = call(a, 200, "GET", "/v1/usage", Map.of(), null);
        assertEquals(1, mine.at("/data").size());
        assertEquals("a", mine.at("/data/0/tenant").asText());
        assertEquals(7, mine.at("/data/0/tokens_in").asInt() + mine.at("/data/0/tokens_out").asInt());
        assertEquals("insufficient_scope", call(a, 403, "GET", "/admin/usage", Map.of(), null).at("/error/code").asText());
        call(a, 403, "POST", "/admin/tenants", Map.of(), "{\"id\":\"x\"}");
        assertEquals("invalid_api_key", call(null, 401, "GET", "/v1/usage", Map.of(), null).at("/error/code").asText());
        assertEquals(2, call(admin, 200, "GET", "/admin/usage", Map.of(), null).at("/data").size());
        assertEquals(2, call(admin, 200, "GET", "/admin/usage", Map.of("tenant", "b"), null).at("/data/0/requests").asInt());
        assertTrue(TenancyApi.serves("/admin/tenants") && TenancyApi.serves("/v1/usage") && !TenancyApi.serves("/v1/models"));
    }
}
