package ai.sovereign.engine;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import java.nio.file.Path;
import org.junit.jupiter.api.Test;

/** The KV cache grows with its sequence and keeps every stored key and value where attention reads it. */
class KvCacheTest {
    private static final ModelConfig CONFIG = new ModelConfig("llama", 64, 2, 4, 2, 16, 128, 100, 4096,
            1e-5f, 10000f, 16, false, false);

    @Test
    void growingKeepsKeysAndValuesAtTheirPositions() {
        Transformer.KvCache cache = new Transformer.KvCache(CONFIG, 1000);
        int kvDim = CONFIG.kvDim();
        assertEquals(Transformer.KvCache.INITIAL_CAPACITY, cache.capacity);
        int stored = 0;
        for (int position : new int[] {0, 100, 255, 256, 511, 700, 999}) {
            cache.ensure(position);
            for (int l = 0; l < CONFIG.layers(); l++) {
                for (int d = 0; d < kvDim; d++) {
                    cache.keys[l][d * cache.capacity + position] = code(l, d, position);
                    cache.values[l][position * kvDim + d] = -code(l, d, position);
                }
            }
            stored++;
            for (int earlier : new int[] {0, 100, 255, 256, 511, 700, 999}) {
                if (earlier > position) {
                    break;
                }
                for (int l = 0; l < CONFIG.layers(); l++) {
                    for (int d = 0; d < kvDim; d++) {
                        assertEquals(code(l, d, earlier), cache.keys[l][d * cache.capacity + earlier], "key " + earlier);
                        assertEquals(-code(l, d, earlier), cache.values[l][earlier * kvDim + d], "value " + earlier);
                    }
                }
            }
        }
        assertEquals(7, stored);
        assertEquals(1000, cache.capacity, "capped at the context length");
        assertThrows(ContextOverflowException.class, () -> cache.ensure(1000));
    }

    @Test
    void aSequenceLongerThanTheFirstCapacityGeneratesWhatOneThatNeverGrowsDoes() throws Exception {
        Path model = Fixtures.shared("models/stories260K.gguf");
        try (LanguageModel lm = LanguageModel.load(model, 512)) {
            int[] prompt = lm.tokenizer().encode("Once upon a time", true, false);
            Session growing = lm.newSession();
            float[] a = growing.feed(prompt);
            Session reference = lm.newSession();
            reference.cache.ensure(511); // full size from the start
            float[] b = reference.feed(prompt);
            for (int step = 0; step < 300; step++) {
                assertArrayEquals(b, a, "logits at step " + step);
                int next = Sampler.argmax(a, lm.config().vocabularySize());
                a = growing.feed(next);
                b = reference.feed(next);
            }
            assertEquals(512, reference.cache.capacity);
        }
    }

    private static float code(int layer, int d, int position) {
        return layer * 1_000_000f + d * 1000f + position;
    }
}
