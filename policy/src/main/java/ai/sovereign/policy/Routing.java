package ai.sovereign.policy;

import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;

/**
 * Residency routing as a pure function: model + tenant policy + node facts -> candidates or a refusal, with the reason
 * each node was set aside. Fail closed: a node is a candidate only if it serves the model, the policy allows the model,
 * its jurisdiction is allowed, its tier meets the minimum, and it is healthy with its circuit closed. Among candidates
 * the cheapest by {@link NodeFacts.Load} comes first (ties by id, so the order is deterministic).
 */
public final class Routing {
    private Routing() {}

    public static RoutingDecision decide(String model, DataPolicy policy, List<NodeFacts> nodes) {
        List<NodeFacts> candidates = new ArrayList<>();
        List<RoutingDecision.Elimination> eliminated = new ArrayList<>();
        boolean served = false;
        boolean compliant = false;
        for (NodeFacts node : nodes) {
            RoutingDecision.Reason reason = reason(model, policy, node);
            served |= reason != RoutingDecision.Reason.MODEL_NOT_SERVED;
            compliant |= reason == null || !reason.policy() && reason != RoutingDecision.Reason.MODEL_NOT_SERVED;
            if (reason == null) {
                candidates.add(node);
            } else {
                eliminated.add(new RoutingDecision.Elimination(node.id(), reason));
            }
        }
        if (!candidates.isEmpty()) {
            candidates.sort(Comparator.comparingDouble((NodeFacts n) -> n.load().cost()).thenComparing(NodeFacts::id));
            return new RoutingDecision.Routed(candidates.stream().map(NodeFacts::id).toList(), eliminated);
        }
        RoutingDecision.Refusal refusal = !served ? RoutingDecision.Refusal.NOT_SERVED
                : compliant ? RoutingDecision.Refusal.CAPACITY : RoutingDecision.Refusal.POLICY;
        return new RoutingDecision.Refused(refusal, eliminated);
    }

    /** The first constraint the node fails, or null for a candidate. */
    static RoutingDecision.Reason reason(String model, DataPolicy policy, NodeFacts node) {
        if (!node.models().contains(model)) {
            return RoutingDecision.Reason.MODEL_NOT_SERVED;
        }
        if (!policy.allowsModel(model)) {
            return RoutingDecision.Reason.MODEL_NOT_ALLOWED;
        }
        if (!policy.jurisdictions().contains(node.jurisdiction())) {
            return RoutingDecision.Reason.JURISDICTION;
        }
        if (!node.tier().atLeast(policy.minTier())) {
            return RoutingDecision.Reason.TIER;
        }
        if (!node.healthy()) {
            return RoutingDecision.Reason.UNHEALTHY;
        }
        if (node.circuitOpen()) {
            return RoutingDecision.Reason.CIRCUIT_OPEN;
        }
        return null;
    }
}
