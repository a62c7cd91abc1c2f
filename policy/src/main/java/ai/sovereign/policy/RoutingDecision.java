package ai.sovereign.policy;

import java.util.List;

/** Where a request may go, or why it may go nowhere; every node that was set aside is listed with its reason. */
public sealed interface RoutingDecision {
    List<Elimination> eliminated();

    /** Nodes that may serve it, best first by load; the caller tries each at most once. */
    record Routed(List<String> candidates, List<Elimination> eliminated) implements RoutingDecision {
        public Routed {
            candidates = List.copyOf(candidates);
            eliminated = List.copyOf(eliminated);
        }
    }

    /** No node may serve it. */
    record Refused(Refusal refusal, List<Elimination> eliminated) implements RoutingDecision {
        public Refused {
            eliminated = List.copyOf(eliminated);
        }
    }

    enum Refusal {
        /** No node serves the model at all (not a policy question). */
        NOT_SERVED,
        /** Policy removed every node that serves the model (403 {@code jurisdiction_policy}). */
        POLICY,
        /** Compliant nodes exist but none is available now (503 {@code no_capacity}). */
        CAPACITY
    }

    /** Why a node was set aside. Policy reasons come first: a node that is both non-compliant and down is non-compliant. */
    enum Reason {
        MODEL_NOT_SERVED(false), MODEL_NOT_ALLOWED(true), JURISDICTION(true), TIER(true), UNHEALTHY(false), CIRCUIT_OPEN(false);

        private final boolean policy;

        Reason(boolean policy) {
            this.policy = policy;
        }

        /** Whether policy (as opposed to the model or the node's state) removed the node. */
        public boolean policy() {
            return policy;
        }

        public String code() {
            return name().toLowerCase(java.util.Locale.ROOT);
        }
    }

    record Elimination(String node, Reason reason) {}
}
