package ai.sovereign.policy;

/**
 * The text the detectors read, and the way back to the caller's offsets.
 *
 * <p>Guarantees: every character the detectors see maps to a span of the original text, so a match in normalized text is
 * reported at exactly the original code units it came from. The mapping is the NFKC-equivalent subset that matters for
 * identifiers, done without {@link java.text.Normalizer} (which would lose the offsets and costs a full copy):
 * <ul>
 *   <li>full-width ASCII (U+FF01–FF5E, e.g. full-width digits, hyphen, '@') becomes ASCII;</li>
 *   <li>NBSP, figure/narrow/ideographic and the other Unicode spaces become ' ';</li>
 *   <li>Unicode hyphens and the minus sign become '-';</li>
 *   <li>mathematical digits (surrogate pairs) become ASCII digits (2 units to 1);</li>
 *   <li>conjoining Hangul jamo (NFD Hangul, as macOS writes it) are composed into syllables (2–3 units to 1);</li>
 *   <li>zero-width characters and the soft hyphen are dropped, so they cannot split an identifier.</li>
 * </ul>
 * When no character changes length (the usual case) no offset table is allocated.
 */
final class NormalizedText {
    final char[] chars;
    final int length;
    private final int originalLength;
    /** Original start of normalized char k, and original end (exclusive) of it; null when offsets are the identity. */
    private final int[] origStart;
    private final int[] origEnd;

    private NormalizedText(char[] chars, int length, int originalLength, int[] origStart, int[] origEnd) {
        this.chars = chars;
        this.length = length;
        this.originalLength = originalLength;
        this.origStart = origStart;
        this.origEnd = origEnd;
    }

    int originalStart(int k) {
        return origStart == null ? k : origStart[k];
    }

    /** Original exclusive end of a normalized span that ends (exclusive) at {@code kEnd > 0}. */
    int originalEnd(int kEnd) {
        return origStart == null ? kEnd : origEnd[kEnd - 1];
    }

    int originalLength() {
        return originalLength;
    }

    /** The normalized view of {@code src[0, n)}; when nothing changes it reads {@code src} itself, without a copy. */
    static NormalizedText of(char[] src, int n) {
        for (int i = 0; i < n; i++) {
            if (mayChange(src[i])) {
                return slow(src, n, i);
            }
        }
        return identity(src, n);
    }

    /** {@code src[0, n)} as it is: for a caller that has seen that no character in it {@link #mayChange may change}. */
    static NormalizedText identity(char[] src, int n) {
        return new NormalizedText(src, n, n, null, null);
    }

    /** Whether normalization may change or drop {@code c} (text without such characters is its own normal form). */
    static boolean mayChange(char c) {
        return !(c < 0xA0 || (c >= 0xAC00 && c < 0xD800)) && special(c);
    }

    /** Whether a non-ASCII, non-syllable character may change under our mapping. */
    private static boolean special(char c) {
        return mapOne(c) != c || dropped(c) || Character.isHighSurrogate(c) || (c >= 0x1100 && c <= 0x11FF);
    }

    static char mapOne(char c) {
        if (c >= 0xFF01 && c <= 0xFF5E) {
            return (char) (c - 0xFEE0);
        }
        return switch (c) {
            case '\u00A0', '\u1680', '\u2000', '\u2001', '\u2002', '\u2003', '\u2004', '\u2005', '\u2006', '\u2007', '\u2008',
                 '\u2009', '\u200A', '\u202F', '\u205F', '\u3000' -> ' ';
            case '\u2010', '\u2011', '\u2012', '\u2013', '\u2212', '\uFE58', '\uFE63' -> '-';
            case '\uFE52', '\u2024' -> '.';
            case '\uFE55' -> ':';
            case '\uFE6B' -> '@';
            default -> c;
        };
    }

    private static boolean dropped(char c) {
        return c == '\u200B' || c == '\u200C' || c == '\u200D' || c == '\u2060' || c == '\uFEFF' || c == '\u00AD';
    }

    private static NormalizedText slow(char[] src, int n, int first) {
        char[] out = new char[n];
        System.arraycopy(src, 0, out, 0, first);
        int[] os = null;
        int[] oe = null;
        int k = first;
        int i = first;
        while (i < n) {
            char c = src[i];
            int consumed = 1;
            char mapped;
            boolean drop = false;
            if (dropped(c)) {
                drop = true;
                mapped = 0;
            } else if (c == 0xD835 && i + 1 < n && src[i + 1] >= 0xDFCE && src[i + 1] <= 0xDFFF) {
                mapped = (char) ('0' + (src[i + 1] - 0xDFCE) % 10);
                consumed = 2;
            } else if (c >= 0x1100 && c <= 0x1112 && i + 1 < n && src[i + 1] >= 0x1161 && src[i + 1] <= 0x1175) {
                int t = 0;
                consumed = 2;
                if (i + 2 < n && src[i + 2] >= 0x11A8 && src[i + 2] <= 0x11C2) {
                    t = src[i + 2] - 0x11A7;
                    consumed = 3;
                }
                mapped = (char) (0xAC00 + ((c - 0x1100) * 21 + (src[i + 1] - 0x1161)) * 28 + t);
            } else {
                mapped = mapOne(c);
            }
            if ((drop || consumed != 1) && os == null) {
                os = new int[n];
                oe = new int[n];
                for (int j = 0; j < k; j++) {
                    os[j] = j;
                    oe[j] = j + 1;
                }
            }
            if (!drop) {
                out[k] = mapped;
                if (os != null) {
                    os[k] = i;
                    oe[k] = i + consumed;
                }
                k++;
            }
            i += consumed;
        }
        return new NormalizedText(out, k, n, os, oe);
    }
}
