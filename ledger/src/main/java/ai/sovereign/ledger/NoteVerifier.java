package ai.sovereign.ledger;

import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.security.GeneralSecurityException;
import java.security.KeyFactory;
import java.security.MessageDigest;
import java.security.PublicKey;
import java.security.Signature;
import java.security.spec.X509EncodedKeySpec;
import java.util.Arrays;
import java.util.Base64;
import java.util.HexFormat;
import java.util.List;

/**
 * A signed-note verifier key: {@code <name>+<hex8 key ID>+base64(type || public key)}
 * (C2SP signed-note "Verifier keys"). The key ID must equal
 * {@code SHA-256(name || 0x0A || type || key)[0:4]} (for type 0x05 the key is hashed to its LogID
 * first). Supported signature types:
 * <ul>
 *   <li>0x01 Ed25519 over the note text (RFC 8032);</li>
 *   <li>0x04 Ed25519 cosignature/v1 (C2SP tlog-cosignature): blob = ID || u64 time || sig, over
 *       {@code "cosignature/v1\ntime <t>\n" || text};</li>
 *   <li>0x05 RFC 6962 TreeHeadSignature (C2SP static-ct-api), ECDSA P-256 with SHA-256: the key
 *       is the DER SPKI; blob = ID || u64 ms || 0x04 0x03 || u16 len || DER, over
 *       {@code 0x00 0x01 || u64 ms || u64 size || root} taken from the checkpoint text; that struct
 *       does not cover the origin line, so the origin must equal the key name.</li>
 * </ul>
 */
record NoteVerifier(String name, int keyId, int type, byte[] key, PublicKey publicKey) {

    static final int ED25519 = 0x01;
    static final int COSIGNATURE_V1 = 0x04;
    static final int RFC6962 = 0x05;

    /** X.509 SubjectPublicKeyInfo prefix of a raw 32-byte Ed25519 key (RFC 8410). */
    private static final byte[] ED25519_SPKI_PREFIX = HexFormat.of().parseHex("302a300506032b6570032100");

    String label() {
        return name + "+" + String.format("%08x", keyId);
    }

    /** The verifier key string. */
    String vkey() {
        byte[] b = new byte[1 + key.length];
        b[0] = (byte) type;
        System.arraycopy(key, 0, b, 1, key.length);
        return label() + "+" + Base64.getEncoder().encodeToString(b);
    }

    static int keyId(String name, int type, byte[] key) {
        MessageDigest md = Merkle.digest();
        md.update(name.getBytes(StandardCharsets.UTF_8));
        md.update((byte) 0x0A);
        md.update((byte) type);
        md.update(type == RFC6962 ? Merkle.newDigest().digest(key) : key);
        return ByteBuffer.wrap(md.digest()).getInt();
    }

    static Verification<NoteVerifier> parse(String vkey) {
        int p1 = vkey.indexOf('+');
        int p2 = p1 < 0 ? -1 : vkey.indexOf('+', p1 + 1);
        if (p2 < 0) {
            return Verification.failed("malformed verifier key: want name+id+key");
        }
        String name = vkey.substring(0, p1);
        String id = vkey.substring(p1 + 1, p2);
        if (!Notes.validName(name)) {
            return Verification.failed("malformed verifier key: invalid name " + Notes.excerpt(name));
        }
        if (id.length() != 8 || !id.chars().allMatch(c -> c >= '0' && c <= '9' || c >= 'a' && c <= 'f')) {
            return Verification.failed("malformed verifier key " + name + ": key ID " + Notes.excerpt(id) + " is not 8 lower-case hex digits");
        }
        byte[] b = Notes.decodeBase64(vkey.substring(p2 + 1));
        if (b == null || b.length < 2) {
            return Verification.failed("malformed verifier key " + name + ": key is not canonical base64 of a type byte and a key");
        }
        int type = b[0] & 0xff;
        byte[] key = Arrays.copyOfRange(b, 1, b.length);
        Verification<NoteVerifier> v = of(name, type, key);
        if (v instanceof Verification.Ok<NoteVerifier>(NoteVerifier ok) && ok.keyId() != (int) Long.parseLong(id, 16)) {
            return Verification.failed("verifier key " + name + ": key ID " + id + " does not match the key (want "
                    + String.format("%08x", ok.keyId()) + ")");
        }
        return v;
    }

    static Verification<NoteVerifier> of(String name, int type, byte[] key) {
        if (!Notes.validName(name)) {
            return Verification.failed("invalid key name " + Notes.excerpt(name));
        }
        try {
            PublicKey pk = switch (type) {
                case ED25519, COSIGNATURE_V1 -> {
                    if (key.length != 32) {
                        yield null;
                    }
                    yield ed25519Key(key);
                }
                case RFC6962 -> KeyFactory.getInstance("EC").generatePublic(new X509EncodedKeySpec(key));
                default -> throw new UnsupportedOperationException();
            };
            if (pk == null) {
                return Verification.failed("verifier key " + name + ": an Ed25519 key is 32 bytes, not " + key.length);
            }
            return Verification.ok(new NoteVerifier(name, keyId(name, type, key), type, key.clone(), pk));
        } catch (UnsupportedOperationException e) {
            return Verification.failed("verifier key " + name + ": unknown signature type 0x" + String.format("%02x", type));
        } catch (GeneralSecurityException | IllegalArgumentException e) {
            return Verification.failed("verifier key " + name + ": not a P-256 SPKI key (" + e.getMessage() + ")");
        }
    }

    /** An RFC 6962 (static-ct-api) log's verifier: the name is its submission URL without scheme or trailing slash. */
    static Verification<NoteVerifier> rfc6962(String url, byte[] spki) {
        String name = url.replaceFirst("^https?://", "");
        while (name.endsWith("/")) {
            name = name.substring(0, name.length() - 1);
        }
        return of(name, RFC6962, spki);
    }

    /** This Ed25519 key as a cosignature/v1 verifier (same name and key, key ID recomputed for type 0x04). */
    Verification<NoteVerifier> asCosigner() {
        if (type != ED25519 && type != COSIGNATURE_V1) {
            return Verification.failed("key " + label() + " (type 0x" + String.format("%02x", type) + ") cannot cosign");
        }
        return of(name, COSIGNATURE_V1, key);
    }

    static PublicKey ed25519Key(byte[] raw) throws GeneralSecurityException {
        byte[] spki = Arrays.copyOf(ED25519_SPKI_PREFIX, ED25519_SPKI_PREFIX.length + 32);
        System.arraycopy(raw, 0, spki, ED25519_SPKI_PREFIX.length, 32);
        return KeyFactory.getInstance("Ed25519").generatePublic(new X509EncodedKeySpec(spki));
    }

    /** The timestamp of a cosignature/v1 blob (ID || u64 seconds || 64-byte signature). */
    static Verification<Long> cosignatureTime(byte[] blob) {
        if (blob.length != 4 + 8 + 64) {
            return Verification.failed("a cosignature/v1 signature is 76 bytes, not " + blob.length);
        }
        long t = ByteBuffer.wrap(blob, 4, 8).getLong();
        if (t < 0) {
            return Verification.failed("cosignature timestamp is above 2^63-1");
        }
        return Verification.ok(t);
    }

    /** The message a cosignature/v1 signs: the header lines, then the checkpoint text. */
    static byte[] cosignedMessage(long time, byte[] text) {
        byte[] head = ("cosignature/v1\ntime " + time + "\n").getBytes(StandardCharsets.UTF_8);
        byte[] m = Arrays.copyOf(head, head.length + text.length);
        System.arraycopy(text, 0, m, head.length, text.length);
        return m;
    }

    /** Verifies {@code blob} (key ID first) over the note {@code text}. */
    Verification<Void> verify(byte[] text, byte[] blob) {
        if (ByteBuffer.wrap(blob).getInt() != keyId) {
            return Verification.failed("key ID mismatch");
        }
        try {
            return switch (type) {
                case ED25519 -> {
                    if (blob.length != 4 + 64) {
                        yield Verification.failed("an Ed25519 note signature is 68 bytes, not " + blob.length);
                    }
                    yield check("Ed25519", text, Arrays.copyOfRange(blob, 4, blob.length));
                }
                case COSIGNATURE_V1 -> {
                    Verification<Long> t = cosignatureTime(blob);
                    yield t instanceof Verification.Ok<Long>(Long time)
                            ? check("Ed25519", cosignedMessage(time, text), Arrays.copyOfRange(blob, 12, blob.length))
                            : Verification.failed(t.reason());
                }
                case RFC6962 -> verifyTreeHeadSignature(text, blob);
                default -> Verification.failed("unknown signature type");
            };
        } catch (GeneralSecurityException e) {
            return Verification.failed("signature check failed: " + e.getMessage());
        }
    }

    private Verification<Void> check(String algorithm, byte[] message, byte[] signature) throws GeneralSecurityException {
        Signature s = Signature.getInstance(algorithm);
        s.initVerify(publicKey);
        s.update(message);
        boolean ok;
        try {
            ok = s.verify(signature);
        } catch (java.security.SignatureException e) {
            ok = false;
        }
        return ok ? Verification.ok() : Verification.failed("signature does not verify");
    }

    private Verification<Void> verifyTreeHeadSignature(byte[] text, byte[] blob) throws GeneralSecurityException {
        if (blob.length < 4 + 8 + 4) {
            return Verification.failed("RFC 6962 note signature too short (" + blob.length + " bytes)");
        }
        ByteBuffer b = ByteBuffer.wrap(blob, 4, blob.length - 4);
        long timestamp = b.getLong();
        int hashAlg = b.get() & 0xff;
        int sigAlg = b.get() & 0xff;
        int len = b.getShort() & 0xffff;
        if (hashAlg != 4 || sigAlg != 3) {
            return Verification.failed("RFC 6962 note signature must be SHA-256/ECDSA (4/3), not " + hashAlg + "/" + sigAlg);
        }
        if (len != b.remaining()) {
            return Verification.failed("RFC 6962 note signature length " + len + " does not match the " + b.remaining() + " bytes present");
        }
        byte[] der = new byte[len];
        b.get(der);
        Verification<Checkpoint> cp = Checkpoint.parse(new String(text, StandardCharsets.UTF_8));
        if (!(cp instanceof Verification.Ok<Checkpoint>(Checkpoint c))) {
            return Verification.failed("RFC 6962 signatures sign checkpoints: " + cp.reason());
        }
        if (!c.origin().equals(name)) {
            // The signed struct covers time, size and root but not the origin line, so bind it by name.
            return Verification.failed("RFC 6962 signature by " + name + " on a checkpoint of origin " + Notes.excerpt(c.origin()));
        }
        ByteBuffer tbs = ByteBuffer.allocate(2 + 8 + 8 + 32);
        tbs.put((byte) 0).put((byte) 1).putLong(timestamp).putLong(c.size()).put(c.root().raw());
        return check("SHA256withECDSA", tbs.array(), der);
    }

    @Override
    public boolean equals(Object o) {
        return o instanceof NoteVerifier v && v.name.equals(name) && v.type == type && Arrays.equals(v.key, key);
    }

    @Override
    public int hashCode() {
        return name.hashCode() * 31 + Arrays.hashCode(key);
    }

    @Override
    public String toString() {
        return vkey();
    }

    static List<NoteVerifier> parseAll(List<String> vkeys) {
        return vkeys.stream().map(k -> parse(k).orThrow()).toList();
    }
}
