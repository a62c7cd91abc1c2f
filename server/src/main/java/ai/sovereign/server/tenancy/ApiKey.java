package ai.sovereign.server.tenancy;

import java.time.Instant;
import java.util.EnumSet;
import java.util.Locale;
import java.util.Set;

/**
 * An API key's record in the store: never the key itself, only its lookup prefix (the public part
 * of {@code sk-sov-<lookup>_<secret>}) and the SHA-256 of the whole key, which the store keeps.
 */
public record ApiKey(String lookup, String tenant, Set<Scope> scopes, String name, Instant createdAt, Instant expiresAt,
                     Instant revokedAt, String replacedBy) {
    public ApiKey {
        scopes = scopes.isEmpty() ? Set.of() : Set.copyOf(EnumSet.copyOf(scopes));
    }

    /** Whether the key authenticates at {@code now}. */
    public boolean activeAt(Instant now) {
        return (revokedAt == null || now.isBefore(revokedAt)) && (expiresAt == null || now.isBefore(expiresAt));
    }

    /** What a key may do. */
    public enum Scope {
        /** the OpenAI API */
        INFERENCE,
        /** read its tenant's usage and ledger entries */
        AUDITOR,
        /** the admin API */
        ADMIN;

        public String label() {
            return name().toLowerCase(Locale.ROOT);
        }

        public static Scope parse(String s) {
            try {
                return valueOf(s.trim().toUpperCase(Locale.ROOT));
            } catch (IllegalArgumentException e) {
                throw new IllegalArgumentException("scope '" + s + "' is not one of inference, auditor, admin");
            }
        }
    }

    /** A newly issued key: {@link #secret()} is shown once and is not stored anywhere. */
    public record Issued(ApiKey key, String secret) {
        @Override
        public String toString() {
            return "Issued[" + key.lookup() + "]";
        }
    }
}
