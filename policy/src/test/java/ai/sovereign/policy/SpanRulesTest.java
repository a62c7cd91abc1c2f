package ai.sovereign.policy;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * The CLI contract's span rules (internal separators, '(02)' and '+82' in; punctuation, particles, ports and IPv6
 * brackets out) and offsets in the original text for full-width, NBSP, zero-width, surrogate and decomposed forms.
 */
class SpanRulesTest {
    private static final PiiScanner SCANNER = PiiScannerTest.SCANNER;

    private static PiiEntity only(String text) {
        List<PiiEntity> got = SCANNER.scan(text, PiiScanner.DEFAULT_MIN_SCORE);
        assertEquals(1, got.size(), text + " -> " + got);
        return got.getFirst();
    }

    private static String covered(String text) {
        PiiEntity e = only(text);
        return text.substring(e.start(), e.end());
    }

    @ParameterizedTest
    @ValueSource(strings = {"은", "는", "이", "가", "을", "를", "의", "에", "로", "으로", "입니다", "이고", "에서"})
    void koreanParticlesAreExcluded(String particle) {
        assertEquals("010-1234-5678", covered("번호 010-1234-5678" + particle));
        assertEquals("850315-1812920", covered("850315-1812920" + particle));
        assertEquals("hong@example.com", covered("hong@example.com" + particle));
        assertEquals("M123A4567", covered("여권 M123A4567" + particle));
        assertEquals("203.0.113.7", covered("서버 203.0.113.7" + particle));
        assertEquals("4111-1111-1111-1111", covered("4111-1111-1111-1111" + particle));
        assertEquals("12가3456", covered("12가3456" + particle));
    }

    @ParameterizedTest
    @ValueSource(strings = {"(%s)", "[%s]", "\"%s\"", "'%s'", "%s.", "%s,", "%s!", "%s?", "<%s>", "%s;", "「%s」", "%s)."})
    void surroundingPunctuationIsExcluded(String wrapper) {
        for (String value : List.of("010-1234-5678", "850315-1812920", "hong@example.com", "203.0.113.7", "2001:db8::1",
                "4111 1111 1111 1111", "M12345678")) {
            assertEquals(value, covered("연락처/여권 " + wrapper.formatted(value)), wrapper);
        }
    }

    @Test
    void areaCodeParenthesesAndPlus82AreIncluded() {
        assertEquals("(02) 312-3456", covered("사무실 (02) 312-3456로"));
        assertEquals("(031)123-4567", covered("(031)123-4567."));
        assertEquals("+82 10-1234-5678", covered("call +82 10-1234-5678."));
        assertEquals("+82-2-312-3456", covered("(+82-2-312-3456)"));
        assertEquals("+821012345678", covered("+821012345678로"));
    }

    @Test
    void portsAndIpv6BracketsAreExcluded() {
        assertEquals("203.0.113.7", covered("203.0.113.7:8080"));
        assertEquals("2001:db8::1", covered("http://[2001:db8::1]:8443/path"));
        assertEquals("2001:db8::1", covered("[2001:db8::1]"));
        assertEquals("fe80::1ff:fe23:4567:890a", covered("fe80::1ff:fe23:4567:890a%eth0"));
        assertEquals("::ffff:203.0.113.7", covered("client ::ffff:203.0.113.7 connected"));
    }

    @Test
    void emailTrailingDotsAndHangulPrefixesAreExcluded() {
        assertEquals("hong@example.com", covered("Mail hong@example.com."));
        assertEquals("hong@example.com", covered("메일은hong@example.com으로"));
        assertEquals("홍길동@예시.한국", covered("홍길동@예시.한국으로 보내"));
        assertEquals("a.b@example.co.kr", covered("(a.b@example.co.kr)"));
    }

    @Test
    void fullWidthFormsMapToTheSameOffsets() {
        String text = "전화 ０１０－１２３４－５６７８로, 주민 ８５０３１５－１８１２９２０";
        List<PiiEntity> got = SCANNER.scan(text, 0.5);
        assertEquals(2, got.size(), got.toString());
        assertEquals("０１０－１２３４－５６７８", text.substring(got.get(0).start(), got.get(0).end()));
        assertEquals(PiiType.KR_RRN, got.get(1).type());
        assertEquals("８５０３１５－１８１２９２０", text.substring(got.get(1).start(), got.get(1).end()));
        assertEquals("ｈｏｎｇ＠ｅｘａｍｐｌｅ．ｃｏｍ", covered("ｈｏｎｇ＠ｅｘａｍｐｌｅ．ｃｏｍ입니다"));
        assertEquals("Ｍ１２３Ａ４５６７", covered("여권 Ｍ１２３Ａ４５６７"));
    }

    @Test
    void unicodeSpacesAndHyphensAreSeparators() {
        assertEquals("850315\u00A01812920", covered("주민 850315\u00A01812920"));
        assertEquals("010\u20111234\u20115678", covered("010\u20111234\u20115678"));
        assertEquals("010\u202F1234\u202F5678", covered("010\u202F1234\u202F5678"));
        assertEquals("4111\u30001111\u30001111\u30001111", covered("4111\u30001111\u30001111\u30001111"));
        assertEquals("850315\u22121812920", covered("850315\u22121812920"));
    }

    @Test
    void lengthChangingFormsReportOriginalOffsets() {
        String zw = "😀 전화: 010\u200B-1234-\u200D5678이요";
        PiiEntity e = only(zw);
        assertEquals(zw.indexOf("010"), e.start());
        assertEquals(zw.indexOf("5678") + 4, e.end());

        String math = "번호 \uD835\uDFCE\uD835\uDFCF\uD835\uDFCE-1234-5678입니다";
        e = only(math);
        assertEquals(3, e.start());
        assertEquals(math.indexOf("5678") + 4, e.end());

        String shy = "850315\u00AD-1812920 then 010-1234-5678";
        List<PiiEntity> got = SCANNER.scan(shy, 0.5);
        assertEquals(2, got.size(), got.toString());
        assertEquals("850315\u00AD-1812920", shy.substring(got.get(0).start(), got.get(0).end()));
        assertEquals("010-1234-5678", shy.substring(got.get(1).start(), got.get(1).end()));
    }

    @Test
    void decomposedHangulContextStillCounts() {
        String nfd = java.text.Normalizer.normalize("주민등록번호: 850315-1812921 이고 성명: 홍길동", java.text.Normalizer.Form.NFD);
        assertTrue(nfd.length() > 40, "test bug: not decomposed");
        List<PiiEntity> got = SCANNER.scan(nfd, 0.5);
        assertEquals(2, got.size(), got.toString());
        assertEquals(PiiType.KR_RRN, got.get(0).type());
        assertEquals("850315-1812921", nfd.substring(got.get(0).start(), got.get(0).end()));
        assertEquals(PiiType.PERSON, got.get(1).type());
        assertEquals(java.text.Normalizer.normalize("홍길동", java.text.Normalizer.Form.NFD),
                nfd.substring(got.get(1).start(), got.get(1).end()));
    }

    @Test
    void charSequencesOtherThanStringsWork() {
        StringBuilder sb = new StringBuilder("주민등록번호 850315-1812920");
        assertEquals(List.of(new PiiEntity(PiiType.KR_RRN, 7, 21, 1.0)), SCANNER.scan(sb, 0.5));
    }
}
