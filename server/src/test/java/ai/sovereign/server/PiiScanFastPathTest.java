package ai.sovereign.server;

import static org.junit.jupiter.api.Assertions.assertEquals;

import ai.sovereign.policy.PiiScanner;
import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.charset.CharacterCodingException;
import java.nio.charset.CodingErrorAction;
import java.nio.charset.StandardCharsets;
import java.util.Random;
import org.junit.jupiter.api.Test;

/**
 * {@code sovereign pii scan}'s byte path (blocks, a reused char buffer, the hand-written strict decoder, the scanner reading
 * that buffer in place) against the reference it replaced: split on '\n', drop one '\r', decode each line with the JDK's
 * reporting decoder into a String, scan the String. Random inputs mix Korean and English text, identifiers, CRLF, lone
 * '\r', JSON lines, Unicode separators, astral characters, lines longer than a block and ill-formed UTF-8.
 */
class PiiScanFastPathTest {
    private static final String[] TEXT = {"오늘 회의에서는 ", "주민등록번호 ", "850315-1812920", "010-1234-5678", "hong@example.com",
        "여권번호 M123A4567", "카드 4111 1111 1111 1111", "운전면허 11-12-345678-90", "203.0.113.7", "2001:db8::1", "성명: 홍길동",
        "주소: 서울특별시 종로구 세종대로 209", "+82 10-1234-5678", "서울12가3456", "tel", "서", "울", "Tel:", "a", " ", "12,000원",
        "２０２４", "010\u00A01234\u00A05678", "\u1112\u1161\u11AB", "😀", "\u200B", "\uFFFD", "The quarterly report ", "\t", ":", "@",
        "1", "-", ".", "경기", "name: Kim Ji", "계좌 110-123-456789"};
    private static final byte[][] BAD = {{(byte) 0xC3}, {(byte) 0x80}, {(byte) 0xC0, (byte) 0xAF}, {(byte) 0xE0, (byte) 0x80, (byte) 0xAF},
        {(byte) 0xED, (byte) 0xA0, (byte) 0x80}, {(byte) 0xF4, (byte) 0x90, (byte) 0x80, (byte) 0x80}, {(byte) 0xF8},
        {(byte) 0xEA, (byte) 0xB0}, {(byte) 0xF0, (byte) 0x9F, (byte) 0x98}, {(byte) 0xFF}};

    private final PiiScanner scanner = new PiiScanner();

    @Test
    void theBytePathAnswersExactlyAsTheStringPathDid() throws IOException {
        Random random = new Random(20261123);
        for (int round = 0; round < 400; round++) {
            byte[] input = randomInput(random, round % 5 == 0);
            String expected = reference(input);
            String actual = fast(input, 1 + random.nextInt(4), 1 + random.nextInt(random.nextBoolean() ? 16 : 400));
            int r = round;
            assertEquals(expected, actual, () -> "round " + r);
        }
    }

    @Test
    void theLineDecoderAcceptsAndRefusesExactlyWhatTheJdkReportingDecoderDoes() {
        Random random = new Random(11);
        char[] out = new char[64];
        for (int round = 0; round < 200_000; round++) {
            byte[] bytes = new byte[1 + random.nextInt(6)];
            for (int i = 0; i < bytes.length; i++) {
                int kind = random.nextInt(4);
                bytes[i] = (byte) (kind == 0 ? "a\n\r\u0000~".charAt(random.nextInt(5)) : kind == 1 ? 0x80 + random.nextInt(0x40) : 0xC0 + random.nextInt(0x40));
            }
            int newline = 0;
            while (newline < bytes.length && bytes[newline] != '\n') {
                newline++;
            }
            int stop = newline > 0 && bytes[newline - 1] == '\r' ? newline - 1 : newline;
            String strict = strict(bytes, 0, stop);
            long decoded = LineScan.decodeLine(bytes, 0, bytes.length, out);
            int length = (int) decoded;
            java.util.function.Supplier<String> hex = () -> java.util.HexFormat.ofDelimiter(" ").formatHex(bytes);
            assertEquals(strict == null ? -1 : strict.length(), length, hex);
            if (strict != null) {
                assertEquals(strict, new String(out, 0, length), hex);
                assertEquals(Math.min(newline + 1, bytes.length), (int) (decoded >>> 32), hex);
            }
        }
    }

    private static byte[] randomInput(Random random, boolean withBadBytes) {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        int lines = random.nextInt(30);
        for (int i = 0; i < lines; i++) {
            StringBuilder line = new StringBuilder();
            int pieces = random.nextInt(10) == 0 ? 200 : random.nextInt(12);
            for (int k = 0; k < pieces; k++) {
                line.append(TEXT[random.nextInt(TEXT.length)]);
            }
            String text = random.nextInt(8) == 0 ? Json.object().put("text", line.toString()).toString() : line.toString();
            byte[] bytes = text.getBytes(StandardCharsets.UTF_8);
            if (withBadBytes && random.nextInt(6) == 0) {
                int at = random.nextInt(bytes.length + 1);
                out.write(bytes, 0, at);
                out.writeBytes(BAD[random.nextInt(BAD.length)]);
                out.write(bytes, at, bytes.length - at);
            } else {
                out.writeBytes(bytes);
            }
            switch (random.nextInt(6)) {
                case 0 -> out.writeBytes("\r\n".getBytes(StandardCharsets.US_ASCII));
                case 1 -> out.writeBytes("\r\r\n".getBytes(StandardCharsets.US_ASCII));
                default -> {
                    if (i < lines - 1 || random.nextBoolean()) {
                        out.write('\n');
                    }
                }
            }
        }
        return out.toByteArray();
    }

    private String fast(byte[] input, int threads, int block) {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        String error = "";
        try {
            new LineScan(PiiCommand.ScanCommand.answer(scanner, 0.3), threads, block).run(new ByteArrayInputStream(input), out);
        } catch (IOException e) {
            error = "error: " + e.getMessage();
        }
        return out.toString(StandardCharsets.US_ASCII) + error;
    }

    /** The string path: one JDK-decoded String per line, its JSON "text" field when it starts with '{'. */
    private String reference(byte[] input) throws IOException {
        StringBuilder out = new StringBuilder();
        int line = 0;
        for (int start = 0; start < input.length; line++) {
            int newline = start;
            while (newline < input.length && input[newline] != '\n') {
                newline++;
            }
            int stop = newline;
            if (stop > start && input[stop - 1] == '\r') {
                stop--;
            }
            String text = strict(input, start, stop);
            if (text == null) {
                return out + "error: line " + (line + 1) + ": input is not valid UTF-8";
            }
            if (text.startsWith("{")) {
                text = Json.MAPPER.readTree(text).get("text").asText();
            }
            PiiCommand.ScanCommand.render(scanner.scan(text, 0.3), out);
            out.append('\n');
            start = newline + 1;
        }
        return out.toString();
    }

    private static String strict(byte[] bytes, int from, int to) {
        try {
            return StandardCharsets.UTF_8.newDecoder().onMalformedInput(CodingErrorAction.REPORT)
                    .onUnmappableCharacter(CodingErrorAction.REPORT).decode(ByteBuffer.wrap(bytes, from, to - from)).toString();
        } catch (CharacterCodingException e) {
            return null;
        }
    }
}
