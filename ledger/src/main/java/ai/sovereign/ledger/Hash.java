package ai.sovereign.ledger;

import java.security.MessageDigest;
import java.util.Arrays;
import java.util.Base64;
import java.util.HexFormat;

/** A SHA-256 value (exactly 32 bytes): a leaf hash, a node hash or a tree root. Immutable. */
public final class Hash {
    public static final int SIZE = 32;

    private final byte[] bytes;

    private Hash(byte[] bytes) {
        this.bytes = bytes;
    }

    /** A copy of {@code bytes}, which must be exactly 32 bytes long. */
    public static Hash of(byte[] bytes) {
        if (bytes.length != SIZE) {
            throw new IllegalArgumentException("a hash is 32 bytes, not " + bytes.length);
        }
        return new Hash(bytes.clone());
    }

    /** Wraps without copying; the caller gives up the array. */
    static Hash wrap(byte[] bytes) {
        if (bytes.length != SIZE) {
            throw new IllegalArgumentException("a hash is 32 bytes, not " + bytes.length);
        }
        return new Hash(bytes);
    }

    /** Parses standard base64 (with padding) of exactly 32 bytes. */
    public static Hash ofBase64(String base64) {
        byte[] b = Notes.decodeBase64(base64);
        if (b == null) {
            throw new IllegalArgumentException("not canonical base64: " + Notes.excerpt(base64));
        }
        return of(b);
    }

    public static Hash ofHex(String hex) {
        return of(HexFormat.of().parseHex(hex));
    }

    public byte[] bytes() {
        return bytes.clone();
    }

    /** The array itself, for hashing inside the module; never handed out. */
    byte[] raw() {
        return bytes;
    }

    public String base64() {
        return Base64.getEncoder().encodeToString(bytes);
    }

    public String hex() {
        return HexFormat.of().formatHex(bytes);
    }

    @Override
    public boolean equals(Object o) {
        return o instanceof Hash h && MessageDigest.isEqual(bytes, h.bytes);
    }

    @Override
    public int hashCode() {
        return Arrays.hashCode(bytes);
    }

    @Override
    public String toString() {
        return base64();
    }
}
