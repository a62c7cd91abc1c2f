package ai.sovereign.server;

import ai.sovereign.policy.DataPolicy;
import ai.sovereign.policy.Jurisdiction;
import ai.sovereign.policy.PiiPolicy;
import ai.sovereign.policy.SecurityTier;
import ai.sovereign.server.tenancy.Authentication;
import ai.sovereign.server.tenancy.EffectivePolicy;
import ai.sovereign.server.tenancy.Tenancy;
import java.time.Instant;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * The authenticate stage over the tenants store and the config: a store key ({@code sk-sov-…}) is checked in the store
 * on every request (a revoked or rotated-out key fails from its next request on, on every instance); any other key is
 * compared with the config's bootstrap keys. A store principal's merged policy becomes the same {@link Tenant} a config
 * tenant would be (jurisdictions, empty meaning the local node's; minimum tier; PII actions, empty meaning the top-level
 * policy; models, empty meaning every model), so routing and the guard treat both alike. With no key anywhere, callers are tenant {@code default}
 * (loopback only). Config tenants are mirrored into the store at start and on reload ({@link #mirror}), so the store
 * enforces their quotas and shares like any other tenant's.
 */
final class StoreTenants implements Tenants {
    private final Tenancy tenancy;
    private final ConfigTenants config;
    private final boolean configured;
    private final Jurisdiction local;
    private final PiiPolicy defaultPii;
    private volatile boolean storeKeys;

    StoreTenants(Tenancy tenancy, ServerConfig cfg) {
        this.tenancy = tenancy;
        this.config = ConfigTenants.from(cfg);
        this.configured = !cfg.tenantsOrEmpty().isEmpty();
        this.local = Jurisdiction.of(cfg.localOrDefault().jurisdictionOrDefault());
        this.defaultPii = cfg.piiPolicy();
        refresh();
    }

    /** Re-reads whether the store holds an active key (the CLI may add one to a running server's store). */
    void refresh() {
        Instant now = Instant.now();
        storeKeys = tenancy.keys(null).stream().anyMatch(k -> k.activeAt(now));
    }

    @Override
    public Caller authenticate(String authorization) {
        String key = ConfigTenants.bearer(authorization);
        if (key != null) {
            switch (tenancy.authenticate(key)) {
                case Authentication.Authenticated a -> {
                    return caller(a.principal());
                }
                case Authentication.Rejected r when r.reason() != Authentication.Reason.NOT_A_STORE_KEY ->
                        throw ConfigTenants.invalidKey("the API key is not valid");
                case Authentication.Rejected r -> {
                    // not a store key: the config's bootstrap keys below
                }
            }
        }
        if (!configured && storeKeys) {
            throw ConfigTenants.invalidKey(key == null ? "no API key: send Authorization: Bearer <key>" : "the API key is not valid");
        }
        return config.authenticate(authorization);
    }

    @Override
    public boolean hasKeys() {
        return storeKeys || config.hasKeys();
    }

    /** The store principal of {@code caller}, for the admin and usage API. */
    Authentication.Principal principal(Caller caller) {
        ai.sovereign.server.tenancy.Tenant t = tenancy.tenant(caller.tenant().id()).orElseThrow(() -> ConfigTenants.invalidKey(
                "tenant " + caller.tenant().id() + " no longer exists"));
        return new Authentication.Principal(t, t.parent(), new EffectivePolicy(t.jurisdictions(), t.minTier(), t.pii(), t.models()), caller.scopes(),
                caller.tenant().keyId());
    }

    /** {@code tenant} and, for an organization, its projects: what a key of that tenant may see of its usage and ledger entries. */
    Set<String> visibleTenants(String tenant) {
        Set<String> out = new LinkedHashSet<>();
        out.add(tenant);
        tenancy.tenants().stream().filter(t -> tenant.equals(t.parent())).forEach(t -> out.add(t.id()));
        return out;
    }

    private Caller caller(Authentication.Principal p) {
        EffectivePolicy policy = p.policy();
        DataPolicy data = ConfigTenants.dataPolicy(policy.jurisdictions(), policy.minTier(), policy.models(), local);
        PiiPolicy pii = policy.pii().isEmpty() ? defaultPii : PiiPolicy.parse(policy.pii());
        return new Caller(new Tenant(p.tenant().id(), "key:" + p.keyLookup(), data, pii), p.scopes());
    }

    /**
     * Puts the config's tenants into the store (created, or updated where the config changed them; the store keeps what
     * the config does not set: parent, tokens per month, max concurrent), and with no tenants configured the tenant
     * {@code default} (unlimited) when the store lacks it. A tenant that came from the config and has left it is
     * deleted with its keys and grants (its usage records stay); one created through the CLI or the admin API is
     * never touched. An organization that still has projects is kept, with a warning, until it can be deleted.
     */
    static void mirror(Tenancy tenancy, ServerConfig cfg) {
        Set<String> configured = new java.util.TreeSet<>();
        cfg.tenantsOrEmpty().forEach(e -> configured.add(e.id()));
        Set<String> marked = new java.util.TreeSet<>(configured);
        for (String gone : tenancy.configTenants()) {
            if (!configured.contains(gone) && tenancy.tenant(gone).isPresent()) {
                try {
                    tenancy.deleteTenant(gone);
                    Log.info("tenants: " + gone + " has left the config: deleted with its keys and grants (its usage records stay)");
                } catch (IllegalArgumentException e) {
                    Log.warn("tenants: " + gone + " has left the config but is kept (deleted once it can be): " + e.getMessage());
                    marked.add(gone);
                }
            }
        }
        tenancy.configTenants(marked);
        if (cfg.tenantsOrEmpty().isEmpty()) {
            if (tenancy.tenant(ConfigTenants.DEFAULT).isEmpty()) {
                tenancy.putTenant(ai.sovereign.server.tenancy.Tenant.organization(ConfigTenants.DEFAULT));
            }
            return;
        }
        for (ServerConfig.TenantEntry e : cfg.tenantsOrEmpty()) {
            var old = tenancy.tenant(e.id());
            var oq = old.map(ai.sovereign.server.tenancy.Tenant::quotas).orElse(ai.sovereign.server.tenancy.Tenant.Quotas.UNLIMITED);
            ServerConfig.Quotas q = e.quotas();
            var quotas = new ai.sovereign.server.tenancy.Tenant.Quotas(q == null ? null : q.requestsPerMinute(),
                    q == null ? null : q.tokensPerMinute(), q == null ? null : q.tokensPerDay(), oq.tokensPerMonth(), oq.maxConcurrent());
            int weight = e.share() == null || e.share().weight() == null ? 1 : (int) Math.round(e.share().weight());
            var priority = e.share() == null || e.share().priority() == null ? ai.sovereign.server.tenancy.Tenant.Priority.NORMAL
                    : ai.sovereign.server.tenancy.Tenant.Priority.parse(e.share().priority());
            Map<String, String> pii = new java.util.LinkedHashMap<>(); // per-type actions; the guard's options stay in the config
            if (e.pii() != null) {
                e.pii().forEach((type, action) -> {
                    if ((type.equals("default") || type.matches("[A-Z][A-Z0-9_]{0,63}")) && action != null
                            && Set.of("allow", "block", "redact", "pseudonymize").contains(action.toLowerCase(java.util.Locale.ROOT))) {
                        pii.put(type, action.toLowerCase(java.util.Locale.ROOT));
                    }
                });
            }
            var next = new ai.sovereign.server.tenancy.Tenant(e.id(), old.map(ai.sovereign.server.tenancy.Tenant::parent).orElse(null),
                    e.jurisdictions() == null ? List.of() : e.jurisdictions().stream().map(j -> j.toUpperCase(java.util.Locale.ROOT)).toList(),
                    e.minTier() == null ? null : SecurityTier.parse(e.minTier()).configName(), pii,
                    e.models() == null ? List.of() : e.models(), quotas, weight, priority);
            if (old.isEmpty() || !old.get().equals(next)) {
                tenancy.putTenant(next);
            }
        }
    }
}
