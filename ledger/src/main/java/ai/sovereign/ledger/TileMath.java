package ai.sovereign.ledger;

import java.util.LinkedHashMap;
import java.util.Map;

/**
 * Between tiles and Merkle nodes (C2SP tlog-tiles). A node at Merkle height {@code h = 8L + j}
 * ({@code 0 <= j < 8}), index {@code i}, is the MTH of the {@code 2^j} hashes starting at
 * {@code i·2^j} of level {@code L}; level-L hash {@code m} lives in tile {@code m / 256} at offset
 * {@code m % 256}. For a tree of size {@code s}, level L holds {@code s >> 8L} hashes, so its last
 * tile is partial with width {@code (s >> 8L) % 256} when that is not zero.
 */
final class TileMath {
    private TileMath() {}

    /** Reads a tile by its path; throws {@link LedgerException} when it is missing. */
    @FunctionalInterface
    interface FileTiles {
        byte[] read(String path);
    }

    /** The bytes of hash tile {@code t} as a tree (holding at least its span) defines them. */
    static byte[] tileBytes(HashSource src, TilePath t) {
        byte[] out = new byte[t.width() * Hash.SIZE];
        for (int i = 0; i < t.width(); i++) {
            System.arraycopy(src.node(8 * t.level(), t.index() * TilePath.WIDTH + i), 0, out, i * Hash.SIZE, Hash.SIZE);
        }
        return out;
    }

    /** The tile (with its width in a tree of {@code size}) that holds level-L hash {@code m}. */
    static TilePath tileOf(int level, long m, long size) {
        long atLevel = size >>> (8 * level);
        long n = m / TilePath.WIDTH;
        int width = (n + 1) * TilePath.WIDTH <= atLevel ? TilePath.WIDTH : (int) (atLevel % TilePath.WIDTH);
        return new TilePath(level, n, width);
    }

    /** A hash source over the hash tiles of a tree of {@code size}; keeps the last few tiles it read. */
    static HashSource source(FileTiles tiles, long size) {
        Map<TilePath, byte[]> cache = new LinkedHashMap<>(16, 0.75f, true) {
            private static final long serialVersionUID = 1L;

            @Override
            protected boolean removeEldestEntry(Map.Entry<TilePath, byte[]> eldest) {
                return size() > 16;
            }
        };
        return (height, index) -> {
            int level = height / 8;
            int j = height % 8;
            long m = index << j;
            TilePath t = tileOf(level, m, size);
            byte[] bytes = cache.get(t);
            if (bytes == null) {
                bytes = tiles.read(t.path());
                if (bytes.length != t.width() * Hash.SIZE) {
                    throw new LedgerException(t.path() + " is " + bytes.length + " bytes; a tile of width " + t.width()
                            + " is " + t.width() * Hash.SIZE);
                }
                cache.put(t, bytes);
            }
            int offset = (int) (m % TilePath.WIDTH);
            if (offset + (1 << j) > t.width()) {
                throw new IllegalArgumentException("node (" + height + ", " + index + ") is outside a tree of size " + size);
            }
            return Merkle.perfectRoot(bytes, offset * Hash.SIZE, 1 << j);
        };
    }
}
