package ai.sovereign.server;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.sovereign.ledger.AuditEntry;
import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.stream.Collectors;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Admin actions on the served ledger (ENTRY-FORMAT.md, "What is written when"): the config's load and reload, the
 * nodes, tenant, key and grant changes made through {@code /admin/...}, and pseudonymization keys rotated and shredded
 * by the CLI while serve runs, each an {@code admin-event} entry, read back from the served entry bundles.
 */
class AdminEntriesTest {
    private static final HttpClient HTTP = HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1).build();
    private static final Map<String, String> ADMIN = Map.of("Authorization", "Bearer key-ops");

    @TempDir
    Path dir;

    private static String config(StubNode... nodes) throws Exception {
        StringBuilder y = new StringBuilder("models:\n  - { name: m, remote: true }\nrouting: { " + RemoteRoutingTest.FAST + " }\nnodes:\n");
        for (StubNode n : nodes) {
            y.append(RemoteRoutingTest.node(n, "high"));
        }
        return y.append("tenants:\n  - { id: ops, api_keys: [ { sha256: \"").append(RemoteRoutingTest.sha("key-ops"))
                .append("\", scopes: [inference, admin] } ] }\n").toString();
    }

    private static HttpResponse<String> call(SovereignServer s, String method, String path, String body) throws Exception {
        HttpRequest.Builder b = HttpRequest.newBuilder(URI.create(Fleets.base(s) + path)).timeout(Duration.ofSeconds(30))
                .header("Content-Type", "application/json").method(method, body == null ? HttpRequest.BodyPublishers.noBody()
                        : HttpRequest.BodyPublishers.ofString(body));
        ADMIN.forEach(b::header);
        return HTTP.send(b.build(), HttpResponse.BodyHandlers.ofString());
    }

    private static synchronized String cli(String... args) {
        PrintStream out = System.out;
        ByteArrayOutputStream o = new ByteArrayOutputStream();
        System.setOut(new PrintStream(o, true, StandardCharsets.UTF_8));
        try {
            assertEquals(0, Main.run(args), String.join(" ", args));
            return o.toString(StandardCharsets.UTF_8);
        } finally {
            System.setOut(out);
        }
    }

    /** The admin events on the served ledger once {@code actions} are all there (the outbox drains every second). */
    private static List<AuditEntry.AdminEvent> await(SovereignServer s, Set<String> actions) throws Exception {
        long deadline = System.nanoTime() + 10_000_000_000L;
        while (true) {
            List<AuditEntry.AdminEvent> events = Fleets.ledger(s, 0).stream().filter(e -> e instanceof AuditEntry.AdminEvent)
                    .map(e -> (AuditEntry.AdminEvent) e).toList();
            Set<String> seen = events.stream().map(AuditEntry.AdminEvent::action).collect(Collectors.toSet());
            if (seen.containsAll(actions)) {
                return events;
            }
            assertTrue(System.nanoTime() < deadline, "after 10 s the ledger has " + seen + ", not all of " + actions);
            Thread.sleep(100);
        }
    }

    private static List<AuditEntry.AdminEvent> of(List<AuditEntry.AdminEvent> events, String action) {
        return events.stream().filter(e -> e.action().equals(action)).toList();
    }

    @Test
    void configNodesTenantsGrantsAndPseudonymizationKeysAreOnTheLedger() throws Exception {
        try (StubNode kr = new StubNode("kr-1", "KR", StubNode.Behaviour.OK); StubNode kr2 = new StubNode("kr-2", "KR", StubNode.Behaviour.OK);
             SovereignServer server = Fleets.start(dir, config(kr))) {
            Path file = dir.resolve("sovereign.yaml");
            assertEquals(201, call(server, "POST", "/admin/tenants", "{\"id\":\"team\"}").statusCode());
            HttpResponse<String> put = call(server, "PUT", "/admin/tenants/team", "{\"id\":\"team\",\"jurisdictions\":[\"KR\"],\"share\":{\"weight\":2}}");
            assertEquals(200, put.statusCode(), put.body());
            HttpResponse<String> grant = call(server, "POST", "/admin/tenants/team/grants",
                    "{\"model\":\"m\",\"starts_at\":\"2026-01-01T00:00:00Z\",\"ends_at\":\"2027-01-01T00:00:00Z\"}");
            assertEquals(201, grant.statusCode(), grant.body());
            String grantId = Json.parseBody(grant.body().getBytes(StandardCharsets.UTF_8)).at("/data/id").asText();
            assertEquals(200, call(server, "DELETE", "/admin/grants/" + grantId, null).statusCode());
            assertEquals(201, call(server, "POST", "/admin/tenants/team/keys", "{\"scopes\":[\"inference\"]}").statusCode());
            assertEquals(200, call(server, "DELETE", "/admin/tenants/team", null).statusCode());

            String prefix = Files.readString(file).substring(0, Files.readString(file).indexOf("models:"));
            Files.writeString(file, prefix + config(kr, kr2));
            HttpResponse<String> reload = call(server, "POST", "/admin/reload", "");
            assertEquals(200, reload.statusCode(), reload.body());

            // The CLI, while serve runs: a rotation and a shredding of a tenant's pseudonymization key.
            String rotated = Json.parseBody(cli("pii", "keys", "rotate", "ops", "--config", file.toString()).getBytes(StandardCharsets.UTF_8))
                    .path("key_id").asText();
            String twice = Json.parseBody(cli("pii", "keys", "rotate", "ops", "--config", file.toString()).getBytes(StandardCharsets.UTF_8))
                    .path("key_id").asText();
            cli("pii", "keys", "shred", "ops", "--yes", "--config", file.toString());

            List<AuditEntry.AdminEvent> events = await(server, Set.of("config.loaded", "config.reloaded", "node.registered", "tenant.create",
                    "tenant.update", "tenant.delete", "grant.create", "grant.delete", "key.create", "pii.key.rotate", "pii.key.shred"));
            assertEquals(file.toString(), of(events, "config.loaded").getFirst().subject());
            assertEquals(1, of(events, "config.loaded").size());
            AuditEntry.AdminEvent reloaded = of(events, "config.reloaded").getFirst();
            assertEquals("2", reloaded.attribute("nodes"));
            List<String> nodes = of(events, "node.registered").stream().map(AuditEntry.AdminEvent::subject).toList();
            assertEquals(5, nodes.size(), "every node at start, and again at the reload: " + nodes);
            assertEquals(Set.of("local", "kr-1"), Set.copyOf(nodes.subList(0, 2)));
            assertEquals(Set.of("local", "kr-1", "kr-2"), Set.copyOf(nodes.subList(2, 5)));
            assertEquals("KR", of(events, "node.registered").getLast().attribute("jurisdiction"));
            assertTrue(events.indexOf(reloaded) < events.indexOf(of(events, "node.registered").get(2)), "the reload, then its nodes");
            assertEquals(List.of("team"), of(events, "tenant.update").stream().map(AuditEntry.AdminEvent::subject).toList());
            assertEquals(List.of("team"), of(events, "tenant.delete").stream().map(AuditEntry.AdminEvent::subject).toList());
            assertEquals(1, of(events, "grant.create").size());
            assertEquals(1, of(events, "grant.delete").size());
            assertTrue(events.indexOf(of(events, "grant.create").getFirst()) < events.indexOf(of(events, "grant.delete").getFirst()));

            List<AuditEntry.AdminEvent> rotations = of(events, "pii.key.rotate");
            assertEquals(List.of("requested", "done", "requested", "done"), rotations.stream().map(e -> e.attribute("phase")).toList());
            assertEquals(rotated, rotations.get(1).attribute("key_id"));
            assertEquals(rotated, rotations.get(2).attribute("key_id_before"), "the second rotation names the key it replaced");
            assertEquals(twice, rotations.get(3).attribute("key_id"));
            List<AuditEntry.AdminEvent> shreds = of(events, "pii.key.shred");
            assertEquals(List.of("requested", "done"), shreds.stream().map(e -> e.attribute("phase")).toList());
            assertEquals(twice, shreds.getFirst().attribute("key_id_before"));
            assertTrue(events.stream().allMatch(e -> e.subject().equals("ops") || !e.action().startsWith("pii.")));
        }
    }
}
