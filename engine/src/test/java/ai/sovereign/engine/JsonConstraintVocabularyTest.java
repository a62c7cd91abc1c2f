package ai.sovereign.engine;

import static org.junit.jupiter.api.Assertions.assertNotSame;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.ByteArrayOutputStream;
import java.nio.charset.StandardCharsets;
import java.util.Arrays;
import java.util.SplittableRandom;
import org.junit.jupiter.api.Test;

/**
 * Model-free random walks over large byte-level BPE vocabularies (GPT-2 50k, Llama 3 128k, Qwen3
 * 151k): each step picks a random allowed token (half the time the shortest-bytes one, so documents
 * also close); the bytes must stay a grammar prefix, and finished documents must parse. Reports the
 * mask time per step.
 */
class JsonConstraintVocabularyTest {
    private static final ObjectMapper JSON = new ObjectMapper();

    @Test
    void gpt2() throws Exception {
        walk("gpt2", VocabFixtures.gpt2());
    }

    @Test
    void llama3() throws Exception {
        walk("llama3", VocabFixtures.llama3());
    }

    @Test
    void qwen3() throws Exception {
        walk("qwen3", VocabFixtures.qwen3());
    }

    private static void walk(String name, Tokenizer tokenizer) throws Exception {
        VocabularyTrie trie = VocabularyTrie.of(tokenizer);
        String[] schemas = {null, JsonConstraintGenerationTest.PERSON, JsonConstraintGenerationTest.DEFS};
        float[] logits = new float[tokenizer.size()];
        long nanos = 0;
        long worst = 0;
        int steps = 0;
        int finished = 0;
        for (String schema : schemas) {
            TokenConstraint.Factory factory = schema == null ? JsonConstraint.anyJson() : JsonConstraint.schema(schema);
            Grammar grammar = schema == null ? JsonSchemaGrammar.anyValueGrammar() : JsonSchemaGrammar.schemaGrammar(schema);
            for (long seed = 0; seed < 6; seed++) {
                SplittableRandom random = new SplittableRandom(seed);
                GrammarConstraint c = (GrammarConstraint) factory.create(tokenizer);
                ByteArrayOutputStream out = new ByteArrayOutputStream();
                for (int step = 0; step < 300 && !c.complete(); step++) {
                    Arrays.fill(logits, 0f);
                    long t0 = System.nanoTime();
                    c.mask(logits);
                    long dt = System.nanoTime() - t0;
                    if (seed > 0) { // seed 0 warms up
                        nanos += dt;
                        worst = Math.max(worst, dt);
                        steps++;
                    }
                    int token = pick(logits, tokenizer, random);
                    assertTrue(token >= 0, "no token allowed after " + out.toString(StandardCharsets.UTF_8));
                    if (tokenizer.isEndOfGeneration(token)) {
                        break;
                    }
                    c.accept(token);
                    out.writeBytes(tokenizer.tokenBytes(token));
                }
                byte[] bytes = out.toByteArray();
                GrammarMatcher m = new GrammarMatcher(grammar);
                GrammarMatcher.State s = m.next(m.start, bytes);
                assertNotSame(GrammarMatcher.DEAD, s);
                if (c.complete() || c.mayEnd()) {
                    finished++;
                    JSON.readTree(new String(bytes, StandardCharsets.UTF_8));
                }
            }
        }
        System.out.printf("%s: %d tokens, trie %d nodes; mask mean %.1f us, max %.1f us over %d steps; %d finished documents%n", name,
                tokenizer.size(), trie.nodeCount(), nanos / 1e3 / steps, worst / 1e3, steps, finished);
    }

    /** Half the time the allowed token with the fewest bytes, else a uniform allowed one. */
    private static int pick(float[] logits, Tokenizer tokenizer, SplittableRandom random) {
        int count = 0;
        int shortest = -1;
        int shortestLength = Integer.MAX_VALUE;
        for (int i = 0; i < logits.length; i++) {
            if (logits[i] != Float.NEGATIVE_INFINITY) {
                count++;
                int length = tokenizer.isEndOfGeneration(i) ? 0 : tokenizer.tokenBytes(i).length;
                if (length < shortestLength) {
                    shortestLength = length;
                    shortest = i;
                }
            }
        }
        if (count == 0 || random.nextBoolean()) {
            return shortest;
        }
        int k = random.nextInt(count);
        for (int i = 0; i < logits.length; i++) {
            if (logits[i] != Float.NEGATIVE_INFINITY && k-- == 0) {
                return i;
            }
        }
        return -1;
    }
}
