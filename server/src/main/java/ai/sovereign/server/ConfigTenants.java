package ai.sovereign.server;

import ai.sovereign.policy.DataPolicy;
import ai.sovereign.policy.Jurisdiction;
import ai.sovereign.policy.PiiPolicy;
import ai.sovereign.policy.SecurityTier;
import ai.sovereign.server.tenancy.ApiKey;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.HexFormat;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Locale;
import java.util.Set;

/**
 * Tenants from {@code sovereign.yaml}, authenticated by bootstrap keys: the SHA-256 of the presented bearer key is
 * compared with every registered hash in constant time (no early exit, {@link MessageDigest#isEqual}), so timing tells
 * nothing about which prefix matched. With no tenants configured every caller is tenant {@code default}: the local
 * node's jurisdiction, no minimum tier, every model, and the top-level {@code pii:} policy.
 */
final class ConfigTenants implements Tenants {
    static final String DEFAULT = "default";

    private record Key(byte[] sha256, Caller caller) {}

    private final List<Key> keys;
    private final Caller fallback;

    private ConfigTenants(List<Key> keys, Caller fallback) {
        this.keys = keys;
        this.fallback = fallback;
    }

    static ConfigTenants from(ServerConfig config) {
        Jurisdiction local = Jurisdiction.of(config.localOrDefault().jurisdictionOrDefault());
        if (config.tenantsOrEmpty().isEmpty()) {
            return new ConfigTenants(List.of(), new Caller(new Tenant(DEFAULT, "", new DataPolicy(Set.of(local), null, Set.of()), config.piiPolicy()),
                    java.util.EnumSet.allOf(ApiKey.Scope.class))); // loopback only: the operator's own machine
        }
        List<Key> keys = new ArrayList<>();
        for (ServerConfig.TenantEntry t : config.tenantsOrEmpty()) {
            DataPolicy data = dataPolicy(t, local);
            PiiPolicy pii = t.pii() == null && t.id().equals(DEFAULT) ? config.piiPolicy() : PiiPolicy.parse(t.pii());
            for (ServerConfig.ApiKey k : t.apiKeys() == null ? List.<ServerConfig.ApiKey>of() : t.apiKeys()) {
                byte[] hash = HexFormat.of().parseHex(k.sha256().toLowerCase(Locale.ROOT));
                keys.add(new Key(hash, new Caller(new Tenant(t.id(), "sha256:" + k.sha256().toLowerCase(Locale.ROOT).substring(0, 8), data, pii),
                        scopes(k))));
            }
        }
        return new ConfigTenants(keys, null);
    }

    /** A bootstrap key's scopes: {@code scopes: [inference, auditor, admin]}; absent: inference. */
    private static Set<ApiKey.Scope> scopes(ServerConfig.ApiKey k) {
        if (k.scopes() == null || k.scopes().isEmpty()) {
            return Set.of(ApiKey.Scope.INFERENCE);
        }
        Set<ApiKey.Scope> out = java.util.EnumSet.noneOf(ApiKey.Scope.class);
        k.scopes().forEach(s -> out.add(ApiKey.Scope.parse(s)));
        return out;
    }

    private static DataPolicy dataPolicy(ServerConfig.TenantEntry t, Jurisdiction local) {
        return dataPolicy(t.jurisdictions(), t.minTier(), t.models(), local);
    }

    /**
     * A tenant's data policy from its parts as the config and the store hold them: no jurisdictions means the local
     * node's, no minimum tier none, no models every model.
     */
    static DataPolicy dataPolicy(java.util.Collection<String> jurisdictions, String minTier, java.util.Collection<String> models,
                                 Jurisdiction local) {
        Set<Jurisdiction> allowed = new LinkedHashSet<>();
        if (jurisdictions == null || jurisdictions.isEmpty()) {
            allowed.add(local);
        } else {
            jurisdictions.forEach(j -> allowed.add(Jurisdiction.of(j)));
        }
        return new DataPolicy(allowed, minTier == null ? null : SecurityTier.parse(minTier), models == null ? Set.of() : new HashSet<>(models));
    }

    /** The key of an {@code Authorization: Bearer <key>} header; null when there is none. */
    static String bearer(String authorization) {
        String key = authorization != null && authorization.regionMatches(true, 0, "Bearer ", 0, 7) ? authorization.substring(7).strip() : null;
        return key == null || key.isEmpty() ? null : key;
    }

    /** Validates {@code tenants:}; an error names the entry and the key. */
    static void check(ServerConfig config) {
        Set<String> ids = new HashSet<>();
        Set<String> hashes = new HashSet<>();
        List<ServerConfig.TenantEntry> tenants = config.tenantsOrEmpty();
        for (int i = 0; i < tenants.size(); i++) {
            ServerConfig.TenantEntry t = tenants.get(i);
            String at = "tenants[" + i + "]";
            if (t.id() == null || t.id().isBlank()) {
                throw new IllegalArgumentException(at + ".id: every tenant needs an id");
            }
            if (!t.id().matches("[a-z0-9][a-z0-9._-]{0,62}")) {
                throw new IllegalArgumentException(at + ".id: '" + t.id() + "' must be 1-63 lowercase letters, digits, '.', '_' or '-' "
                        + "(the tenants store's ids)");
            }
            if (!ids.add(t.id())) {
                throw new IllegalArgumentException(at + ".id: tenant " + t.id() + " is configured twice");
            }
            if (t.jurisdictions() != null && t.jurisdictions().isEmpty()) {
                throw new IllegalArgumentException(at + ".jurisdictions: an empty list allows nowhere; list at least one code, or leave "
                        + "it out for the local node's");
            }
            try {
                if (t.jurisdictions() != null) {
                    t.jurisdictions().forEach(Jurisdiction::of);
                }
            } catch (IllegalArgumentException e) {
                throw new IllegalArgumentException(at + ".jurisdictions: " + e.getMessage());
            }
            try {
                if (t.minTier() != null) {
                    SecurityTier.parse(t.minTier());
                }
            } catch (IllegalArgumentException e) {
                throw new IllegalArgumentException(at + ".min_tier: " + e.getMessage());
            }
            try {
                PiiPolicy.parse(t.pii());
            } catch (IllegalArgumentException e) {
                throw new IllegalArgumentException(at + ".pii." + e.getMessage());
            }
            List<ServerConfig.ApiKey> keys = t.apiKeys() == null ? List.of() : t.apiKeys();
            for (int k = 0; k < keys.size(); k++) {
                String h = keys.get(k).sha256();
                if (h == null || !h.matches("[0-9a-fA-F]{64}")) {
                    throw new IllegalArgumentException(at + ".api_keys[" + k + "].sha256: must be the 64-hex-digit SHA-256 of the key");
                }
                if (!hashes.add(h.toLowerCase(Locale.ROOT))) {
                    throw new IllegalArgumentException(at + ".api_keys[" + k + "].sha256: the same key is registered twice");
                }
                try {
                    scopes(keys.get(k));
                } catch (IllegalArgumentException e) {
                    throw new IllegalArgumentException(at + ".api_keys[" + k + "].scopes: " + e.getMessage());
                }
            }
            if (t.quotas() != null) {
                nonNegative(at + ".quotas.requests_per_minute", t.quotas().requestsPerMinute());
                nonNegative(at + ".quotas.tokens_per_minute", t.quotas().tokensPerMinute());
                nonNegative(at + ".quotas.tokens_per_day", t.quotas().tokensPerDay());
            }
            if (t.share() != null && t.share().weight() != null && !(t.share().weight() >= 1 && t.share().weight() <= 10_000)) {
                throw new IllegalArgumentException(at + ".share.weight: must be within 1..10000, was " + t.share().weight());
            }
            try {
                if (t.share() != null && t.share().priority() != null) {
                    ai.sovereign.server.tenancy.Tenant.Priority.parse(t.share().priority());
                }
            } catch (IllegalArgumentException e) {
                throw new IllegalArgumentException(at + ".share.priority: " + e.getMessage());
            }
        }
    }

    private static void nonNegative(String at, Long value) {
        if (value != null && value < 0) {
            throw new IllegalArgumentException(at + ": must be >= 0, was " + value);
        }
    }

    /** A tenant whose data policy a reload widens, and how (for the ledger's admin event). */
    record Widening(String tenant, java.util.Map<String, String> attributes) {}

    /**
     * Tenants present in both configs whose policy {@code next} widens: a jurisdiction added, the minimum tier lowered
     * or removed, or models added to a restricted list (or the restriction removed). With no tenants configured the
     * tenant {@code default} follows the local node, which a reload does not change.
     */
    static List<Widening> widenings(ServerConfig before, ServerConfig next) {
        Jurisdiction local = Jurisdiction.of(before.localOrDefault().jurisdictionOrDefault());
        java.util.Map<String, ServerConfig.TenantEntry> old = new java.util.HashMap<>();
        before.tenantsOrEmpty().forEach(t -> old.put(t.id(), t));
        List<Widening> out = new ArrayList<>();
        for (ServerConfig.TenantEntry t : next.tenantsOrEmpty()) {
            ServerConfig.TenantEntry was = old.get(t.id());
            if (was == null) {
                continue;
            }
            DataPolicy a = dataPolicy(was, local);
            DataPolicy b = dataPolicy(t, local);
            boolean jurisdictions = !a.jurisdictions().containsAll(b.jurisdictions());
            boolean tier = a.minTier() != null && (b.minTier() == null || b.minTier().compareTo(a.minTier()) < 0);
            boolean models = !a.models().isEmpty() && (b.models().isEmpty() || !a.models().containsAll(b.models()));
            if (jurisdictions || tier || models) {
                java.util.Map<String, String> attrs = new java.util.TreeMap<>();
                attrs.put("jurisdictions_before", a.jurisdictions().toString());
                attrs.put("jurisdictions_after", b.jurisdictions().toString());
                attrs.put("min_tier_before", a.minTier() == null ? "" : a.minTier().configName());
                attrs.put("min_tier_after", b.minTier() == null ? "" : b.minTier().configName());
                attrs.put("models_before", a.models().isEmpty() ? "*" : a.models().toString());
                attrs.put("models_after", b.models().isEmpty() ? "*" : b.models().toString());
                out.add(new Widening(t.id(), attrs));
            }
        }
        return out;
    }

    @Override
    public Caller authenticate(String authorization) {
        if (fallback != null) {
            return fallback;
        }
        String key = bearer(authorization);
        if (key == null) {
            throw invalidKey("no API key: send Authorization: Bearer <key>");
        }
        byte[] presented = sha256(key);
        Caller found = null;
        for (Key k : keys) {
            if (MessageDigest.isEqual(k.sha256, presented) & found == null) {
                found = k.caller;
            }
        }
        if (found == null) {
            throw invalidKey("the API key is not valid");
        }
        return found;
    }

    @Override
    public boolean hasKeys() {
        return !keys.isEmpty();
    }

    static ApiException invalidKey(String message) {
        return new ApiException(401, "invalid_request_error", "invalid_api_key", null, message, null);
    }

    private static byte[] sha256(String key) {
        try {
            return MessageDigest.getInstance("SHA-256").digest(key.getBytes(StandardCharsets.UTF_8));
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException(e);
        }
    }
}
