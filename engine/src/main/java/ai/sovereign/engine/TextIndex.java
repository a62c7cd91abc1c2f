package ai.sovereign.engine;

/**
 * An open-addressing map from strings to ids that can be probed with a range of a char array or
 * string without building a substring, so the merge loops look up candidate pieces allocation-free.
 * The hash is String.hashCode's, computed over the range.
 */
final class TextIndex {
    private final String[] keys;
    private final int[] ids;
    private final int mask;

    /** An empty index sized for up to {@code expected} keys (it does not grow). */
    TextIndex(int expected) {
        int capacity = Integer.highestOneBit(Math.max(4, expected * 2 - 1)) << 1;
        keys = new String[capacity];
        ids = new int[capacity];
        mask = capacity - 1;
    }

    /** Adds text unless present; returns the id it ends up with. */
    int putIfAbsent(String text, int id) {
        int slot = mix(text.hashCode()) & mask;
        while (keys[slot] != null) {
            if (keys[slot].equals(text)) {
                return ids[slot];
            }
            slot = (slot + 1) & mask;
        }
        keys[slot] = text;
        ids[slot] = id;
        return id;
    }

    int get(String text) {
        int slot = mix(text.hashCode()) & mask;
        while (keys[slot] != null) {
            if (keys[slot].equals(text)) {
                return ids[slot];
            }
            slot = (slot + 1) & mask;
        }
        return -1;
    }

    /** The id of text[start, start + length), or -1. */
    int get(char[] text, int start, int length) {
        int h = 0;
        for (int i = start, end = start + length; i < end; i++) {
            h = 31 * h + text[i];
        }
        int slot = mix(h) & mask;
        while (keys[slot] != null) {
            String key = keys[slot];
            if (key.length() == length && regionEquals(key, text, start)) {
                return ids[slot];
            }
            slot = (slot + 1) & mask;
        }
        return -1;
    }

    private static boolean regionEquals(String key, char[] text, int start) {
        for (int i = 0, n = key.length(); i < n; i++) {
            if (key.charAt(i) != text[start + i]) {
                return false;
            }
        }
        return true;
    }

    private static int mix(int h) {
        return h ^ (h >>> 16) ^ (h >>> 7);
    }
}
