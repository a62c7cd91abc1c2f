package ai.sovereign.policy;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

import java.time.LocalDate;
import java.util.List;
import org.junit.jupiter.api.Nested;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/** Every detector: check-digit edge cases, hard negatives, context and scores. Span and offset rules are in SpanRulesTest. */
class PiiScannerTest {
    static final PiiScanner SCANNER = new PiiScanner(LocalDate.of(2026, 1, 15));

    /** The entity of {@code type} that covers exactly {@code value} in {@code text}, at the default threshold. */
    static PiiEntity find(String text, PiiType type, String value) {
        int start = text.indexOf(value);
        assertTrue(start >= 0, "test bug: value not in text");
        List<PiiEntity> all = SCANNER.scan(text);
        for (PiiEntity e : all) {
            if (e.type() == type && e.start() == start && e.end() == start + value.length()) {
                assertTrue(e.score() >= PiiScanner.DEFAULT_MIN_SCORE, "found " + type + " below the threshold: " + e.score());
                return e;
            }
        }
        return fail("no " + type + " at " + start + ".." + (start + value.length()) + " in " + text + "; got " + all);
    }

    static void none(String text) {
        List<PiiEntity> got = SCANNER.scan(text, PiiScanner.DEFAULT_MIN_SCORE);
        assertEquals(List.of(), got, text);
    }

    static void noneOf(String text, PiiType type) {
        for (PiiEntity e : SCANNER.scan(text, PiiScanner.DEFAULT_MIN_SCORE)) {
            if (e.type() == type) {
                fail("unexpected " + e + " in " + text);
            }
        }
    }

    @Nested
    class Rrn {
        @Test
        void checksumValidIsFoundInEveryWrittenForm() {
            assertTrue(find("850315-1812920", PiiType.KR_RRN, "850315-1812920").score() >= 0.9);
            assertTrue(find("번호 850315 1812920 입니다", PiiType.KR_RRN, "850315 1812920").score() >= 0.9);
            assertTrue(find("8503151812920", PiiType.KR_RRN, "8503151812920").score() >= 0.8);
            assertEquals(1.0, find("주민등록번호: 850315-1812920", PiiType.KR_RRN, "850315-1812920").score());
            find("2000년 윤일생 000229-4123457", PiiType.KR_RRN, "000229-4123457");
            find("991231-2123452", PiiType.KR_RRN, "991231-2123452");
        }

        @Test
        void wrongCheckWithoutContextScoresBelowHalfButContextOverridesIt() {
            List<PiiEntity> raw = SCANNER.scan("850315-1812921");
            assertEquals(1, raw.size());
            assertTrue(raw.getFirst().score() < 0.5, "wrong check, no context: " + raw);
            none("850315-1812921");
            none("참고 200831-4123450 확인");
            assertTrue(find("주민번호 850315-1812921", PiiType.KR_RRN, "850315-1812921").score() >= 0.8);
            assertTrue(find("RRN: 850315-1812921", PiiType.KR_RRN, "850315-1812921").score() >= 0.8);
            double valid = find("850315-1812920", PiiType.KR_RRN, "850315-1812920").score();
            double invalid = find("주민번호 850315-1812921", PiiType.KR_RRN, "850315-1812921").score();
            assertTrue(valid > raw.getFirst().score() && find("주민번호 850315-1812920", PiiType.KR_RRN, "850315-1812920").score() > invalid);
        }

        @Test
        void birthsFromSeptember2020OnMayHaveRandomTails() {
            find("아이 210315-3123450", PiiType.KR_RRN, "210315-3123450");
            find("200901-4123450", PiiType.KR_RRN, "200901-4123450");
            none("200831-4123450");
        }

        @Test
        void datesAndSexDigitsAreValidated() {
            none("850230-1234567");
            none("850229-1234567");
            none("851301-1812920");
            none("850000-1812920");
            none("270101-3123454");
            noneOf("110111-0812340", PiiType.KR_RRN);
            noneOf("850315-9812920", PiiType.KR_RRN);
        }

        @Test
        void orderNumbersAndCodesAreNotRrns() {
            none("주문번호 9001011234568");
            none("order no. 850315-1812920");
            none("ORD-850315-1812920");
            none("A850315-1812920");
            none("850315-1812920-01");
            none("1850315-1812920");
            none("850315-18129201");
            none("timestamp 1700000000000");
        }
    }

    @Nested
    class Frn {
        @Test
        void checksumValidAndContextRules() {
            assertTrue(find("870921-5646956", PiiType.KR_FRN, "870921-5646956").score() >= 0.9);
            find("9205056123455", PiiType.KR_FRN, "9205056123455");
            find("050301-7123451", PiiType.KR_FRN, "050301-7123451");
            none("870921-5646957");
            assertTrue(find("외국인등록번호 870921-5646957", PiiType.KR_FRN, "870921-5646957").score() >= 0.8);
            find("alien registration no. 870921-5646957", PiiType.KR_FRN, "870921-5646957");
        }
    }

    @Nested
    class BrnAndCrn {
        @Test
        void businessRegistrationNumbers() {
            assertTrue(find("214-86-09133", PiiType.KR_BRN, "214-86-09133").score() >= 0.7);
            assertTrue(find("사업자등록번호 214-86-09133", PiiType.KR_BRN, "214-86-09133").score() >= 0.9);
            find("120-81-12342", PiiType.KR_BRN, "120-81-12342");
            none("214-86-09134");
            none("2148609133");
            find("사업자번호 2148609133", PiiType.KR_BRN, "2148609133");
            none("014-86-09133");
            none("주문번호 214-86-09133");
        }

        @Test
        void corporateRegistrationNumbersNeedContext() {
            List<PiiEntity> raw = SCANNER.scan("110111-0812340");
            assertEquals(PiiType.KR_CRN, raw.getFirst().type());
            assertTrue(raw.getFirst().score() < 0.5);
            assertTrue(find("법인등록번호: 110111-0812340", PiiType.KR_CRN, "110111-0812340").score() >= 0.9);
            find("corporate registration number 1345110001236", PiiType.KR_CRN, "1345110001236");
            noneOf("법인등록번호: 110111-0812341", PiiType.KR_CRN);
        }
    }

    @Nested
    class Passport {
        @Test
        void oldAndNewForms() {
            assertTrue(find("여권번호: M12345678", PiiType.KR_PASSPORT, "M12345678").score() >= 0.9);
            assertTrue(find("passport M123A4567.", PiiType.KR_PASSPORT, "M123A4567").score() >= 0.9);
            find("새 여권 S987B6543이에요", PiiType.KR_PASSPORT, "S987B6543");
            find("M123A4567", PiiType.KR_PASSPORT, "M123A4567");
            find("R12345678", PiiType.KR_PASSPORT, "R12345678");
            find("여권 번호는 m12345678", PiiType.KR_PASSPORT, "m12345678");
            find("여권번호 X12345678", PiiType.KR_PASSPORT, "X12345678");
        }

        @Test
        void hardNegatives() {
            none("AM12345678");
            none("M123456789");
            none("M1234567");
            none("주문번호 M12345678");
            none("model S12345678 serial");
            none("m12345678");
            none("X12345678");
            none("M12345678-01");
            none("hello.M12345678");
        }
    }

    @Nested
    class DriverLicence {
        @Test
        void regionCodesAndOldRegionNames() {
            assertTrue(find("11-12-345678-90", PiiType.KR_DRIVER_LICENSE, "11-12-345678-90").score() >= 0.7);
            find("운전면허번호 28 19 123456 01", PiiType.KR_DRIVER_LICENSE, "28 19 123456 01");
            assertTrue(find("면허: 서울 12-345678-90", PiiType.KR_DRIVER_LICENSE, "서울 12-345678-90").score() >= 0.9);
            find("경기12-345678-90", PiiType.KR_DRIVER_LICENSE, "경기12-345678-90");
            find("운전면허 131234567890", PiiType.KR_DRIVER_LICENSE, "131234567890");
        }

        @Test
        void hardNegatives() {
            none("27-12-345678-90");
            none("10-12-345678-90");
            none("29-12-345678-90");
            none("131234567890");
            none("12-345678-90");
            none("주문번호 11-12-345678-90");
        }
    }

    @Nested
    class HealthInsurance {
        @Test
        void onlyWithContext() {
            find("건강보험증 번호 12345678901", PiiType.KR_HEALTH_INSURANCE, "12345678901");
            find("health insurance no. 5-1234567890", PiiType.KR_HEALTH_INSURANCE, "5-1234567890");
            none("12345678901");
        }
    }

    @Nested
    class Phone {
        @ParameterizedTest
        @ValueSource(strings = {"010-1234-5678", "010 1234 5678", "010.1234.5678", "01012345678", "011-123-4567", "016-1234-5678",
                "02-123-4567", "02-1234-5678", "031-123-4567", "064-1234-5678", "044-123-4567", "070-1234-5678", "0505-123-4567",
                "0504-1234-5678", "080-123-4567", "+82 10-1234-5678", "+82-10-1234-5678", "+821012345678", "+82-2-312-3456",
                "+82 2 312 3456", "(02) 312-3456", "(031)123-4567"})
        void koreanNumbers(String number) {
            find("연락처 " + number + " 입니다", PiiType.PHONE_NUMBER, number);
            find(number, PiiType.PHONE_NUMBER, number);
        }

        @Test
        void csvFieldsAreSeparatedByCommasButThousandsAreNot() {
            String row = "신유나,8303042280302,010-5787-6056,yuna.shin@example.com";
            find(row, PiiType.KR_RRN, "8303042280302");
            find(row, PiiType.PHONE_NUMBER, "010-5787-6056");
            none("합계 1,234,567원, 수량 12,345,678개");
            none("매출 301,012,345,678원");
            find("안심번호 0507-4888-9532 (주문자)", PiiType.PHONE_NUMBER, "0507-4888-9532");
            find("자택 03221405201", PiiType.PHONE_NUMBER, "03221405201");
        }

        @Test
        void representativeNumbersNeedContext() {
            find("고객센터 1588-1234", PiiType.PHONE_NUMBER, "1588-1234");
            none("가격은 1500-2000원");
        }

        @ParameterizedTest
        @ValueSource(strings = {"010-1234-56789", "010-123-4567", "0101234567", "010123456789", "012-1234-5678", "020-1234-5678",
                "035-123-4567", "2024-01-15", "2024.01.15", "02.10.2015", "1234-5678", "099-1234-5678", "SN010-1234-5678",
                "010-1234-5678-9", "1,010,123,4567"})
        void phoneLikeSerialsAndDates(String text) {
            none(text);
        }

        @Test
        void negativeContextLowersScore() {
            none("주문번호 01012345678");
            none("serial: 010-1234-5678");
            find("주문 관련 문의 전화 010-1234-5678", PiiType.PHONE_NUMBER, "010-1234-5678");
        }
    }

    @Nested
    class Card {
        @Test
        void luhnValidCardsIncludingDomesticNinePrefix() {
            assertTrue(find("4111 1111 1111 1111", PiiType.CREDIT_CARD, "4111 1111 1111 1111").score() >= 0.9);
            find("카드 9410-1234-5678-9010", PiiType.CREDIT_CARD, "9410-1234-5678-9010");
            find("9410-1234-5678-9010", PiiType.CREDIT_CARD, "9410-1234-5678-9010");
            find("5105105105105100", PiiType.CREDIT_CARD, "5105105105105100");
            find("Amex 3782-822463-10005", PiiType.CREDIT_CARD, "3782-822463-10005");
            find("378282246310005", PiiType.CREDIT_CARD, "378282246310005");
            find("credit card 4111111111119", PiiType.CREDIT_CARD, "4111111111119");
            find("3566-0020-2036-0505", PiiType.CREDIT_CARD, "3566-0020-2036-0505");
        }

        @Test
        void hardNegatives() {
            none("4111 1111 1111 1112");
            none("9410-1234-5678-9011");
            none("주문번호 4111111111111111");
            none("4111111111119");
            none("1111-1111-1111-1117");
            none("4111-1111-1111-1111-2222");
            none("4111 1111 1111 1111a");
        }
    }

    @Nested
    class BankAccount {
        @Test
        void onlyWithBankOrAccountContext() {
            find("신한은행 110-123-456789", PiiType.KR_BANK_ACCOUNT, "110-123-456789");
            find("계좌번호: 1002-123-456789 (우리)", PiiType.KR_BANK_ACCOUNT, "1002-123-456789");
            find("KB 123456-78-901234 로 입금", PiiType.KR_BANK_ACCOUNT, "123456-78-901234");
            find("account 3333011234567", PiiType.KR_BANK_ACCOUNT, "3333011234567");
            none("110-123-456789");
            none("하나만 물어볼게요 110-123-456789");
        }
    }

    @Nested
    class Email {
        @Test
        void asciiAndHangulAddresses() {
            find("hong.gildong+tag@example.com", PiiType.EMAIL_ADDRESS, "hong.gildong+tag@example.com");
            find("메일: 홍길동@예시.한국", PiiType.EMAIL_ADDRESS, "홍길동@예시.한국");
            find("user@mail.example.co.kr", PiiType.EMAIL_ADDRESS, "user@mail.example.co.kr");
            find("홍길동@example.com", PiiType.EMAIL_ADDRESS, "홍길동@example.com");
            find("a@xn--3e0b707e.xn--3e0b707e", PiiType.EMAIL_ADDRESS, "a@xn--3e0b707e.xn--3e0b707e");
        }

        @Test
        void notEmails() {
            none("@example.com");
            none("hong@localhost");
            none("hong@example.c0m");
            none("hong@.com");
            none("트위터 @hong 계정");
        }
    }

    @Nested
    class Ip {
        @Test
        void ipv4() {
            find("서버 203.0.113.7", PiiType.IP_ADDRESS, "203.0.113.7");
            find("198.51.100.255", PiiType.IP_ADDRESS, "198.51.100.255");
            find("IP 1.2.3.4", PiiType.IP_ADDRESS, "1.2.3.4");
            none("256.1.1.1");
            none("v1.2.3.4");
            none("version 10.2.3.4");
            none("1.2.3.4.5");
            none("01.02.03.04");
            none("2024.01.15");
            none("see section 3.1.2.1");
        }

        @Test
        void ipv6() {
            find("2001:db8::1", PiiType.IP_ADDRESS, "2001:db8::1");
            find("2001:0db8:85a3:0000:0000:8a2e:0370:7334", PiiType.IP_ADDRESS, "2001:0db8:85a3:0000:0000:8a2e:0370:7334");
            find("fe80::1ff:fe23:4567:890a", PiiType.IP_ADDRESS, "fe80::1ff:fe23:4567:890a");
            find("::ffff:203.0.113.7", PiiType.IP_ADDRESS, "::ffff:203.0.113.7");
            find("IPv6:2001:db8::7", PiiType.IP_ADDRESS, "2001:db8::7");
            none("12:30:45");
            none("00:1A:2B:3C:4D:5E");
            none("::1");
            none("std::vector");
            none("2001:db8:::1");
            none("1:2:3:4:5:6:7:8:9");
        }
    }

    @Nested
    class Plate {
        @Test
        void currentAndOldFormats() {
            find("12가3456", PiiType.KR_VEHICLE_PLATE, "12가3456");
            find("차량 123가4567", PiiType.KR_VEHICLE_PLATE, "123가4567");
            find("서울12가3456", PiiType.KR_VEHICLE_PLATE, "서울12가3456");
            find("경기70바1234", PiiType.KR_VEHICLE_PLATE, "경기70바1234");
            find("택배차 80배1234", PiiType.KR_VEHICLE_PLATE, "80배1234");
            find("렌터카 34하 5678", PiiType.KR_VEHICLE_PLATE, "34하 5678");
        }

        @Test
        void notPlates() {
            none("10가지 1234");
            none("2024년 1234");
            none("12각3456");
            none("1가3456");
            none("12가34567");
            none("012가3456");
        }
    }

    @Nested
    class NamesAndAddresses {
        @Test
        void namesByLabel() {
            find("성명: 홍길동", PiiType.PERSON, "홍길동");
            find("이름은 김철수입니다.", PiiType.PERSON, "김철수");
            find("예금주 : 남궁민수", PiiType.PERSON, "남궁민수");
            find("고객명: 이영희님", PiiType.PERSON, "이영희");
            find("Name: John Smith", PiiType.PERSON, "John Smith");
            find("Full name: Kim Min-jun, age 30", PiiType.PERSON, "Kim Min-jun");
            find("Patient: 박지성", PiiType.PERSON, "박지성");
        }

        @Test
        void notNames() {
            none("이름이 뭐예요?");
            none("이름은 나중에 알려줄게");
            none("file name: Report");
            none("username: admin");
            none("성명서를 발표했다");
        }

        @Test
        void formRowsCloseANameAtTheNextFieldLabel() {
            find("성명 임채원 운전면허번호 22-07-297034-91", PiiType.PERSON, "임채원");
            find("신청인 김태연 (주민등록번호 820117-1821380)", PiiType.PERSON, "김태연");
            find("수취인 권태희 / 주소 인천광역시 연수구 컨벤시아대로 165", PiiType.PERSON, "권태희");
            find("Cardholder: Kim Min-ji, card ending 1496", PiiType.PERSON, "Kim Min-ji");
            find("From: Jung Ha-eun <haeun.jung@example.com>", PiiType.PERSON, "Jung Ha-eun");
            noneOf("담당자 이메일 주소로 보내주세요", PiiType.PERSON);
            noneOf("보호자 연락처(010-3293-0572)", PiiType.PERSON);
            noneOf("담당자 정보 전화로 확인", PiiType.PERSON);
            noneOf("From: Seoul to Busan, 3 hours", PiiType.PERSON);
            noneOf("신청인 김태연 씨가 어제 왔다는 소식", PiiType.LOCATION);
        }

        @Test
        void romanizedAddressesAfterAnEnglishLabel() {
            find("Address: 35 Centum jungang-ro, Haeundae-gu, Busan", PiiType.LOCATION, "35 Centum jungang-ro, Haeundae-gu, Busan");
            find("Address: 209 Sejong-daero, Jongno-gu, Seoul; Tel 02-2133-0000", PiiType.LOCATION, "209 Sejong-daero, Jongno-gu, Seoul");
            noneOf("Address: see the attached form", PiiType.LOCATION);
            noneOf("IP address: 10.0.0.1", PiiType.LOCATION);
        }

        @Test
        void addresses() {
            find("주소: 서울특별시 종로구 세종대로 209", PiiType.LOCATION, "서울특별시 종로구 세종대로 209");
            find("강남구 테헤란로 152에 있어요", PiiType.LOCATION, "강남구 테헤란로 152");
            find("배송지: 경기도 성남시 분당구 판교역로 235, 101동 1203호 입니다", PiiType.LOCATION,
                    "경기도 성남시 분당구 판교역로 235, 101동 1203호");
            find("부산광역시 해운대구 센텀중앙로 79 (우동)", PiiType.LOCATION, "부산광역시 해운대구 센텀중앙로 79 (우동)");
            find("Address: 서울 강남구 테헤란로 152", PiiType.LOCATION, "서울 강남구 테헤란로 152");
        }

        @Test
        void notAddresses() {
            none("을지로 3번 출구");
            none("테헤란로 152");
            none("주소를 알려주세요");
            none("IP address: none");
        }
    }

    @Test
    void resultsAreSortedNonOverlappingAndMinScoreFilters() {
        String text = "전화 010-1234-5678, 주민번호 850315-1812920, 메일 a@example.com, ::ffff:203.0.113.7";
        List<PiiEntity> all = SCANNER.scan(text);
        for (int i = 1; i < all.size(); i++) {
            assertTrue(all.get(i - 1).end() <= all.get(i).start(), all.toString());
        }
        assertEquals(List.of(PiiType.PHONE_NUMBER, PiiType.KR_RRN, PiiType.EMAIL_ADDRESS, PiiType.IP_ADDRESS),
                all.stream().map(PiiEntity::type).toList());
        assertEquals(List.of(), SCANNER.scan("850315-1812921", 0.5));
        assertEquals(1, SCANNER.scan("850315-1812921", 0.0).size());
        assertThrows(IllegalArgumentException.class, () -> SCANNER.scan("x", 1.5));
        assertEquals(List.of(), SCANNER.scan(""));
        assertEquals(List.of(), SCANNER.scan("그냥 평범한 문장입니다. Nothing here; 2024년 3월 5일, 12:30, 3.14, 100%."));
    }

    /** The reference: normalize the whole text first, then one scan of the normal form (no stop at the first change). */
    private static List<PiiEntity> normalizeFirst(String s) {
        if (s.isEmpty()) {
            return List.of();
        }
        NormalizedText norm = NormalizedText.of(s.toCharArray(), s.length());
        Scan scan = new Scan(norm.chars, norm.length, LocalDate.of(2026, 1, 15));
        scan.run(false);
        return PiiScanner.resolve(scan.found).stream()
                .map(c -> new PiiEntity(c.type(), norm.originalStart(c.start()), norm.originalEnd(c.end()), c.score()))
                .toList();
    }

    @Test
    void scanningABufferInPlaceAnswersAsNormalizingTheStringFirstWhateverFollowsTheLength() {
        String[] pieces = {"주민등록번호 ", "850315-1812920", "010-1234-5678", "hong@example.com", "M123A4567", "Tel", "tel", " ", "서",
            "울", "서울 12-345678-90", "12가3456", "성명: 홍길동", "주소: ", "경기", "１２", "\u00A0", "\u1112\u1161", "😀", "2001:db8::1",
            "010\u00A01234\u00A05678", "８５０３１５－１８１２９２０", "hong＠example.com", "성\u200B명: 홍길동", "\u1109\u1165\u11BC명: 김철수",
            "203.0.113.7", "a", "5", "-", ":", "@", "계좌 110-123-456789", "card 4111 1111 1111 1111"};
        java.util.Random random = new java.util.Random(5);
        for (int round = 0; round < 3000; round++) {
            StringBuilder text = new StringBuilder();
            for (int k = random.nextInt(12); k > 0; k--) {
                text.append(pieces[random.nextInt(pieces.length)]);
            }
            StringBuilder tail = new StringBuilder();
            for (int k = 1 + random.nextInt(4); k > 0; k--) {
                tail.append(pieces[random.nextInt(pieces.length)]);
            }
            String s = text.toString();
            char[] buffer = (s + tail).toCharArray();
            String message = s + " | " + tail;
            assertEquals(normalizeFirst(s), SCANNER.scan(buffer, s.length(), 0.0), message);
            assertEquals(normalizeFirst(s), SCANNER.scan(s, 0.0), message);
            assertEquals(s + tail, new String(buffer), "the buffer is not modified");
        }
        assertThrows(IndexOutOfBoundsException.class, () -> SCANNER.scan(new char[2], 3, 0.5));
    }
}
