package ai.sovereign.server.tenancy;

import java.util.Set;

/** The outcome of presenting a bearer key: a principal, or a rejection (always 401 {@code invalid_api_key} to the client). */
public sealed interface Authentication {
    /** The tenant behind a valid key, with the key's scopes. */
    record Authenticated(Principal principal) implements Authentication {}

    /** Why a key was not accepted; for logs and metrics, never for the client. */
    record Rejected(Reason reason) implements Authentication {}

    enum Reason {
        /** not {@code sk-sov-…}: the caller may try other key sources (config bootstrap keys) */
        NOT_A_STORE_KEY,
        UNKNOWN,
        REVOKED,
        EXPIRED
    }

    /** Who is calling: the tenant (with its organization's data policy merged in) and the key's scopes. */
    record Principal(Tenant tenant, String organization, EffectivePolicy policy, Set<ApiKey.Scope> scopes, String keyLookup) {
        public boolean may(ApiKey.Scope scope) {
            return scopes.contains(scope);
        }
    }
}
