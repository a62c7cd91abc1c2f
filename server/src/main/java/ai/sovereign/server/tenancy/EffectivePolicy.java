package ai.sovereign.server.tenancy;

import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * A tenant's data policy after inheritance: a project's empty fields take its organization's values,
 * and its jurisdictions are the intersection with the organization's (a project can only narrow).
 * Empty jurisdictions mean "the local node's" (the pipeline decides); an empty PII map means the
 * default policy. Personal-data actions narrow too: a project's action for a type stands only where
 * it is at least as strict as its organization's (block > redact > pseudonymize > allow). Models narrow like
 * jurisdictions: empty means every registered model. The store refuses a project that lists a jurisdiction or model
 * its organization does not, and an organization narrowed below one of its projects, so an intersection is never
 * empty where both sides list something.
 */
public record EffectivePolicy(List<String> jurisdictions, String minTier, Map<String, String> pii, List<String> models) {
    public EffectivePolicy {
        jurisdictions = List.copyOf(jurisdictions);
        pii = Map.copyOf(pii);
        models = List.copyOf(models);
    }

    static EffectivePolicy of(Tenant tenant, Tenant organization) {
        if (organization == null) {
            return new EffectivePolicy(tenant.jurisdictions(), tenant.minTier(), tenant.pii(), tenant.models());
        }
        List<String> j = narrowed(tenant.jurisdictions(), organization.jurisdictions());
        String tier = stricter(tenant.minTier(), organization.minTier());
        Map<String, String> pii = new LinkedHashMap<>(organization.pii());
        String orgDefault = organization.pii().get("default");
        tenant.pii().forEach((type, action) -> {
            String floor = organization.pii().getOrDefault(type, orgDefault);
            pii.put(type, floor == null || strictness(action) >= strictness(floor) ? action : floor);
        });
        return new EffectivePolicy(j, tier, pii, narrowed(tenant.models(), organization.models()));
    }

    /** A project's list within its organization's; empty on either side means "no restriction there". */
    private static List<String> narrowed(List<String> project, List<String> organization) {
        if (project.isEmpty()) {
            return organization;
        }
        return organization.isEmpty() ? project : project.stream().filter(organization::contains).toList();
    }

    private static String stricter(String a, String b) {
        if (a == null) {
            return b;
        }
        if (b == null) {
            return a;
        }
        return rank(a) >= rank(b) ? a : b;
    }

    private static int strictness(String action) {
        return switch (action) {
            case "block" -> 3;
            case "redact" -> 2;
            case "pseudonymize" -> 1;
            default -> 0;
        };
    }

    private static int rank(String tier) {
        return switch (tier) {
            case "high" -> 3;
            case "moderate" -> 2;
            default -> 1;
        };
    }
}
