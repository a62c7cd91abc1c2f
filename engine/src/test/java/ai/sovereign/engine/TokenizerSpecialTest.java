package ai.sovereign.engine;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.HashMap;
import java.util.Map;
import org.junit.jupiter.api.Test;

/** BOS/EOS rules, special-token parsing, end-of-generation tokens and metadata errors. */
class TokenizerSpecialTest {

    @Test
    void llama3SpecialTokens() {
        Tokenizer t = VocabFixtures.llama3();
        assertEquals(128256, t.size());
        assertEquals(128000, t.bosId());
        assertEquals(128001, t.eosId());
        assertTrue(t.addsBos());
        assertArrayEquals(new int[] {128000, 9906}, t.encode("Hello", true, false));
        assertArrayEquals(new int[] {9906}, t.encode("Hello", false, false));
        assertArrayEquals(new int[] {128000, 9906, 128009}, t.encode("<|begin_of_text|>Hello<|eot_id|>", false, true));
        int[] plain = t.encode("<|eot_id|>", false, false);
        assertTrue(plain.length > 1, "without parseSpecial the text is ordinary text");
        assertEquals("<|eot_id|>", t.decode(plain));
        assertEquals("Hello", t.decode(new int[] {128000, 9906, 128009}));
        assertArrayEquals(new byte[0], t.tokenBytes(128009));
        assertTrue(t.isControl(128000));
        assertFalse(t.isControl(9906));
        for (int id : new int[] {128001, 128009}) {   // <|end_of_text|>, <|eot_id|> (this Llama 3.0 vocab has no <|eom_id|>)
            assertTrue(t.isEndOfGeneration(id), t.token(id));
        }
        assertFalse(t.isEndOfGeneration(128000));
        assertFalse(t.isEndOfGeneration(9906));
    }

    @Test
    void qwenUserDefinedTokensAreAlwaysSplitOff() {
        Tokenizer t = VocabFixtures.qwen3();
        assertFalse(t.addsBos());
        int think = 151667;
        assertEquals("<think>", t.token(think));
        int[] ids = t.encode("<think>x</think>", false, false);
        assertEquals(think, ids[0]);
        assertEquals(151668, ids[ids.length - 1]);
        assertEquals("<think>x</think>", t.decode(ids), "user-defined tokens decode to their text");
        int[] chat = t.encode("<|im_start|>user\n안녕<|im_end|>", false, true);
        assertEquals(151644, chat[0]);
        assertEquals(151645, chat[chat.length - 1]);
        assertTrue(t.isEndOfGeneration(151645));   // <|im_end|>
        assertTrue(t.isEndOfGeneration(151643));   // <|endoftext|>
        assertFalse(t.isEndOfGeneration(151644));
        assertTrue(t.encode("<|im_end|>", false, false).length > 1);
    }

    @Test
    void spmBosAndSpacePrefix() {
        Tokenizer t = VocabFixtures.llamaSpm();
        assertEquals(32000, t.size());
        assertEquals(1, t.bosId());
        assertEquals(2, t.eosId());
        assertTrue(t.addsBos());
        assertArrayEquals(new int[] {1, 15043}, t.encode("Hello", true, false));
        assertArrayEquals(new int[] {1, 15043, 2}, t.encode("<s>Hello</s>", false, true));
        assertEquals("Hello", t.decode(new int[] {15043}));
        // llama.cpp's detokenize removes the prefix space only from the first token; a BOS takes that turn
        assertEquals(" Hello", t.decode(new int[] {1, 15043}));
        assertArrayEquals(" Hello".getBytes(java.nio.charset.StandardCharsets.UTF_8), t.tokenBytes(15043));
        assertTrue(t.isEndOfGeneration(2));
        assertTrue(t.isControl(1));
        assertArrayEquals(new int[0], t.encode("", false, false));
        assertArrayEquals(new int[] {1}, t.encode("", true, false));
    }

    @Test
    void gpt2Defaults() {
        Tokenizer t = VocabFixtures.gpt2();
        assertFalse(t.addsBos());
        assertEquals(50256, t.bosId());
        assertArrayEquals(new int[] {15496}, t.encode("Hello", true, false));
        assertTrue(t.isEndOfGeneration(50256));
        assertArrayEquals(new int[] {50256}, t.encode("<|endoftext|>", false, true));
    }

    private static Map<String, Object> tinyBpe() {
        Map<String, Object> m = new HashMap<>();
        m.put("tokenizer.ggml.model", "gpt2");
        m.put("tokenizer.ggml.pre", "gpt-2");
        m.put("tokenizer.ggml.tokens", new String[] {"a", "b", "ab"});
        m.put("tokenizer.ggml.merges", new String[] {"a b"});
        return m;
    }

    @Test
    void metadataErrors() {
        Map<String, Object> m = tinyBpe();
        m.put("tokenizer.ggml.model", "t5");
        IllegalArgumentException unsupported = assertThrows(IllegalArgumentException.class, () -> Tokenizer.fromGguf(new GgufMetadata(m)));
        assertEquals("tokenizer model t5 is not supported (supported: llama, gpt2)", unsupported.getMessage());

        Map<String, Object> noTokens = tinyBpe();
        noTokens.remove("tokenizer.ggml.tokens");
        assertTrue(assertThrows(GgufException.class, () -> Tokenizer.fromGguf(new GgufMetadata(noTokens)))
                .getMessage().contains("tokenizer.ggml.tokens"));

        Map<String, Object> noMerges = tinyBpe();
        noMerges.remove("tokenizer.ggml.merges");
        assertTrue(assertThrows(GgufException.class, () -> Tokenizer.fromGguf(new GgufMetadata(noMerges)))
                .getMessage().contains("tokenizer.ggml.merges"));

        Map<String, Object> shortTypes = tinyBpe();
        shortTypes.put("tokenizer.ggml.token_type", new int[] {1, 1});
        assertTrue(assertThrows(GgufException.class, () -> Tokenizer.fromGguf(new GgufMetadata(shortTypes)))
                .getMessage().contains("2 entries, fewer than the 3 tokens"));

        Map<String, Object> duplicate = tinyBpe();
        duplicate.put("tokenizer.ggml.tokens", new String[] {"a", "b", "a"});
        assertTrue(assertThrows(GgufException.class, () -> Tokenizer.fromGguf(new GgufMetadata(duplicate)))
                .getMessage().contains("ids 0 and 2"));

        Map<String, Object> pre = tinyBpe();
        pre.put("tokenizer.ggml.pre", "no-such-pre");
        assertTrue(assertThrows(IllegalArgumentException.class, () -> Tokenizer.fromGguf(new GgufMetadata(pre)))
                .getMessage().startsWith("tokenizer pre-type no-such-pre is not supported"));

        Map<String, Object> bos = tinyBpe();
        bos.put("tokenizer.ggml.add_bos_token", true);
        assertTrue(assertThrows(GgufException.class, () -> Tokenizer.fromGguf(new GgufMetadata(bos)))
                .getMessage().contains("bos_token_id"));
    }

    @Test
    void tinyBpeMergesAndByteFallback() {
        Tokenizer t = Tokenizer.fromGguf(new GgufMetadata(tinyBpe()));
        assertEquals(-1, t.bosId(), "the BPE default bos 11 is outside a 3-token vocabulary");
        assertArrayEquals(new int[] {2, 0}, t.encode("aba", false, false));
        assertArrayEquals(new int[] {2, 1}, t.encode("abb", false, false));
        assertArrayEquals(new int[] {}, t.encode("c", false, false), "no token for the byte: dropped, as in llama.cpp");
    }

    @Test
    void exaoneSplitsDigits() {
        Map<String, Object> m = tinyBpe();
        m.put("tokenizer.ggml.pre", "exaone");
        m.put("tokenizer.ggml.tokens", new String[] {"1", "2", "12", "a"});
        m.put("tokenizer.ggml.merges", new String[] {"1 2"});
        Tokenizer t = Tokenizer.fromGguf(new GgufMetadata(m));
        assertArrayEquals(new int[] {0, 1, 3}, t.encode("12a", false, false));
        m.put("tokenizer.ggml.pre", "gpt-2");
        assertArrayEquals(new int[] {2, 3}, Tokenizer.fromGguf(new GgufMetadata(m)).encode("12a", false, false));
    }
}
