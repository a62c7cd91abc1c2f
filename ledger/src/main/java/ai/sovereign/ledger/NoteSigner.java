package ai.sovereign.ledger;

import java.nio.ByteBuffer;
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
 * An Ed25519 note signer: a log's key (type 0x01) or a witness's cosigner key (type 0x04,
 * C2SP tlog-cosignature cosignature/v1). Its text form is Go's signer key,
 * {@code PRIVATE+KEY+<name>+<hex8 key ID>+base64(type || 32-byte seed)}, so log keys move between
 * us and golang.org/x/mod/sumdb/note tooling (Go defines only type 0x01; a cosigner key carries
 * 0x04 in the same place). Ed25519 is deterministic: the same key and text give the same signature.
 */
final class NoteSigner {
    private static final String PREFIX = "PRIVATE+KEY+";

    private final String name;
    private final byte[] seed;
    private final PrivateKey privateKey;
    private final NoteVerifier verifier;

    private NoteSigner(String name, byte[] seed, int type) throws GeneralSecurityException {
        this.name = name;
        this.seed = seed.clone();
        this.privateKey = KeyFactory.getInstance("Ed25519").generatePrivate(new EdECPrivateKeySpec(NamedParameterSpec.ED25519, seed));
        this.verifier = NoteVerifier.of(name, type, publicKeyOf(seed)).orThrow();
    }

    static NoteSigner generate(String name) {
        return generate(name, NoteVerifier.ED25519);
    }

    /** A new key of {@code type} (0x01 log signer, 0x04 cosigner). */
    static NoteSigner generate(String name, int type) {
        byte[] seed = new byte[32];
        new SecureRandom().nextBytes(seed);
        return fromSeed(name, seed, type);
    }

    static NoteSigner fromSeed(String name, byte[] seed, int type) {
        if (type != NoteVerifier.ED25519 && type != NoteVerifier.COSIGNATURE_V1) {
            throw new IllegalArgumentException("an Ed25519 signer key has type 0x01 or 0x04, not " + type);
        }
        if (!Notes.validName(name)) {
            throw new IllegalArgumentException("invalid key name " + Notes.excerpt(name) + " (no spaces, no '+')");
        }
        if (seed.length != 32) {
            throw new IllegalArgumentException("an Ed25519 seed is 32 bytes, not " + seed.length);
        }
        try {
            return new NoteSigner(name, seed, type);
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
        if (b == null || b.length != 33 || (b[0] != NoteVerifier.ED25519 && b[0] != NoteVerifier.COSIGNATURE_V1)) {
            return Verification.failed("malformed signer key " + name + ": want base64 of 0x01 (or 0x04) and a 32-byte Ed25519 seed");
        }
        NoteSigner s = fromSeed(name, Arrays.copyOfRange(b, 1, 33), b[0]);
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
        b[0] = (byte) verifier.type();
        System.arraycopy(seed, 0, b, 1, 32);
        return PREFIX + verifier.label() + "+" + Base64.getEncoder().encodeToString(b);
    }

    /**
     * The signature blob of a log key over the note {@code text}: key ID (big-endian), then the 64-byte Ed25519
     * signature. A cosigner key signs with {@link #cosign} (its blob carries a time).
     */
    byte[] sign(byte[] text) {
        if (verifier.type() != NoteVerifier.ED25519) {
            throw new IllegalStateException(verifier.label() + " is a cosigner key; it signs with cosign(text, time)");
        }
        return ByteBuffer.allocate(4 + 64).putInt(verifier.keyId()).put(ed25519(text)).array();
    }

    /** A cosignature/v1 blob over the checkpoint {@code text} as of {@code time} (POSIX seconds). */
    byte[] cosign(byte[] text, long time) {
        if (verifier.type() != NoteVerifier.COSIGNATURE_V1) {
            throw new IllegalStateException(verifier.label() + " is not a cosigner key");
        }
        return ByteBuffer.allocate(4 + 8 + 64).putInt(verifier.keyId()).putLong(time)
                .put(ed25519(NoteVerifier.cosignedMessage(time, text))).array();
    }

    private byte[] ed25519(byte[] message) {
        try {
            Signature s = Signature.getInstance("Ed25519");
            s.initSign(privateKey);
            s.update(message);
            return s.sign();
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
}
