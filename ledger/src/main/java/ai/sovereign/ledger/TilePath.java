package ai.sovereign.ledger;

import java.util.ArrayList;
import java.util.List;

/**
 * C2SP tlog-tiles resource paths.
 * <pre>
 * tile/&lt;L&gt;/&lt;N&gt;[.p/&lt;W&gt;]       hash tile: level L (0..63), index N, partial width W (1..255)
 * tile/entries/&lt;N&gt;[.p/&lt;W&gt;]    entry bundle
 * </pre>
 * N is written in 3-digit groups, every group but the last prefixed with {@code x}
 * (1234067 → {@code x001/x234/067}, 5 → {@code 005}) so no name is both file and directory.
 * A full tile holds 256 hashes (8,192 bytes); tile N at level L holds the roots of the perfect
 * subtrees {@code [(N·256+i)·256^L, (N·256+i+1)·256^L)}, i &lt; W.
 */
record TilePath(int level, long index, int width) {
    static final int WIDTH = 256;
    static final int ENTRIES = -1;

    TilePath {
        if (level < ENTRIES || level > 63 || index < 0 || width < 1 || width > WIDTH) {
            throw new IllegalArgumentException("no such tile: level " + level + ", index " + index + ", width " + width);
        }
    }

    boolean entries() {
        return level == ENTRIES;
    }

    boolean partial() {
        return width < WIDTH;
    }

    /** The same tile, full. */
    TilePath full() {
        return new TilePath(level, index, WIDTH);
    }

    String path() {
        return "tile/" + (entries() ? "entries" : Integer.toString(level)) + "/" + encodeIndex(index) + (partial() ? ".p/" + width : "");
    }

    @Override
    public String toString() {
        return path();
    }

    static String encodeIndex(long n) {
        if (n < 0) {
            throw new IllegalArgumentException("negative tile index " + n);
        }
        StringBuilder sb = new StringBuilder(String.format("%03d", n % 1000));
        for (n /= 1000; n > 0; n /= 1000) {
            sb.insert(0, String.format("x%03d/", n % 1000));
        }
        return sb.toString();
    }

    /** Parses a tile path strictly (the exact form {@link #path()} writes); failures name the problem. */
    static Verification<TilePath> parse(String path) {
        String[] parts = path.split("/", -1);
        if (parts.length < 3 || !parts[0].equals("tile")) {
            return Verification.failed("not a tile path: " + Notes.excerpt(path));
        }
        int level;
        if (parts[1].equals("entries")) {
            level = ENTRIES;
        } else if (parts[1].matches("0|[1-9][0-9]?") && Integer.parseInt(parts[1]) <= 63) {
            level = Integer.parseInt(parts[1]);
        } else {
            return Verification.failed("tile path " + Notes.excerpt(path) + ": level " + Notes.excerpt(parts[1]) + " is not 0..63 or entries");
        }
        int end = parts.length;
        int width = WIDTH;
        if (end >= 4 && parts[end - 2].endsWith(".p")) {
            String w = parts[end - 1];
            if (!w.matches("[1-9][0-9]{0,2}") || Integer.parseInt(w) > 255) {
                return Verification.failed("tile path " + Notes.excerpt(path) + ": partial width " + Notes.excerpt(w) + " is not 1..255");
            }
            width = Integer.parseInt(w);
            parts[end - 2] = parts[end - 2].substring(0, parts[end - 2].length() - 2);
            end--;
        }
        long index = 0;
        for (int i = 2; i < end; i++) {
            String g = parts[i];
            boolean last = i == end - 1;
            if (!(last ? g.matches("[0-9]{3}") : g.matches("x[0-9]{3}"))) {
                return Verification.failed("tile path " + Notes.excerpt(path) + ": index element " + Notes.excerpt(g)
                        + (last ? " is not 3 digits" : " is not x and 3 digits"));
            }
            if (i == 2 && !last && g.equals("x000")) {
                return Verification.failed("tile path " + Notes.excerpt(path) + ": index has a leading zero group");
            }
            if (index > (Long.MAX_VALUE - 999) / 1000) {
                return Verification.failed("tile path " + Notes.excerpt(path) + ": index too large");
            }
            index = index * 1000 + Integer.parseInt(last ? g : g.substring(1));
        }
        return Verification.ok(new TilePath(level, index, width));
    }

    /** Every hash tile of a tree of {@code size} (full and the partial right edge), level by level. */
    static List<TilePath> hashTiles(long size) {
        List<TilePath> out = new ArrayList<>();
        for (int level = 0; level < 8; level++) {   // 256^8 = 2^64: a long size needs at most 8 levels
            long atLevel = size >>> (8 * level);
            if (atLevel == 0) {
                break;
            }
            long full = atLevel / WIDTH;
            for (long n = 0; n < full; n++) {
                out.add(new TilePath(level, n, WIDTH));
            }
            int partial = (int) (atLevel % WIDTH);
            if (partial > 0) {
                out.add(new TilePath(level, full, partial));
            }
        }
        return out;
    }

    /** The entry bundles of a tree of {@code size}. */
    static List<TilePath> entryBundles(long size) {
        List<TilePath> out = new ArrayList<>();
        for (long n = 0; n < size / WIDTH; n++) {
            out.add(new TilePath(ENTRIES, n, WIDTH));
        }
        if (size % WIDTH > 0) {
            out.add(new TilePath(ENTRIES, size / WIDTH, (int) (size % WIDTH)));
        }
        return out;
    }
}
