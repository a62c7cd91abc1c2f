package ai.sovereign.ledger;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.util.Arrays;
import java.util.List;

/**
 * Verifies a whole tiled log from its published resources (a directory or an HTTP prefix):
 * <ol>
 *   <li>the checkpoint carries a valid signature by the log's key, and its origin is the key's name;
 *       when witnesses are required, a valid cosignature by each;</li>
 *   <li>every entry bundle up to the checkpoint's size exists and frames exactly its entries
 *       (u16 length prefixes, nothing left over), and, when asked, every entry decodes as a
 *       canonical {@link AuditEntry};</li>
 *   <li>every hash tile, full and partial, equals the tile recomputed from those entries, level by
 *       level, and the root recomputed from the entries equals the checkpoint's root;</li>
 *   <li>with a trusted earlier checkpoint: it verifies with the same key, is not larger (no
 *       rollback), and a consistency proof built from the verified tiles links its root to the
 *       new one (no fork, no rewritten history).</li>
 * </ol>
 * Memory stays at one tile per level (about 64 KiB) whatever the size of the log. The first
 * problem found is returned as a {@link Verification.Failed} naming the resource, the index and
 * both values.
 */
final class LogVerifier {
    private LogVerifier() {}

    /** Fetches a resource by its path under the log's prefix; null when it does not exist. */
    @FunctionalInterface
    interface Fetch {
        byte[] get(String path) throws IOException;
    }

    private static final int LEVELS = 8;

    static Verification<Checkpoint> verify(Fetch fetch, String vkey, String trusted) throws IOException {
        return verify(fetch, vkey, trusted, false);
    }

    static Verification<Checkpoint> verify(Fetch fetch, String vkey, String trusted, boolean decodeEntries) throws IOException {
        return verify(fetch, vkey, trusted, decodeEntries, List.of());
    }

    /** The same, and the checkpoint must carry a valid cosignature by each of {@code witnesses} (cosigner verifier keys). */
    static Verification<Checkpoint> verify(Fetch fetch, String vkey, String trusted, boolean decodeEntries, List<String> witnesses) throws IOException {
        byte[] note = fetch.get("checkpoint");
        if (note == null) {
            return Verification.failed("the log has no checkpoint");
        }
        if (vkey == null) {
            byte[] v = fetch.get("vkey");
            if (v == null) {
                return Verification.failed("no verifier key given, and the log serves none");
            }
            vkey = new String(v, StandardCharsets.UTF_8).strip();
        }
        Verification<NoteVerifier> key = NoteVerifier.parse(vkey);
        if (!(key instanceof Verification.Ok<NoteVerifier>(NoteVerifier logKey))) {
            return Verification.failed(key.reason());
        }
        Verification<Checkpoint> opened = openCheckpoint(note, logKey, witnesses);
        if (!(opened instanceof Verification.Ok<Checkpoint>(Checkpoint cp))) {
            return opened;
        }
        Tree tree = new Tree(fetch, decodeEntries, cp);
        for (TilePath bundle : TilePath.entryBundles(cp.size())) {
            String bad = tree.addBundle(bundle);
            if (bad != null) {
                return Verification.failed(bad);
            }
        }
        String bad = tree.finish();
        if (bad != null) {
            return Verification.failed(bad);
        }
        byte[] root = cp.size() == 0 ? Merkle.EMPTY_ROOT : Proofs.root(tree.edgeSource(cp.size()), cp.size());
        if (!Arrays.equals(root, cp.root().raw())) {
            return Verification.failed("the root recomputed from the entries, " + Proofs.b64(root) + ", is not the checkpoint's root "
                    + cp.root().base64() + " (size " + cp.size() + ")");
        }
        if (trusted != null) {
            Verification<Checkpoint> t = Checkpoint.open(trusted, logKey, cp.origin()).context("trusted checkpoint");
            if (!(t instanceof Verification.Ok<Checkpoint>(Checkpoint old))) {
                return t;
            }
            if (old.size() > cp.size()) {
                return Verification.failed("the log rolled back: the trusted checkpoint has size " + old.size() + ", the current one " + cp.size());
            }
            List<byte[]> proof = old.size() == 0 ? List.of()
                    : Proofs.consistency(TileMath.source(tiles(fetch), cp.size()), old.size(), cp.size());
            Verification<Void> c = old.size() == 0
                    ? (old.root().equals(Hash.wrap(Merkle.EMPTY_ROOT.clone())) ? Verification.ok() : Verification.failed("a tree of size 0 must have root " + Proofs.b64(Merkle.EMPTY_ROOT)))
                    : Proofs.verifyConsistency(old.size(), cp.size(), proof, old.root().raw(), cp.root().raw());
            if (!c.isOk()) {
                return Verification.failed("the log is not consistent with the trusted checkpoint (size " + old.size()
                        + ", root " + old.root().base64() + "): " + c.reason() + " (a fork or rewritten history)");
            }
        }
        return Verification.ok(cp);
    }

    /**
     * Opens a signed checkpoint: a valid signature by {@code logKey}, the origin equal to the key's name, and a valid
     * cosignature by each of {@code witnesses} (cosigner verifier keys).
     */
    static Verification<Checkpoint> openCheckpoint(byte[] note, NoteVerifier logKey, List<String> witnesses) {
        Verification<Checkpoint> opened = Notes.open(note, List.of(logKey))
                .then(o -> Checkpoint.parse(o.text()))
                .then(c -> c.origin().equals(logKey.name()) ? Verification.ok(c)
                        : Verification.failed("origin " + Notes.excerpt(c.origin()) + " is not the key's name " + Notes.excerpt(logKey.name())))
                .context("checkpoint");
        if (!opened.isOk()) {
            return opened;
        }
        for (String w : witnesses) {
            Verification<NoteVerifier> wk = NoteVerifier.parse(w);
            if (!(wk instanceof Verification.Ok<NoteVerifier>(NoteVerifier witness))) {
                return Verification.failed("witness key: " + wk.reason());
            }
            Verification<Notes.Opened> cosigned = Notes.open(note, List.of(witness));
            if (!cosigned.isOk()) {
                return Verification.failed("checkpoint is not cosigned by witness " + witness.label() + ": " + cosigned.reason());
            }
        }
        return opened;
    }

    static Verification<Checkpoint> openCheckpoint(String note, NoteVerifier logKey, List<String> witnesses) {
        return openCheckpoint(note.getBytes(StandardCharsets.UTF_8), logKey, witnesses);
    }

    /** Entry {@code index} of a tree of {@code size}, read from its entry bundle (framing checked up to it). */
    static Verification<byte[]> entry(Fetch fetch, long index, long size) throws IOException {
        long n = index / TilePath.WIDTH;
        TilePath bundle = new TilePath(TilePath.ENTRIES, n, (int) Math.min(TilePath.WIDTH, size - n * TilePath.WIDTH));
        byte[] data = fetch.get(bundle.path());
        if (data == null) {
            return Verification.failed(bundle.path() + " is missing");
        }
        ByteBuffer b = ByteBuffer.wrap(data);
        for (long i = n * TilePath.WIDTH; ; i++) {
            if (b.remaining() < 2) {
                return Verification.failed(bundle.path() + " ends before entry " + index);
            }
            int len = b.getShort() & 0xffff;
            if (b.remaining() < len) {
                return Verification.failed(bundle.path() + ": entry " + i + " (" + len + " bytes) runs past the end of the bundle");
            }
            if (i == index) {
                return Verification.ok(Arrays.copyOfRange(data, b.position(), b.position() + len));
            }
            b.position(b.position() + len);
        }
    }

    static TileMath.FileTiles tiles(Fetch fetch) {
        return path -> {
            try {
                byte[] b = fetch.get(path);
                if (b == null) {
                    throw new LedgerException(path + " is missing");
                }
                return b;
            } catch (IOException e) {
                throw new LedgerException(path + ": " + e.getMessage(), e);
            }
        };
    }

    /** Recomputes tiles level by level from the entries and compares each with the published one. */
    private static final class Tree {
        final Fetch fetch;
        final boolean decodeEntries;
        final Checkpoint cp;
        final byte[][] level = new byte[LEVELS][TilePath.WIDTH * Hash.SIZE];
        final int[] count = new int[LEVELS];
        final long[] tile = new long[LEVELS];

        Tree(Fetch fetch, boolean decodeEntries, Checkpoint cp) {
            this.fetch = fetch;
            this.decodeEntries = decodeEntries;
            this.cp = cp;
        }

        String addBundle(TilePath bundle) throws IOException {
            byte[] data = fetch.get(bundle.path());
            if (data == null) {
                return bundle.path() + " is missing";
            }
            ByteBuffer b = ByteBuffer.wrap(data);
            for (int i = 0; i < bundle.width(); i++) {
                long index = bundle.index() * TilePath.WIDTH + i;
                if (b.remaining() < 2) {
                    return bundle.path() + " ends after " + i + " entries; its width is " + bundle.width();
                }
                int len = b.getShort() & 0xffff;
                if (b.remaining() < len) {
                    return bundle.path() + ": entry " + index + " (" + len + " bytes) runs past the end of the bundle";
                }
                if (decodeEntries) {
                    String why = AuditEntry.decode(Arrays.copyOfRange(data, b.position(), b.position() + len)).reason();
                    if (why != null) {
                        return bundle.path() + ": entry " + index + " is not a valid audit entry: " + why;
                    }
                }
                String bad = push(0, Merkle.leafHash(data, b.position(), len));
                if (bad != null) {
                    return bad;
                }
                b.position(b.position() + len);
            }
            if (b.hasRemaining()) {
                return bundle.path() + ": " + b.remaining() + " bytes after the last of its " + bundle.width() + " entries";
            }
            return null;
        }

        private String push(int l, byte[] hash) throws IOException {
            System.arraycopy(hash, 0, level[l], count[l] * Hash.SIZE, Hash.SIZE);
            if (++count[l] < TilePath.WIDTH) {
                return null;
            }
            String bad = compare(new TilePath(l, tile[l], TilePath.WIDTH));
            if (bad != null) {
                return bad;
            }
            byte[] root = Merkle.perfectRoot(level[l], 0, TilePath.WIDTH);
            count[l] = 0;
            tile[l]++;
            return l + 1 < LEVELS ? push(l + 1, root) : null;
        }

        String finish() throws IOException {
            for (int l = 0; l < LEVELS; l++) {
                if (count[l] > 0) {
                    String bad = compare(new TilePath(l, tile[l], count[l]));
                    if (bad != null) {
                        return bad;
                    }
                }
            }
            return null;
        }

        private String compare(TilePath t) throws IOException {
            byte[] published = fetch.get(t.path());
            if (published == null) {
                return t.path() + " is missing";
            }
            int want = t.width() * Hash.SIZE;
            if (published.length != want) {
                return t.path() + " is " + published.length + " bytes; a tile of width " + t.width() + " is " + want;
            }
            int mismatch = Arrays.mismatch(published, 0, want, level[t.level()], 0, want);
            if (mismatch >= 0) {
                int i = mismatch / Hash.SIZE;
                long index = t.index() * TilePath.WIDTH + i;
                byte[] held = Arrays.copyOfRange(published, i * Hash.SIZE, (i + 1) * Hash.SIZE);
                byte[] computed = Arrays.copyOfRange(level[t.level()], i * Hash.SIZE, (i + 1) * Hash.SIZE);
                if (t.level() == 0 && signedTreeHolds(index, held)) {
                    // The tile's hash is the one the signature covers, so the entry is what changed.
                    TilePath bundle = new TilePath(TilePath.ENTRIES, t.index(), t.width());
                    return bundle.path() + ": entry " + index + " was altered: its leaf hash is " + Proofs.b64(computed)
                            + ", but the signed tree holds " + Proofs.b64(held) + " there (" + t.path() + " hash " + i
                            + ", proven against the checkpoint's root)";
                }
                String from = t.level() == 0 ? "the leaf hash of entry " + index
                        : "the root of " + new TilePath(t.level() - 1, index, TilePath.WIDTH).path();
                return t.path() + ": hash " + i + " is " + Proofs.b64(held) + ", not " + from + " (" + Proofs.b64(computed) + ")";
            }
            return null;
        }

        /**
         * Whether the published tiles prove {@code leafHash} to be leaf {@code index} under the checkpoint's signed root
         * (an inclusion proof built from them). Decides whose fault a level-0 mismatch is: the bundle's, when the tile's
         * hash is the signed one; otherwise the tile's.
         */
        private boolean signedTreeHolds(long index, byte[] leafHash) {
            try {
                List<byte[]> proof = Proofs.inclusion(TileMath.source(tiles(fetch), cp.size()), index, cp.size());
                return Proofs.verifyInclusion(index, cp.size(), leafHash, proof, cp.root().raw()).isOk();
            } catch (LedgerException | IllegalArgumentException | IllegalStateException e) {
                return false; // a tile the proof needs is missing or malformed: the tiles cannot vouch for the entry
            }
        }

        /** The right-edge tiles, all a root needs (every node of the root's decomposition lies in them). */
        HashSource edgeSource(long size) {
            return TileMath.source(path -> {
                TilePath t = TilePath.parse(path).orThrow();
                if (t.index() != tile[t.level()] || t.width() != count[t.level()]) {
                    throw new IllegalStateException("root needs " + path + ", which is not on the right edge");
                }
                return Arrays.copyOf(level[t.level()], t.width() * Hash.SIZE);
            }, size);
        }
    }
}
