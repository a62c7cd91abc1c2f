package ai.sovereign.ledger;

import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.List;

/**
 * RFC 9162 §2.1.1 (= RFC 6962 §2.1) Merkle tree hashing with SHA-256.
 *
 * <ul>
 *   <li>{@code MTH({}) = SHA-256("")}</li>
 *   <li>leaf: {@code SHA-256(0x00 || d)}; interior node: {@code SHA-256(0x01 || left || right)}.
 *       The two prefixes keep a 64-byte node from passing as a leaf (second preimages).</li>
 *   <li>{@code n > 1}: split at {@code k}, the largest power of two strictly below {@code n}; the
 *       left part is always a perfect subtree, which is what makes tiles immutable.</li>
 * </ul>
 * One {@link MessageDigest} per thread; hashing a node allocates only its 32-byte result.
 */
final class Merkle {
    private Merkle() {}

    private static final ThreadLocal<MessageDigest> SHA256 = ThreadLocal.withInitial(Merkle::newDigest);

    static final byte[] EMPTY_ROOT = newDigest().digest();

    static MessageDigest newDigest() {
        try {
            return MessageDigest.getInstance("SHA-256");
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException("this JDK has no SHA-256", e);
        }
    }

    static MessageDigest digest() {
        MessageDigest md = SHA256.get();
        md.reset();
        return md;
    }

    static byte[] sha256(byte[] data) {
        return digest().digest(data);
    }

    static byte[] leafHash(byte[] data) {
        return leafHash(data, 0, data.length);
    }

    static byte[] leafHash(byte[] data, int offset, int length) {
        MessageDigest md = digest();
        md.update((byte) 0x00);
        md.update(data, offset, length);
        return md.digest();
    }

    static byte[] nodeHash(byte[] left, byte[] right) {
        MessageDigest md = digest();
        md.update((byte) 0x01);
        md.update(left);
        md.update(right);
        return md.digest();
    }

    /** Node hash of two 32-byte children stored back to back at {@code offset} of {@code buf}. */
    static byte[] nodeHash(byte[] buf, int offset) {
        MessageDigest md = digest();
        md.update((byte) 0x01);
        md.update(buf, offset, 2 * Hash.SIZE);
        return md.digest();
    }

    /** The largest power of two strictly below {@code n} ({@code n >= 2}). */
    static long split(long n) {
        return Long.highestOneBit(n - 1);
    }

    /** MTH of {@code count} consecutive 32-byte hashes, which must be a power of two (e.g. inside a tile). */
    static byte[] perfectRoot(byte[] hashes, int offset, int count) {
        if (count == 1) {
            byte[] out = new byte[Hash.SIZE];
            System.arraycopy(hashes, offset, out, 0, Hash.SIZE);
            return out;
        }
        byte[] level = new byte[count / 2 * Hash.SIZE];
        for (int i = 0; i < count / 2; i++) {
            System.arraycopy(nodeHash(hashes, offset + 2 * i * Hash.SIZE), 0, level, i * Hash.SIZE, Hash.SIZE);
        }
        for (int n = count / 2; n > 1; n /= 2) {
            for (int i = 0; i < n / 2; i++) {
                System.arraycopy(nodeHash(level, 2 * i * Hash.SIZE), 0, level, i * Hash.SIZE, Hash.SIZE);
            }
        }
        byte[] out = new byte[Hash.SIZE];
        System.arraycopy(level, 0, out, 0, Hash.SIZE);
        return out;
    }

    /** Reference MTH straight from the definition (tests and small trees). */
    static byte[] rootOf(List<byte[]> leafHashes) {
        return rootOf(leafHashes, 0, leafHashes.size());
    }

    private static byte[] rootOf(List<byte[]> leaves, int from, int to) {
        int n = to - from;
        if (n == 0) {
            return EMPTY_ROOT.clone();
        }
        if (n == 1) {
            return leaves.get(from);
        }
        int k = (int) split(n);
        return nodeHash(rootOf(leaves, from, from + k), rootOf(leaves, from + k, to));
    }
}
