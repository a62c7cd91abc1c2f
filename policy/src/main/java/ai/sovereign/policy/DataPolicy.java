package ai.sovereign.policy;

import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Set;
import java.util.TreeSet;

/**
 * Where a tenant's requests may run: the jurisdictions allowed, the minimum security tier (null: none) and the models
 * allowed (empty: every registered model). A request may {@link #narrow} it, never widen it.
 */
public record DataPolicy(Set<Jurisdiction> jurisdictions, SecurityTier minTier, Set<String> models) {
    public DataPolicy {
        jurisdictions = Collections.unmodifiableSet(new TreeSet<>(jurisdictions));
        models = Collections.unmodifiableSet(new TreeSet<>(models));
    }

    public boolean allowsModel(String model) {
        return models.isEmpty() || models.contains(model);
    }

    /**
     * This policy narrowed by a request's {@code x-sovereign-jurisdictions} header ({@code KR[,JP...]}): the
     * intersection, which may be empty (routing then refuses every node: a policy refusal, never a widening). A null
     * header leaves the policy as it is; a malformed one is an {@link IllegalArgumentException} naming the bad code.
     */
    public DataPolicy narrow(String header) {
        if (header == null) {
            return this;
        }
        List<Jurisdiction> asked = new ArrayList<>();
        for (String part : header.split(",", -1)) {
            asked.add(Jurisdiction.of(part));
        }
        Set<Jurisdiction> kept = new TreeSet<>(jurisdictions);
        kept.retainAll(asked);
        return new DataPolicy(kept, minTier, models);
    }
}
