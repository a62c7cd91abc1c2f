package ai.sovereign.engine;

import java.util.Arrays;
import java.util.List;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * Splits text into words before byte-level BPE, following llama.cpp's unicode_regex_split: a list of
 * stages applied in turn, each splitting every fragment of the previous one into matches and the text
 * between them ("isolated" behaviour).
 *
 * <p>The GPT-2 and Llama 3 patterns are scanned by hand exactly as llama.cpp's
 * unicode_regex_split_custom_gpt2 / _llama3 do; the Qwen2 pattern is the Llama 3 one with single
 * digits, so it uses the same scanner with a digit group of 1 (llama.cpp runs std::regex there over
 * text with every non-ASCII code point collapsed to its category, which matches the same words). The
 * remaining stages use java.util.regex. Character classes are llama.cpp's: \p{L} and \p{N} are the
 * Unicode general categories, whitespace is the Unicode White_Space property (so U+001C..U+001F are
 * not whitespace, U+0085, U+00A0, U+3000 are).
 */
final class PreTokenizer {
    private static final int GPT2 = -1;

    private final int[] customDigits;   // per stage: GPT2, a digit group (Llama 3 scanner), or 0 = regex
    private final Pattern[] patterns;

    private PreTokenizer(int[] customDigits, Pattern[] patterns) {
        this.customDigits = customDigits;
        this.patterns = patterns;
    }

    static final String GPT2_PATTERN = "'s|'t|'re|'ve|'m|'ll|'d| ?\\p{L}+| ?\\p{N}+| ?[^\\s\\p{L}\\p{N}]+|\\s+(?!\\S)";

    static final List<String> GPT2_NAMES = List.of("gpt-2", "phi-2", "jina-es", "jina-de", "gigachat", "jina-v2-es",
            "jina-v2-de", "a.x-4.0", "mellum", "modern-bert", "jina-v1-en", "jina-v2-code", "roberta-bpe", "exaone4",
            "mpt", "olmo", "jais", "trillion", "granite-docling");
    static final List<String> LLAMA3_NAMES = List.of("llama3", "llama-v3", "llama-bpe", "falcon3", "falcon-h1", "pixtral",
            "midm-2.0", "lfm2", "jina-v5-nano", "dbrx", "smaug-bpe");
    static final List<String> QWEN2_NAMES = List.of("qwen2", "deepseek-r1-qwen", "kormo", "f2llmv2", "megrez", "stablelm2", "hunyuan", "solar-open");
    static final List<String> EXAONE_NAMES = List.of("exaone", "starcoder", "refact", "command-r", "smollm", "codeshell",
            "minerva-7b", "mellum2");

    /** The pre-tokenizer for a tokenizer.ggml.pre value; null or "default" is llama.cpp's default set. */
    static PreTokenizer forPreType(String pre) {
        if (pre == null || pre.isEmpty() || pre.equals("default")) {
            return new PreTokenizer(new int[] {0, GPT2, 0, 0}, new Pattern[] {
                    Pattern.compile("[\\p{P}\\$\\+<=>\\^~\\|]+"), null, Pattern.compile("\\p{N}+"), Pattern.compile("[0-9][0-9][0-9]")});
        }
        if (GPT2_NAMES.contains(pre)) {
            return new PreTokenizer(new int[] {GPT2}, new Pattern[1]);
        }
        if (LLAMA3_NAMES.contains(pre)) {
            return new PreTokenizer(new int[] {3}, new Pattern[1]);
        }
        if (QWEN2_NAMES.contains(pre)) {
            return new PreTokenizer(new int[] {1}, new Pattern[1]);
        }
        if (EXAONE_NAMES.contains(pre)) {
            return new PreTokenizer(new int[] {0, GPT2}, new Pattern[] {Pattern.compile("\\p{N}"), null});
        }
        return null;
    }

    /** Splits cps[0, length) into words; their lengths in code points (summing to length) end up in words. */
    Words split(int[] cps, int length, Words words) {
        words.reset(length);
        for (int stage = 0; stage < customDigits.length; stage++) {
            words.beginStage();
            int start = 0;
            for (int f = 0; f < words.previousCount; f++) {
                int end = start + words.previous[f];
                if (customDigits[stage] == GPT2) {
                    splitGpt2(cps, start, end, words);
                } else if (customDigits[stage] > 0) {
                    splitLlama3(cps, start, end, customDigits[stage], words);
                } else {
                    splitRegex(cps, start, end, patterns[stage], words);
                }
                start = end;
            }
        }
        return words;
    }

    /** Word lengths, double-buffered across stages. */
    static final class Words {
        int[] lengths = new int[64];
        int count;
        int[] previous = new int[64];
        int previousCount;

        void reset(int length) {
            count = 0;
            if (length > 0) {
                add(length);
            }
        }

        void beginStage() {
            int[] t = previous;
            previous = lengths;
            previousCount = count;
            lengths = t;
            count = 0;
        }

        void add(int length) {
            if (count == lengths.length) {
                lengths = Arrays.copyOf(lengths, count * 2);
            }
            lengths[count++] = length;
        }
    }

    private static boolean isLetter(int cp) {
        return Character.isLetter(cp);
    }

    private static boolean isNumber(int cp) {
        int t = Character.getType(cp);
        return t == Character.DECIMAL_DIGIT_NUMBER || t == Character.LETTER_NUMBER || t == Character.OTHER_NUMBER;
    }

    static boolean isWhitespace(int cp) {
        if (cp <= 0x20) {
            return cp == 0x20 || (cp >= 0x09 && cp <= 0x0D);
        }
        if (cp < 0x85) {
            return false;
        }
        return cp == 0x85 || cp == 0xA0 || cp == 0x1680 || (cp >= 0x2000 && cp <= 0x200A)
                || cp == 0x2028 || cp == 0x2029 || cp == 0x202F || cp == 0x205F || cp == 0x3000;
    }

    /** Scanner state shared by the hand-written splitters: a fragment [ini, end) of cps. */
    private static final class Scan {
        final int[] cps;
        final int ini;
        final int end;
        final Words words;
        int prevEnd;

        Scan(int[] cps, int ini, int end, Words words) {
            this.cps = cps;
            this.ini = ini;
            this.end = end;
            this.words = words;
            this.prevEnd = ini;
        }

        boolean in(int pos) {
            return pos >= ini && pos < end;
        }

        int cp(int pos) {
            return in(pos) ? cps[pos] : -1;
        }

        boolean letter(int pos) {
            return in(pos) && isLetter(cps[pos]);
        }

        boolean number(int pos) {
            return in(pos) && isNumber(cps[pos]);
        }

        boolean space(int pos) {
            return in(pos) && isWhitespace(cps[pos]);
        }

        /** In range and neither whitespace, letter nor number: [^\s\p{L}\p{N}]. */
        boolean other(int pos) {
            return in(pos) && !isWhitespace(cps[pos]) && !isLetter(cps[pos]) && !isNumber(cps[pos]);
        }

        int add(int to) {
            int len = to - prevEnd;
            if (len > 0) {
                words.add(len);
            }
            prevEnd = to;
            return len;
        }
    }

    // 's|'t|'re|'ve|'m|'ll|'d| ?\p{L}+| ?\p{N}+| ?[^\s\p{L}\p{N}]+|\s+(?!\S)|\s+
    private static void splitGpt2(int[] cps, int ini, int end, Words words) {
        Scan s = new Scan(cps, ini, end, words);
        int pos = ini;
        while (pos < end) {
            int cpt = cps[pos];
            if (cpt == '\'' && pos + 1 < end) {
                int next = cps[pos + 1];
                if (next == 's' || next == 't' || next == 'm' || next == 'd') {
                    pos += s.add(pos + 2);
                    continue;
                }
                if (pos + 2 < end) {
                    int nextNext = cps[pos + 2];
                    if ((next == 'r' && nextNext == 'e') || (next == 'v' && nextNext == 'e') || (next == 'l' && nextNext == 'l')) {
                        pos += s.add(pos + 3);
                        continue;
                    }
                }
            }
            int p2 = cpt == ' ' ? pos + 1 : pos;
            if (s.letter(p2)) {
                pos = p2;
                while (s.letter(pos)) {
                    pos++;
                }
                s.add(pos);
                continue;
            }
            if (s.number(p2)) {
                pos = p2;
                while (s.number(pos)) {
                    pos++;
                }
                s.add(pos);
                continue;
            }
            if (s.other(p2)) {
                pos = p2;
                while (s.other(pos)) {
                    pos++;
                }
                s.add(pos);
                continue;
            }
            int spaces = 0;
            while (s.space(pos + spaces)) {
                spaces++;
            }
            if (spaces > 1 && s.in(pos + spaces)) {
                pos += spaces - 1;
                s.add(pos);
                continue;
            }
            if (spaces > 0) {
                pos += spaces;
                s.add(pos);
                continue;
            }
            s.add(++pos);
        }
    }

    // (?i:'s|'t|'re|'ve|'m|'ll|'d)|[^\r\n\p{L}\p{N}]?\p{L}+|\p{N}{1,digits}| ?[^\s\p{L}\p{N}]+[\r\n]*|\s*[\r\n]+|\s+(?!\S)|\s+
    private static void splitLlama3(int[] cps, int ini, int end, int digits, Words words) {
        Scan s = new Scan(cps, ini, end, words);
        int pos = ini;
        while (pos < end) {
            int cpt = cps[pos];
            if (cpt == '\'' && pos + 1 < end) {
                int next = Character.toLowerCase(cps[pos + 1]);
                if (next == 's' || next == 't' || next == 'm' || next == 'd') {
                    pos += s.add(pos + 2);
                    continue;
                }
                if (pos + 2 < end) {
                    int nextNext = Character.toLowerCase(cps[pos + 2]);
                    if ((next == 'r' && nextNext == 'e') || (next == 'v' && nextNext == 'e') || (next == 'l' && nextNext == 'l')) {
                        pos += s.add(pos + 3);
                        continue;
                    }
                }
            }
            boolean number = isNumber(cpt);
            if (!(cpt == '\r' || cpt == '\n' || number)) {
                if (isLetter(cpt) || s.letter(pos + 1)) {
                    pos++;
                    while (s.letter(pos)) {
                        pos++;
                    }
                    s.add(pos);
                    continue;
                }
            }
            if (number) {
                int groupStart = pos;
                while (s.number(pos)) {
                    if (++pos - groupStart >= digits) {
                        s.add(pos);
                        groupStart = pos;
                    }
                }
                s.add(pos);
                continue;
            }
            int p2 = cpt == ' ' ? pos + 1 : pos;
            if (cpt == ' ' ? !s.space(p2) && !s.letter(p2) && !s.number(p2) : s.other(pos)) {
                pos += cpt == ' ' ? 1 : 0;
                while (s.other(pos)) {
                    pos++;
                }
                while (s.cp(pos) == '\r' || s.cp(pos) == '\n') {
                    pos++;
                }
                s.add(pos);
                continue;
            }
            int spaces = 0;
            int lastNewlineEnd = 0;
            while (s.space(pos + spaces)) {
                int c = cps[pos + spaces];
                if (c == '\r' || c == '\n') {
                    lastNewlineEnd = pos + spaces + 1;
                }
                spaces++;
            }
            if (lastNewlineEnd > 0) {
                pos = lastNewlineEnd;
                s.add(pos);
                continue;
            }
            if (spaces > 1 && s.in(pos + spaces)) {
                pos += spaces - 1;
                s.add(pos);
                continue;
            }
            if (spaces > 0) {
                pos += spaces;
                s.add(pos);
                continue;
            }
            s.add(++pos);
        }
    }

    private static void splitRegex(int[] cps, int ini, int end, Pattern pattern, Words words) {
        String text = new String(cps, ini, end - ini);
        Matcher m = pattern.matcher(text);
        int lastChar = 0;
        while (m.find()) {
            if (m.end() == m.start()) {
                continue;
            }
            if (m.start() > lastChar) {
                words.add(text.codePointCount(lastChar, m.start()));
            }
            words.add(text.codePointCount(m.start(), m.end()));
            lastChar = m.end();
        }
        if (lastChar < text.length()) {
            words.add(text.codePointCount(lastChar, text.length()));
        }
    }
}
