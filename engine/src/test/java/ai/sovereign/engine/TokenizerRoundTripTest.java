package ai.sovereign.engine;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;

import java.io.ByteArrayOutputStream;
import java.nio.charset.StandardCharsets;
import java.util.Random;
import org.junit.jupiter.api.Test;

/** decode(encode(s)) == s on random text, byte tokens for invalid UTF-8, and encoding cost on large inputs. */
class TokenizerRoundTripTest {
    private static final int[][] RANGES = {
            {0xAC00, 0xD7A3},   // Hangul syllables
            {0x3131, 0x318E},   // compatibility jamo
            {0x1100, 0x11FF},   // conjoining jamo
            {0x1F300, 0x1F64F}, // emoji
            {0x1F680, 0x1F6FF},
            {0x20, 0x7E},       // ASCII
            {0x20, 0x7E},
            {0x00, 0x1F},       // control characters
            {0x7F, 0xFF},       // DEL, C1 controls, Latin-1
            {0x4E00, 0x9FFF},   // CJK
            {0x0400, 0x04FF},   // Cyrillic
    };
    private static final int[] SPACES = {' ', ' ', ' ', '\t', '\n', '\r', 0xA0, 0x3000, 0x2028, 0x200D, 0xFE0F};

    static String randomText(Random random, int maxLength) {
        StringBuilder sb = new StringBuilder();
        int length = random.nextInt(maxLength + 1);
        for (int i = 0; i < length; i++) {
            if (random.nextInt(4) == 0) {
                sb.appendCodePoint(SPACES[random.nextInt(SPACES.length)]);
            } else {
                int[] range = RANGES[random.nextInt(RANGES.length)];
                sb.appendCodePoint(range[0] + random.nextInt(range[1] - range[0] + 1));
            }
        }
        return sb.toString();
    }

    private static void roundTrip(Tokenizer tokenizer, long seed) {
        Random random = new Random(seed);
        for (int i = 0; i < 400; i++) {
            String text = randomText(random, 48);
            int[] ids = tokenizer.encode(text, false, false);
            assertEquals(text, tokenizer.decode(ids), () -> "round trip of " + TokenizerVocabTest.escape(text));
            ByteArrayOutputStream bytes = new ByteArrayOutputStream();
            for (int id : ids) {
                bytes.writeBytes(tokenizer.tokenBytes(id));
            }
            String expected = text.isEmpty() ? "" : (tokenSpacePrefix(tokenizer) ? " " : "") + text;
            assertArrayEquals(expected.getBytes(StandardCharsets.UTF_8), bytes.toByteArray(), () -> "bytes of " + TokenizerVocabTest.escape(text));
        }
    }

    /** SPM tokens carry the space that add_space_prefix put in front. */
    private static boolean tokenSpacePrefix(Tokenizer tokenizer) {
        return tokenizer == VocabFixtures.llamaSpm();
    }

    @Test
    void spmRoundTrip() {
        roundTrip(VocabFixtures.llamaSpm(), 1);
    }

    @Test
    void gpt2RoundTrip() {
        roundTrip(VocabFixtures.gpt2(), 2);
    }

    @Test
    void llama3RoundTrip() {
        roundTrip(VocabFixtures.llama3(), 3);
    }

    @Test
    void qwen3RoundTrip() {
        roundTrip(VocabFixtures.qwen3(), 4);
    }

    @Test
    void spmLeadingSpacesSurvive() {
        Tokenizer t = VocabFixtures.llamaSpm();
        for (String s : new String[] {" Hello", "  Hello", "\nHello", " ", "Hello "}) {
            assertEquals(s, t.decode(t.encode(s, false, false)));
        }
    }

    private static final byte[] INVALID_UTF8 = {(byte) 0xFF, (byte) 0xC3, 0x28, (byte) 0xE2, (byte) 0x82, 0x41, (byte) 0x80,
            (byte) 0xF0, (byte) 0x9F, (byte) 0x98, (byte) 0xED, (byte) 0xA0, (byte) 0x80, (byte) 0xC0, (byte) 0xAF};

    private static void invalidBytes(Tokenizer tokenizer, java.util.function.IntFunction<String> byteTokenText) {
        int[] ids = new int[INVALID_UTF8.length];
        for (int i = 0; i < ids.length; i++) {
            String text = byteTokenText.apply(INVALID_UTF8[i] & 0xFF);
            ids[i] = -1;
            for (int id = 0; id < tokenizer.size(); id++) {
                if (tokenizer.token(id).equals(text)) {
                    ids[i] = id;
                    break;
                }
            }
        }
        ByteArrayOutputStream bytes = new ByteArrayOutputStream();
        for (int id : ids) {
            bytes.writeBytes(tokenizer.tokenBytes(id));
        }
        assertArrayEquals(INVALID_UTF8, bytes.toByteArray());
        assertEquals(new String(INVALID_UTF8, StandardCharsets.UTF_8), tokenizer.decode(ids));
    }

    @Test
    void invalidUtf8ThroughByteTokens() {
        invalidBytes(VocabFixtures.llamaSpm(), b -> String.format("<0x%02X>", b));
        invalidBytes(VocabFixtures.gpt2(), b -> String.valueOf(BpeEncoder.BYTE_TO_CHAR[b]));
        invalidBytes(VocabFixtures.llama3(), b -> String.valueOf(BpeEncoder.BYTE_TO_CHAR[b]));
    }

    @Test
    void spmEmojiUsesByteFallback() {
        Tokenizer t = VocabFixtures.llamaSpm();
        int[] ids = t.encode("🦙", false, false);
        // ▁ then the four UTF-8 bytes of U+1F999 as <0xNN> tokens
        assertEquals(5, ids.length);
        assertEquals("<0xF0>", t.token(ids[1]));
        assertEquals("🦙", t.decode(ids));
    }

    /** Large inputs: prose, one 100 KB word, a 100 KB whitespace run; each must finish quickly (linearithmic merges). */
    @Test
    void largeInputs() {
        StringBuilder prose = new StringBuilder();
        Random random = new Random(5);
        while (prose.length() < 100_000) {
            prose.append(randomText(random, 60)).append(" The quick brown fox jumps over the lazy dog. 다람쥐 헌 쳇바퀴에 타고파. ");
        }
        String[] inputs = {prose.toString(), "a".repeat(100_000), "가".repeat(50_000), " ".repeat(100_000), "1234567890".repeat(10_000)};
        for (Tokenizer t : new Tokenizer[] {VocabFixtures.llama3(), VocabFixtures.llamaSpm(), VocabFixtures.gpt2()}) {
            for (String input : inputs) {
                long start = System.nanoTime();
                int[] ids = t.encode(input, false, false);
                long ms = (System.nanoTime() - start) / 1_000_000;
                System.out.printf("encode %d chars -> %d tokens in %d ms (vocab %d)%n", input.length(), ids.length, ms, t.size());
                assertEquals(input, t.decode(ids));
            }
        }
    }
}
