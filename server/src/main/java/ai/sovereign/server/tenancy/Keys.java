package ai.sovereign.server.tenancy;

import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.security.SecureRandom;
import java.util.Base64;
import java.util.HexFormat;

/**
 * The key format {@code sk-sov-<lookup>_<secret>}: a 12-character base32 lookup (60 random bits,
 * stored in clear to find the row) and a 256-bit secret (43 base64url characters). The store keeps
 * SHA-256 of the whole string; presented keys are compared in constant time.
 */
final class Keys {
    static final String PREFIX = "sk-sov-";
    private static final char[] BASE32 = "abcdefghijklmnopqrstuvwxyz234567".toCharArray();
    private static final SecureRandom RANDOM = new SecureRandom();
    /** Compared against when the lookup is unknown, so a miss costs what a hit costs. */
    private static final byte[] DECOY = sha256("sk-sov-decoy");

    private Keys() {}

    record Parsed(String lookup, byte[] sha256) {}

    record Fresh(String lookup, String key, String sha256Hex) {}

    static Fresh generate() {
        char[] lookup = new char[12];
        for (int i = 0; i < lookup.length; i++) {
            lookup[i] = BASE32[RANDOM.nextInt(32)];
        }
        byte[] secret = new byte[32];
        RANDOM.nextBytes(secret);
        String key = PREFIX + new String(lookup) + "_" + Base64.getUrlEncoder().withoutPadding().encodeToString(secret);
        return new Fresh(new String(lookup), key, HexFormat.of().formatHex(sha256(key)));
    }

    /** The lookup and hash of a presented key, or null when it is not in this format. */
    static Parsed parse(String presented) {
        if (presented == null || !presented.startsWith(PREFIX) || presented.length() != PREFIX.length() + 12 + 1 + 43
                || presented.charAt(PREFIX.length() + 12) != '_') {
            return null;
        }
        String lookup = presented.substring(PREFIX.length(), PREFIX.length() + 12);
        for (int i = 0; i < lookup.length(); i++) {
            char c = lookup.charAt(i);
            if (!(c >= 'a' && c <= 'z' || c >= '2' && c <= '7')) {
                return null;
            }
        }
        return new Parsed(lookup, sha256(presented));
    }

    static boolean matches(byte[] presentedHash, String storedHex) {
        byte[] stored = storedHex == null ? DECOY : HexFormat.of().parseHex(storedHex);
        return MessageDigest.isEqual(presentedHash, stored) && storedHex != null;
    }

    static byte[] sha256(String s) {
        try {
            return MessageDigest.getInstance("SHA-256").digest(s.getBytes(StandardCharsets.UTF_8));
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException(e);
        }
    }
}
