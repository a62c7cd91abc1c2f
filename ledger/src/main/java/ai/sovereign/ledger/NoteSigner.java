package ai.sovereign.ledger;

import java.nio.charset.StandardCharsets;
import java.security.GeneralSecurityException;
import java.security.KeyFactory;
import java.security.KeyPair;
import java.security.KeyPairGenerator;
import java.security.PrivateKey;
import java.security.SecureRandom;
import java.security.Signature;
import java.security.interfaces.EdECPublicKey;
import java.security.spec.EdECPrivateKeySpec;
import java.security.spec.NamedParameterSpec;
import java.util.Arrays;
import java.util.Base64;

/**
 * An Ed25519 (type 0x01) note signer. Its text form is Go's signer key,
 * {@code PRIVATE+KEY+<name>+<hex8 key ID>+base64(0x01 || 32-byte seed)}, so keys move between us
 * and golang.org/x/mod/sumdb/note tooling. Ed25519 is deterministic: the same key and text give
 * the same signature.
 */
final class NoteSigner {
    private static final String PREFIX = "PRIVATE+KEY+";

    private final String name;
    private final byte[] seed;
    private final PrivateKey privateKey;
    private final NoteVerifier verifier;

    private NoteSigner(String name, byte[] seed) throws GeneralSecurityException {
        this.name = name;
        this.seed = seed.clone();
        this.privateKey = KeyFactory.getInstance("Ed25519").generatePrivate(new EdECPrivateKeySpec(NamedParameterSpec.ED25519, seed));
        this.verifier = NoteVerifier.of(name, NoteVerifier.ED25519, publicKeyOf(seed)).orThrow();
    }

    static NoteSigner generate(String name) {
        byte[] seed = new byte[32];
        new SecureRandom().nextBytes(seed);
        return fromSeed(name, seed);
    }

    static NoteSigner fromSeed(String name, byte[] seed) {
        if (!Notes.validName(name)) {
            throw new IllegalArgumentException("invalid key name " + Notes.excerpt(name) + " (no spaces, no '+')");
        }
        if (seed.length != 32) {
            throw new IllegalArgumentException("an Ed25519 seed is 32 bytes, not " + seed.length);
        }
        try {
            return new NoteSigner(name, seed);
        } catch (GeneralSecurityException e) {
            throw new IllegalStateException("this JDK has no Ed25519", e);
        }
    }

    static Verification<NoteSigner> parse(String skey) {
        if (!skey.startsWith(PREFIX)) {
            return Verification.failed("malformed signer key: want PRIVATE+KEY+name+id+key");
        }
        String rest = skey.substring(PREFIX.length());
        int p1 = rest.indexOf('+');
        int p2 = p1 < 0 ? -1 : rest.indexOf('+', p1 + 1);
        if (p2 < 0) {
            return Verification.failed("malformed signer key: want PRIVATE+KEY+name+id+key");
        }
        String name = rest.substring(0, p1);
        String id = rest.substring(p1 + 1, p2);
        byte[] b = Notes.decodeBase64(rest.substring(p2 + 1));
        if (!Notes.validName(name)) {
            return Verification.failed("malformed signer key: invalid name");
        }
        if (b == null || b.length != 33 || b[0] != NoteVerifier.ED25519) {
            return Verification.failed("malformed signer key " + name + ": want base64 of 0x01 and a 32-byte Ed25519 seed");
        }
        NoteSigner s = fromSeed(name, Arrays.copyOfRange(b, 1, 33));
        if (!String.format("%08x", s.verifier.keyId()).equals(id)) {
            return Verification.failed("signer key " + name + ": key ID " + Notes.excerpt(id) + " does not match the key");
        }
        return Verification.ok(s);
    }

    String name() {
        return name;
    }

    NoteVerifier verifier() {
        return verifier;
    }

    String skey() {
        byte[] b = new byte[33];
        b[0] = NoteVerifier.ED25519;
        System.arraycopy(seed, 0, b, 1, 32);
        return PREFIX + verifier.label() + "+" + Base64.getEncoder().encodeToString(b);
    }

    /** The signature blob: key ID (big-endian) followed by the 64-byte Ed25519 signature over {@code text}. */
    byte[] sign(byte[] text) {
        try {
            Signature s = Signature.getInstance("Ed25519");
            s.initSign(privateKey);
            s.update(text);
            byte[] sig = s.sign();
            byte[] blob = new byte[4 + sig.length];
            int id = verifier.keyId();
            blob[0] = (byte) (id >>> 24);
            blob[1] = (byte) (id >>> 16);
            blob[2] = (byte) (id >>> 8);
            blob[3] = (byte) id;
            System.arraycopy(sig, 0, blob, 4, sig.length);
            return blob;
        } catch (GeneralSecurityException e) {
            throw new IllegalStateException("Ed25519 signing failed", e);
        }
    }

    String signNote(String text) {
        return Notes.sign(text, java.util.List.of(this));
    }

    /**
     * The public key of a seed. The JDK has no "public key from seed" call, but its Ed25519 key pair
     * generator takes the private key (the seed) as the first 32 random bytes it draws.
     */
    static byte[] publicKeyOf(byte[] seed) throws GeneralSecurityException {
        KeyPairGenerator g = KeyPairGenerator.getInstance("Ed25519");
        g.initialize(NamedParameterSpec.ED25519, new SecureRandom() {
            private static final long serialVersionUID = 1L;

            @Override
            public void nextBytes(byte[] bytes) {
                if (bytes.length != seed.length) {
                    throw new IllegalStateException("unexpected draw of " + bytes.length + " bytes");
                }
                System.arraycopy(seed, 0, bytes, 0, seed.length);
            }
        });
        KeyPair kp = g.generateKeyPair();
        byte[] spki = kp.getPublic().getEncoded();
        if (!(kp.getPublic() instanceof EdECPublicKey) || spki.length != 44) {
            throw new GeneralSecurityException("unexpected Ed25519 public key encoding");
        }
        return Arrays.copyOfRange(spki, 12, 44);
    }

    @Override
    public String toString() {
        return "NoteSigner[" + verifier.label() + "]";   // never the seed
    }

    static byte[] utf8(String s) {
        return s.getBytes(StandardCharsets.UTF_8);
    }
}
