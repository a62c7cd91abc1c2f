package ai.sovereign.policy;

/**
 * Names and addresses by context rules, precision first (no NER model).
 *
 * <p>PERSON: a label (성명, 이름, 성함, 고객명, 예금주 … or English "Name:", "Full name:", "Patient:") followed by a
 * colon, a topic particle (이름은) or a space, then 2–4 Hangul syllables that start with a Korean surname (one or two
 * syllables), with a trailing particle or copula (님, 씨, 은, 이, 입니다 …) left out of the span; or 1–3 capitalised
 * English words after an English label. Without a colon the name must end at an ending or punctuation.
 *
 * <p>LOCATION: after a label (주소, 주소지, 거주지, 배송지, 소재지, 자택, "Address:"), or, unlabelled, a road-name address
 * shape: one or more administrative units (서울특별시, 강남구, 경기도 …), a road name ending in 로/길 and a building
 * number, optionally followed by a complex/unit part (101동 1203호, 3층) and a parenthesised reference (역삼동).
 */
final class Labels {
    private Labels() {}

    private static final String[] PERSON_LABELS = {"성명", "이름", "성함", "환자명", "고객명", "예금주", "수령인", "받는분", "받는 분",
            "신청인", "보호자", "작성자", "담당자", "대표자", "신청자", "계약자", "피보험자", "가입자", "수취인", "발신인", "수신인",
            "환자 이름", "고객 이름", "본인 이름", "운전자", "임차인", "임대인", "차주", "소유자", "의뢰인", "세대주", "명의자"};
    /**
     * Field labels that may follow a name in a form ("성명 임채원 운전면허번호 …"): a name of 3–4 syllables followed by one of
     * them is closed even without a colon or ending. A candidate that itself starts with one (이메일) is not a name.
     */
    private static final String[] FIELD_LABELS = {"주민", "연락처", "휴대", "전화", "핸드폰", "면허", "운전면허", "증번호", "계좌", "차량",
            "이메일", "메일", "생년월일", "여권", "사업자", "외국인", "주소", "나이", "성별", "직업", "소속", "번호", "정보"};
    private static final String[] ADDRESS_LABELS = {"주소", "주소지", "거주지", "배송지", "소재지", "자택", "배송 주소", "집 주소"};

    private static final String SURNAMES = "김이박최정강조윤장임한오서신권황안송전홍유고문양손배백허남심노하곽성차주우구민류나진지엄채원천방공현함변염"
            + "여추도소석선설마길연위표명기반라왕금옥육인맹제모탁국어은편용예경봉사부가복태목형피두감호음빈동온시범좌팽승간상갈단견당";
    private static final String[] DOUBLE_SURNAMES = {"남궁", "황보", "제갈", "선우", "독고", "사공", "서문", "동방"};
    /** Longest first: endings and particles that may follow a name. */
    private static final String[] NAME_ENDINGS = {"입니다", "이에요", "이예요", "이라고", "이고요", "이랑", "님이", "님은", "님의",
            "에게", "께서", "라고", "예요", "이고", "이며", "이요", "이다", "이야", "님", "씨", "은", "는", "이", "가", "을", "를", "의",
            "께", "과", "와", "도", "랑"};
    /** The endings that close a name on their own (a bare particle like 이 or 가 does not, outside colon labels). */
    private static final String[] CLOSING = {"입니다", "이에요", "이예요", "이라고", "라고", "예요", "이고", "이며", "님", "씨"};

    private static final String[] ENGLISH_PERSON_LABELS = {"name", "patient", "customer", "account holder", "recipient",
            "applicant", "guardian", "insured", "contact person", "holder", "cardholder", "card holder"};
    /** E-mail header labels: a name after them counts only when an address in angle brackets follows ("From: Kim Ji <…>"). */
    private static final String[] HEADER_LABELS = {"from", "to", "cc", "reply-to", "sender"};
    private static final String[] NAME_QUALIFIERS = {"full", "first", "last", "given", "family", "patient", "customer", "client",
            "employee", "my", "your", "his", "her", "applicant", "legal", "account", "holder", "recipient", "student", "member"};
    private static final String[] ADDRESS_QUALIFIERS = {"home", "mailing", "shipping", "billing", "street", "postal", "residential",
            "delivery", "my", "your", "his", "her", "current", "permanent"};
    private static final String[] NOT_NAMES = {"Phone", "Tel", "Email", "E-mail", "Address", "Date", "Id", "ID", "Mobile", "Age",
            "Dob", "DOB", "Sex", "Gender", "The", "Mr", "Mrs", "Ms", "Dr"};

    static boolean endsAt(char[] a, int i, String w) {
        int s = i - w.length() + 1;
        if (s < 0) {
            return false;
        }
        for (int j = 0; j < w.length(); j++) {
            if (a[s + j] != w.charAt(j)) {
                return false;
            }
        }
        return true;
    }

    static boolean startsAt(char[] a, int n, int p, String w) {
        if (p + w.length() > n) {
            return false;
        }
        for (int j = 0; j < w.length(); j++) {
            if (a[p + j] != w.charAt(j)) {
                return false;
            }
        }
        return true;
    }

    /** The last two characters of every Korean label, packed (prev << 16 | last): a cheap filter before the full match. */
    private static final int[] LABEL_TAILS = java.util.stream.Stream.of(PERSON_LABELS, ADDRESS_LABELS)
            .flatMap(java.util.Arrays::stream)
            .mapToInt(l -> l.charAt(l.length() - 2) << 16 | l.charAt(l.length() - 1))
            .distinct().sorted().toArray();

    /** The next-to-last characters of the Korean labels, as a bit set over UTF-16 units. */
    private static final long[] LABEL_PENULTIMATES = new long[1024];

    static {
        for (int tail : LABEL_TAILS) {
            LABEL_PENULTIMATES[tail >>> 22] |= 1L << (tail >>> 16);
        }
    }

    /** Called at a Hangul syllable that may end a Korean label. */
    static void korean(Scan scan, int i) {
        char[] a = scan.chars();
        if (i == 0 || (LABEL_PENULTIMATES[a[i - 1] >> 6] >>> a[i - 1] & 1) == 0
                || java.util.Arrays.binarySearch(LABEL_TAILS, a[i - 1] << 16 | a[i]) < 0) {
            return;
        }
        for (String l : PERSON_LABELS) {
            if (endsAt(a, i, l)) {
                afterKoreanLabel(scan, i + 1, true);
                return;
            }
        }
        for (String l : ADDRESS_LABELS) {
            if (endsAt(a, i, l)) {
                afterKoreanLabel(scan, i + 1, false);
                return;
            }
        }
    }

    private static void afterKoreanLabel(Scan scan, int p, boolean person) {
        char[] a = scan.chars();
        int n = scan.length();
        int q = p;
        while (q < n && a[q] == ' ') {
            q++;
        }
        boolean colon;
        if (q < n && (a[q] == ':' || a[q] == '=')) {
            colon = true;
            q++;
        } else if (q == p && q + 1 < n && (a[q] == '은' || a[q] == '는' || a[q] == '이' || a[q] == '가') && (a[q + 1] == ' ' || a[q + 1] == ':')) {
            colon = a[q + 1] == ':';
            q += 2;
        } else if (q > p) {
            colon = false;
        } else {
            return;
        }
        while (q < n && a[q] == ' ') {
            q++;
        }
        if (q >= n) {
            return;
        }
        if (person) {
            int end = koreanName(a, n, q, !colon);
            if (end > 0) {
                scan.add(PiiType.PERSON, q, end, colon ? 0.85 : 0.7);
                return;
            }
            if (colon) {
                end = englishName(a, n, q);
                if (end > 0) {
                    scan.add(PiiType.PERSON, q, end, 0.8);
                }
            }
        } else {
            int end = address(a, n, q, true);
            if (end > 0) {
                scan.add(PiiType.LOCATION, q, end, colon ? 0.9 : 0.75);
            }
        }
    }

    /** Called at every ':'; looks for an English label before it. */
    static void english(Scan scan, int colon) {
        char[] a = scan.chars();
        int n = scan.length();
        int e = colon;
        while (e > 0 && colon - e < 3 && a[e - 1] == ' ') {
            e--;
        }
        int s = e;
        while (s > 0 && e - s <= 12 && Keywords.isAsciiLetter(a[s - 1])) {
            s--;
        }
        if (s == e || e - s > 12) {
            return;
        }
        String word = new String(a, s, e - s).toLowerCase(java.util.Locale.ROOT);
        String qualifier = null;
        int qs = s - 1;
        if (qs > 0 && a[qs] == ' ' && Keywords.isAsciiLetter(a[qs - 1])) {
            int qb = qs;
            while (qb > 0 && Keywords.isAsciiLetter(a[qb - 1])) {
                qb--;
            }
            if (qb == 0 || !Keywords.isAsciiLetter(a[qb - 1])) {
                qualifier = new String(a, qb, qs - qb).toLowerCase(java.util.Locale.ROOT);
            }
        }
        boolean person;
        boolean header = false;
        if (contains(HEADER_LABELS, word)) {
            person = true;
            header = true;
        } else if (word.equals("name")) {
            if (qualifier != null && !contains(NAME_QUALIFIERS, qualifier)) {
                return;
            }
            person = true;
        } else if (contains(ENGLISH_PERSON_LABELS, word)) {
            person = true;
        } else if (word.equals("address") || word.equals("addr")) {
            if (qualifier != null && !contains(ADDRESS_QUALIFIERS, qualifier)) {
                return;
            }
            person = false;
        } else {
            return;
        }
        int q = colon + 1;
        while (q < n && a[q] == ' ') {
            q++;
        }
        if (q >= n) {
            return;
        }
        if (person) {
            int end = englishName(a, n, q);
            if (end < 0) {
                end = koreanName(a, n, q, header);
            }
            if (end > 0 && header && !(end + 1 < n && a[end] == ' ' && a[end + 1] == '<')) {
                return;
            }
            if (end > 0) {
                scan.add(PiiType.PERSON, q, end, 0.8);
            }
        } else {
            int end = address(a, n, q, true);
            if (end < 0) {
                end = romanizedAddress(a, n, q);
            }
            if (end > 0) {
                scan.add(PiiType.LOCATION, q, end, 0.85);
            }
        }
    }

    private static final String[] ROAD_WORDS = {"-ro", "-gil", "-daero", "street", "st.", "road", "avenue", "ave."};

    /**
     * After an English address label: a romanized Korean or English street address, "35 Centum jungang-ro, Haeundae-gu,
     * Busan": comma-separated parts of letters, digits, spaces, hyphens and periods, at most six, one of them holding a
     * road word (-ro, -gil, -daero, street …) next to a number; ends before a part that holds anything else.
     */
    static int romanizedAddress(char[] a, int n, int p) {
        int end = -1;
        int parts = 0;
        boolean road = false;
        int q = p;
        while (q < n && parts < 6) {
            int r = q;
            while (r < n && (Keywords.isAsciiLetter(a[r]) || Scan.isDigit(a[r]) || a[r] == ' ' || a[r] == '-' || a[r] == '.')) {
                r++;
            }
            int partEnd = r;
            while (partEnd > q && (a[partEnd - 1] == ' ' || a[partEnd - 1] == '.')) {
                partEnd--;
            }
            if (partEnd == q || (r < n && a[r] != ',' && a[r] != '\n' && a[r] != ';' && a[r] != '(' && a[r] != '|')) {
                break;
            }
            String part = new String(a, q, partEnd - q).toLowerCase(java.util.Locale.ROOT);
            if (part.startsWith("tel") || part.startsWith("phone") || part.startsWith("email") || part.startsWith("mobile")) {
                break;
            }
            boolean hasDigit = part.chars().anyMatch(Character::isDigit);
            for (String w : ROAD_WORDS) {
                road |= part.contains(w) && (hasDigit || parts > 0);
            }
            parts++;
            end = partEnd;
            if (r >= n || a[r] != ',') {
                break;
            }
            q = r + 1;
            while (q < n && a[q] == ' ') {
                q++;
            }
        }
        return road && Scan.isDigit(a[p]) ? end : -1;
    }

    private static boolean contains(String[] words, String w) {
        for (String x : words) {
            if (x.equals(w)) {
                return true;
            }
        }
        return false;
    }

    /** End (exclusive) of a Korean name starting at p, or -1. {@code strict}: it must be closed by an ending or punctuation. */
    static int koreanName(char[] a, int n, int p, boolean strict) {
        int q = p;
        while (q < n && Scan.isSyllable(a[q]) && q - p < 8) {
            q++;
        }
        int len = q - p;
        if (len < 2 || (q < n && Scan.isSyllable(a[q]))) {
            return -1;
        }
        int end = q;
        boolean closed = false;
        for (String suffix : NAME_ENDINGS) {
            // a one-syllable particle is cut only from a run of 4+ (송하은 is a name; 홍길동이 is 홍길동 + 이)
            int keep = suffix.length() == 1 && suffix.charAt(0) != '님' && suffix.charAt(0) != '씨' ? 3 : 2;
            if (len - suffix.length() >= keep && endsAt(a, q - 1, suffix)) {
                end = q - suffix.length();
                closed = contains(CLOSING, suffix);
                break;
            }
        }
        int nl = end - p;
        if (nl < 2 || nl > 4 || !surname(a, p, nl) || isWord(a, p, end, FIELD_LABELS) || isWord(a, p, end, PERSON_LABELS)) {
            return -1;
        }
        if (strict && !closed) {
            char c = q < n ? a[q] : '\n';
            boolean boundary = c == '.' || c == ',' || c == '!' || c == '?' || c == ')' || c == '(' || c == '\n' || c == '\r'
                    || c == ';' || c == '|' || c == '\t' || c == '/' || c == '"' || c == '\'';
            if (!boundary && c == ' ') {
                for (String w : CLOSING) {
                    if (startsAt(a, n, q + 1, w)) {
                        boundary = true;
                        break;
                    }
                }
                if (!boundary && nl >= 3 && end == q && !startsWithAny(a, n, p, FIELD_LABELS)) {
                    int r = q;
                    while (r < n && a[r] == ' ') {
                        r++;
                    }
                    char d = r < n ? a[r] : '\n';
                    boundary = d == '(' || d == '/' || d == '|' || d == ',' || d == '\n' || startsWithAny(a, n, r, FIELD_LABELS);
                }
            }
            if (!boundary || end != q) {
                return -1;
            }
        }
        return end;
    }

    private static boolean isWord(char[] a, int from, int to, String[] words) {
        for (String w : words) {
            if (w.length() == to - from && startsAt(a, to, from, w)) {
                return true;
            }
        }
        return false;
    }

    private static boolean startsWithAny(char[] a, int n, int p, String[] words) {
        for (String w : words) {
            if (startsAt(a, n, p, w)) {
                return true;
            }
        }
        return false;
    }

    private static boolean surname(char[] a, int p, int len) {
        if (len >= 3) {
            for (String d : DOUBLE_SURNAMES) {
                if (a[p] == d.charAt(0) && a[p + 1] == d.charAt(1)) {
                    return true;
                }
            }
        }
        return SURNAMES.indexOf(a[p]) >= 0;
    }

    /** End of 1–3 capitalised English words (a trailing label word such as "Phone" left out), or -1. */
    static int englishName(char[] a, int n, int p) {
        int q = p;
        int words = 0;
        int end = -1;
        while (q < n && words < 3) {
            if (!(a[q] >= 'A' && a[q] <= 'Z')) {
                break;
            }
            int w = q + 1;
            while (w < n && (Keywords.isAsciiLetter(a[w]) || a[w] == '\'' || a[w] == '-')) {
                w++;
            }
            if (w - q < 2 || contains(NOT_NAMES, new String(a, q, w - q)) || (w < n && a[w] == ':')) {
                break;
            }
            words++;
            end = w;
            if (w + 1 < n && a[w] == ' ' && a[w + 1] >= 'A' && a[w + 1] <= 'Z') {
                q = w + 1;
                continue;
            }
            break;
        }
        if (end > 0 && end < n && (Scan.isDigit(a[end]) || a[end] == '@' || a[end] == '_')) {
            return -1;
        }
        return words >= 1 ? end : -1;
    }

    // ---------------------------------------------------------------- addresses

    private static final int NONE = 0;
    private static final int ADMIN = 1;
    private static final int ROAD = 2;
    private static final int NUMBER = 3;
    private static final int UNIT = 4;

    private static final String[] ADMIN_SUFFIXES = {"특별자치시", "특별자치도", "특별시", "광역시", "시", "도", "군", "구", "읍", "면",
            "동", "리", "가"};
    private static final String[] UNIT_SUFFIXES = {"번지", "동", "호", "층", "가"};
    private static final String[] NUMBER_PARTICLES = {"에서", "으로", "에", "로", "입니다", "이고", "이며", "번지", "의", "은", "는", "이", "가",
            "까지", "이에요", "예요"};

    /** Kind of the token [t, w) and, in end[0], where it ends once a trailing particle is cut. */
    private static int tokenKind(char[] a, int t, int w, int[] end) {
        end[0] = w;
        int d = t;
        while (d < w && (Scan.isDigit(a[d]) || a[d] == '-')) {
            d++;
        }
        if (d > t) {
            if (!Scan.isDigit(a[t]) || !Scan.isDigit(a[d - 1])) {
                return NONE;
            }
            if (d == w) {
                return NUMBER;
            }
            for (String u : UNIT_SUFFIXES) {
                if (startsAt(a, w, d, u)) {
                    int after = d + u.length();
                    if (after == w) {
                        return UNIT;
                    }
                    for (String particle : NUMBER_PARTICLES) {
                        if (w - after == particle.length() && startsAt(a, w, after, particle)) {
                            end[0] = after;
                            return UNIT;
                        }
                    }
                }
            }
            for (String particle : NUMBER_PARTICLES) {
                if (startsAt(a, w, d, particle)) {
                    end[0] = d;
                    return NUMBER;
                }
            }
            return NONE;
        }
        if (w - t == 2 && Scan.regionAt(a, w, t)) {
            return ADMIN;
        }
        if (w - t < 2) {
            return NONE;
        }
        char last = a[w - 1];
        if (last == '로' || last == '길') {
            return ROAD;
        }
        for (String s : ADMIN_SUFFIXES) {
            if (endsAt(a, w - 1, s) && w - t > s.length()) {
                return ADMIN;
            }
        }
        return NONE;
    }

    /** End of a Korean address starting at p, or -1. */
    static int address(char[] a, int n, int p, boolean labelled) {
        int q = p;
        int end = -1;
        int admin = 0;
        boolean road = false;
        boolean number = false;
        boolean unit = false;
        int tokens = 0;
        int[] tokenEnd = new int[1];
        while (q < n && tokens < 12) {
            if (a[q] == '(' && number) {
                int c = q + 1;
                while (c < n && a[c] != ')' && a[c] != '\n' && c - q < 40) {
                    c++;
                }
                if (c < n && a[c] == ')') {
                    end = c + 1;
                }
                break;
            }
            int w = q;
            while (w < n && (Scan.isSyllable(a[w]) || Scan.isDigit(a[w]) || a[w] == '-')) {
                w++;
            }
            if (w == q) {
                break;
            }
            int kind = tokenKind(a, q, w, tokenEnd);
            boolean ok = switch (kind) {
                case ADMIN -> !number && !unit;
                case ROAD -> !road && !number;
                case NUMBER -> (road || admin > 0) && !number;
                case UNIT -> number || admin > 0;
                default -> false;
            };
            if (!ok) {
                break;
            }
            tokens++;
            switch (kind) {
                case ADMIN -> admin++;
                case ROAD -> road = true;
                case NUMBER -> number = true;
                default -> unit = true;
            }
            end = tokenEnd[0];
            if (tokenEnd[0] < w) {
                break;
            }
            q = w;
            if (q + 1 < n && a[q] == ' ') {
                q++;
            } else if (q + 2 < n && a[q] == ',' && a[q + 1] == ' ' && number) {
                q += 2;
            } else if (!(q < n && a[q] == '(')) {
                break;
            }
        }
        boolean shape = (road && number && admin >= (labelled ? 0 : 1)) || (labelled && admin >= 2 && (number || unit))
                || (labelled && admin >= 3);
        return tokens >= 2 && shape ? end : -1;
    }

    /** Called at a building number after "…로 " or "…길 ": walks back over the road name and administrative units. */
    static void roadAddress(Scan scan, int i) {
        char[] a = scan.chars();
        int n = scan.length();
        int start = i - 1;
        int units = 0;
        int[] tokenEnd = new int[1];
        int t = i - 1;
        boolean first = true;
        while (t > 0 && units < 6) {
            int w = t;
            int s = w;
            while (s > 0 && (Scan.isSyllable(a[s - 1]) || Scan.isDigit(a[s - 1]))) {
                s--;
            }
            if (s == w) {
                break;
            }
            int kind = tokenKind(a, s, w, tokenEnd);
            if (first ? kind != ROAD : kind != ADMIN) {
                break;
            }
            if (!first) {
                units++;
            }
            first = false;
            start = s;
            if (s > 1 && a[s - 1] == ' ') {
                t = s - 1;
            } else {
                break;
            }
        }
        if (units == 0) {
            return;
        }
        int end = address(a, n, start, false);
        if (end > i) {
            scan.add(PiiType.LOCATION, start, end, 0.8);
        }
    }
}
