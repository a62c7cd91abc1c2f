package ai.sovereign.engine;

import java.util.List;

/**
 * Hyperparameters of a decoder-only transformer, read from GGUF metadata keys {@code <arch>.*} as
 * llama.cpp names them. {@code ropeNeox} selects the rotation layout: adjacent pairs (llama's "NORM")
 * or halves (GPT-NeoX: qwen2, qwen3, exaone).
 */
public record ModelConfig(
        String architecture,
        int embeddingLength,
        int layers,
        int heads,
        int kvHeads,
        int headDim,
        int feedForwardLength,
        int vocabularySize,
        int trainedContextLength,
        float rmsEpsilon,
        float ropeBase,
        int ropeDimensions,
        boolean ropeNeox,
        boolean qkNorm) {

    public static final List<String> SUPPORTED_ARCHITECTURES = List.of("llama", "qwen2", "qwen3", "exaone");

    static ModelConfig from(GgufMetadata md, int vocabularySize) {
        String arch = md.string("general.architecture")
                .orElseThrow(() -> new GgufException("metadata key general.architecture is missing"));
        if (!SUPPORTED_ARCHITECTURES.contains(arch)) {
            throw new UnsupportedModelException("architecture " + arch + " is not supported (supported: "
                    + String.join(", ", SUPPORTED_ARCHITECTURES) + ")");
        }
        int embedding = positive(md, arch + ".embedding_length");
        int heads = positive(md, arch + ".attention.head_count");
        int kvHeads = md.contains(arch + ".attention.head_count_kv") ? positive(md, arch + ".attention.head_count_kv") : heads;
        if (heads % kvHeads != 0) {
            throw new GgufException(arch + ".attention.head_count " + heads + " is not a multiple of head_count_kv " + kvHeads);
        }
        int headDim = md.contains(arch + ".attention.key_length") ? positive(md, arch + ".attention.key_length") : embedding / heads;
        int valueDim = md.intOr(arch + ".attention.value_length", headDim);
        if (valueDim != headDim) {
            throw new UnsupportedModelException("value head size " + valueDim + " differs from key head size " + headDim + "; not supported");
        }
        int ropeDims = md.intOr(arch + ".rope.dimension_count", headDim);
        if (ropeDims < 2 || ropeDims > headDim || ropeDims % 2 != 0) {
            throw new GgufException(arch + ".rope.dimension_count = " + ropeDims + " must be even and within 2.." + headDim);
        }
        return new ModelConfig(
                arch,
                embedding,
                positive(md, arch + ".block_count"),
                heads,
                kvHeads,
                headDim,
                positive(md, arch + ".feed_forward_length"),
                md.intOr(arch + ".vocab_size", vocabularySize),
                md.intOr(arch + ".context_length", 2048),
                md.floatOr(arch + ".attention.layer_norm_rms_epsilon", 1e-5f),
                md.floatOr(arch + ".rope.freq_base", 10_000f),
                ropeDims,
                !arch.equals("llama"),
                arch.equals("qwen3"));
    }

    private static int positive(GgufMetadata md, String key) {
        int v = md.requireInt(key);
        if (v <= 0 || v > 1 << 24) {
            throw new GgufException("metadata " + key + " = " + v + " is out of range (1.." + (1 << 24) + ")");
        }
        return v;
    }

    public int queryDim() {
        return heads * headDim;
    }

    public int kvDim() {
        return kvHeads * headDim;
    }
}
