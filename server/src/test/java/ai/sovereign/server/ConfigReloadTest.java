package ai.sovereign.server;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.sovereign.ledger.AuditEntry;
import com.fasterxml.jackson.databind.JsonNode;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** {@code POST /admin/reload}: nodes and tenants change without a restart; a widening is on the ledger first. */
class ConfigReloadTest {
    @TempDir
    Path dir;

    private static String config(String tenantJurisdictions, StubNode... nodes) throws Exception {
        StringBuilder y = new StringBuilder("models:\n  - { name: m, remote: true }\nrouting: { " + RemoteRoutingTest.FAST + " }\nnodes:\n");
        for (StubNode n : nodes) {
            y.append(RemoteRoutingTest.node(n, "high"));
        }
        y.append("tenants:\n  - { id: t, jurisdictions: ").append(tenantJurisdictions)
                .append(", api_keys: [ { sha256: \"").append(RemoteRoutingTest.sha("key-t")).append("\", scopes: [inference, admin] },")
                .append(" { sha256: \"").append(RemoteRoutingTest.sha("key-user")).append("\" } ] }\n");
        return y.toString();
    }

    private static final Map<String, String> ADMIN = Map.of("Authorization", "Bearer key-t");

    private static HttpResponse<String> ask(SovereignServer s) throws Exception {
        return Fleets.post(s, "/v1/chat/completions", RemoteRoutingTest.chat("x", false), Map.of("Authorization", "Bearer key-t"));
    }

    @Test
    void reloadSwapsNodesAndTenantsAndRecordsAWideningBeforeItApplies() throws Exception {
        try (StubNode kr = new StubNode("kr-1", "KR", StubNode.Behaviour.OK); StubNode us = new StubNode("us-1", "US", StubNode.Behaviour.OK);
             SovereignServer server = Fleets.start(dir, config("[KR]", kr, us))) {
            Path file = dir.resolve("sovereign.yaml");
            String prefix = Files.readString(file).substring(0, Files.readString(file).indexOf("models:"));
            assertEquals("kr-1", ask(server).headers().firstValue("x-sovereign-node").orElseThrow());

            Files.writeString(file, prefix + config("[KR, US]", us));
            HttpResponse<String> reload = Fleets.post(server, "/admin/reload", "", ADMIN);
            assertEquals(200, reload.statusCode(), reload.body());
            JsonNode result = Json.parseBody(reload.body().getBytes(StandardCharsets.UTF_8));
            assertEquals("[\"t\"]", result.path("widened").toString());
            HttpResponse<String> after = ask(server);
            assertEquals(200, after.statusCode(), after.body());
            assertEquals("us-1", after.headers().firstValue("x-sovereign-node").orElseThrow(), "kr-1 is gone, US is allowed now");

            long index = Long.parseLong(after.headers().firstValue("x-sovereign-ledger-index").orElseThrow());
            List<AuditEntry> entries = Fleets.ledger(server, index + 1);
            int widened = -1;
            for (int i = 0; i < entries.size(); i++) {
                if (entries.get(i) instanceof AuditEntry.AdminEvent e && e.action().equals("tenant.policy_widened")) {
                    widened = i;
                    assertEquals("t", e.subject());
                    assertTrue(e.attributes().contains(new AuditEntry.Attribute("jurisdictions_after", "[KR, US]")), e.attributes().toString());
                }
            }
            assertTrue(widened >= 0 && widened < index, "the widening precedes the first request served under it");

            Files.writeString(file, prefix + config("[US]", us));
            HttpResponse<String> narrowed = Fleets.post(server, "/admin/reload", "", ADMIN);
            assertEquals("[]", Json.parseBody(narrowed.body().getBytes(StandardCharsets.UTF_8)).path("widened").toString(), "narrowing is no widening");

            Files.writeString(file, prefix + config("[XX]", us));
            HttpResponse<String> invalid = Fleets.post(server, "/admin/reload", "", ADMIN);
            assertEquals(400, invalid.statusCode());
            assertTrue(invalid.body().contains("tenants[0].jurisdictions"), invalid.body());
            assertEquals("us-1", ask(server).headers().firstValue("x-sovereign-node").orElseThrow(), "a rejected reload changes nothing");
            assertEquals(1, kr.completions().size(), "nothing reached the removed node after the reload");

            HttpResponse<String> user = Fleets.post(server, "/admin/reload", "", Map.of("Authorization", "Bearer key-user"));
            assertEquals(403, user.statusCode(), "an inference key cannot reload");
            assertTrue(user.body().contains("insufficient_scope"), user.body());
            assertEquals(401, Fleets.post(server, "/admin/reload", "", Map.of()).statusCode(), "no key, no admin");
            assertEquals(401, Fleets.get(server, "/admin/fleet").statusCode(), "the fleet report needs an admin key too");
        }
    }

    @Test
    void aTenantThatLeavesTheConfigLeavesTheStoreWithItsKeysButOneMadeByTheApiStays() throws Exception {
        try (StubNode kr = new StubNode("kr-1", "KR", StubNode.Behaviour.OK)) {
            String both = config("[KR]", kr) + "  - { id: leaving, api_keys: [ { sha256: \"" + RemoteRoutingTest.sha("key-leaving") + "\" } ] }\n";
            try (SovereignServer server = Fleets.start(dir, both)) {
                Path file = dir.resolve("sovereign.yaml");
                String prefix = Files.readString(file).substring(0, Files.readString(file).indexOf("models:"));
                assertEquals(201, Fleets.post(server, "/admin/tenants", "{\"id\":\"by-api\"}", ADMIN).statusCode());
                String apiKey = key(server, "by-api");
                String storeKey = key(server, "leaving");
                for (String k : List.of("key-leaving", storeKey, apiKey)) {
                    assertEquals(200, Fleets.post(server, "/v1/chat/completions", RemoteRoutingTest.chat("x", false),
                            Map.of("Authorization", "Bearer " + k)).statusCode(), "before the reload");
                }

                Files.writeString(file, prefix + config("[KR]", kr));
                assertEquals(200, Fleets.post(server, "/admin/reload", "", ADMIN).statusCode());
                for (String k : List.of("key-leaving", storeKey)) {
                    assertEquals(401, Fleets.post(server, "/v1/chat/completions", RemoteRoutingTest.chat("x", false),
                            Map.of("Authorization", "Bearer " + k)).statusCode(), "the tenant left with the config: its keys stop");
                }
                assertEquals(200, Fleets.post(server, "/v1/chat/completions", RemoteRoutingTest.chat("x", false),
                        Map.of("Authorization", "Bearer " + apiKey)).statusCode(), "a tenant made through the API is not the config's");
                String list = Fleets.getWith(server, "/admin/tenants", ADMIN).body();
                assertTrue(list.contains("\"by-api\"") && !list.contains("\"leaving\""), list);
            }
        }
    }

    private static String key(SovereignServer server, String tenant) throws Exception {
        HttpResponse<String> r = Fleets.post(server, "/admin/tenants/" + tenant + "/keys", "{\"scopes\":[\"inference\"]}", ADMIN);
        assertEquals(201, r.statusCode(), r.body());
        return Json.parseBody(r.body().getBytes(StandardCharsets.UTF_8)).at("/data/key").asText();
    }
}
