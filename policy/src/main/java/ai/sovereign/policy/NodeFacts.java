package ai.sovereign.policy;

import java.util.Collections;
import java.util.Set;
import java.util.TreeSet;

/**
 * What routing knows about one node at decision time.
 *
 * @param circuitOpen passive ejection: recent consecutive failures, not yet probed back
 * @param load        for the choice among compliant, healthy nodes
 */
public record NodeFacts(String id, Jurisdiction jurisdiction, SecurityTier tier, Set<String> models, boolean healthy,
                        boolean circuitOpen, Load load) {
    public NodeFacts {
        models = Collections.unmodifiableSet(new TreeSet<>(models));
    }

    /**
     * @param inFlight    requests this server has running on the node
     * @param queued      requests waiting at the node (the local engine's queue; 0 when unknown)
     * @param ewmaMillis  recent latency to first byte, exponentially weighted (0 before any)
     * @param weight      the operator's share for the node (&gt; 0; default 1)
     */
    public record Load(int inFlight, int queued, double ewmaMillis, double weight) {
        public static final Load IDLE = new Load(0, 0, 0, 1);

        public Load {
            if (!(weight > 0)) {
                throw new IllegalArgumentException("node weight must be > 0, was " + weight);
            }
        }

        /** Lower is better: expected wait per unit of share. */
        double cost() {
            return (inFlight + queued + 1) * Math.max(ewmaMillis, 1.0) / weight;
        }
    }
}
