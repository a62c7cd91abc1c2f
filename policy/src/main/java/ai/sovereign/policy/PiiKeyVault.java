package ai.sovereign.policy;

/**
 * Where tenants' pseudonymization keys live: apart from the ledger's keys and from any database, so that whoever holds
 * pseudonymized data (the ledger, logs, a node) does not hold the key that re-identifies it (PIPA Art. 28-4).
 * {@link FilePiiKeyVault} is the embedded default; a KMS or HSM plugs in by implementing these three methods.
 */
public interface PiiKeyVault {
    /** The tenant's current key, created on first use. */
    TenantKey key(String tenant);

    /**
     * Replaces the tenant's key with a new one (new key id). Pseudonyms made under the old key are no longer produced, so
     * they no longer restore and can no longer be linked to new data; the old key is destroyed.
     */
    TenantKey rotate(String tenant);

    /**
     * Crypto-shredding: destroys the tenant's key. Pseudonyms made under it become unrecoverable (no one can recompute which
     * value they stand for). The next {@link #key} creates a fresh, unrelated key.
     */
    void shred(String tenant);

    /** A tenant's key: an id (public, e.g. for audit) and 32 secret bytes, which {@link #toString()} never shows. */
    record TenantKey(String tenant, String keyId, byte[] secret) {
        public TenantKey {
            if (secret.length < 32) {
                throw new IllegalArgumentException("a pseudonymization key needs at least 32 bytes");
            }
            secret = secret.clone();
        }

        @Override
        public byte[] secret() {
            return secret.clone();
        }

        @Override
        public String toString() {
            return "TenantKey[" + tenant + ", " + keyId + "]";
        }
    }
}
