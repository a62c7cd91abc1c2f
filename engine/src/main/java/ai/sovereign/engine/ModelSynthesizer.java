package ai.sovereign.engine;

import java.io.IOException;
import java.io.InterruptedIOException;
import java.lang.foreign.MemorySegment;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Collections;
import java.util.List;
import java.util.Locale;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;

/**
 * Writes GGUF files with random weights and the exact tensor names, shapes and types of real
 * models (Llama 3.2 1B, Qwen2.5 0.5B/1.5B, Qwen3 0.6B, EXAONE 3.5 2.4B, and a tiny shape per
 * architecture), loadable by this engine and by llama.cpp: for benchmarks and tests without
 * downloading weights.
 *
 * <p>Design:
 * <ul>
 *   <li><b>Plan.</b> Preset + file type + vocabulary size give the ordered tensor list
 *       ({@link #plan(SynthPreset, FileType, int)}): names as llama.cpp's convert_hf_to_gguf.py
 *       writes them, 1-D tensors F32, matrices in the file type; for the quantized types each
 *       matrix's type follows llama-quantize's llama_tensor_get_type (see {@link #matrixType}).
 *   <li><b>Data.</b> Every row has its own random stream, seeded from (seed, tensor index, row),
 *       so rows can be generated in any order: a tensor is cut into batches of rows that worker
 *       threads generate and quantize ({@link Quantizer}, ggml's reference quantizers) while the
 *       writer streams finished batches to the file in order. Memory stays at a few batches
 *       (about 2 × threads × 4 MiB), whatever the model size.
 *   <li><b>Randomness.</b> Normal samples come from a table of the inverse normal CDF
 *       (65537 quantiles, computed with {@link StrictMath}) indexed and interpolated by
 *       SplitMix64 bits: cheap, and the same bytes on every JVM and CPU for a seed.
 *       Matrices and biases are N(0, 0.02²); norm weights 1 + N(0, 0.02²).
 *   <li><b>Vocabulary.</b> A real Hugging Face tokenizer.json ({@link HfTokenizerJson}, padded with
 *       {@code [PADn]} to the model's vocabulary as convert does), or a made-up SentencePiece
 *       vocabulary ({@link SyntheticVocabulary}) of the preset's size.
 * </ul>
 */
public final class ModelSynthesizer {
    private static final float WEIGHT_STD = 0.02f;
    private static final int BATCH_BYTES = 4 << 20;

    private ModelSynthesizer() {}

    /** File types, with llama.cpp's LLAMA_FTYPE ids ({@code general.file_type}). */
    public enum FileType {
        F32(0, GgmlType.F32),
        F16(1, GgmlType.F16),
        Q4_0(2, GgmlType.Q4_0),
        Q8_0(7, GgmlType.Q8_0),
        /** llama-quantize's Q4_K_M mix: mostly Q4_K, some Q6_K (and fallbacks for odd row lengths). */
        Q4_K_M(15, GgmlType.Q4_K);

        private final int llamaFileType;
        private final GgmlType baseType;

        FileType(int llamaFileType, GgmlType baseType) {
            this.llamaFileType = llamaFileType;
            this.baseType = baseType;
        }

        public int llamaFileType() {
            return llamaFileType;
        }

        /** Parses "q4_k_m", "Q8_0", "f16" ... */
        public static FileType parse(String text) {
            try {
                return valueOf(text.trim().toUpperCase(Locale.ROOT));
            } catch (IllegalArgumentException e) {
                throw new IllegalArgumentException("unknown type " + text + " (known: " + Arrays.toString(values()) + ")");
            }
        }
    }

    /**
     * What to synthesize: {@code preset} is a name from {@link #presetNames()} ("tiny" needs
     * {@code architecture}; otherwise the architecture, when given, must match the preset's);
     * {@code tokenizerJson} a Hugging Face tokenizer.json or null for a synthetic vocabulary;
     * {@code tokenizerPre} llama.cpp's pre-tokenizer name for it, or null for the architecture's usual one.
     */
    public record Spec(String architecture, String preset, FileType type, Path tokenizerJson, String tokenizerPre, long seed) {
        public Spec {
            if (preset == null || type == null) {
                throw new IllegalArgumentException("preset and type are required");
            }
        }

        public Spec(String architecture, String preset, FileType type, Path tokenizerJson, long seed) {
            this(architecture, preset, type, tokenizerJson, null, seed);
        }
    }

    /** One tensor of the plan. */
    public record TensorPlan(String name, GgmlType type, long[] shape, long bytes) {
        public long elements() {
            long n = 1;
            for (long d : shape) {
                n *= d;
            }
            return n;
        }

        @Override
        public String toString() {
            return name + " " + type + " " + Arrays.toString(shape) + " " + bytes + " bytes";
        }
    }

    /** The tensors a spec gives, in file order. */
    public record Plan(String preset, String architecture, FileType type, int vocabularySize, List<TensorPlan> tensors) {
        public long parameters() {
            return tensors.stream().mapToLong(TensorPlan::elements).sum();
        }

        /** Tensor data bytes (without header, metadata and alignment padding). */
        public long tensorBytes() {
            return tensors.stream().mapToLong(TensorPlan::bytes).sum();
        }
    }

    public record Result(Path path, Plan plan, long fileBytes, double seconds) {}

    /** Preset names: the real models, then "arch/tiny" for each architecture. */
    public static List<String> presetNames() {
        return SynthPreset.names();
    }

    /** The architecture of a preset, e.g. "qwen2" for "qwen2.5-0.5b"; throws for unknown names. */
    public static String architectureOf(String architecture, String preset) {
        return SynthPreset.resolve(architecture, preset).architecture();
    }

    /** The plan of {@code spec} without writing anything (reads the tokenizer, if any, for its size). */
    public static Plan plan(Spec spec) throws IOException {
        SynthPreset preset = SynthPreset.resolve(spec.architecture(), spec.preset());
        int vocab = spec.tokenizerJson() == null ? preset.vocabularySize()
                : vocabularySize(preset, HfTokenizerJson.read(spec.tokenizerJson()));
        return plan(preset, spec.type(), vocab);
    }

    /** Writes the model of {@code spec} to {@code out} (through a temporary sibling, moved into place). */
    public static Result write(Spec spec, Path out) throws IOException {
        return write(spec, out, Runtime.getRuntime().availableProcessors());
    }

    public static Result write(Spec spec, Path out, int threads) throws IOException {
        long start = System.nanoTime();
        SynthPreset preset = SynthPreset.resolve(spec.architecture(), spec.preset());
        HfTokenizerJson hf = spec.tokenizerJson() == null ? null : HfTokenizerJson.read(spec.tokenizerJson());
        int vocab = hf == null ? preset.vocabularySize() : vocabularySize(preset, hf);
        Plan plan = plan(preset, spec.type(), vocab);

        GgufWriter w = new GgufWriter();
        putModelMetadata(w, preset, spec, vocab);
        if (hf == null) {
            SyntheticVocabulary.putMetadata(w, vocab);
        } else {
            String pre = spec.tokenizerPre() != null ? spec.tokenizerPre() : HfTokenizerJson.defaultPre(preset.architecture());
            hf.putMetadata(w, pre, vocab, null, null, null, null);
        }

        ExecutorService pool = Executors.newFixedThreadPool(Math.max(1, threads), r -> {
            Thread t = new Thread(r, "synth-worker");
            t.setDaemon(true);
            return t;
        });
        int depth = 2 * Math.max(1, threads);
        Path absolute = out.toAbsolutePath();
        Path temp = absolute.resolveSibling(absolute.getFileName() + ".part");
        try {
            float[] ropeFactors = preset.llama3Rope() == null ? null : llama3RopeFactors(preset);
            for (int index = 0; index < plan.tensors().size(); index++) {
                TensorPlan t = plan.tensors().get(index);
                RowFiller filler = fillerFor(t.name(), ropeFactors);
                long tensorSeed = SplitMix.mix(spec.seed() * 0x9E3779B97F4A7C15L + SplitMix.mix(index + 1L));
                w.addTensor(t.name(), t.type(), t.shape(), sink -> writeRows(sink, t, filler, tensorSeed, pool, depth));
            }
            w.write(temp);
            Files.move(temp, absolute, StandardCopyOption.REPLACE_EXISTING, StandardCopyOption.ATOMIC_MOVE);
        } finally {
            pool.shutdownNow();
            Files.deleteIfExists(temp);
        }
        return new Result(absolute, plan, Files.size(absolute), (System.nanoTime() - start) / 1e9);
    }

    private static int vocabularySize(SynthPreset preset, HfTokenizerJson hf) {
        if (hf.size() <= preset.vocabularySize()) {
            return preset.vocabularySize();
        }
        if (preset.tiny()) {
            return hf.size();
        }
        throw new IllegalArgumentException("the tokenizer has " + hf.size() + " tokens, more than the "
                + preset.vocabularySize() + " of " + preset.name() + " (wrong tokenizer for this model?)");
    }

    // ---- plan --------------------------------------------------------------------------------

    static Plan plan(SynthPreset p, FileType type, int vocab) {
        List<TensorPlan> tensors = new ArrayList<>();
        int dim = p.embeddingLength();
        if (p.llama3Rope() != null) {
            tensors.add(vector("rope_freqs.weight", p.headDim() / 2));
        }
        boolean hasOutput = !p.tiedEmbeddings();
        tensors.add(matrix(p, type, "token_embd.weight", dim, vocab, -1, hasOutput));
        for (int i = 0; i < p.layers(); i++) {
            String b = "blk." + i + ".";
            tensors.add(vector(b + "attn_norm.weight", dim));
            tensors.add(matrix(p, type, b + "attn_q.weight", dim, p.queryDim(), i, hasOutput));
            tensors.add(matrix(p, type, b + "attn_k.weight", dim, p.kvDim(), i, hasOutput));
            tensors.add(matrix(p, type, b + "attn_v.weight", dim, p.kvDim(), i, hasOutput));
            if (p.qkvBias()) {
                tensors.add(vector(b + "attn_q.bias", p.queryDim()));
                tensors.add(vector(b + "attn_k.bias", p.kvDim()));
                tensors.add(vector(b + "attn_v.bias", p.kvDim()));
            }
            if (p.qkNorm()) {
                tensors.add(vector(b + "attn_q_norm.weight", p.headDim()));
                tensors.add(vector(b + "attn_k_norm.weight", p.headDim()));
            }
            tensors.add(matrix(p, type, b + "attn_output.weight", p.queryDim(), dim, i, hasOutput));
            tensors.add(vector(b + "ffn_norm.weight", dim));
            tensors.add(matrix(p, type, b + "ffn_gate.weight", dim, p.feedForwardLength(), i, hasOutput));
            tensors.add(matrix(p, type, b + "ffn_up.weight", dim, p.feedForwardLength(), i, hasOutput));
            tensors.add(matrix(p, type, b + "ffn_down.weight", p.feedForwardLength(), dim, i, hasOutput));
        }
        tensors.add(vector("output_norm.weight", dim));
        if (hasOutput) {
            tensors.add(matrix(p, type, "output.weight", dim, vocab, -1, true));
        }
        return new Plan(p.qualifiedName(), p.architecture(), type, vocab, Collections.unmodifiableList(tensors));
    }

    private static TensorPlan vector(String name, int length) {
        return new TensorPlan(name, GgmlType.F32, new long[] {length}, GgmlType.F32.bytesFor(length));
    }

    private static TensorPlan matrix(SynthPreset p, FileType type, String name, int cols, int rows, int layer, boolean hasOutput) {
        GgmlType t = matrixType(type, name, cols, layer, p.layers(), hasOutput);
        return new TensorPlan(name, t, new long[] {cols, rows}, t.bytesFor((long) cols * rows));
    }

    /**
     * The type of a matrix with rows of {@code cols} values, after llama.cpp's llama-quantize
     * (llama_tensor_get_type in src/llama-quant.cpp, no imatrix, no overrides), as far as these
     * architectures and file types reach:
     * <ul>
     *   <li>F32 / F16: every matrix in that type (quantize leaves non-quantized file types alone);
     *   <li>{@code output.weight}, or {@code token_embd.weight} when the embeddings are tied (there
     *       is no output tensor): Q8_0 if the row length is no multiple of 256, else Q6_K unless the
     *       file type is Q8_0 (so Q4_0 and Q4_K_M files hold Q6_K output weights);
     *   <li>Q4_K_M: {@code attn_v} and {@code ffn_down} of layer i get Q6_K when use_more_bits(i, n):
     *       the first and last eighth of the layers and every third layer between; the rest Q4_K;
     *   <li>a K-quant whose row length is no multiple of 256 falls back as quantize does:
     *       Q4_K → Q5_0, Q5_K → Q5_1, Q6_K → Q8_0; a type whose block still does not divide the row
     *       becomes F16 (llama-quantize would refuse such a tensor; none of the presets has one).
     * </ul>
     */
    static GgmlType matrixType(FileType fileType, String name, int cols, int layer, int layers, boolean hasOutput) {
        GgmlType t = fileType.baseType;
        if (fileType == FileType.F32 || fileType == FileType.F16) {
            return t;
        }
        if (name.equals("output.weight") || (!hasOutput && name.equals("token_embd.weight"))) {
            if (cols % 256 != 0) {
                t = GgmlType.Q8_0;
            } else if (t != GgmlType.Q8_0) {
                t = GgmlType.Q6_K;
            }
        } else if (fileType == FileType.Q4_K_M && (name.endsWith(".attn_v.weight") || name.endsWith(".ffn_down.weight"))) {
            if (useMoreBits(layer, layers)) {
                t = GgmlType.Q6_K;
            }
        }
        if (cols % t.blockLength() != 0) {
            t = switch (t) {
                case Q4_K -> GgmlType.Q5_0;
                case Q5_K -> GgmlType.Q5_1;
                case Q6_K -> GgmlType.Q8_0;
                default -> GgmlType.F16;
            };
            if (cols % t.blockLength() != 0) {
                t = GgmlType.F16;
            }
        }
        return t;
    }

    /** llama-quant.cpp's use_more_bits. */
    static boolean useMoreBits(int layer, int layers) {
        return layer < layers / 8 || layer >= 7 * layers / 8 || (layer - layers / 8) % 3 == 2;
    }

    // ---- metadata ----------------------------------------------------------------------------

    private static void putModelMetadata(GgufWriter w, SynthPreset p, Spec spec, int vocab) {
        String a = p.architecture();
        w.putString("general.architecture", a);
        w.putString("general.type", "model");
        w.putString("general.name", p.displayName() + " (random weights)");
        w.putString("general.description", "Random weights with the shapes of " + p.displayName()
                + ", written by sovereign models synth (seed " + spec.seed() + "); not a trained model.");
        w.putUint32("general.file_type", spec.type().llamaFileType());
        w.putUint32("general.quantization_version", 2);
        w.putUint32(a + ".vocab_size", vocab);
        w.putUint32(a + ".context_length", p.contextLength());
        w.putUint32(a + ".embedding_length", p.embeddingLength());
        w.putUint32(a + ".block_count", p.layers());
        w.putUint32(a + ".feed_forward_length", p.feedForwardLength());
        w.putUint32(a + ".attention.head_count", p.heads());
        w.putUint32(a + ".attention.head_count_kv", p.kvHeads());
        if (p.headDim() * p.heads() != p.embeddingLength()) {
            w.putUint32(a + ".attention.key_length", p.headDim());
            w.putUint32(a + ".attention.value_length", p.headDim());
        }
        w.putFloat32(a + ".attention.layer_norm_rms_epsilon", p.rmsEpsilon());
        w.putFloat32(a + ".rope.freq_base", p.ropeBase());
        w.putUint32(a + ".rope.dimension_count", p.headDim());
    }

    /**
     * convert_hf_to_gguf's rope_freqs for rope_type llama3 (LlamaModel.generate_extra_tensors), in
     * float32 as torch computes it: 1 for high frequencies, {@code factor} for low ones, a smooth
     * blend between. The only difference possible is pow's last bit (StrictMath in double, rounded).
     */
    static float[] llama3RopeFactors(SynthPreset p) {
        SynthPreset.Llama3Rope r = p.llama3Rope();
        int dim = p.headDim();
        float[] factors = new float[dim / 2];
        float lowFreqWavelen = r.originalContextLength() / r.lowFreqFactor();
        float highFreqWavelen = r.originalContextLength() / r.highFreqFactor();
        for (int i = 0; i < factors.length; i++) {
            float exponent = (float) (2 * i) / dim;
            float freq = 1f / (float) StrictMath.pow(p.ropeBase(), exponent);
            float wavelen = (float) (2 * Math.PI) / freq;
            if (wavelen < highFreqWavelen) {
                factors[i] = 1f;
            } else if (wavelen > lowFreqWavelen) {
                factors[i] = r.factor();
            } else {
                float smooth = (r.originalContextLength() / wavelen - r.lowFreqFactor()) / (r.highFreqFactor() - r.lowFreqFactor());
                factors[i] = 1f / ((1 - smooth) / r.factor() + smooth);
            }
        }
        return factors;
    }

    // ---- data --------------------------------------------------------------------------------

    /** Fills one row with values from its random stream. */
    @FunctionalInterface
    private interface RowFiller {
        void fill(float[] row, SplitMix random);
    }

    private static RowFiller fillerFor(String name, float[] ropeFactors) {
        if (name.equals("rope_freqs.weight")) {
            return (row, random) -> System.arraycopy(ropeFactors, 0, row, 0, row.length);
        }
        if (name.endsWith("norm.weight")) {
            return (row, random) -> {
                random.gaussians(row, WEIGHT_STD);
                for (int i = 0; i < row.length; i++) {
                    row[i] += 1f;
                }
            };
        }
        return (row, random) -> random.gaussians(row, WEIGHT_STD);
    }

    /** Streams a tensor: batches of rows generated and quantized on the pool, written in order. */
    private static void writeRows(GgufWriter.TensorSink sink, TensorPlan t, RowFiller filler, long tensorSeed,
                                  ExecutorService pool, int depth) throws IOException {
        int cols = (int) t.shape()[0];
        long rows = t.elements() / cols;
        long rowBytes = t.type().bytesFor(cols);
        int batchRows = (int) Math.max(1, Math.min(rows, BATCH_BYTES / rowBytes));
        ArrayDeque<Future<byte[]>> pending = new ArrayDeque<>();
        long next = 0;
        try {
            while (next < rows || !pending.isEmpty()) {
                while (next < rows && pending.size() < depth) {
                    long first = next;
                    int count = (int) Math.min(batchRows, rows - first);
                    pending.add(pool.submit(() -> batch(t.type(), cols, first, count, rowBytes, filler, tensorSeed)));
                    next += count;
                }
                sink.write(pending.removeFirst().get());
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new InterruptedIOException("interrupted while synthesizing " + t.name());
        } catch (ExecutionException e) {
            if (e.getCause() instanceof RuntimeException r) {
                throw r;
            }
            throw new IllegalStateException("synthesizing " + t.name() + " failed", e.getCause());
        } finally {
            pending.forEach(f -> f.cancel(true));
        }
    }

    private static byte[] batch(GgmlType type, int cols, long firstRow, int count, long rowBytes, RowFiller filler, long tensorSeed) {
        byte[] out = new byte[Math.toIntExact(rowBytes * count)];
        MemorySegment dst = MemorySegment.ofArray(out);
        float[] row = new float[cols];
        SplitMix random = new SplitMix(0);
        for (int r = 0; r < count; r++) {
            random.reset(SplitMix.mix(tensorSeed + SplitMix.mix(firstRow + r)));
            filler.fill(row, random);
            Quantizer.quantize(type, row, 0, cols, dst, rowBytes * r);
        }
        return out;
    }

    /** SplitMix64, and normal samples from an interpolated inverse-CDF table (platform-independent). */
    static final class SplitMix {
        private static final int TABLE_BITS = 16;
        private static final float[] QUANTILES = quantiles();
        private long state;

        SplitMix(long seed) {
            state = seed;
        }

        void reset(long seed) {
            state = seed;
        }

        static long mix(long z) {
            z = (z ^ (z >>> 30)) * 0xBF58476D1CE4E5B9L;
            z = (z ^ (z >>> 27)) * 0x94D049BB133111EBL;
            return z ^ (z >>> 31);
        }

        long nextLong() {
            state += 0x9E3779B97F4A7C15L;
            return mix(state);
        }

        /** Fills {@code out} with N(0, std²) samples (tails cut at about ±4.3 σ). */
        void gaussians(float[] out, float std) {
            for (int i = 0; i < out.length; i += 2) {
                long bits = nextLong();
                out[i] = std * sample((int) bits);
                if (i + 1 < out.length) {
                    out[i + 1] = std * sample((int) (bits >>> 32));
                }
            }
        }

        /** 16 bits pick a table interval, the next 16 interpolate within it. */
        private static float sample(int bits) {
            int index = bits >>> (32 - TABLE_BITS);
            float fraction = (bits & 0xFFFF) * (1f / 65536f);
            float lo = QUANTILES[index];
            return lo + (QUANTILES[index + 1] - lo) * fraction;
        }

        private static float[] quantiles() {
            int n = 1 << TABLE_BITS;
            float[] q = new float[n + 1];
            for (int i = 0; i <= n; i++) {
                q[i] = (float) inverseNormal((i + 0.5) / (n + 1));
            }
            return q;
        }

        /** Acklam's rational approximation of the standard normal quantile (relative error < 1.2e-9). */
        static double inverseNormal(double p) {
            final double[] a = {-3.969683028665376e+01, 2.209460984245205e+02, -2.759285104469687e+02,
                1.383577518672690e+02, -3.066479806614716e+01, 2.506628277459239e+00};
            final double[] b = {-5.447609879822406e+01, 1.615858368580409e+02, -1.556989798598866e+02,
                6.680131188771972e+01, -1.328068155288572e+01};
            final double[] c = {-7.784894002430293e-03, -3.223964580411365e-01, -2.400758277161838e+00,
                -2.549732539343734e+00, 4.374664141464968e+00, 2.938163982698783e+00};
            final double[] d = {7.784695709041462e-03, 3.224671290700398e-01, 2.445134137142996e+00, 3.754408661907416e+00};
            double low = 0.02425;
            if (p < low) {
                double q = StrictMath.sqrt(-2 * StrictMath.log(p));
                return (((((c[0] * q + c[1]) * q + c[2]) * q + c[3]) * q + c[4]) * q + c[5])
                        / ((((d[0] * q + d[1]) * q + d[2]) * q + d[3]) * q + 1);
            }
            if (p > 1 - low) {
                double q = StrictMath.sqrt(-2 * StrictMath.log(1 - p));
                return -(((((c[0] * q + c[1]) * q + c[2]) * q + c[3]) * q + c[4]) * q + c[5])
                        / ((((d[0] * q + d[1]) * q + d[2]) * q + d[3]) * q + 1);
            }
            double q = p - 0.5;
            double r = q * q;
            return (((((a[0] * r + a[1]) * r + a[2]) * r + a[3]) * r + a[4]) * r + a[5]) * q
                    / (((((b[0] * r + b[1]) * r + b[2]) * r + b[3]) * r + b[4]) * r + 1);
        }
    }
}
