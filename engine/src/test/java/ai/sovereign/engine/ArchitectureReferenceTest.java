package ai.sovereign.engine;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.file.Path;
import java.util.Map;
import java.util.Random;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * The engine against an independent float64 forward pass ({@link ReferenceTransformer}). The
 * reference is first checked against llama.cpp's goldens on the F32 synthetic models, then used
 * for qwen3, which has no llama.cpp golden here: a qwen3 model written by our own GGUF writer.
 */
class ArchitectureReferenceTest {
    private static final int[] PROMPT = {1, 403, 407, 261, 378};

    @ParameterizedTest
    @ValueSource(strings = {"llama-f32", "llama31-tied-f32", "qwen2-f32", "exaone-f32"})
    void referenceMatchesLlamaCppAndEngineMatchesReference(String name) throws Exception {
        Path dir = Fixtures.shared("models/synthetic");
        JsonNode golden = new ObjectMapper().readTree(dir.resolve(name + ".golden.json").toFile());
        double[] llamaCpp = values(golden.get("logits").get(0).get("values"));
        try (LanguageModel lm = LanguageModel.load(dir.resolve(name + ".gguf"), 0)) {
            ReferenceTransformer reference = new ReferenceTransformer(lm.file(), lm.config(), 16);
            double[] ref = null;
            for (int t : PROMPT) {
                ref = reference.forward(t);
            }
            float[] ours = lm.newSession().feed(PROMPT);
            assertTrue(maxDiff(ref, llamaCpp) < 1e-4, "reference vs llama.cpp: " + maxDiff(ref, llamaCpp));
            assertTrue(maxDiff(ref, ours) < 1e-4, "engine vs reference: " + maxDiff(ref, ours));
        }
    }

    @Test
    void qwen3MatchesThePublishedArchitecture(@TempDir Path tmp) throws Exception {
        Path qwen3 = writeQwen3(tmp, false);
        try (LanguageModel lm = LanguageModel.load(qwen3, 0)) {
            assertEquals("qwen3", lm.config().architecture());
            assertTrue(lm.config().qkNorm() && lm.config().ropeNeox());
            ReferenceTransformer reference = new ReferenceTransformer(lm.file(), lm.config(), 32);
            Session session = lm.newSession();
            float[] ours = session.feed(PROMPT);
            double[] ref = null;
            for (int t : PROMPT) {
                ref = reference.forward(t);
            }
            double worst = maxDiff(ref, ours);
            for (int step = 0; step < 12; step++) { // greedy continuation, fed to both
                int next = Sampler.argmax(ours, ours.length);
                ours = session.feed(next);
                ref = reference.forward(next);
                worst = Math.max(worst, maxDiff(ref, ours));
            }
            assertTrue(worst < 1e-4, "qwen3 engine vs reference: " + worst);
        }
    }

    @Test
    void qwen3QkNormChangesTheResult(@TempDir Path tmp) throws Exception {
        // Guards the test above: with Q/K norm weights of 1 instead of random ones, logits must move.
        try (LanguageModel a = LanguageModel.load(writeQwen3(tmp.resolve("a"), false), 0);
             LanguageModel b = LanguageModel.load(writeQwen3(tmp.resolve("b"), true), 0)) {
            float[] la = a.newSession().feed(PROMPT).clone();
            float[] lb = b.newSession().feed(PROMPT);
            double diff = 0;
            for (int i = 0; i < la.length; i++) {
                diff = Math.max(diff, Math.abs(la[i] - lb[i]));
            }
            assertTrue(diff > 0.01, "Q/K norm weights had no effect: " + diff);
        }
    }

    @Test
    void unsupportedArchitectureIsNamedWithTheSupportedOnes(@TempDir Path tmp) throws Exception {
        Path gemma = Fixtures.shared("models/synthetic/gemma2-f32.gguf");
        UnsupportedModelException e = assertThrows(UnsupportedModelException.class, () -> LanguageModel.load(gemma, 0));
        assertEquals("architecture gemma2 is not supported (supported: llama, qwen2, qwen3, exaone)", e.getMessage());
    }

    /** A qwen3 model: llama-f32's weights under qwen3 keys (NeoX RoPE, base 1e6) plus per-head Q/K norms. */
    private static Path writeQwen3(Path dir, boolean unitNorms) throws Exception {
        java.nio.file.Files.createDirectories(dir);
        Path out = dir.resolve("qwen3.gguf");
        try (GgufFile llama = GgufFile.open(Fixtures.shared("models/synthetic/llama-f32.gguf"))) {
            GgufWriter w = GgufWriter.copyOf(llama);
            for (Map.Entry<String, Object> e : llama.metadata().asMap().entrySet()) {
                if (e.getKey().startsWith("llama.")) {
                    w.put("qwen3." + e.getKey().substring("llama.".length()), e.getValue(), llama.metadata().typeTree(e.getKey()));
                    w.remove(e.getKey());
                }
            }
            w.putString("general.architecture", "qwen3");
            w.putFloat32("qwen3.rope.freq_base", 1_000_000f);
            int headDim = 64;
            Random random = new Random(2024);
            for (int layer = 0; layer < 2; layer++) {
                for (String norm : new String[] {"attn_q_norm", "attn_k_norm"}) {
                    ByteBuffer bytes = ByteBuffer.allocate(headDim * 4).order(ByteOrder.LITTLE_ENDIAN);
                    for (int i = 0; i < headDim; i++) {
                        bytes.putFloat(unitNorms ? 1f : (float) (1 + 0.3 * random.nextGaussian()));
                    }
                    w.addTensor("blk." + layer + "." + norm + ".weight", GgmlType.F32, new long[] {headDim}, bytes.array());
                }
            }
            w.write(out);
        }
        return out;
    }

    private static double[] values(JsonNode array) {
        double[] out = new double[array.size()];
        for (int i = 0; i < out.length; i++) {
            out[i] = array.get(i).asDouble();
        }
        return out;
    }

    private static double maxDiff(double[] a, double[] b) {
        double worst = 0;
        for (int i = 0; i < a.length; i++) {
            worst = Math.max(worst, Math.abs(a[i] - b[i]));
        }
        return worst;
    }

    private static double maxDiff(double[] a, float[] b) {
        double worst = 0;
        for (int i = 0; i < a.length; i++) {
            worst = Math.max(worst, Math.abs(a[i] - b[i]));
        }
        return worst;
    }
}
