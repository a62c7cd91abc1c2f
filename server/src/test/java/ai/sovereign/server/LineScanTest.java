package ai.sovereign.server;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.util.Random;
import org.junit.jupiter.api.Test;

class LineScanTest {
    /** Each answer is the line's hash and length in chars, so order, splitting and decoding all show. */
    private static final LineScan.Answer ECHO = new LineScan.Answer() {
        @Override
        public void answer(char[] chars, int length, StringBuilder out) throws LineScan.LineException {
            String line = new String(chars, 0, length);
            if (line.equals("FAIL")) {
                throw new LineScan.LineException("refused");
            }
            out.append(line.hashCode()).append(':').append(line.length());
        }
    };

    private static String run(byte[] input, int threads, int block) throws IOException {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        new LineScan(ECHO, threads, block).run(new ByteArrayInputStream(input), out);
        return out.toString(StandardCharsets.US_ASCII);
    }

    private static String expected(String text) {
        StringBuilder sb = new StringBuilder();
        if (text.isEmpty()) {
            return "";
        }
        String[] lines = text.split("\n", -1);
        int count = text.endsWith("\n") ? lines.length - 1 : lines.length;
        for (int i = 0; i < count; i++) {
            String line = lines[i].endsWith("\r") ? lines[i].substring(0, lines[i].length() - 1) : lines[i];
            sb.append(line.hashCode()).append(':').append(line.length()).append('\n');
        }
        return sb.toString();
    }

    @Test
    void answersEveryLineInOrderWhateverTheBlockSizeAndThreadCount() throws IOException {
        Random random = new Random(7);
        String[] pieces = {"a", "주민", "\r", "", "tel 010", "😀", "  ", "x".repeat(40)};
        for (int round = 0; round < 200; round++) {
            StringBuilder text = new StringBuilder();
            int lines = random.nextInt(60);
            for (int i = 0; i < lines; i++) {
                for (int k = random.nextInt(5); k > 0; k--) {
                    text.append(pieces[random.nextInt(pieces.length)]);
                }
                if (i < lines - 1 || random.nextBoolean()) {
                    text.append(random.nextBoolean() ? "\n" : "\r\n");
                }
            }
            String s = text.toString().replace("\r\r", "\r");
            byte[] bytes = s.getBytes(StandardCharsets.UTF_8);
            assertEquals(expected(s), run(bytes, 1 + random.nextInt(4), 1 + random.nextInt(64)), s);
        }
    }

    @Test
    void emptyInputGivesNoOutputAndALastLineWithoutNewlineCounts() throws IOException {
        assertEquals("", run(new byte[0], 2, 16));
        assertEquals(expected("abc\n\nde"), run("abc\n\nde".getBytes(StandardCharsets.UTF_8), 2, 3));
    }

    @Test
    void invalidUtf8NamesTheLineAfterAnsweringTheOnesBefore() {
        byte[] input = {'o', 'k', '\n', 'b', (byte) 0xC3, 'x', '\n', 'z', '\n'};
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        IOException e = assertThrows(IOException.class, () -> new LineScan(ECHO, 2, 2).run(new ByteArrayInputStream(input), out));
        assertEquals("line 2: input is not valid UTF-8", e.getMessage());
        assertEquals(expected("ok\n"), out.toString(StandardCharsets.US_ASCII));
    }

    @Test
    void anEncodedReplacementCharacterIsValidInput() throws IOException {
        assertEquals(expected("a\uFFFDb\n"), run("a\uFFFDb\n".getBytes(StandardCharsets.UTF_8), 2, 4));
    }

    @Test
    void aRefusedLineStopsTheRunAfterTheLinesBeforeIt() {
        byte[] input = "one\ntwo\nFAIL\nfour\n".getBytes(StandardCharsets.UTF_8);
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        IOException e = assertThrows(IOException.class, () -> new LineScan(ECHO, 3, 5).run(new ByteArrayInputStream(input), out));
        assertEquals("line 3: refused", e.getMessage());
        assertEquals(expected("one\ntwo\n"), out.toString(StandardCharsets.US_ASCII));
    }
}
