package ai.sovereign.policy;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.sovereign.policy.RoutingDecision.Elimination;
import ai.sovereign.policy.RoutingDecision.Reason;
import ai.sovereign.policy.RoutingDecision.Refusal;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.Set;
import org.junit.jupiter.api.Test;

class RoutingTest {
    private static final Jurisdiction KR = Jurisdiction.of("KR");
    private static final Jurisdiction US = Jurisdiction.of("US");
    private static final Jurisdiction JP = Jurisdiction.of("JP");

    private static NodeFacts node(String id, Jurisdiction j, SecurityTier tier, boolean healthy, boolean open, int inFlight, String... models) {
        return new NodeFacts(id, j, tier, Set.of(models), healthy, open, new NodeFacts.Load(inFlight, 0, 10, 1));
    }

    @Test
    void jurisdictionsAreIsoAlpha2() {
        assertEquals("KR", Jurisdiction.of(" kr ").code());
        assertThrows(IllegalArgumentException.class, () -> Jurisdiction.of("KOR"));
        assertThrows(IllegalArgumentException.class, () -> Jurisdiction.of("XX"));
        assertThrows(IllegalArgumentException.class, () -> Jurisdiction.of(""));
        assertThrows(IllegalArgumentException.class, () -> Jurisdiction.of(null));
    }

    @Test
    void tiersAcceptCsapAndN2sfNames() {
        assertEquals(SecurityTier.HIGH, SecurityTier.parse("상"));
        assertEquals(SecurityTier.HIGH, SecurityTier.parse("C"));
        assertEquals(SecurityTier.MODERATE, SecurityTier.parse("중"));
        assertEquals(SecurityTier.MODERATE, SecurityTier.parse("s"));
        assertEquals(SecurityTier.LOW, SecurityTier.parse("하"));
        assertEquals(SecurityTier.LOW, SecurityTier.parse("O"));
        assertEquals(SecurityTier.MODERATE, SecurityTier.parse("Moderate"));
        assertThrows(IllegalArgumentException.class, () -> SecurityTier.parse("secret"));
        assertTrue(SecurityTier.HIGH.atLeast(SecurityTier.MODERATE));
        assertFalse(SecurityTier.LOW.atLeast(SecurityTier.MODERATE));
        assertTrue(SecurityTier.LOW.atLeast(null));
    }

    @Test
    void aHeaderNarrowsButNeverWidens() {
        DataPolicy policy = new DataPolicy(Set.of(KR, JP), null, Set.of());
        assertEquals(Set.of(KR), policy.narrow("kr").jurisdictions());
        assertEquals(Set.of(KR), policy.narrow("KR,US").jurisdictions(), "US is not added");
        assertEquals(Set.of(), policy.narrow("US").jurisdictions(), "an empty intersection stays empty");
        assertEquals(policy, policy.narrow(null));
        assertThrows(IllegalArgumentException.class, () -> policy.narrow("KR,,JP"));
        assertThrows(IllegalArgumentException.class, () -> policy.narrow("Korea"));
    }

    @Test
    void policyRemovingEveryServingNodeIsAPolicyRefusal() {
        DataPolicy krOnly = new DataPolicy(Set.of(KR), SecurityTier.MODERATE, Set.of());
        List<NodeFacts> nodes = List.of(
                node("us-1", US, SecurityTier.HIGH, true, false, 0, "m"),
                node("kr-low", KR, SecurityTier.LOW, true, false, 0, "m"),
                node("kr-other", KR, SecurityTier.HIGH, true, false, 0, "other"));
        var d = (RoutingDecision.Refused) Routing.decide("m", krOnly, nodes);
        assertEquals(Refusal.POLICY, d.refusal());
        assertEquals(List.of(new Elimination("us-1", Reason.JURISDICTION), new Elimination("kr-low", Reason.TIER),
                new Elimination("kr-other", Reason.MODEL_NOT_SERVED)), d.eliminated());
    }

    @Test
    void compliantButDownIsACapacityRefusal() {
        DataPolicy krOnly = new DataPolicy(Set.of(KR), null, Set.of());
        var d = (RoutingDecision.Refused) Routing.decide("m", krOnly, List.of(
                node("us-1", US, SecurityTier.HIGH, true, false, 0, "m"),
                node("kr-1", KR, SecurityTier.HIGH, false, false, 0, "m"),
                node("kr-2", KR, SecurityTier.HIGH, true, true, 0, "m")));
        assertEquals(Refusal.CAPACITY, d.refusal());
        assertEquals(List.of(new Elimination("us-1", Reason.JURISDICTION), new Elimination("kr-1", Reason.UNHEALTHY),
                new Elimination("kr-2", Reason.CIRCUIT_OPEN)), d.eliminated());
        assertEquals(Refusal.NOT_SERVED, ((RoutingDecision.Refused) Routing.decide("nope", krOnly,
                List.of(node("kr-1", KR, SecurityTier.HIGH, true, false, 0, "m")))).refusal());
        assertEquals(Refusal.POLICY, ((RoutingDecision.Refused) Routing.decide("m", new DataPolicy(Set.of(KR), null, Set.of("x")),
                List.of(node("kr-1", KR, SecurityTier.HIGH, true, false, 0, "m")))).refusal(), "a model the tenant may not use");
    }

    @Test
    void candidatesAreOrderedByLoad() {
        DataPolicy any = new DataPolicy(Set.of(KR, US), null, Set.of());
        var d = (RoutingDecision.Routed) Routing.decide("m", any, List.of(
                node("b", KR, SecurityTier.HIGH, true, false, 3, "m"),
                node("a", KR, SecurityTier.HIGH, true, false, 3, "m"),
                node("c", US, SecurityTier.LOW, true, false, 0, "m"),
                new NodeFacts("heavy", KR, SecurityTier.HIGH, Set.of("m"), true, false, new NodeFacts.Load(3, 0, 10, 4))));
        assertEquals(List.of("c", "heavy", "a", "b"), d.candidates(), "cheapest first, weight divides, ties by id");
    }

    /**
     * Property: over random policies and fleets, a node is a candidate exactly when it is compliant and available,
     * every other node is eliminated with the first constraint it fails, and a refusal is classified by whether any
     * compliant node exists. Checked against an independent statement of the rules.
     */
    @Test
    void randomFleetsNeverYieldANonCompliantCandidate() {
        Random random = new Random(20261123L);
        Jurisdiction[] places = {KR, US, JP, Jurisdiction.of("DE"), Jurisdiction.of("SG")};
        String[] modelNames = {"a", "b", "c"};
        for (int round = 0; round < 20_000; round++) {
            Set<Jurisdiction> allowed = new HashSet<>();
            for (Jurisdiction j : places) {
                if (random.nextInt(3) == 0) {
                    allowed.add(j);
                }
            }
            SecurityTier min = random.nextInt(4) == 0 ? null : SecurityTier.values()[random.nextInt(3)];
            Set<String> allowedModels = random.nextInt(4) == 0 ? Set.of(modelNames[random.nextInt(3)]) : Set.of();
            DataPolicy policy = new DataPolicy(allowed, min, allowedModels);
            if (random.nextBoolean()) {
                policy = policy.narrow(places[random.nextInt(places.length)].code() + (random.nextBoolean() ? "," + places[random.nextInt(places.length)].code() : ""));
            }
            List<NodeFacts> nodes = new ArrayList<>();
            int count = random.nextInt(8);
            for (int i = 0; i < count; i++) {
                Set<String> served = new HashSet<>();
                for (String m : modelNames) {
                    if (random.nextBoolean()) {
                        served.add(m);
                    }
                }
                nodes.add(new NodeFacts("n" + i, places[random.nextInt(places.length)], SecurityTier.values()[random.nextInt(3)], served,
                        random.nextInt(5) != 0, random.nextInt(6) == 0,
                        new NodeFacts.Load(random.nextInt(10), random.nextInt(3), random.nextDouble() * 100, 0.5 + random.nextInt(4))));
            }
            String model = modelNames[random.nextInt(3)];
            RoutingDecision decision = Routing.decide(model, policy, nodes);

            Map<String, Reason> expected = new HashMap<>();
            boolean anyServes = false;
            boolean anyCompliant = false;
            for (NodeFacts n : nodes) {
                Reason r;
                if (!n.models().contains(model)) {
                    r = Reason.MODEL_NOT_SERVED;
                } else if (!allowedModels.isEmpty() && !allowedModels.contains(model)) {
                    r = Reason.MODEL_NOT_ALLOWED;
                } else if (!policy.jurisdictions().contains(n.jurisdiction()) || !allowed.contains(n.jurisdiction())) {
                    r = Reason.JURISDICTION;
                } else if (min != null && n.tier().ordinal() < min.ordinal()) {
                    r = Reason.TIER;
                } else if (!n.healthy()) {
                    r = Reason.UNHEALTHY;
                } else if (n.circuitOpen()) {
                    r = Reason.CIRCUIT_OPEN;
                } else {
                    r = null;
                }
                anyServes |= n.models().contains(model);
                anyCompliant |= r == null || r == Reason.UNHEALTHY || r == Reason.CIRCUIT_OPEN;
                expected.put(n.id(), r);
            }
            Map<String, Reason> actual = new HashMap<>();
            decision.eliminated().forEach(e -> actual.put(e.node(), e.reason()));
            Set<String> candidates = new HashSet<>();
            switch (decision) {
                case RoutingDecision.Routed routed -> {
                    candidates.addAll(routed.candidates());
                    assertEquals(routed.candidates().size(), candidates.size(), "each candidate once");
                    for (int i = 1; i < routed.candidates().size(); i++) {
                        NodeFacts prev = nodes.get(Integer.parseInt(routed.candidates().get(i - 1).substring(1)));
                        NodeFacts next = nodes.get(Integer.parseInt(routed.candidates().get(i).substring(1)));
                        assertTrue(prev.load().cost() <= next.load().cost(), "round " + round + ": ordered by load");
                    }
                }
                case RoutingDecision.Refused refused -> assertEquals(!anyServes ? Refusal.NOT_SERVED : anyCompliant ? Refusal.CAPACITY
                        : Refusal.POLICY, refused.refusal(), "round " + round);
            }
            for (NodeFacts n : nodes) {
                Reason want = expected.get(n.id());
                if (want == null) {
                    assertTrue(candidates.contains(n.id()), "round " + round + ": compliant available node " + n.id() + " is a candidate");
                    assertFalse(actual.containsKey(n.id()));
                } else {
                    assertFalse(candidates.contains(n.id()), "round " + round + ": " + n + " must not be a candidate");
                    assertEquals(want, actual.get(n.id()), "round " + round + ": reason for " + n.id());
                }
            }
        }
    }
}
