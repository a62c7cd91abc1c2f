package ai.sovereign.server;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import com.fasterxml.jackson.databind.JsonNode;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Admission for a remote node: an upper estimate reserved before any byte leaves, settled to the node's reported usage. */
class RemoteAdmissionTest {
    @TempDir
    Path dir;

    @Test
    void aRemoteRequestReservesAnUpperEstimateSettlesToTheNodesUsageAndIsBoundedUpstream() throws Exception {
        try (StubNode kr = new StubNode("kr-1", "KR", StubNode.Behaviour.OK)) {
            String yaml = RemoteRoutingTest.fleet(RemoteRoutingTest.FAST, kr) + "tenants:\n"
                    + "  - { id: t, quotas: { tokens_per_day: 1100 }, api_keys: [ { sha256: \"" + RemoteRoutingTest.sha("key-t") + "\" } ] }\n"
                    + "  - { id: u, api_keys: [ { sha256: \"" + RemoteRoutingTest.sha("key-u") + "\" } ] }\n";
            try (SovereignServer server = Fleets.start(dir, yaml)) {
                Map<String, String> t = Map.of("Authorization", "Bearer key-t");
                HttpResponse<String> refused = Fleets.post(server, "/v1/chat/completions", RemoteRoutingTest.chat("hello", false), t);
                assertEquals(429, refused.statusCode(), "the default max_tokens (1024) plus the prompt's estimate exceed 1100: " + refused.body());
                assertTrue(refused.body().contains("quota_exceeded"), refused.body());
                assertEquals(0, kr.completions().size(), "refused before anything reached the node");

                String bounded = RemoteRoutingTest.chat("hello", false).replace("{\"model\"", "{\"max_tokens\":10,\"model\"");
                assertEquals(200, Fleets.post(server, "/v1/chat/completions", bounded, t).statusCode());
                HttpResponse<String> mine = java.net.http.HttpClient.newHttpClient().send(java.net.http.HttpRequest.newBuilder(
                        java.net.URI.create(Fleets.base(server) + "/v1/usage")).header("Authorization", "Bearer key-t").build(),
                        HttpResponse.BodyHandlers.ofString());
                assertEquals(200, mine.statusCode(), mine.body());
                JsonNode rows = Json.parseBody(mine.body().getBytes(StandardCharsets.UTF_8)).path("data");
                assertEquals(1, rows.size(), mine.body());
                assertEquals("kr-1", rows.get(0).path("node").asText());
                assertEquals(7, rows.get(0).path("tokens_in").asLong(), "settled to the node's reported usage");
                assertEquals(5, rows.get(0).path("tokens_out").asLong());
                assertEquals(401, Fleets.get(server, "/v1/usage").statusCode(), "usage needs a key");

                HttpResponse<String> u = Fleets.post(server, "/v1/chat/completions", RemoteRoutingTest.chat("hello", true),
                        Map.of("Authorization", "Bearer key-u"));
                assertEquals(200, u.statusCode());
                JsonNode upstream = Json.parseBody(kr.completions().getLast().body());
                assertEquals(1024, upstream.path("max_tokens").asInt(), "a request without max_tokens is bounded upstream as reserved");
            }
        }
    }
}
