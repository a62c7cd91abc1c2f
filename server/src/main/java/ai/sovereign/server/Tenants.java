package ai.sovereign.server;

import ai.sovereign.server.tenancy.ApiKey;
import java.util.Set;

/**
 * Authentication: an {@code Authorization} header to the calling {@link Tenant} and what its key may do. The config's
 * bootstrap keys implement it ({@link ConfigTenants}); {@link StoreTenants} asks the tenants store first.
 */
interface Tenants {
    /** The caller whose key the header carries; 401 {@code invalid_api_key} when there is none or it matches no key. */
    Caller authenticate(String authorization);

    /** Whether any tenant can authenticate (a key exists): listening beyond loopback requires it. */
    boolean hasKeys();

    /** An authenticated caller: its tenant (data and PII policy) and its key's scopes. */
    record Caller(Tenant tenant, Set<ApiKey.Scope> scopes) {
        public Caller {
            scopes = Set.copyOf(scopes);
        }

        boolean may(ApiKey.Scope scope) {
            return scopes.contains(scope);
        }

        /** 403 {@code insufficient_scope} unless the key has {@code scope}. */
        void require(ApiKey.Scope scope, String what) {
            if (!may(scope)) {
                throw new ApiException(403, "permission_error", "insufficient_scope", null,
                        what + " needs a key with the " + scope.label() + " scope", null);
            }
        }
    }
}
