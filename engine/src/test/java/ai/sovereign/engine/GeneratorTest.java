package ai.sovereign.engine;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/** The generation loop on real models: limits, stops, seeds, cancellation, streaming text, logprobs. */
class GeneratorTest {
    private static LanguageModel stories;

    @BeforeAll
    static void load() throws Exception {
        stories = LanguageModel.load(Fixtures.shared("models/stories260K.gguf"), 256);
    }

    @AfterAll
    static void close() {
        if (stories != null) {
            stories.close();
        }
    }

    private static GenerationResult run(GenerationSettings settings, TokenListener listener) {
        int[] prompt = stories.tokenizer().encode("Once upon a time", true, false);
        return Generator.generate(stories.newSession(), stories.tokenizer(), prompt, settings, listener);
    }

    private static GenerationSettings sampled(long seed, int n) {
        return GenerationSettings.of(n, SamplingSettings.defaults(seed).withTemperature(1.0f));
    }

    @Test
    void sameSeedSameOutputOtherSeedOtherOutput() {
        GenerationResult a = run(sampled(42, 48), null);
        GenerationResult b = run(sampled(42, 48), null);
        GenerationResult c = run(sampled(43, 48), null);
        assertArrayEquals(a.tokens(), b.tokens());
        assertEquals(a.text(), b.text());
        assertFalse(java.util.Arrays.equals(a.tokens(), c.tokens()), "seeds 42 and 43 gave the same 48 tokens");
    }

    @Test
    void streamedDeltasAddUpToTheResultText() {
        StringBuilder streamed = new StringBuilder();
        GenerationResult r = run(sampled(7, 64), t -> {
            streamed.append(t.text());
            return true;
        });
        assertEquals(r.text(), streamed.toString());
        assertEquals(GenerationResult.FinishReason.LENGTH, r.finishReason());
        assertEquals(64, r.completionTokens());
    }

    @Test
    void stopStringEndsGenerationAndIsNeitherReturnedNorStreamed() {
        StringBuilder streamed = new StringBuilder();
        GenerationSettings settings = new GenerationSettings(64, SamplingSettings.greedy(), List.of("Lily", "zzz"), true, false, 0, null, null);
        GenerationResult r = run(settings, t -> {
            streamed.append(t.text());
            return true;
        });
        assertEquals(", there was a little girl named ", r.text());
        assertEquals(r.text(), streamed.toString());
        assertEquals(GenerationResult.FinishReason.STOP, r.finishReason());
    }

    @Test
    void heldBackTailIsReleasedWhenItDoesNotBecomeAStop() {
        // "Lily's dog" never appears, but "Lily" does: the held "Lily" must come out in the stream.
        StringBuilder streamed = new StringBuilder();
        GenerationSettings settings = new GenerationSettings(64, SamplingSettings.greedy(), List.of("Lily's dog"), true, false, 0, null, null);
        GenerationResult r = run(settings, t -> {
            streamed.append(t.text());
            return true;
        });
        assertTrue(r.text().contains("Lily"));
        assertEquals(r.text(), streamed.toString());
        assertEquals(GenerationResult.FinishReason.LENGTH, r.finishReason());
    }

    @Test
    void listenerCancelsWithinOneToken() {
        int[] seen = {0};
        GenerationResult r = run(sampled(1, 64), t -> ++seen[0] < 3);
        assertEquals(GenerationResult.FinishReason.CANCELLED, r.finishReason());
        assertEquals(3, r.completionTokens());
        assertEquals(3, seen[0]);
    }

    @Test
    void logprobsDescribeTheDistribution() {
        List<GeneratedToken> tokens = new ArrayList<>();
        GenerationSettings settings = new GenerationSettings(8, SamplingSettings.greedy(), List.of(), true, true, 5, null, null);
        run(settings, t -> tokens.add(t));
        for (GeneratedToken t : tokens) {
            if (t.id() < 0) {
                continue;
            }
            assertTrue(t.logprob() <= 0, "log-probability " + t.logprob());
            assertEquals(5, t.alternatives().size());
            assertEquals(t.id(), t.alternatives().get(0).id(), "greedy picks the most likely token");
            assertEquals(t.logprob(), t.alternatives().get(0).logprob(), 1e-9);
            double mass = 0;
            for (int i = 0; i < 5; i++) {
                mass += Math.exp(t.alternatives().get(i).logprob());
                if (i > 0) {
                    assertTrue(t.alternatives().get(i).logprob() <= t.alternatives().get(i - 1).logprob());
                }
            }
            assertTrue(mass <= 1.0 + 1e-6);
        }
    }

    @Test
    void utf8SplitAcrossByteTokensIsHeldUntilComplete() throws Exception {
        try (LanguageModel lm = LanguageModel.load(Fixtures.shared("models/llama-2-tiny-random.gguf"), 64)) {
            Tokenizer tok = lm.tokenizer();
            // "안" is EC 95 88: three byte-fallback tokens <0xEC> <0x95> <0x88> (id = 3 + byte).
            int[] forced = {3 + 0xEC, 3 + 0x95, 3 + 0x88};
            List<String> deltas = new ArrayList<>();
            GenerationResult r = Generator.generate(lm.newSession(), tok, tok.encode("x", true, false),
                    new GenerationSettings(3, SamplingSettings.greedy(), List.of(), false, false, 0, forced, null), t -> deltas.add(t.text()));
            assertEquals(List.of("", "", "안"), deltas);
            assertEquals("안", r.text());
            assertArrayEquals(forced, r.tokens());
        }
    }

    @Test
    void promptLongerThanTheContextIsRefusedWithTheNumbers() throws Exception {
        try (LanguageModel small = LanguageModel.load(Fixtures.shared("models/stories260K.gguf"), 8)) {
            int[] prompt = small.tokenizer().encode("Once upon a time there was a very long prompt", true, false);
            ContextOverflowException e = assertThrows(ContextOverflowException.class,
                    () -> Generator.generate(small.newSession(), small.tokenizer(), prompt, GenerationSettings.of(4, null), null));
            assertEquals(8, e.contextLength());
            assertEquals(prompt.length, e.needed());
            assertTrue(e.getMessage().contains("context"));
        }
    }

    @Test
    void generationStopsAtTheEndOfTheContext() throws Exception {
        try (LanguageModel small = LanguageModel.load(Fixtures.shared("models/stories260K.gguf"), 12)) {
            int[] prompt = small.tokenizer().encode("Once upon a time", true, false);
            GenerationResult r = Generator.generate(small.newSession(), small.tokenizer(), prompt,
                    new GenerationSettings(100, SamplingSettings.greedy(), List.of(), false, false, 0, null, null), null);
            assertEquals(GenerationResult.FinishReason.LENGTH, r.finishReason());
            assertEquals(12 - prompt.length + 1, r.completionTokens(), "the last token is reported though it is never fed");
        }
    }

    @Test
    void batchedPrefillEqualsTokenByTokenPrefill() throws Exception {
        int[] prompt = stories.tokenizer().encode("Once upon a time, there was a little girl named Lily. She loved to play", true, false);
        float[] batched = stories.newSession().feed(prompt).clone();
        Session single = stories.newSession();
        float[] last = null;
        for (int t : prompt) {
            last = single.feed(t);
        }
        for (int i = 0; i < batched.length; i++) {
            assertEquals(last[i], batched[i], 1e-5, "logit " + i);
        }
        assertNotEquals(0, batched.length);
    }
}
