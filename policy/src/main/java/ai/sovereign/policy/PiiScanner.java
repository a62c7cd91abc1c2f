package ai.sovereign.policy;

import java.time.LocalDate;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Objects;

/**
 * Finds Korean (and common international) personal data in text: resident, foreigner, business and corporate
 * registration numbers, passports, driver's licences, health-insurance and bank-account numbers, vehicle plates,
 * telephone numbers, e-mail and IP addresses, card numbers, and names and addresses by context rules.
 *
 * <p>Guarantees: offsets are UTF-16 code units of the text as given (end exclusive), also when the identifier was written
 * with full-width digits, NBSP or other Unicode separators, zero-width characters or decomposed Hangul; returned spans do
 * not overlap (the highest score wins, then the longer span) and are sorted by start; entities never carry the matched
 * value. A scanner is immutable and safe to share between threads; one call costs one pass over the text.
 *
 * <p>Rules, formats and check digits follow {@code trust-log-and-korean-pii.md} Part B; scores are documented in the
 * detectors. Entities scoring below {@link #DEFAULT_MIN_SCORE} are candidates a caller may still want (a wrong-check
 * RRN-shaped number without context scores 0.3).
 */
public final class PiiScanner {
    /** The default reporting threshold of {@code sovereign pii scan}. */
    public static final double DEFAULT_MIN_SCORE = 0.5;

    private static final long KOREA_UTC_OFFSET_MILLIS = 9 * 3_600_000L; // Asia/Seoul: UTC+09:00, no daylight saving since 1988

    private final LocalDate today;

    /** A scanner that treats birth dates after today (in Korea) as impossible. */
    public PiiScanner() {
        this(null);
    }

    /** For tests: a fixed "today"; null means the current date in Korea at each scan. */
    PiiScanner(LocalDate today) {
        this.today = today;
    }

    private static LocalDate todayInKorea() {
        return LocalDate.ofEpochDay(Math.floorDiv(System.currentTimeMillis() + KOREA_UTC_OFFSET_MILLIS, 86_400_000L));
    }

    /** Every entity in {@code text} with a score above zero, sorted by start. */
    public List<PiiEntity> scan(CharSequence text) {
        return scan(text, 0.0);
    }

    /** Entities in {@code text} scoring at least {@code minScore}, sorted by start. */
    public List<PiiEntity> scan(CharSequence text, double minScore) {
        Objects.requireNonNull(text, "text");
        if (!(minScore >= 0 && minScore <= 1)) {
            throw new IllegalArgumentException("minScore must be in [0, 1], was " + minScore);
        }
        if (text.isEmpty()) {
            return List.of();
        }
        int n = text.length();
        char[] chars = new char[n];
        if (text instanceof String s) {
            s.getChars(0, n, chars, 0);
        } else {
            for (int i = 0; i < n; i++) {
                chars[i] = text.charAt(i);
            }
        }
        return scan(chars, n, minScore);
    }

    /**
     * Entities in {@code text[0, length)} scoring at least {@code minScore}, sorted by start: the same answer as
     * {@code scan(new String(text, 0, length), minScore)} without copying the text, for callers that decode into a reused
     * buffer. The array is read in place, never modified, and must not change during the call.
     */
    public List<PiiEntity> scan(char[] text, int length, double minScore) {
        Objects.requireNonNull(text, "text");
        Objects.checkFromIndexSize(0, length, text.length);
        if (!(minScore >= 0 && minScore <= 1)) {
            throw new IllegalArgumentException("minScore must be in [0, 1], was " + minScore);
        }
        if (length == 0) {
            return List.of();
        }
        LocalDate day = today != null ? today : todayInKorea();
        Scan scan = new Scan(text, length, day);
        NormalizedText norm = NormalizedText.identity(text, length);
        if (!scan.run(true)) {
            norm = NormalizedText.of(text, length);
            scan = new Scan(norm.chars, norm.length, day);
            scan.run(false);
        }
        List<Scan.Candidate> kept = resolve(scan.found);
        List<PiiEntity> out = new ArrayList<>(kept.size());
        for (Scan.Candidate c : kept) {
            if (c.score() >= minScore) {
                out.add(new PiiEntity(c.type(), norm.originalStart(c.start()), norm.originalEnd(c.end()), c.score()));
            }
        }
        return out;
    }

    /** Score, then length (both descending), then start, then type. */
    private static final Comparator<Scan.Candidate> BEST_FIRST = (x, y) -> {
        int c = Double.compare(y.score(), x.score());
        if (c == 0) {
            c = Integer.compare(y.end() - y.start(), x.end() - x.start());
        }
        if (c == 0) {
            c = Integer.compare(x.start(), y.start());
        }
        return c != 0 ? c : x.type().compareTo(y.type());
    };
    private static final Comparator<Scan.Candidate> BY_SPAN = (x, y) -> x.start() != y.start()
            ? Integer.compare(x.start(), y.start()) : Integer.compare(x.end(), y.end());
    private static final Comparator<Scan.Candidate> BY_START = (x, y) -> Integer.compare(x.start(), y.start());

    /**
     * Non-overlapping candidates: sweep by start into clusters of transitively overlapping candidates, and within a
     * cluster keep greedily the best (score, then length, then position). O(k log k) in the number of candidates.
     */
    static List<Scan.Candidate> resolve(List<Scan.Candidate> found) {
        if (found.size() <= 1) {
            return found;
        }
        found.sort(BY_SPAN);
        List<Scan.Candidate> out = new ArrayList<>(found.size());
        List<Scan.Candidate> cluster = new ArrayList<>();
        int clusterEnd = -1;
        for (Scan.Candidate c : found) {
            if (!cluster.isEmpty() && c.start() >= clusterEnd) {
                pick(cluster, out);
                cluster.clear();
            }
            cluster.add(c);
            clusterEnd = Math.max(clusterEnd, c.end());
        }
        pick(cluster, out);
        out.sort(BY_START);
        return out;
    }

    private static void pick(List<Scan.Candidate> cluster, List<Scan.Candidate> out) {
        if (cluster.size() == 1) {
            out.add(cluster.getFirst());
            return;
        }
        cluster.sort(BEST_FIRST);
        int first = out.size();
        for (Scan.Candidate c : cluster) {
            boolean free = true;
            for (int j = first; j < out.size(); j++) {
                Scan.Candidate k = out.get(j);
                if (c.start() < k.end() && k.start() < c.end()) {
                    free = false;
                    break;
                }
            }
            if (free) {
                out.add(c);
            }
        }
    }
}
