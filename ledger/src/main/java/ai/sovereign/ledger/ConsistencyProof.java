package ai.sovereign.ledger;

import java.util.List;

/** An RFC 9162 consistency proof from the tree of {@code oldSize} to the tree of {@code newSize}. */
public record ConsistencyProof(long oldSize, long newSize, List<Hash> hashes) {
    public ConsistencyProof {
        hashes = List.copyOf(hashes);
    }

    public Verification<Void> verify(Hash oldRoot, Hash newRoot) {
        return Proofs.verifyConsistency(oldSize, newSize, hashes.stream().map(Hash::raw).toList(), oldRoot.raw(), newRoot.raw());
    }
}
