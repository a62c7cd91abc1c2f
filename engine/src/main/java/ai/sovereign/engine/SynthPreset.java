package ai.sovereign.engine;

import java.util.ArrayList;
import java.util.List;

/**
 * The shape of a model to synthesize: hyperparameters as the model's published Hugging Face
 * config.json gives them (checked against it for each real preset, see the comments), or a small
 * {@code tiny} shape per architecture for tests.
 *
 * @param llama3Rope Llama 3 RoPE scaling (a {@code rope_freqs} tensor), or null for plain RoPE
 */
record SynthPreset(
        String name,
        String architecture,
        String displayName,
        int embeddingLength,
        int layers,
        int heads,
        int kvHeads,
        int headDim,
        int feedForwardLength,
        int vocabularySize,
        int contextLength,
        float rmsEpsilon,
        float ropeBase,
        Llama3Rope llama3Rope,
        boolean tiedEmbeddings,
        boolean qkvBias,
        boolean qkNorm) {

    /** config.json's rope_scaling with rope_type "llama3". */
    record Llama3Rope(float factor, float lowFreqFactor, float highFreqFactor, int originalContextLength) {}

    static final String TINY = "tiny";

    static final List<SynthPreset> ALL = List.of(
            // meta-llama/Llama-3.2-1B: hidden 2048, 16 layers, 32 heads, 8 KV, head_dim 64, FFN 8192,
            // vocab 128256, max pos 131072, rms 1e-5, theta 500000, llama3 scaling 32/1/4/8192, tied.
            new SynthPreset("llama-3.2-1b", "llama", "Llama 3.2 1B", 2048, 16, 32, 8, 64, 8192, 128256, 131072,
                    1e-5f, 500_000f, new Llama3Rope(32f, 1f, 4f, 8192), true, false, false),
            // Qwen/Qwen2.5-0.5B: hidden 896, 24 layers, 14 heads, 2 KV, FFN 4864, vocab 151936,
            // max pos 32768, rms 1e-6, theta 1e6, no scaling, tied, QKV bias (qwen2 always has it).
            new SynthPreset("qwen2.5-0.5b", "qwen2", "Qwen2.5 0.5B", 896, 24, 14, 2, 64, 4864, 151936, 32768,
                    1e-6f, 1_000_000f, null, true, true, false),
            // Qwen/Qwen2.5-1.5B(-Instruct): hidden 1536, 28 layers, 12 heads, 2 KV, FFN 8960, vocab 151936,
            // max pos 32768 (Instruct; the base card says 131072), rms 1e-6, theta 1e6, tied, QKV bias.
            new SynthPreset("qwen2.5-1.5b", "qwen2", "Qwen2.5 1.5B", 1536, 28, 12, 2, 128, 8960, 151936, 32768,
                    1e-6f, 1_000_000f, null, true, true, false),
            // Qwen/Qwen3-0.6B: hidden 1024, 28 layers, 16 heads, 8 KV, head_dim 128 (Q width 2048),
            // FFN 3072, vocab 151936, max pos 40960, rms 1e-6, theta 1e6, tied, Q/K RMS norms, no bias.
            new SynthPreset("qwen3-0.6b", "qwen3", "Qwen3 0.6B", 1024, 28, 16, 8, 128, 3072, 151936, 40960,
                    1e-6f, 1_000_000f, null, true, false, true),
            // LGAI-EXAONE/EXAONE-3.5-2.4B-Instruct: hidden 2560, 30 layers, 32 heads, 8 KV, head_dim 80,
            // FFN 7168, vocab 102400, max pos 32768, layer_norm_epsilon 1e-5, theta 1e6,
            // llama3 scaling 8/1/4/8192, tie_word_embeddings true (unlike 7.8B and 32B).
            new SynthPreset("exaone-3.5-2.4b", "exaone", "EXAONE 3.5 2.4B", 2560, 30, 32, 8, 80, 7168, 102400, 32768,
                    1e-5f, 1_000_000f, new Llama3Rope(8f, 1f, 4f, 8192), true, false, false),
            // Tiny shapes, one per architecture, each exercising that architecture's particulars.
            // llama: llama3 rope_freqs, tied embeddings.
            new SynthPreset(TINY, "llama", "tiny llama", 256, 2, 4, 2, 64, 768, 512, 2048,
                    1e-5f, 500_000f, new Llama3Rope(32f, 1f, 4f, 8192), true, false, false),
            // qwen2: QKV bias; width 160 is no multiple of 256, so K-quants fall back as for Qwen2.5 0.5B's 896.
            new SynthPreset(TINY, "qwen2", "tiny qwen2", 160, 2, 5, 1, 32, 512, 512, 4096,
                    1e-6f, 1_000_000f, null, true, true, false),
            // qwen3: head_dim 128 with 4 heads, so the query width 512 differs from the width 256; Q/K norms.
            new SynthPreset(TINY, "qwen3", "tiny qwen3", 256, 2, 4, 2, 128, 512, 512, 4096,
                    1e-6f, 1_000_000f, null, true, false, true),
            // exaone: llama3 rope_freqs and a separate output matrix (as EXAONE 7.8B / 32B).
            new SynthPreset(TINY, "exaone", "tiny exaone", 256, 2, 4, 2, 64, 768, 512, 4096,
                    1e-5f, 1_000_000f, new Llama3Rope(8f, 1f, 4f, 8192), false, false, false));

    boolean tiny() {
        return name.equals(TINY);
    }

    /** "llama-3.2-1b", or "tiny" qualified by its architecture: "llama/tiny". */
    String qualifiedName() {
        return tiny() ? architecture + "/" + TINY : name;
    }

    int queryDim() {
        return heads * headDim;
    }

    int kvDim() {
        return kvHeads * headDim;
    }

    /**
     * The preset named {@code name} (a real model name, "tiny" or "arch/tiny"), checked against
     * {@code architecture} when that is given (null: any); "tiny" needs the architecture.
     */
    static SynthPreset resolve(String architecture, String name) {
        String wanted = name.trim().toLowerCase(java.util.Locale.ROOT);
        String arch = architecture == null || architecture.isBlank() ? null : architecture.trim().toLowerCase(java.util.Locale.ROOT);
        int slash = wanted.indexOf('/');
        if (slash > 0) {
            String prefix = wanted.substring(0, slash);
            if (arch != null && !arch.equals(prefix)) {
                throw new IllegalArgumentException("preset " + name + " is for architecture " + prefix + ", not " + arch);
            }
            arch = prefix;
            wanted = wanted.substring(slash + 1);
        }
        if (arch != null && !ModelConfig.SUPPORTED_ARCHITECTURES.contains(arch)) {
            throw new IllegalArgumentException("architecture " + arch + " is not supported (supported: "
                    + String.join(", ", ModelConfig.SUPPORTED_ARCHITECTURES) + ")");
        }
        if (wanted.equals(TINY) && arch == null) {
            throw new IllegalArgumentException("preset tiny needs an architecture (--arch, one of "
                    + String.join(", ", ModelConfig.SUPPORTED_ARCHITECTURES) + ")");
        }
        for (SynthPreset p : ALL) {
            if (p.name.equals(wanted) && (arch == null || p.architecture.equals(arch))) {
                return p;
            }
        }
        for (SynthPreset p : ALL) {
            if (p.name.equals(wanted)) {
                throw new IllegalArgumentException("preset " + name + " is a " + p.architecture + " model, not " + arch);
            }
        }
        throw new IllegalArgumentException("unknown preset " + name + " (known: " + String.join(", ", names()) + ")");
    }

    static List<String> names() {
        List<String> names = new ArrayList<>();
        for (SynthPreset p : ALL) {
            names.add(p.qualifiedName());
        }
        return names;
    }
}
