package ai.sovereign.policy;

import java.time.LocalDate;
import java.util.ArrayList;

/**
 * One pass over normalized text that proposes scored candidates; {@link Resolver} then picks non-overlapping ones.
 *
 * <p>Design: the loop looks at each character once and branches only on cheap triggers: an ASCII digit starts a
 * <em>digit sequence</em> (digit groups joined by single '-', ' ' or '.' separators, and a ')' after a parenthesised
 * first group), '@' starts an e-mail, ':' an IPv6 address or an English label, and a handful of Hangul syllables a
 * Korean label (성명, 주소 …). Every numeric detector then works on the groups of that one sequence, trying each group
 * as a start, so no full-text regular expression ever runs.
 *
 * <p>Boundaries follow the span rules of the CLI contract: a candidate never starts or ends inside a longer
 * hyphen/dot-joined number, never touches an ASCII letter (product codes) or '@', and stops before Korean particles
 * (they are not digits); '+82', a parenthesised area code and an old-style licence's region name are included.
 *
 * <p>Scores (see the detectors): a base per shape, checksum-valid above checksum-invalid, raised by context words of
 * the type within 40 characters before or 20 after, lowered by order/serial/version words when no positive context is
 * present. Checksum-invalid numbers without context stay below 0.5.
 */
final class Scan {
    record Candidate(PiiType type, int start, int end, double score) {}

    private static final int MAX_GROUPS = 12;
    /** Fewer digits than this in a whole sequence of fewer than four groups cannot be any candidate of {@link #from}. */
    private static final int MIN_DIGITS = 8;
    private static final int CTX_BEFORE = 40;
    private static final int CTX_AFTER = 20;
    /** Order, serial and version words without positive context: a checksum-valid, well-shaped number drops below 0.5. */
    private static final double NEGATIVE_PENALTY = 0.5;
    /** Births reported from here on may carry a random RRN tail (the October 2020 rule, with a month's margin). */
    private static final LocalDate RANDOM_TAIL_CUTOVER = LocalDate.of(2020, 9, 1);

    private final char[] a;
    private final int n;
    private final LocalDate today;
    final ArrayList<Candidate> found = new ArrayList<>();

    private final int[] gs = new int[MAX_GROUPS];
    private final int[] ge = new int[MAX_GROUPS];
    private final char[] sep = new char[MAX_GROUPS];
    private int m;
    private final int[] dg = new int[32];
    private final int[] glen = new int[8];
    private final int[] nat = new int[32];
    private final int[] natGroups = new int[8];
    private int colonSkip = -1;

    Scan(char[] a, int n, LocalDate today) {
        this.a = a;
        this.n = n;
        this.today = today;
    }

    private static final byte DIGIT = 1;
    private static final byte AT = 2;
    private static final byte COLON = 3;
    private static final byte LABEL_END = 4;
    private static final byte NOT_NORMAL = 5;
    /** What each UTF-16 unit triggers (0: nothing): one table load per character instead of a chain of comparisons. */
    private static final byte[] TRIGGER = new byte[1 << 16];

    static {
        for (char c = '0'; c <= '9'; c++) {
            TRIGGER[c] = DIGIT;
        }
        TRIGGER['@'] = AT;
        TRIGGER[':'] = COLON;
        for (char c : "명름함주인분자소지택".toCharArray()) {
            TRIGGER[c] = LABEL_END;
        }
        for (int c = 0; c < 1 << 16; c++) {
            if (NormalizedText.mayChange((char) c)) {
                if (TRIGGER[c] != 0) {
                    throw new AssertionError("a trigger character may change under normalization: U+" + Integer.toHexString(c));
                }
                TRIGGER[c] = NOT_NORMAL;
            }
        }
    }

    /**
     * Proposes the candidates. With {@code stopIfNotNormal}, stops at the first character that normalization may change
     * and returns false: the caller then normalizes and scans again, which spares text that is already in normal form
     * (nearly all of it) a separate pass. A digit sequence, the only stretch the loop skips, holds no such character.
     */
    boolean run(boolean stopIfNotNormal) {
        final char[] a = this.a;
        final int n = this.n;
        final byte[] trigger = TRIGGER;
        int i = 0;
        while (i < n) {
            switch (trigger[a[i]]) {
                case 0 -> { }
                case DIGIT -> {
                    i = number(i);
                    continue;
                }
                case AT -> email(i);
                case COLON -> colon(i);
                case LABEL_END -> Labels.korean(this, i);
                default -> {
                    if (stopIfNotNormal) {
                        return false;
                    }
                }
            }
            i++;
        }
        return true;
    }

    // ---------------------------------------------------------------- helpers

    char[] chars() {
        return a;
    }

    int length() {
        return n;
    }

    static boolean isDigit(char c) {
        return c >= '0' && c <= '9';
    }

    static boolean isAsciiAlnum(char c) {
        return isDigit(c) || Keywords.isAsciiLetter(c);
    }

    static boolean isHex(char c) {
        return isDigit(c) || (c >= 'a' && c <= 'f') || (c >= 'A' && c <= 'F');
    }

    static boolean isSyllable(char c) {
        return c >= 0xAC00 && c <= 0xD7A3;
    }

    void add(PiiType type, int start, int end, double score) {
        if (score <= 0.01 || end <= start) {
            return;
        }
        found.add(new Candidate(type, start, end, Math.round(Math.min(1.0, score) * 100) / 100.0));
    }

    boolean ctx(int start, int end, Keywords.Words words) {
        return Keywords.any(a, n, Math.max(0, start - CTX_BEFORE), start, words)
                || Keywords.any(a, n, end, Math.min(n, end + CTX_AFTER), words);
    }

    private boolean negative(int start, int end) {
        return ctx(start, end, Keywords.NEGATIVE);
    }

    // ---------------------------------------------------------------- digit sequences

    private int number(int i) {
        if (i > 0 && Keywords.isAsciiLetter(a[i - 1])) {
            passport(i - 1);
        }
        plate(i);
        parseGroups(i);
        int end = ge[m - 1];
        int digits = 0;
        for (int g = 0; g < m; g++) {
            digits += ge[g] - gs[g];
        }
        // the shortest number any group-based detector takes has 8 digits (1588-1234) or 4 groups (an IPv4 address)
        if (digits >= MIN_DIGITS || m >= 4) {
            for (int s = 0; s < m; s++) {
                if (leftOk(s)) {
                    from(s);
                }
            }
        }
        if (i >= 2 && a[i - 1] == ' ' && (a[i - 2] == '로' || a[i - 2] == '길')) {
            Labels.roadAddress(this, i);
        }
        return end;
    }

    private void parseGroups(int i) {
        int pos = i;
        m = 0;
        while (true) {
            gs[m] = pos;
            while (pos < n && isDigit(a[pos])) {
                pos++;
            }
            ge[m] = pos;
            m++;
            if (m == MAX_GROUPS || pos >= n) {
                return;
            }
            char c = a[pos];
            if ((c == '-' || c == ' ' || c == '.') && pos + 1 < n && isDigit(a[pos + 1])) {
                sep[m] = c;
                pos++;
                continue;
            }
            if (c == ')' && m == 1 && gs[0] > 0 && a[gs[0] - 1] == '(') {
                int q = pos + 1;
                if (q < n && a[q] == ' ') {
                    q++;
                }
                if (q < n && isDigit(a[q])) {
                    sep[m] = ')';
                    pos = q;
                    continue;
                }
            }
            return;
        }
    }

    private boolean leftOk(int s) {
        if (s > 0) {
            return sep[s] == ' ' || sep[s] == ')';
        }
        int p = gs[0] - 1;
        if (p < 0) {
            return true;
        }
        char b = a[p];
        if (Keywords.isAsciiLetter(b) || b == '_') {
            return false;
        }
        if (b == ',' && !thousandsComma(p)) {
            return true; // a field separator (CSV), not part of a longer number
        }
        return !((b == '-' || b == '.' || b == ',') && p > 0 && isAsciiAlnum(a[p - 1]));
    }

    /** Whether the comma at {@code p} can group thousands: 1–3 digits before it and exactly 3 digits after it. */
    private boolean thousandsComma(int p) {
        int left = 0;
        for (int i = p - 1; i >= 0 && isDigit(a[i]); i--) {
            left++;
        }
        int right = 0;
        for (int i = p + 1; i < n && isDigit(a[i]); i++) {
            right++;
        }
        return left >= 1 && left <= 3 && right == 3;
    }

    private boolean rightOk(int e) {
        if (e < m - 1) {
            return sep[e + 1] == ' ';
        }
        int p = ge[e];
        if (p >= n) {
            return true;
        }
        char c = a[p];
        if (Keywords.isAsciiLetter(c) || c == '_' || c == '@') {
            return false;
        }
        if (c == ',' && !thousandsComma(p)) {
            return true;
        }
        return !((c == ',' || c == '-' || c == '.') && p + 1 < n && isDigit(a[p + 1]));
    }

    private char uniformSep(int s, int e) {
        if (s == e) {
            return 0;
        }
        char u = sep[s + 1];
        for (int j = s + 2; j <= e; j++) {
            if (sep[j] != u) {
                return '?';
            }
        }
        return u;
    }

    private void from(int s) {
        int nd = 0;
        for (int e = s; e < m && e - s < 5; e++) {
            int len = ge[e] - gs[e];
            if (nd + len > 24) {
                return;
            }
            for (int p = gs[e]; p < ge[e]; p++) {
                dg[nd++] = a[p] - '0';
            }
            glen[e - s] = len;
            if (rightOk(e)) {
                candidates(s, e, e - s + 1, nd, uniformSep(s, e));
            }
        }
    }

    private boolean shape(int k, int... lengths) {
        if (k != lengths.length) {
            return false;
        }
        for (int j = 0; j < k; j++) {
            if (glen[j] != lengths[j]) {
                return false;
            }
        }
        return true;
    }

    private void candidates(int s, int e, int k, int nd, char u) {
        boolean hyphenOrSpace = u == '-' || u == ' ';
        if (k == 1) {
            switch (nd) {
                case 13 -> id13(s, e, false);
                case 10 -> brn(s, e, false);
                case 12 -> licence(s, e, false);
                default -> { }
            }
            if (nd >= 13 && nd <= 19) {
                card(s, e, false, nd);
            }
        } else if (hyphenOrSpace) {
            if (shape(k, 6, 7)) {
                id13(s, e, true);
            }
            if (shape(k, 3, 2, 5)) {
                brn(s, e, true);
            }
            if (shape(k, 2, 2, 6, 2)) {
                licence(s, e, true);
            }
            if (shape(k, 2, 6, 2) && s == 0) {
                oldLicence(s, e);
            }
            if (shape(k, 4, 4, 4, 4) || shape(k, 4, 4, 4, 4, 3) || shape(k, 4, 6, 5) || shape(k, 4, 6, 4)) {
                card(s, e, true, nd);
            }
        }
        if (k == 4 && u == '.') {
            ipv4(s, e);
        }
        phone(s, e, k);
        if (nd == 11 && k <= 3 && (k == 1 || hyphenOrSpace)) {
            health(s, e);
        }
        if (nd >= 10 && nd <= 14 && (k == 1 || u == '-')) {
            account(s, e, k, nd);
        }
    }

    /** RRN, FRN and CRN share the 6-7 shape; each reading is proposed and the resolver keeps the best. */
    private void id13(int s, int e, boolean grouped) {
        int start = gs[s];
        int end = ge[e];
        boolean ctxR = ctx(start, end, Keywords.RRN);
        boolean ctxF = ctx(start, end, Keywords.FRN);
        boolean ctxC = ctx(start, end, Keywords.CRN);
        boolean neg = !ctxR && !ctxF && !ctxC && negative(start, end);
        int sx = dg[6];
        LocalDate birth = Checks.birthDate(dg, 0);
        if (birth != null && !birth.isAfter(today)) {
            double score;
            if (sx <= 4) {
                if (Checks.rrnCheck(dg, 0)) {
                    score = ctxR ? 1.0 : grouped ? 0.95 : 0.85;
                } else if (!birth.isBefore(RANDOM_TAIL_CUTOVER)) {
                    score = ctxR ? 0.95 : grouped ? 0.7 : 0.6;
                } else {
                    score = ctxR ? (grouped ? 0.85 : 0.8) : 0.3;
                }
                if (ctxC && !ctxR) {
                    score -= 0.3;
                }
                if (neg) {
                    score -= NEGATIVE_PENALTY;
                }
                add(PiiType.KR_RRN, start, end, score);
            } else {
                boolean ctx = ctxF || ctxR;
                if (Checks.frnCheck(dg, 0)) {
                    score = ctx ? 1.0 : grouped ? 0.95 : 0.85;
                } else {
                    score = ctx ? (grouped ? 0.85 : 0.8) : 0.35;
                }
                if (neg) {
                    score -= NEGATIVE_PENALTY;
                }
                add(PiiType.KR_FRN, start, end, score);
            }
        }
        if (Checks.crnCheck(dg, 0)) {
            double score = ctxC ? 0.97 : grouped ? 0.45 : 0.35;
            if (neg) {
                score -= NEGATIVE_PENALTY;
            }
            add(PiiType.KR_CRN, start, end, score);
        }
    }

    private void brn(int s, int e, boolean grouped) {
        if (Checks.num(dg, 0, 3) < 101 || Checks.num(dg, 3, 2) == 0 || Checks.num(dg, 5, 4) == 0 || !Checks.brnCheck(dg, 0)) {
            return;
        }
        int start = gs[s];
        int end = ge[e];
        boolean c = ctx(start, end, Keywords.BRN);
        double score = grouped ? (c ? 0.95 : 0.7) : (c ? 0.9 : 0.2);
        if (!c && negative(start, end)) {
            score -= NEGATIVE_PENALTY;
        }
        add(PiiType.KR_BRN, start, end, score);
    }

    private void licence(int s, int e, boolean grouped) {
        if (!Checks.licenceRegion(Checks.num(dg, 0, 2))) {
            return;
        }
        int start = gs[s];
        int end = ge[e];
        boolean c = ctx(start, end, Keywords.LICENCE);
        double score = grouped ? (c ? 0.95 : 0.7) : (c ? 0.9 : 0.3);
        if (!c && negative(start, end)) {
            score -= NEGATIVE_PENALTY;
        }
        add(PiiType.KR_DRIVER_LICENSE, start, end, score);
    }

    static final String[] REGION_NAMES = {"서울", "부산", "경기", "강원", "충북", "충남", "전북", "전남", "경북", "경남", "제주", "대구",
            "인천", "광주", "대전", "울산", "세종"};

    static boolean regionAt(char[] a, int n, int p) {
        if (p < 0 || p + 2 > n) {
            return false;
        }
        for (String r : REGION_NAMES) {
            if (a[p] == r.charAt(0) && a[p + 1] == r.charAt(1)) {
                return true;
            }
        }
        return false;
    }

    /** Licences issued before June 2014 print the region's name: {@code 서울 12-345678-90}. */
    private void oldLicence(int s, int e) {
        int q = gs[s];
        if (q > 0 && a[q - 1] == ' ') {
            q--;
        }
        if (q < 2 || !regionAt(a, n, q - 2) || (q >= 3 && isSyllable(a[q - 3]))) {
            return;
        }
        int start = q - 2;
        int end = ge[e];
        add(PiiType.KR_DRIVER_LICENSE, start, end, ctx(start, end, Keywords.LICENCE) ? 0.95 : 0.85);
    }

    private void card(int s, int e, boolean grouped, int nd) {
        if (!Checks.luhn(dg, 0, nd)) {
            return;
        }
        int two = dg[0] * 10 + dg[1];
        boolean prefix = switch (dg[0]) {
            case 4, 5, 6, 9 -> true;
            case 3 -> two == 30 || (two >= 34 && two <= 39);
            case 2 -> {
                int four = Checks.num(dg, 0, 4);
                yield four >= 2221 && four <= 2720;
            }
            default -> false;
        };
        int start = gs[s];
        int end = ge[e];
        boolean c = ctx(start, end, Keywords.CARD);
        double score;
        if (grouped) {
            score = prefix ? (c ? 1.0 : 0.9) : (c ? 0.7 : 0.3);
        } else if (prefix && nd == 16) {
            score = c ? 0.95 : 0.75;
        } else if (nd == 15 && (two == 34 || two == 37)) {
            score = c ? 0.95 : 0.7;
        } else {
            score = c && prefix ? 0.85 : c ? 0.6 : 0.3;
        }
        if (!c && negative(start, end)) {
            score -= NEGATIVE_PENALTY;
        }
        add(PiiType.CREDIT_CARD, start, end, score);
    }

    private void ipv4(int s, int e) {
        boolean allSmall = true;
        for (int j = s; j <= e; j++) {
            int len = ge[j] - gs[j];
            if (len > 3 || (len > 1 && a[gs[j]] == '0')) {
                return;
            }
            int v = 0;
            for (int p = gs[j]; p < ge[j]; p++) {
                v = v * 10 + (a[p] - '0');
            }
            if (v > 255) {
                return;
            }
            allSmall &= v < 10;
        }
        int start = gs[s];
        int end = ge[e];
        boolean c = ctx(start, end, Keywords.IP);
        double score = c ? 0.95 : allSmall ? 0.45 : 0.85;
        if (!c && ctx(start, end, Keywords.IP_NEGATIVE)) {
            score = 0.2;
        }
        add(PiiType.IP_ADDRESS, start, end, score);
    }

    /** Korean numbers: mobile, geographic, 070, 050X, 080, 15xx/16xx/18xx, with +82, (02) and contiguous forms. */
    private void phone(int s, int e, int k) {
        if (k > 4) {
            return;
        }
        boolean paren = false;
        for (int j = s + 1; j <= e; j++) {
            if (sep[j] == ')') {
                if (j != 1) {
                    return;
                }
                paren = true;
            }
        }
        int start = gs[s];
        int end = ge[e];
        int nd = 0;
        for (int j = 0; j < k; j++) {
            nd += glen[j];
        }
        int nl = 0;
        int gk;
        boolean plus = s == 0 && start > 0 && a[start - 1] == '+' && nd > 2 && dg[0] == 8 && dg[1] == 2;
        if (plus) {
            if (paren) {
                return;
            }
            start--;
            nat[nl++] = 0;
            for (int p = 2; p < nd; p++) {
                nat[nl++] = dg[p];
            }
            if (glen[0] == 2) {
                if (k < 2) {
                    return;
                }
                gk = k - 1;
                natGroups[0] = glen[1] + 1;
                for (int j = 2; j < k; j++) {
                    natGroups[j - 1] = glen[j];
                }
            } else {
                gk = k;
                natGroups[0] = glen[0] - 1;
                for (int j = 1; j < k; j++) {
                    natGroups[j] = glen[j];
                }
            }
        } else {
            if (k == 4) {
                return;
            }
            for (int p = 0; p < nd; p++) {
                nat[nl++] = dg[p];
            }
            gk = k;
            System.arraycopy(glen, 0, natGroups, 0, k);
            if (paren) {
                start--;
            }
        }
        double base = phoneShape(nl, gk);
        if (base <= 0) {
            return;
        }
        if (plus) {
            base = Math.max(base, gk == 1 ? 0.85 : 0.95);
        }
        if (paren) {
            base = Math.max(base, 0.9);
        }
        if (ctx(start, end, Keywords.PHONE)) {
            base += base < 0.6 ? 0.35 : 0.1;
        } else if (negative(start, end)) {
            base -= NEGATIVE_PENALTY;
        }
        add(PiiType.PHONE_NUMBER, start, end, base);
    }

    private double phoneShape(int nl, int gk) {
        if (nat[0] != 0) {
            boolean rep = nl == 8 && nat[0] == 1 && (nat[1] == 5 || nat[1] == 6 || nat[1] == 8) && gk == 2
                    && natGroups[0] == 4 && natGroups[1] == 4;
            return rep ? 0.45 : 0;
        }
        if (nl < 9) {
            return 0;
        }
        int prefixLen;
        int d1 = nat[1];
        int d2 = nat[2];
        switch (d1) {
            case 1 -> {
                if (d2 == 0 || d2 == 1 || d2 >= 6) {
                    prefixLen = 3;
                } else {
                    return 0;
                }
            }
            case 2 -> prefixLen = 2;
            case 3 -> prefixLen = d2 >= 1 && d2 <= 3 ? 3 : 0;
            case 4 -> prefixLen = d2 >= 1 && d2 <= 4 ? 3 : 0;
            case 5 -> prefixLen = d2 == 0 ? (nat[3] >= 2 && nat[3] <= 8 ? 4 : 0) : d2 <= 5 ? 3 : 0;
            case 6 -> prefixLen = d2 >= 1 && d2 <= 4 ? 3 : 0;
            case 7, 8 -> prefixLen = d2 == 0 ? 3 : 0;
            default -> prefixLen = 0;
        }
        if (prefixLen == 0) {
            return 0;
        }
        boolean mobile010 = d1 == 1 && d2 == 0;
        int rest = nl - prefixLen;
        if (mobile010 ? rest != 8 : (rest < 7 || rest > 8)) {
            return 0;
        }
        if (gk == 1) {
            return mobile010 ? 0.7 : 0.4;
        }
        if (natGroups[0] != prefixLen) {
            return 0;
        }
        if (gk == 2) {
            return natGroups[1] == rest ? 0.55 : 0;
        }
        if (gk == 3 && natGroups[1] >= 3 && natGroups[1] <= 4 && natGroups[2] == 4) {
            return d1 == 1 ? 0.9 : 0.85;
        }
        return 0;
    }

    /** Health-insurance card numbers have no published structure: 11 digits, only with health-insurance context. */
    private void health(int s, int e) {
        int start = gs[s];
        int end = ge[e];
        if (ctx(start, end, Keywords.HEALTH)) {
            add(PiiType.KR_HEALTH_INSURANCE, start, end, 0.85);
        }
    }

    /** Bank accounts have no national format or public check digit: 10–14 digits, only with bank or account context. */
    private void account(int s, int e, int k, int nd) {
        for (int j = 0; j < k; j++) {
            if (glen[j] < 2) {
                return;
            }
        }
        int start = gs[s];
        int end = ge[e];
        if (!ctx(start, end, Keywords.ACCOUNT)) {
            return;
        }
        boolean phoneLike = dg[0] == 0 && dg[1] == 1;
        add(PiiType.KR_BANK_ACCOUNT, start, end, phoneLike ? 0.6 : 0.85);
    }

    // ---------------------------------------------------------------- letter-led and other shapes

    /** Passport: [MSROD] + 8 digits (before 2021-12-21) or [MSROD] + 3 digits + letter + 4 digits (after). */
    private void passport(int li) {
        if (li > 0) {
            char b = a[li - 1];
            if (isAsciiAlnum(b) || b == '_' || b == '-' || b == '/' || b == '.') {
                return;
            }
        }
        int p = li + 1;
        int d = 0;
        while (p + d < n && isDigit(a[p + d]) && d < 9) {
            d++;
        }
        int end;
        boolean newForm = false;
        if (d == 8) {
            end = p + 8;
        } else if (d == 3 && p + 8 <= n && Keywords.isAsciiLetter(a[p + 3]) && isDigit(a[p + 4]) && isDigit(a[p + 5])
                && isDigit(a[p + 6]) && isDigit(a[p + 7])) {
            end = p + 8;
            newForm = true;
        } else {
            return;
        }
        if (end < n) {
            char c = a[end];
            if (isAsciiAlnum(c) || c == '_' || c == '@' || ((c == '-' || c == '.') && end + 1 < n && isDigit(a[end + 1]))) {
                return;
            }
        }
        char letter = a[li];
        boolean upper = letter >= 'A' && letter <= 'Z' && (!newForm || (a[p + 3] >= 'A' && a[p + 3] <= 'Z'));
        boolean typeLetter = "MSROD".indexOf(Character.toUpperCase(letter)) >= 0;
        boolean c = ctx(li, end, Keywords.PASSPORT);
        double score;
        if (typeLetter && upper) {
            score = c ? 0.97 : newForm ? 0.65 : 0.55;
        } else {
            score = c ? 0.8 : 0.2;
        }
        if (!c && negative(li, end)) {
            score -= NEGATIVE_PENALTY;
        }
        add(PiiType.KR_PASSPORT, li, end, score);
    }

    /** Hangul syllables allowed as the plate's use mark (private, business, delivery, rental). */
    private static final String PLATE_MARKS = "가나다라마거너더러머버서어저고노도로모보소오조구누두루무부수우주아바사자배하허호";

    /** Vehicle plates: NN가NNNN or NNN가NNNN, optionally after a region name (서울12가3456). */
    private void plate(int i) {
        int j = i;
        while (j < n && isDigit(a[j]) && j - i < 4) {
            j++;
        }
        int len = j - i;
        if (len < 2 || len > 3 || j >= n || PLATE_MARKS.indexOf(a[j]) < 0) {
            return;
        }
        if (a[i] == '0' && (len == 3 || a[i + 1] == '0')) {
            return;
        }
        if (i > 0 && (Keywords.isAsciiLetter(a[i - 1]) || ((a[i - 1] == '-' || a[i - 1] == '.') && i > 1 && isDigit(a[i - 2])))) {
            return;
        }
        int q = j + 1;
        boolean space = false;
        if (q < n && a[q] == ' ') {
            q++;
            space = true;
        }
        if (q + 4 > n) {
            return;
        }
        for (int p = q; p < q + 4; p++) {
            if (!isDigit(a[p])) {
                return;
            }
        }
        int end = q + 4;
        if (end < n && (isAsciiAlnum(a[end]) || ((a[end] == '-' || a[end] == '.') && end + 1 < n && isDigit(a[end + 1])))) {
            return;
        }
        int start = i;
        int r = i;
        if (r > 0 && a[r - 1] == ' ') {
            r--;
        }
        if (r >= 2 && regionAt(a, n, r - 2) && (r < 3 || !isSyllable(a[r - 3]))) {
            start = r - 2;
        }
        double score = space ? 0.6 : 0.8;
        if (ctx(start, end, Keywords.PLATE)) {
            score += 0.15;
        }
        if (start < i) {
            score += 0.05;
        }
        add(PiiType.KR_VEHICLE_PLATE, start, end, score);
    }

    // ---------------------------------------------------------------- e-mail

    private static boolean localChar(char c) {
        if (c < 0x80) {
            return isAsciiAlnum(c) || c == '.' || c == '_' || c == '%' || c == '+' || c == '-';
        }
        return Character.isLetterOrDigit(c);
    }

    /** Known Hangul top-level domains; a Hangul label that starts with one ends there (the rest is a particle). */
    private static final String[] HANGUL_TLDS = {"한국", "닷컴", "닷넷", "삼성"};

    /** E-mail at '@': RFC 5322 in practice plus SMTPUTF8/IDN (Hangul local parts and domains); particles cut off. */
    private void email(int at) {
        int ls = at;
        while (ls > 0 && localChar(a[ls - 1]) && at - ls <= 64) {
            ls--;
        }
        if (ls == at) {
            return;
        }
        if (a[at - 1] < 0x80) {
            int q = at;
            while (q > ls && a[q - 1] < 0x80) {
                q--;
            }
            ls = q;
        }
        while (ls < at && (a[ls] == '.' || a[ls] == '-' || a[ls] == '+')) {
            ls++;
        }
        if (ls == at || a[at - 1] == '.') {
            return;
        }
        int p = at + 1;
        int labels = 0;
        int lastStart = -1;
        int end = -1;
        boolean nonAscii = false;
        while (p < n) {
            int q = p;
            boolean sawAscii = false;
            boolean sawOther = false;
            boolean cut = false;
            while (q < n) {
                char c = a[q];
                if (c < 0x80) {
                    if (!(isAsciiAlnum(c) || c == '-')) {
                        break;
                    }
                    if (sawOther) {
                        cut = true;
                        break;
                    }
                    sawAscii = true;
                } else if (Character.isLetterOrDigit(c)) {
                    if (sawAscii) {
                        cut = true;
                        break;
                    }
                    sawOther = true;
                } else {
                    break;
                }
                q++;
            }
            if (q == p) {
                break;
            }
            labels++;
            lastStart = p;
            end = q;
            nonAscii |= sawOther;
            if (cut) {
                break;
            }
            if (q + 1 < n && a[q] == '.' && (isAsciiAlnum(a[q + 1]) || (a[q + 1] >= 0x80 && Character.isLetterOrDigit(a[q + 1])))) {
                p = q + 1;
                continue;
            }
            break;
        }
        if (labels < 2) {
            return;
        }
        if (a[lastStart] >= 0x80) {
            boolean known = false;
            for (String t : HANGUL_TLDS) {
                if (end - lastStart >= 2 && a[lastStart] == t.charAt(0) && a[lastStart + 1] == t.charAt(1)) {
                    end = lastStart + 2;
                    known = true;
                    break;
                }
            }
            if (!known) {
                return;
            }
        } else {
            if (end - lastStart < 2) {
                return;
            }
            boolean punycode = end - lastStart > 4 && a[lastStart] == 'x' && a[lastStart + 1] == 'n' && a[lastStart + 2] == '-'
                    && a[lastStart + 3] == '-';
            for (int q = lastStart; q < end && !punycode; q++) {
                if (!Keywords.isAsciiLetter(a[q])) {
                    return;
                }
            }
        }
        for (int q = ls; q < at; q++) {
            nonAscii |= a[q] >= 0x80;
        }
        add(PiiType.EMAIL_ADDRESS, ls, end, nonAscii ? 0.9 : 0.95);
    }

    // ---------------------------------------------------------------- ':' (IPv6, English labels)

    private void colon(int i) {
        if (i >= colonSkip) {
            ipv6(i);
        }
        Labels.english(this, i);
    }

    /** IPv6 per RFC 4291 §2.2 (with '::' and an embedded IPv4 tail); brackets, ports and zone ids stay outside. */
    private void ipv6(int colon) {
        int s = colon;
        while (s > 0 && (isHex(a[s - 1]) || a[s - 1] == ':')) {
            s--;
        }
        int e = colon;
        while (e < n && (isHex(a[e]) || a[e] == ':' || a[e] == '.')) {
            e++;
        }
        colonSkip = e;
        while (e > s && a[e - 1] == '.') {
            e--;
        }
        if (e < n && (Keywords.isAsciiLetter(a[e]) || a[e] == '_')) {
            return;
        }
        for (int tries = 0; tries < 3 && s < e; tries++) {
            boolean leftOk = s == 0 || !(Keywords.isAsciiLetter(a[s - 1]) || a[s - 1] == '_');
            if (leftOk && validIpv6(s, e)) {
                boolean bracketed = s > 0 && a[s - 1] == '[';
                add(PiiType.IP_ADDRESS, s, e, bracketed || ctx(s, e, Keywords.IP) ? 0.97 : 0.9);
                return;
            }
            if (leftOk) {
                return;
            }
            // a word glued on the left ("IPv6:2001:db8::1"): the address may start after its first ':'
            int q = s;
            while (q < e && a[q] != ':') {
                q++;
            }
            if (q + 1 >= e || a[q + 1] == ':') {
                return;
            }
            s = q + 1;
        }
    }

    private boolean validIpv6(int s, int e) {
        if (e - s < 3) {
            return false;
        }
        int groups = 0;
        boolean compressed = false;
        boolean digit = false;
        int i = s;
        if (a[i] == ':') {
            if (a[i + 1] != ':') {
                return false;
            }
            compressed = true;
            i += 2;
        }
        while (i < e) {
            int g = i;
            while (i < e && isHex(a[i])) {
                digit |= isDigit(a[i]);
                i++;
            }
            if (i < e && a[i] == '.') {
                if (!dottedQuad(g, e)) {
                    return false;
                }
                groups += 2;
                digit = true;
                break;
            }
            int gl = i - g;
            if (gl == 0 || gl > 4) {
                return false;
            }
            groups++;
            if (i == e) {
                break;
            }
            i++;
            if (i < e && a[i] == ':') {
                if (compressed) {
                    return false;
                }
                compressed = true;
                i++;
            } else if (i == e) {
                return false;
            }
        }
        return digit && (compressed ? groups >= 2 && groups <= 7 : groups == 8);
    }

    private boolean dottedQuad(int s, int e) {
        int parts = 0;
        int i = s;
        while (i < e) {
            int g = i;
            int v = 0;
            while (i < e && isDigit(a[i])) {
                v = v * 10 + (a[i] - '0');
                i++;
            }
            int len = i - g;
            if (len == 0 || len > 3 || v > 255 || (len > 1 && a[g] == '0')) {
                return false;
            }
            parts++;
            if (i < e) {
                if (a[i] != '.') {
                    return false;
                }
                i++;
                if (i == e) {
                    return false;
                }
            }
        }
        return parts == 4;
    }
}
