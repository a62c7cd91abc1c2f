package ai.sovereign.ledger;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.nio.file.FileAlreadyExistsException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.GeneralSecurityException;
import java.security.SecureRandom;
import java.util.HexFormat;
import javax.crypto.Mac;
import javax.crypto.spec.SecretKeySpec;

/**
 * The server secret behind the keyed hashes in {@link AuditEntry}s: HMAC-SHA-256 of request and
 * response bodies, so the ledger can prove "this entry is about that body" to someone the operator
 * shows the body to, while an outsider cannot test guesses of a prompt against the public log (a
 * plain SHA-256 of a short prompt would be a dictionary away from the prompt itself).
 *
 * <p>The keyed hash of parts p1..pn is {@code HMAC-SHA-256(secret, u32(len p1) || p1 || ... ||
 * u32(len pn) || pn)} (lengths big-endian), so a list of texts hashes unambiguously.
 *
 * <p>The secret is 32 random bytes, kept as 64 hex digits in a file created with mode 0600 on first
 * start (a file others can read is refused, as for the signing key). Losing it loses only the
 * ability to re-check bodies against old entries, never the log's integrity.
 */
public final class AuditKey {
    private static final System.Logger LOG = System.getLogger(AuditKey.class.getName());
    private final SecretKeySpec key;

    private AuditKey(byte[] secret) {
        this.key = new SecretKeySpec(secret, "HmacSHA256");
    }

    /** Loads the secret from {@code file}, creating it (0600) when it does not exist. */
    public static AuditKey openOrCreate(Path file) {
        try {
            if (!Files.exists(file)) {
                create(file);
            }
            Durable.requirePrivate(file, "audit hash key");
            String hex = Files.readString(file, StandardCharsets.UTF_8).strip();
            if (!hex.matches("[0-9a-f]{64}")) {
                throw new LedgerException("audit hash key " + file + " is not 64 lowercase hex digits");
            }
            return new AuditKey(HexFormat.of().parseHex(hex));
        } catch (IOException e) {
            throw new LedgerException("audit hash key " + file + ": " + e.getMessage(), e);
        }
    }

    /** A key from raw secret bytes (tests). */
    public static AuditKey of(byte[] secret) {
        return new AuditKey(secret.clone());
    }

    private static void create(Path file) throws IOException {
        byte[] secret = new byte[32];
        new SecureRandom().nextBytes(secret);
        try {
            Durable.createPrivate(file, HexFormat.of().formatHex(secret) + "\n");
        } catch (FileAlreadyExistsException e) {
            return; // another process created it first: use theirs
        }
        LOG.log(System.Logger.Level.INFO, "ledger: created audit hash key " + file);
    }

    /** The keyed hash of {@code parts} (see the class comment for the framing). */
    public Hash hash(byte[]... parts) {
        try {
            Mac mac = Mac.getInstance("HmacSHA256");
            mac.init(key);
            for (byte[] p : parts) {
                mac.update(ByteBuffer.allocate(4).putInt(p.length).array());
                mac.update(p);
            }
            return Hash.wrap(mac.doFinal());
        } catch (GeneralSecurityException e) {
            throw new IllegalStateException("HMAC-SHA-256 is unavailable in this JDK", e);
        }
    }

    /** The keyed hash of texts, each as UTF-8. */
    public Hash hashTexts(java.util.List<String> texts) {
        return hash(texts.stream().map(t -> t.getBytes(StandardCharsets.UTF_8)).toArray(byte[][]::new));
    }
}
