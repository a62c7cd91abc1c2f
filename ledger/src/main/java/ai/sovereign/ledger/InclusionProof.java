package ai.sovereign.ledger;

import java.util.List;

/** An RFC 9162 inclusion proof: leaf {@code index} of the tree of {@code size}, hashes leaf's sibling first. */
public record InclusionProof(long index, long size, Hash leafHash, List<Hash> hashes) {
    public InclusionProof {
        hashes = List.copyOf(hashes);
    }

    /** Checks the proof against the tree head {@code root} of a tree of {@link #size()}. */
    public Verification<Void> verify(Hash root) {
        return Proofs.verifyInclusion(index, size, leafHash.raw(), hashes.stream().map(Hash::raw).toList(), root.raw());
    }

    /**
     * The C2SP tlog-proof file for this proof ({@link TlogProof}): {@code c2sp.org/tlog-proof@v1},
     * {@code index N}, one base64 hash per line, a blank line, then the signed checkpoint verbatim.
     */
    public String toTlogProof(String signedCheckpoint) {
        return toTlogProof(signedCheckpoint, null);
    }

    /**
     * The same with {@code entry} (the leaf's bytes) as the proof's {@code extra} data, so the file is a
     * self-contained receipt: {@link Ledger#verifyProof} hashes it into the leaf and binds it to the checkpoint.
     */
    public String toTlogProof(String signedCheckpoint, byte[] entry) {
        return new TlogProof(entry, index, hashes.stream().map(Hash::raw).toList(), signedCheckpoint).format();
    }
}
