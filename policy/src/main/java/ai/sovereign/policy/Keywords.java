package ai.sovereign.policy;

/**
 * Context words, Korean and English, that raise or lower a candidate's score when they occur near it.
 *
 * <p>Rule: Korean words match as substrings (Korean attaches particles and compounds freely); ASCII words match
 * case-insensitively and must not continue a longer ASCII word on the left, and words shorter than four letters must not
 * continue one on the right either ("tel" is not in "hotel", "ip" is not in "ship", "car" is not in "card").
 */
final class Keywords {
    private Keywords() {}

    static final Words RRN = new Words("주민등록", "주민번호", "주민 번호", "주민", "resident registration", "resident number", "rrn",
            "jumin", "social security");
    static final Words FRN = new Words("외국인등록", "외국인 등록", "외국인번호", "외국인", "alien registration", "foreigner registration",
            "foreign registration", "frn", "arc", "residence card", "등록번호", "registration number");
    static final Words CRN = new Words("법인등록", "법인 등록", "법인번호", "법인", "corporate registration", "corporation registration",
            "corporate number", "corp. reg", "corp reg", "crn", "등기");
    static final Words BRN = new Words("사업자등록", "사업자 등록", "사업자번호", "사업자", "business registration", "business number",
            "business reg", "brn", "tax id", "등록번호", "registration number");
    static final Words PASSPORT = new Words("여권", "passport", "旅券");
    static final Words LICENCE = new Words("운전면허", "면허번호", "면허증", "운전 면허", "면허", "driver", "driving", "licence", "license",
            "운전");
    static final Words HEALTH = new Words("건강보험", "건보", "보험증", "증번호", "의료보험", "health insurance", "nhis",
            "insurance card", "insurance no", "insurance number");
    static final Words PHONE = new Words("전화", "연락처", "연락", "휴대폰", "핸드폰", "휴대전화", "폰번호", "핸폰", "번호로", "팩스", "문의",
            "고객센터", "대표번호", "콜센터", "안심번호", "자택", "집전화", "phone", "telephone", "tel", "mobile", "cell", "call", "fax", "contact", "text me",
            "whatsapp", "kakao");
    static final Words CARD = new Words("카드", "card", "신용", "체크", "visa", "master", "amex", "결제", "credit", "debit");
    static final Words ACCOUNT = new Words("계좌", "은행", "입금", "송금", "이체", "예금", "뱅크", "농협", "신한", "우체국", "새마을", "신협", "수협", "카카오", "토스", "씨티", "sc제일", "account", "acct", "bank", "ibk",
            "nh", "kb", "iban", "deposit", "wire", "transfer");
    static final Words IP = new Words("ip", "아이피", "서버", "server", "host", "접속", "address", "주소", "로그", "log", "client",
            "gateway", "dns", "ping", "subnet");
    static final Words PLATE = new Words("차량", "차번호", "번호판", "자동차", "주차", "차량번호", "plate", "vehicle", "car", "license plate",
            "택시", "버스");
    /** Order numbers, serials, references: identifiers that are not about a person. */
    static final Words NEGATIVE = new Words("주문번호", "주문", "송장", "운송장", "배송조회", "tracking", "invoice", "serial", "시리얼",
            "일련번호", "모델", "model", "품번", "sku", "isbn", "transaction", "거래번호", "승인번호", "접수번호", "예약번호",
            "booking", "reference", "ref", "ticket", "티켓", "쿠폰", "coupon", "바코드", "barcode", "상품번호", "제품번호", "part no",
            "사건번호", "order", "문서번호", "관리번호", "version", "버전", "build", "checksum", "hash", "uuid", "id:", "timestamp",
            "epoch");
    static final Words IP_NEGATIVE = new Words("version", "버전", "ver", "release", "build", "oid", "snmp", "section", "chapter");

    /**
     * A list of context words with a 1024-bit filter of their first characters, so a window is read once however many
     * words the list holds; a character whose bit is clear cannot start a word.
     */
    static final class Words {
        private final char[][] words;
        private final long[] firstChars = new long[16];

        Words(String... words) {
            this.words = new char[words.length][];
            for (int i = 0; i < words.length; i++) {
                this.words[i] = words[i].toCharArray();
                char c = words[i].charAt(0);
                firstChars[c >> 6 & 15] |= 1L << c;
            }
        }
    }

    /** Whether any of {@code words} occurs within [from, to) of the text {@code a[0, n)}. */
    static boolean any(char[] a, int n, int from, int to, Words words) {
        long[] filter = words.firstChars;
        for (int i = from; i < to; i++) {
            char c = lower(a[i]);
            if ((filter[c >> 6 & 15] >>> c & 1) == 0) {
                continue;
            }
            for (char[] w : words.words) {
                if (w[0] == c && matchAt(a, n, i, to, w)) {
                    return true;
                }
            }
        }
        return false;
    }

    private static boolean matchAt(char[] a, int n, int i, int to, char[] w) {
        int wl = w.length;
        if (i + wl > to) {
            return false;
        }
        for (int j = 1; j < wl; j++) {
            if (lower(a[i + j]) != w[j]) {
                return false;
            }
        }
        if (w[0] < 0x80) {
            if (i > 0 && isAsciiLetter(a[i - 1])) {
                return false;
            }
            return !(wl < 4 && isAsciiLetter(w[wl - 1]) && i + wl < n && isAsciiLetter(a[i + wl]));
        }
        return true;
    }

    static char lower(char c) {
        return c >= 'A' && c <= 'Z' ? (char) (c + 32) : c;
    }

    static boolean isAsciiLetter(char c) {
        return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z');
    }
}
