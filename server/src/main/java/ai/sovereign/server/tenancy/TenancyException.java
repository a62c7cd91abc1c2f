package ai.sovereign.server.tenancy;

/**
 * The tenants store failed (unreachable, corrupt, a statement refused). The message names the store
 * (never its password) and the setting to check; the SQL cause is chained for the server log.
 */
public final class TenancyException extends RuntimeException {
    @java.io.Serial
    private static final long serialVersionUID = 1L;

    TenancyException(String message, Throwable cause) {
        super(message, cause);
    }
}
