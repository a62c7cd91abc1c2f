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
 *
 * <h2>Subtree proofs</h2>
 * draft-ietf-plants-merkle-tree-certs (§4.3, §4.4) proves facts about a <em>subtree</em> {@code [start, end)}:
 * a range that is one node of some tree, i.e. {@code start} is a multiple of the smallest power of two
 * at least {@code end - start} ({@code start = 0} always qualifies). Its hash is {@code MTH(D[start..end))}.
 * <ul>
 *   <li><b>Subtree inclusion</b>: leaf {@code index} is in the subtree with hash {@code root}. Because the
 *       subtree is aligned, its shape is that of a tree of {@code end - start} leaves, so the proof is the
 *       RFC 9162 inclusion proof of leaf {@code index - start} in it.</li>
 *   <li><b>Subtree consistency</b>: the subtree with hash {@code subRoot} is part of the tree of
 *       {@code size} with root {@code root}. When {@code end = size}, the subtree lies on the tree's
 *       right border and the proof is the left siblings from it up to the root. Otherwise the proof is
 *       (unless the subtree is perfect) the hash of the largest perfect subtree ending at {@code end},
 *       then that node's inclusion path in the tree: the verifier rebuilds {@code subRoot} from the
 *       proof's nodes inside the subtree and {@code root} from all of them, as RFC 9162 §2.1.4.2 does
 *       for {@code start = 0}.</li>
 * </ul>
 * The vectors are transparency-dev/merkle's {@code testdata/subtree*}; as there, an empty subtree
 * ({@code start = end <= size}, hash {@code SHA-256("")}, empty proof) is consistent with every tree,
 * and a subtree that is the whole tree needs an empty proof and equal roots, compared as given.
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

    /** The inclusion proof of leaf {@code index} in the subtree {@code [start, end)}, leaf's sibling first. */
    static List<byte[]> subtreeInclusion(HashSource src, long index, long start, long end) {
        String bad = start < 0 ? "negative subtree start " + start : subtreeProblem(start, end);
        if (bad != null || index < start || index >= end) {
            throw new IllegalArgumentException(bad != null ? bad : "leaf index " + index + " is outside the subtree [" + start + ", " + end + ")");
        }
        List<byte[]> out = new ArrayList<>();
        path(src, index, start, end, out);
        return out;
    }

    /** The consistency proof from the subtree {@code [start, end)} to the tree of {@code size} (see the class comment). */
    static List<byte[]> subtreeConsistency(HashSource src, long start, long end, long size) {
        String bad = start < 0 ? "negative subtree start " + start : subtreeProblem(start, end);
        if (bad != null || end > size) {
            throw new IllegalArgumentException(bad != null ? bad : "subtree [" + start + ", " + end + ") ends beyond the tree size " + size);
        }
        List<byte[]> out = new ArrayList<>();
        if (start == end || (start == 0 && end == size)) {
            return out;
        }
        if (end == size) {
            // The subtree is a node on the right border: one left sibling per 1 bit of start above its height.
            long left = start;
            for (int h = 64 - Long.numberOfLeadingZeros((end - 1) ^ start); left > 0; h++) {
                if ((start >>> h & 1) == 1) {
                    out.add(subtree(src, left - (1L << h), left));
                    left -= 1L << h;
                }
            }
            return out;
        }
        int height = Long.numberOfTrailingZeros(end - start);
        long last = end - (1L << height); // [last, end): the largest perfect subtree ending at end
        if (end - start != 1L << height) {
            out.add(subtree(src, last, end));
        }
        nodePath(src, last, height, 0, size, out);
        return out;
    }

    /** The inclusion path of the perfect node {@code [x, x + 2^height)} within {@code [a, b)}, lowest first. */
    private static void nodePath(HashSource src, long x, int height, long a, long b, List<byte[]> out) {
        if (b - a == 1L << height) {
            return;
        }
        long k = Merkle.split(b - a);
        if (x < a + k) {
            nodePath(src, x, height, a, a + k, out);
            out.add(subtree(src, a + k, b));
        } else {
            nodePath(src, x, height, a + k, b, out);
            out.add(subtree(src, a, a + k));
        }
    }

    /**
     * Null when {@code [start, end)} is a subtree (a node of some tree: {@code start} a multiple of the smallest
     * power of two at least {@code end - start}), else why not. Both bounds must be non-negative.
     */
    static String subtreeProblem(long start, long end) {
        if (start > end) {
            return "[" + start + ", " + end + ") is not a subtree: its start is after its end";
        }
        long n = end - start;
        if (start == 0 || n == 0) {
            return null;
        }
        long ceiling = n == 1 ? 1 : Long.highestOneBit(n - 1) << 1;
        if ((start & (ceiling - 1)) != 0) {
            return "[" + start + ", " + end + ") is not a subtree: its start " + start + " is not a multiple of " + ceiling
                    + ", the smallest power of two at least its size " + n;
        }
        return null;
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
        return chainInclusion(index, size, leafHash, proof, root, "leaf " + index + " of a tree of " + size);
    }

    /**
     * Is {@code leafHash} leaf {@code index} of the subtree {@code [start, end)} whose hash is {@code root}? The
     * subtree is aligned, so this is the inclusion of leaf {@code index - start} in a tree of {@code end - start}.
     */
    static Verification<Void> verifySubtreeInclusion(long index, long start, long end, byte[] leafHash, List<byte[]> proof, byte[] root) {
        if (index < 0 || start < 0 || end < 0) {
            return Verification.failed("negative leaf index or subtree bound (leaf " + index + ", subtree [" + start + ", " + end
                    + ")); positions are below 2^63");
        }
        String bad = subtreeProblem(start, end);
        if (bad != null) {
            return Verification.failed(bad);
        }
        if (index < start || index >= end) {
            return Verification.failed("leaf index " + index + " is outside the subtree [" + start + ", " + end + ")");
        }
        return chainInclusion(index - start, end - start, leafHash, proof, root, "leaf " + index + " of the subtree [" + start + ", " + end + ")");
    }

    /** The RFC 9162 loop for leaf {@code index} (0 <= index < size) of a tree shaped like one of {@code size}; {@code what} names the leaf in messages. */
    private static Verification<Void> chainInclusion(long index, long size, byte[] leafHash, List<byte[]> proof, byte[] root, String what) {
        String bad = lengths("leaf hash", leafHash, "root", root, proof);
        if (bad != null) {
            return Verification.failed(bad);
        }
        int want = inclusionLength(index, size);
        if (proof.size() != want) {
            return Verification.failed("inclusion proof has " + proof.size() + " hashes; " + what + " needs " + want);
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
            return Verification.failed("inclusion proof too short for " + what);
        }
        if (!MessageDigest.isEqual(r, root)) {
            return Verification.failed("inclusion proof for " + what + " computes root " + b64(r) + ", not the expected " + b64(root));
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

    /**
     * Is the subtree {@code [start, end)} with hash {@code subRoot} part of the tree of {@code size} with root
     * {@code root}? Ported in substance from transparency-dev/merkle {@code VerifySubtreeConsistency} (see the class
     * comment): the proof is split where the paths to leaves {@code end - 1} and {@code size - 1} diverge; the part
     * below that fork plus the border hashes inside the subtree rebuild {@code subRoot}, all of it rebuilds {@code root}.
     */
    static Verification<Void> verifySubtreeConsistency(long start, long end, long size, List<byte[]> proof, byte[] subRoot, byte[] root) {
        String range = "subtree [" + start + ", " + end + ")";
        if (start < 0 || end < 0 || size < 0) {
            return Verification.failed("negative subtree bound or tree size (" + range + ", size " + size + "); positions are below 2^63");
        }
        String bad = subtreeProblem(start, end);
        if (bad != null) {
            return Verification.failed(bad);
        }
        if (end > size) {
            return Verification.failed(range + " ends beyond the tree size " + size);
        }
        if (start == end) {
            if (!proof.isEmpty()) {
                return Verification.failed("the " + range + " is empty: its consistency proof must be empty, not " + proof.size() + " hashes");
            }
            if (!MessageDigest.isEqual(subRoot, Merkle.EMPTY_ROOT)) {
                return Verification.failed("the empty " + range + " must have root " + b64(Merkle.EMPTY_ROOT) + ", not " + b64(subRoot));
            }
            return Verification.ok(); // the empty subtree is part of every tree
        }
        if (start == 0 && end == size) {
            if (!proof.isEmpty()) {
                return Verification.failed(range + " is the whole tree: its consistency proof must be empty, not " + proof.size() + " hashes");
            }
            if (!MessageDigest.isEqual(subRoot, root)) {
                return Verification.failed(range + " is the whole tree, but its root " + b64(subRoot) + " is not the tree's root " + b64(root));
            }
            return Verification.ok();
        }
        if (proof.isEmpty()) {
            return Verification.failed("empty consistency proof from " + range + " to size " + size);
        }
        bad = lengths("subtree root", subRoot, "root", root, proof);
        if (bad != null) {
            return Verification.failed(bad);
        }
        String what = "consistency proof from " + range + " to size " + size;
        if (end == size) {
            // The subtree is a node on the right border: chain its left siblings up to the root.
            int height = 64 - Long.numberOfLeadingZeros((end - 1) ^ start);
            int want = Long.bitCount(start >>> height);
            if (proof.size() != want) {
                return Verification.failed("consistency proof has " + proof.size() + " hashes; " + range + " in a tree of " + size + " needs " + want);
            }
            byte[] r = subRoot;
            for (byte[] c : proof) {
                r = Merkle.nodeHash(c, r);
            }
            return MessageDigest.isEqual(r, root) ? Verification.ok()
                    : Verification.failed(what + " computes root " + b64(r) + ", not the expected " + b64(root));
        }
        int fork = 64 - Long.numberOfLeadingZeros((end - 1) ^ (size - 1)); // where the paths to end-1 and size-1 diverge
        int border = Long.bitCount((end - 1) >>> fork);
        int shift = Long.numberOfTrailingZeros(end - start);                // height of the largest perfect subtree ending at end
        int inner = fork - shift;                                           // >= 1, because end < size
        boolean perfect = end - start == 1L << shift;
        int want = (perfect ? 0 : 1) + inner + border;
        if (proof.size() != want) {
            return Verification.failed("consistency proof has " + proof.size() + " hashes; " + range + " in a tree of " + size + " needs " + want);
        }
        // A perfect subtree is its own seed (the verifier knows its hash); otherwise the proof's first hash is.
        byte[] seed = perfect ? subRoot : proof.getFirst();
        List<byte[]> p = perfect ? proof : proof.subList(1, proof.size());
        long mask = (end - 1) >>> shift;
        if (!perfect) {
            int height = 64 - Long.numberOfLeadingZeros((end - 1) ^ start);
            int subInner = Math.min(height, fork) - shift;
            int subBorder = Math.max(0, border - Long.bitCount((end - 1) >>> height));
            byte[] r1 = seed;
            for (int i = 0; i < subInner; i++) {
                if ((mask >>> i & 1) == 1) { // only left siblings lie inside the subtree
                    r1 = Merkle.nodeHash(p.get(i), r1);
                }
            }
            for (int i = inner; i < inner + subBorder; i++) {
                r1 = Merkle.nodeHash(p.get(i), r1);
            }
            if (!MessageDigest.isEqual(r1, subRoot)) {
                return Verification.failed(what + " computes subtree root " + b64(r1) + ", not the expected " + b64(subRoot));
            }
        }
        byte[] r2 = seed;
        for (int i = 0; i < inner; i++) {
            r2 = (mask >>> i & 1) == 0 ? Merkle.nodeHash(r2, p.get(i)) : Merkle.nodeHash(p.get(i), r2);
        }
        for (int i = inner; i < p.size(); i++) {
            r2 = Merkle.nodeHash(p.get(i), r2);
        }
        return MessageDigest.isEqual(r2, root) ? Verification.ok()
                : Verification.failed(what + " computes root " + b64(r2) + ", not the expected " + b64(root));
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
