package ai.sovereign.server;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

import ai.sovereign.policy.SecurityTier;
import com.fasterxml.jackson.databind.JsonNode;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.Set;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Guarantee 1 as a property, over real sockets: random fleets of stub nodes in KR, US and JP (each one answering,
 * refusing connections, failing with 500, timing out before its first token, stalling mid-stream or sending malformed
 * SSE), random tenant policies (jurisdictions, minimum tier), random narrowing headers, streamed or not, sent
 * concurrently. For every request: no stub outside the request's allowed jurisdictions receives a byte of it, no stub
 * receives it twice, and it either succeeds on a compliant node or fails with the status and code its fleet implies.
 */
class ResidencyPropertyTest {
    private static final String[] PLACES = {"KR", "US", "JP"};
    private static final List<StubNode> STUBS = new ArrayList<>();

    @TempDir
    Path dir;

    @BeforeAll
    static void stubs() throws Exception {
        for (String place : PLACES) {
            for (StubNode.Behaviour b : StubNode.Behaviour.values()) {
                STUBS.add(new StubNode(place.toLowerCase() + "-" + b.name().toLowerCase().replace('_', '-'), place, b));
            }
        }
    }

    @AfterAll
    static void close() {
        STUBS.forEach(StubNode::close);
    }

    private record Node(StubNode stub, SecurityTier tier) {}

    private record Policy(String tenant, Set<String> jurisdictions, SecurityTier minTier) {}

    private record Call(int id, Policy policy, String narrowing, boolean stream) {
        Set<String> allowed() {
            Set<String> out = new LinkedHashSet<>(policy.jurisdictions());
            if (narrowing != null) {
                out.retainAll(List.of(narrowing.split(",")));
            }
            return out;
        }
    }

    @Test
    void noByteLeavesTheAllowedJurisdictionsAndEveryRequestEndsAsItsFleetImplies() throws Exception {
        Random random = new Random(5_2026L);
        int calls = 0;
        for (int round = 0; round < 8; round++) {
            List<Node> nodes = new ArrayList<>();
            List<StubNode> shuffled = new ArrayList<>(STUBS);
            java.util.Collections.shuffle(shuffled, random);
            int size = 1 + random.nextInt(6);
            for (int i = 0; i < size; i++) {
                nodes.add(new Node(shuffled.get(i), SecurityTier.values()[random.nextInt(3)]));
            }
            List<Policy> policies = List.of(
                    new Policy("kr-only", Set.of("KR"), random.nextBoolean() ? null : SecurityTier.values()[random.nextInt(3)]),
                    new Policy("kr-jp", Set.of("KR", "JP"), random.nextBoolean() ? null : SecurityTier.values()[random.nextInt(3)]),
                    new Policy("anywhere", Set.of("KR", "US", "JP"), null));
            StringBuilder yaml = new StringBuilder("models:\n  - { name: m, remote: true }\n");
            yaml.append("routing: { connect_timeout_ms: 300, first_token_timeout_ms: 150, chunk_gap_timeout_ms: 150, health_interval_ms: 0, ")
                    .append("failures_to_open: ").append(1 + random.nextInt(3)).append(", open_ms: 200 }\nnodes:\n");
            for (Node n : nodes) {
                // Nodes that answer get a generous first-token timeout, so a loaded test machine cannot turn them into failures.
                String node = RemoteRoutingTest.node(n.stub(), n.tier().configName());
                StubNode.Behaviour b = n.stub().behaviour;
                yaml.append(b == StubNode.Behaviour.OK || b == StubNode.Behaviour.STALL_MID_STREAM
                        ? node.replace(" }\n", ", timeouts: { first_token_ms: 10000" + (b == StubNode.Behaviour.OK ? ", chunk_gap_ms: 10000" : "") + " } }\n")
                        : node);
            }
            yaml.append("tenants:\n");
            for (Policy p : policies) {
                yaml.append("  - { id: ").append(p.tenant()).append(", jurisdictions: ").append(p.jurisdictions())
                        .append(p.minTier() == null ? "" : ", min_tier: " + p.minTier().configName())
                        .append(", api_keys: [ { sha256: \"").append(RemoteRoutingTest.sha("key-" + p.tenant())).append("\" } ] }\n");
            }
            List<Call> round0 = new ArrayList<>();
            for (int i = 0; i < 16; i++) {
                String narrowing = random.nextInt(3) == 0 ? PLACES[random.nextInt(3)] + (random.nextBoolean() ? "," + PLACES[random.nextInt(3)] : "") : null;
                round0.add(new Call(calls++, policies.get(random.nextInt(policies.size())), narrowing, random.nextBoolean()));
            }
            try (SovereignServer server = Fleets.start(dir.resolve("round" + round), yaml.toString());
                 var pool = Executors.newVirtualThreadPerTaskExecutor()) {
                List<Future<HttpResponse<String>>> answers = new ArrayList<>();
                for (Call c : round0) {
                    Map<String, String> headers = new HashMap<>(Map.of("Authorization", "Bearer key-" + c.policy().tenant()));
                    if (c.narrowing() != null) {
                        headers.put("x-sovereign-jurisdictions", c.narrowing());
                    }
                    answers.add(pool.submit(() -> Fleets.post(server, "/v1/chat/completions", "{\"model\":\"m\",\"stream\":" + c.stream()
                            + ",\"messages\":[{\"role\":\"user\",\"content\":\"request marker q" + c.id() + "x\"}]}", headers)));
                }
                for (int i = 0; i < round0.size(); i++) {
                    check(round, nodes, round0.get(i), answers.get(i).get());
                }
            }
        }
    }

    private static void check(int round, List<Node> nodes, Call call, HttpResponse<String> r) {
        String where = "round " + round + ", call " + call.id() + " " + call + ": ";
        Set<String> allowed = call.allowed();
        String marker = "q" + call.id() + "x";
        List<Node> compliant = new ArrayList<>();
        for (Node n : nodes) {
            if (allowed.contains(n.stub().jurisdiction) && n.tier().atLeast(call.policy().minTier())) {
                compliant.add(n);
            }
        }
        for (StubNode stub : STUBS) {
            long got = stub.completions().stream().filter(x -> x.text().contains(marker)).count();
            if (!allowed.contains(stub.jurisdiction) || compliant.stream().noneMatch(n -> n.stub() == stub)) {
                assertEquals(0, got, where + "non-compliant " + stub.id + " received the request");
            }
            assertTrue(got <= 1, where + stub.id + " was tried " + got + " times");
        }
        boolean anyOk = compliant.stream().anyMatch(n -> n.stub().behaviour == StubNode.Behaviour.OK);
        JsonNode body = r.statusCode() == 200 ? null : Json.parseBody(r.body().getBytes(StandardCharsets.UTF_8));
        if (compliant.isEmpty()) {
            assertEquals(403, r.statusCode(), where + r.body());
            assertEquals("jurisdiction_policy", body.at("/error/code").asText());
            assertEquals(nodes.size() + 1, body.at("/sovereign/eliminated").size(), where + "every node is listed with its reason");
            return;
        }
        switch (r.statusCode()) {
            case 200 -> {
                String node = r.headers().firstValue("x-sovereign-node").orElseThrow();
                Node served = compliant.stream().filter(n -> n.stub().id.equals(node)).findFirst()
                        .orElseThrow(() -> new AssertionError(where + "served by non-compliant " + node));
                assertTrue(allowed.contains(r.headers().firstValue("x-sovereign-jurisdiction").orElseThrow()));
                if (call.stream()) {
                    List<String> events = Fleets.events(r.body());
                    if (served.stub().behaviour == StubNode.Behaviour.OK) {
                        assertEquals("[DONE]", events.getLast(), where);
                        assertEquals("Hello from the stub.", Fleets.streamedText(events), where);
                    } else {
                        assertEquals(StubNode.Behaviour.STALL_MID_STREAM, served.stub().behaviour, where);
                        assertTrue(events.getLast().contains("\"upstream_error\""), where + "a broken stream ends with an error event");
                        assertFalse(events.contains("[DONE]"));
                    }
                } else {
                    assertEquals(StubNode.Behaviour.OK, served.stub().behaviour, where + "only a whole answer is a 200");
                }
            }
            case 502 -> {
                // A node that stalls mid-stream fails after its first byte, which counts toward its circuit: it may be ejected.
                assertFalse(anyOk, where + "a compliant node would have answered: " + r.body());
                assertEquals("upstream_error", body.at("/error/code").asText());
                for (JsonNode attempt : body.at("/sovereign/attempts")) {
                    assertTrue(compliant.stream().anyMatch(n -> n.stub().id.equals(attempt.path("node").asText())), where + attempt);
                }
            }
            case 503 -> {
                assertFalse(anyOk, where + "an answering node is never ejected: " + r.body());
                assertEquals("no_capacity", body.at("/error/code").asText());
            }
            default -> fail(where + "unexpected " + r.statusCode() + " " + r.body());
        }
    }
}
