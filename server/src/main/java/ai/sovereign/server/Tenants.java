package ai.sovereign.server;

/**
 * Authentication: an {@code Authorization} header to the calling {@link Tenant}. The config's bootstrap keys implement
 * it ({@link ConfigTenants}); the tenants store plugs in here.
 */
interface Tenants {
    /** The tenant whose key the header carries; 401 {@code invalid_api_key} when there is none or it matches no key. */
    Tenant authenticate(String authorization);

    /** Whether any tenant can authenticate (a key exists): listening beyond loopback requires it. */
    boolean hasKeys();
}
