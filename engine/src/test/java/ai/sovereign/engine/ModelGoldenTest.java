package ai.sovereign.engine;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.stream.Stream;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * The engine against llama.cpp: greedy text of the shared real models, and for every synthetic
 * random-weight model its greedy token ids and logits from llama.cpp (see shared/models/synthetic/README.md).
 */
class ModelGoldenTest {
    private static final String PROMPT = "Once upon a time";

    @ParameterizedTest
    @ValueSource(strings = {"stories260K", "derived/stories260K-q8_0-mixed", "derived/stories260K-q4_0-mixed", "llama-2-tiny-random"})
    void greedyTextMatchesLlamaCpp(String name) throws Exception {
        Path model = Fixtures.shared("models/" + name + ".gguf");
        String base = name.substring(name.lastIndexOf('/') + 1);
        String golden = Files.readString(Fixtures.shared("models/golden/" + base + ".greedy64.txt"), StandardCharsets.UTF_8);
        try (LanguageModel lm = LanguageModel.load(model, 0)) {
            int[] prompt = lm.tokenizer().encode(PROMPT, true, false);
            GenerationResult result = Generator.generate(lm.newSession(), lm.tokenizer(), prompt,
                    new GenerationSettings(64, SamplingSettings.greedy(), List.of(), false, false, 0, null, null), null);
            assertEquals(64, result.completionTokens());
            // llama-cli echoes the prompt with its SentencePiece leading space, then the continuation,
            // then ends its output with "\n\n" of its own.
            assertTrue(golden.endsWith("\n\n"), "golden file ends as llama-cli writes it");
            String expected = golden.substring(0, golden.length() - 2);
            String ours = " " + PROMPT + result.text();
            if (name.equals("llama-2-tiny-random")) {
                assertDegenerateTailAfterMatchingPrefix(expected, result.tokens(), lm.tokenizer());
            } else {
                assertEquals(expected, ours, name);
            }
        }
    }

    /**
     * llama-2-tiny-random's golden file is 28 tokens of gibberish and then 36 "#" tokens (id 29937)
     * that its logits cannot explain (all within ±0.25; at step 28 "#" scores -0.0039 against a best
     * of 0.215). A current llama.cpp (commit de3ff81, 2026-09-28, built from the source bundled with
     * node-llama-cpp 3.22.1; {@code llama-completion -p "Once upon a time" -n 64 --temp 0 -t 1}) gives
     * the golden's first 28 tokens and then {@link #TINY_RANDOM_TAIL_LLAMA_CPP_DE3FF81}, exactly our
     * output: the old golden's tail is an artefact of the older llama.cpp it came from. So: the first
     * 28 tokens must equal the golden, the golden's tail must still be that run of "#", and the whole
     * continuation must equal what current llama.cpp prints.
     */
    private static void assertDegenerateTailAfterMatchingPrefix(String expected, int[] tokens, Tokenizer tokenizer) {
        int tail = expected.length();
        while (tail > 0 && expected.charAt(tail - 1) == '#') {
            tail--;
        }
        assertEquals(36, expected.length() - tail, "the golden ends in 36 '#'");
        java.io.ByteArrayOutputStream all = new java.io.ByteArrayOutputStream();
        for (int i = 0; i < tokens.length; i++) {
            all.writeBytes(tokenizer.tokenBytes(tokens[i]));
            if (i == 27) {
                assertEquals(expected.substring(0, tail), " " + PROMPT + all.toString(StandardCharsets.UTF_8), "first 28 tokens");
            }
        }
        assertEquals(expected.substring(0, tail) + TINY_RANDOM_TAIL_LLAMA_CPP_DE3FF81, " " + PROMPT + all.toString(StandardCharsets.UTF_8),
                "all 64 tokens, as llama.cpp de3ff81 prints them");
    }

    /** Tokens 29..64 of llama-2-tiny-random's greedy continuation, as llama.cpp de3ff81 prints them. */
    private static final String TINY_RANDOM_TAIL_LLAMA_CPP_DE3FF81 =
            "leb Ele Werk zesificate successo status heutigenโgele HarttekupsologЕfahrtникиizaçãountaException inwonersleb Ele Werk zesificate successo statusluaanel Walesanel Walesanel Walesanel";

    static Stream<Arguments> syntheticModels() throws Exception {
        Path dir = Fixtures.shared("models/synthetic");
        List<Arguments> cases = new ArrayList<>();
        try (Stream<Path> files = Files.list(dir)) {
            for (Path golden : files.filter(p -> p.toString().endsWith(".golden.json")).sorted().toList()) {
                String name = golden.getFileName().toString().replace(".golden.json", "");
                if (!name.startsWith("gemma2")) {
                    cases.add(Arguments.of(name, REFERENCE));
                    cases.add(Arguments.of(name, FASTEST));
                }
            }
        }
        return cases.stream();
    }

    /** The scalar reference kernels: ggml's generic CPU numerics, bit for bit. */
    static final String REFERENCE = "reference";
    /** The kernels serving uses ({@link RowKernel#fastest}): sums reordered into lanes. */
    static final String FASTEST = "fastest";

    /**
     * Logits within {@link #tolerance} at every recorded position, with llama.cpp's tokens teacher-forced.
     * Greedy ids: the reference kernels pick llama.cpp's token at every step (its one documented own
     * split excepted). The fastest kernels add the same per-element rounding error as llama.cpp's AVX
     * code, and any such ulp can move an activation across a Q8 rounding boundary, which moves later
     * logits by up to {@link #FLIP_BOUND} on these random-weight files (seen on q4_1, q5_1 and
     * llama31-tied-q4_k_m, whose steps 25/28, 4 and 15 have top-2 margins of 0.018–0.034 in our logits
     * and, where recorded, 0.0045 in llama.cpp's): they may pick another token only where their own
     * margin over llama.cpp's token is within that bound, at most {@link #MAX_FLIPS} times per file.
     */
    @ParameterizedTest(name = "{0} ({1} kernels)")
    @MethodSource("syntheticModels")
    void syntheticModelMatchesLlamaCppGolden(String name, String kernels) throws Exception {
        Path dir = Fixtures.shared("models/synthetic");
        JsonNode golden = new ObjectMapper().readTree(dir.resolve(name + ".golden.json").toFile());
        int[] promptIds = ints(golden.get("prompt_ids"));
        int[] greedy = ints(golden.get("greedy_ids"));
        boolean reference = kernels.equals(REFERENCE);
        try (LanguageModel lm = LanguageModel.load(dir.resolve(name + ".gguf"), LanguageModel.Options.DEFAULTS, reference ? 0 : -1)) {
            assertArrayEquals(promptIds, lm.tokenizer().encode(PROMPT, true, false), "prompt ids");
            Session session = lm.newSession();
            double tolerance = tolerance(name, reference);
            double worst = 0;
            float[] logits = session.feed(promptIds);
            int[] ours = new int[greedy.length];
            int logitIndex = 0;
            int flips = 0;
            JsonNode recorded = golden.get("logits");
            int llamaCppOwnSplit = llamaCppGenericPathDivergence(golden);
            for (int step = 0; step < greedy.length; step++) {
                int position = session.position() - 1;
                if (logitIndex < recorded.size() && recorded.get(logitIndex).get("position").asInt() == position) {
                    JsonNode values = recorded.get(logitIndex++).get("values");
                    for (int v = 0; v < values.size(); v++) {
                        worst = Math.max(worst, Math.abs(values.get(v).asDouble() - logits[v]));
                    }
                }
                int argmax = Sampler.argmax(logits, lm.config().vocabularySize());
                if (!reference && argmax != greedy[step] && logits[argmax] - logits[greedy[step]] <= FLIP_BOUND) {
                    flips++;
                    argmax = greedy[step];
                }
                ours[step] = step == llamaCppOwnSplit ? greedy[step] : argmax;
                // Teacher-force llama.cpp's choice so one near-tie cannot derail the rest of the comparison.
                logits = session.feed(greedy[step]);
            }
            assertEquals(recorded.size(), logitIndex, "all recorded positions compared");
            assertTrue(worst <= tolerance, name + ": max |logit difference| " + worst + " exceeds " + tolerance);
            assertArrayEquals(greedy, ours, name + ": greedy ids (max |logit difference| " + worst + ")");
            assertTrue(flips <= MAX_FLIPS, name + ": " + flips + " steps chose another token within " + FLIP_BOUND);
        }
    }

    static final double FLIP_BOUND = 0.1;
    static final int MAX_FLIPS = 3;

    /**
     * Max |logit difference| allowed. Measured with the reference kernels: at most 5e-6 on every file
     * but {@code llama-q5_1}, where one Q8_1 input of layer 0's ffn_down lies 2 ulps from a rounding
     * boundary and ggml's vectorized SiLU (a polynomial expf) lands on the other side, moving later
     * logits by 0.069 (the golden's README documents the same flip for its own float64 emulation).
     * With the fastest kernels: at most 6e-6, but 0.07–0.08 on {@code llama-q4_1} and
     * {@code llama-q5_1}, by the same kind of flip. The kernels themselves are held to a far tighter
     * bound in {@link VectorRowKernelsTest}.
     */
    static double tolerance(String name, boolean reference) {
        if (name.equals("llama-q5_1") || (!reference && name.equals("llama-q4_1"))) {
            return 0.1;
        }
        return 1e-4;
    }

    /**
     * The greedy step where llama.cpp's own generic CPU path (AMX disabled) picks another token than
     * the golden's AMX path, or -1. Our kernels follow the generic path, so that one step is exempt.
     */
    static int llamaCppGenericPathDivergence(JsonNode golden) {
        JsonNode amxOff = golden.path("notes").path("amx_disabled");
        return amxOff.path("greedy_ids_same").asBoolean(true) ? -1 : amxOff.path("first_divergent_step").asInt(-1);
    }

    private static int[] ints(JsonNode array) {
        int[] out = new int[array.size()];
        for (int i = 0; i < out.length; i++) {
            out[i] = array.get(i).asInt();
        }
        return out;
    }
}
