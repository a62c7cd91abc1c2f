package ai.sovereign.server.tenancy;

import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import java.util.regex.Pattern;

/**
 * A tenant: an organization (a consortium, an enterprise) or a project under one (a team, a
 * department). A project narrows its organization's data policy and is limited by both its own
 * quotas and its organization's; empty policy fields inherit the organization's.
 *
 * @param id            lowercase letters, digits, {@code . _ -}; at most 63 characters
 * @param parent        the organization of a project; null for an organization
 * @param jurisdictions allowed ISO 3166-1 alpha-2 codes; empty: inherit (organization: the local node's)
 * @param minTier       {@code high}, {@code moderate} or {@code low}; null: inherit / no minimum
 * @param pii           personal-data action per entity type (and {@code default}); empty: inherit / the default policy
 * @param models        the model names it may use; empty: inherit (organization: every registered model)
 * @param quotas        limits; a null field is unlimited
 * @param weight        GPU-share weight for fair queuing, 1..10,000
 * @param priority      queue class; a higher class is served first, never preempting running work
 */
public record Tenant(String id, String parent, List<String> jurisdictions, String minTier, Map<String, String> pii,
                     List<String> models, Quotas quotas, int weight, Priority priority) {
    private static final Pattern ID = Pattern.compile("[a-z0-9][a-z0-9._-]{0,62}");
    private static final Pattern COUNTRY = Pattern.compile("[A-Z]{2}");
    /** Stored comma-separated, so a model name holds no comma (nor space or control character). */
    private static final Pattern MODEL = Pattern.compile("[^,\\s\\p{Cntrl}]{1,256}");
    private static final Pattern PII_TYPE = Pattern.compile("[A-Z][A-Z0-9_]{0,63}|default");
    private static final Set<String> TIERS = Set.of("high", "moderate", "low");
    private static final Set<String> PII_ACTIONS = Set.of("allow", "block", "redact", "pseudonymize");

    public Tenant {
        checkId("tenant id", id);
        if (parent != null) {
            checkId("parent id", parent);
            if (parent.equals(id)) {
                throw new IllegalArgumentException("tenant " + id + " cannot be its own parent");
            }
        }
        jurisdictions = List.copyOf(jurisdictions == null ? List.of() : jurisdictions);
        for (String j : jurisdictions) {
            if (!COUNTRY.matcher(j).matches()) {
                throw new IllegalArgumentException("jurisdiction '" + j + "' is not an ISO 3166-1 alpha-2 code such as KR");
            }
        }
        if (minTier != null && !TIERS.contains(minTier)) {
            throw new IllegalArgumentException("min_tier '" + minTier + "' is not one of high, moderate, low");
        }
        Map<String, String> copy = new LinkedHashMap<>();
        if (pii != null) {
            pii.forEach((type, action) -> {
                if (!PII_TYPE.matcher(type).matches()) {
                    throw new IllegalArgumentException("pii type '" + type + "' is not an entity type such as KR_RRN, or default");
                }
                String a = action == null ? "" : action.toLowerCase(Locale.ROOT);
                if (!PII_ACTIONS.contains(a)) {
                    throw new IllegalArgumentException("pii action for " + type + " must be allow, block, redact or pseudonymize");
                }
                copy.put(type, a);
            });
        }
        pii = Map.copyOf(copy);
        models = List.copyOf(models == null ? List.of() : new java.util.LinkedHashSet<>(models));
        for (String m : models) {
            if (!MODEL.matcher(m).matches()) {
                throw new IllegalArgumentException("model name '" + m + "' must be 1-256 characters without commas, spaces or control characters");
            }
        }
        quotas = quotas == null ? Quotas.UNLIMITED : quotas;
        if (weight < 1 || weight > 10_000) {
            throw new IllegalArgumentException("share weight " + weight + " is outside 1..10000");
        }
        priority = priority == null ? Priority.NORMAL : priority;
    }

    /** An organization with no limits, weight 1, normal priority. */
    public static Tenant organization(String id) {
        return new Tenant(id, null, List.of(), null, Map.of(), List.of(), Quotas.UNLIMITED, 1, Priority.NORMAL);
    }

    /** A project of {@code organization} with no limits of its own. */
    public static Tenant project(String id, String organization) {
        return new Tenant(id, organization, List.of(), null, Map.of(), List.of(), Quotas.UNLIMITED, 1, Priority.NORMAL);
    }

    public boolean isOrganization() {
        return parent == null;
    }

    public Tenant withQuotas(Quotas q) {
        return new Tenant(id, parent, jurisdictions, minTier, pii, models, q, weight, priority);
    }

    public Tenant withShare(int w, Priority p) {
        return new Tenant(id, parent, jurisdictions, minTier, pii, models, quotas, w, p);
    }

    public Tenant withPolicy(List<String> j, String tier, Map<String, String> piiActions) {
        return new Tenant(id, parent, j, tier, piiActions, models, quotas, weight, priority);
    }

    public Tenant withModels(List<String> allowed) {
        return new Tenant(id, parent, jurisdictions, minTier, pii, allowed, quotas, weight, priority);
    }

    static void checkId(String what, String id) {
        if (id == null || !ID.matcher(id).matches()) {
            throw new IllegalArgumentException(what + " must be 1-63 lowercase letters, digits, '.', '_' or '-', starting with a letter or digit");
        }
    }

    /**
     * Limits on admitted work; null means unlimited. Minute windows slide over 1-second buckets, the
     * day over 1-minute buckets and the month (30 days) over 1-hour buckets, so no window of that
     * length ever holds more than the limit.
     */
    public record Quotas(Long requestsPerMinute, Long tokensPerMinute, Long tokensPerDay, Long tokensPerMonth, Long maxConcurrent) {
        public static final Quotas UNLIMITED = new Quotas(null, null, null, null, null);

        public Quotas {
            check("requests_per_minute", requestsPerMinute);
            check("tokens_per_minute", tokensPerMinute);
            check("tokens_per_day", tokensPerDay);
            check("tokens_per_month", tokensPerMonth);
            check("max_concurrent", maxConcurrent);
        }

        public boolean unlimited() {
            return requestsPerMinute == null && tokensPerMinute == null && tokensPerDay == null && tokensPerMonth == null
                    && maxConcurrent == null;
        }

        boolean windowed() {
            return requestsPerMinute != null || tokensPerMinute != null || tokensPerDay != null || tokensPerMonth != null;
        }

        private static void check(String name, Long v) {
            if (v != null && v < 0) {
                throw new IllegalArgumentException(name + " is " + v + "; it must be 0 or more (absent: unlimited)");
            }
        }
    }

    /** Fair-share queue class. */
    public enum Priority {
        HIGH, NORMAL, LOW;

        public String label() {
            return name().toLowerCase(Locale.ROOT);
        }

        public static Priority parse(String s) {
            try {
                return valueOf(s.toUpperCase(Locale.ROOT));
            } catch (IllegalArgumentException e) {
                throw new IllegalArgumentException("priority '" + s + "' is not one of high, normal, low");
            }
        }
    }
}
