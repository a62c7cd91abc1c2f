package ai.sovereign.ledger;

import java.security.MessageDigest;
import java.util.ArrayList;
import java.util.Base64;
import java.util.List;

/**
 * Inclusion and consistency proofs: generation per RFC 6962 §2.1.1/§2.1.2 (PATH and SUBPROOF),
 * verification per RFC 9162 §2.1.3.2 and §2.1.4.2, with the strictness of transparency-dev/merkle
 * {@code proof/verify.go}: every hash that is hashed must be exactly 32 bytes and a proof must have
 * exactly the length its (index, size) or (size1, size2) implies, so padding, truncation and
 * garbage are all named failures rather than whatever the loop happens to compute.
 *
 * <p>Edge cases RFC 9162 leaves open, decided here (see the spec notes A.4):
 * <ul>
 *   <li>{@code size1 > size2}: rejected (a rollback).</li>
 *   <li>{@code size1 == size2}: the proof must be empty and the roots equal (compared as given,
 *       nothing is hashed); a size-0 tree must have root {@code SHA-256("")}.</li>
 *   <li>{@code size1 == 0 < size2}: rejected here, as transparency-dev does ("meaningless"); a
 *       witness, which must accept {@code old 0} with an empty proof (C2SP tlog-witness), handles
 *       that case before calling this.</li>
 * </ul>
 */
final class Proofs {
    private Proofs() {}

    // ---------------------------------------------------------------- generation

    /** The tree head of the first {@code size} leaves. */
    static byte[] root(HashSource src, long size) {
        return size == 0 ? Merkle.EMPTY_ROOT.clone() : subtree(src, 0, size);
    }

    /** MTH(D[start..end)), from as few perfect subtrees as possible. */
    static byte[] subtree(HashSource src, long start, long end) {
        long n = end - start;
        if (Long.bitCount(n) == 1 && (start & (n - 1)) == 0) {
            int h = Long.numberOfTrailingZeros(n);
            return src.node(h, start >>> h);
        }
        long k = Merkle.split(n);
        return Merkle.nodeHash(subtree(src, start, start + k), subtree(src, start + k, end));
    }

    /** The audit path of leaf {@code index} in a tree of {@code size}, leaf's sibling first. */
    static List<byte[]> inclusion(HashSource src, long index, long size) {
        if (index < 0 || index >= size) {
            throw new IllegalArgumentException("leaf index " + index + " is not below tree size " + size);
        }
        List<byte[]> out = new ArrayList<>(64 - Long.numberOfLeadingZeros(size));
        path(src, index, 0, size, out);
        return out;
    }

    private static void path(HashSource src, long m, long a, long b, List<byte[]> out) {
        if (b - a == 1) {
            return;
        }
        long k = Merkle.split(b - a);
        if (m < a + k) {
            path(src, m, a, a + k, out);
            out.add(subtree(src, a + k, b));
        } else {
            path(src, m, a + k, b, out);
            out.add(subtree(src, a, a + k));
        }
    }

    /** The consistency proof from {@code size1} to {@code size2}; empty when they are equal or size1 is 0. */
    static List<byte[]> consistency(HashSource src, long size1, long size2) {
        if (size1 < 0 || size1 > size2) {
            throw new IllegalArgumentException("no consistency proof from size " + size1 + " to size " + size2);
        }
        List<byte[]> out = new ArrayList<>();
        if (size1 > 0 && size1 < size2) {
            subproof(src, size1, 0, size2, true, out);
        }
        return out;
    }

    private static void subproof(HashSource src, long m, long a, long b, boolean complete, List<byte[]> out) {
        if (m == b - a) {
            if (!complete) {
                out.add(subtree(src, a, b));
            }
            return;
        }
        long k = Merkle.split(b - a);
        if (m <= k) {
            subproof(src, m, a, a + k, complete, out);
            out.add(subtree(src, a + k, b));
        } else {
            subproof(src, m - k, a + k, b, false, out);
            out.add(subtree(src, a, a + k));
        }
    }

    // ---------------------------------------------------------------- verification

    /** The number of hashes in the inclusion proof of {@code index} in a tree of {@code size}. */
    static int inclusionLength(long index, long size) {
        int inner = 64 - Long.numberOfLeadingZeros(index ^ (size - 1));
        return inner + Long.bitCount(index >>> inner);
    }

    /** The number of hashes in the consistency proof from {@code size1} to {@code size2} (0 < size1 < size2). */
    static int consistencyLength(long size1, long size2) {
        int level = Long.numberOfTrailingZeros(size1);
        long index = (size1 - 1) >>> level;
        long size = ((size2 - 1) >>> level) + 1;
        return inclusionLength(index, size) + (index == 0 ? 0 : 1);
    }

    /** RFC 9162 §2.1.3.2: is {@code leafHash} the leaf at {@code index} of the tree of {@code size} with {@code root}? */
    static Verification<Void> verifyInclusion(long index, long size, byte[] leafHash, List<byte[]> proof, byte[] root) {
        if (index < 0 || size < 0) {
            return Verification.failed("negative index " + index + " or size " + size);
        }
        if (index >= size) {
            return Verification.failed("leaf index " + index + " is not below tree size " + size);
        }
        String bad = lengths("leaf hash", leafHash, "root", root, proof);
        if (bad != null) {
            return Verification.failed(bad);
        }
        int want = inclusionLength(index, size);
        if (proof.size() != want) {
            return Verification.failed("inclusion proof has " + proof.size() + " hashes; leaf " + index
                    + " of a tree of " + size + " needs " + want);
        }
        long fn = index;
        long sn = size - 1;
        byte[] r = leafHash;
        for (byte[] c : proof) {
            if ((fn & 1) == 1 || fn == sn) {
                r = Merkle.nodeHash(c, r);
                while ((fn & 1) == 0 && fn != 0) {
                    fn >>>= 1;
                    sn >>>= 1;
                }
            } else {
                r = Merkle.nodeHash(r, c);
            }
            fn >>>= 1;
            sn >>>= 1;
        }
        if (sn != 0) {
            return Verification.failed("inclusion proof too short for leaf " + index + " of a tree of " + size);
        }
        if (!MessageDigest.isEqual(r, root)) {
            return Verification.failed("inclusion proof for leaf " + index + " of a tree of " + size
                    + " computes root " + b64(r) + ", not the expected " + b64(root));
        }
        return Verification.ok();
    }

    /** RFC 9162 §2.1.4.2: is the tree of {@code size2} with {@code root2} an extension of the one of {@code size1} with {@code root1}? */
    static Verification<Void> verifyConsistency(long size1, long size2, List<byte[]> proof, byte[] root1, byte[] root2) {
        if (size1 < 0 || size2 < 0) {
            return Verification.failed("negative tree size " + Math.min(size1, size2));
        }
        if (size1 > size2) {
            return Verification.failed("old size " + size1 + " is larger than new size " + size2 + " (a rollback)");
        }
        if (size1 == size2) {
            if (!proof.isEmpty()) {
                return Verification.failed("sizes are equal (" + size1 + ") but the proof has " + proof.size() + " hashes; it must be empty");
            }
            if (size1 == 0 && !MessageDigest.isEqual(root1, Merkle.EMPTY_ROOT)) {
                return Verification.failed("a tree of size 0 must have root " + b64(Merkle.EMPTY_ROOT) + ", not " + b64(root1));
            }
            if (!MessageDigest.isEqual(root1, root2)) {
                return Verification.failed("sizes are equal (" + size1 + ") but the roots differ: " + b64(root1) + " vs " + b64(root2));
            }
            return Verification.ok();
        }
        if (size1 == 0) {
            return Verification.failed("a consistency proof from the empty tree is meaningless (size 0 to " + size2 + ")");
        }
        if (proof.isEmpty()) {
            return Verification.failed("empty consistency proof from size " + size1 + " to " + size2);
        }
        String bad = lengths("old root", root1, "new root", root2, proof);
        if (bad != null) {
            return Verification.failed(bad);
        }
        int want = consistencyLength(size1, size2);
        if (proof.size() != want) {
            return Verification.failed("consistency proof has " + proof.size() + " hashes; size " + size1
                    + " to " + size2 + " needs " + want);
        }
        List<byte[]> p = proof;
        if (Long.bitCount(size1) == 1) {
            p = new ArrayList<>(proof.size() + 1);
            p.add(root1);
            p.addAll(proof);
        }
        long fn = size1 - 1;
        long sn = size2 - 1;
        while ((fn & 1) == 1) {
            fn >>>= 1;
            sn >>>= 1;
        }
        byte[] fr = p.getFirst();
        byte[] sr = p.getFirst();
        for (int i = 1; i < p.size(); i++) {
            byte[] c = p.get(i);
            if (sn == 0) {
                return Verification.failed("consistency proof from size " + size1 + " to " + size2 + " has too many hashes");
            }
            if ((fn & 1) == 1 || fn == sn) {
                fr = Merkle.nodeHash(c, fr);
                sr = Merkle.nodeHash(c, sr);
                while ((fn & 1) == 0 && fn != 0) {
                    fn >>>= 1;
                    sn >>>= 1;
                }
            } else {
                sr = Merkle.nodeHash(sr, c);
            }
            fn >>>= 1;
            sn >>>= 1;
        }
        if (sn != 0) {
            return Verification.failed("consistency proof from size " + size1 + " to " + size2 + " is too short");
        }
        if (!MessageDigest.isEqual(fr, root1)) {
            return Verification.failed("consistency proof from size " + size1 + " to " + size2 + " computes old root "
                    + b64(fr) + ", not the expected " + b64(root1));
        }
        if (!MessageDigest.isEqual(sr, root2)) {
            return Verification.failed("consistency proof from size " + size1 + " to " + size2 + " computes new root "
                    + b64(sr) + ", not the expected " + b64(root2));
        }
        return Verification.ok();
    }

    private static String lengths(String aName, byte[] a, String bName, byte[] b, List<byte[]> proof) {
        if (a.length != Hash.SIZE) {
            return aName + " is " + a.length + " bytes; a hash is 32";
        }
        if (b.length != Hash.SIZE) {
            return bName + " is " + b.length + " bytes; a hash is 32";
        }
        for (int i = 0; i < proof.size(); i++) {
            if (proof.get(i).length != Hash.SIZE) {
                return "proof hash " + i + " is " + proof.get(i).length + " bytes; a hash is 32";
            }
        }
        return null;
    }

    static String b64(byte[] b) {
        return Base64.getEncoder().encodeToString(b);
    }
}
