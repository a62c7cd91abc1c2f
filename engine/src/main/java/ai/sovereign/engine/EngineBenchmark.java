package ai.sovereign.engine;

import java.util.Arrays;
import java.util.SplittableRandom;

/**
 * Prefill and decode speed, measured as llama-bench does: prefill is {@code promptTokens} tokens
 * fed as one batch into an empty context; decode is {@code decodeTokens} tokens generated one at a
 * time from an empty context; with {@code batch} > 1, that many sequences decode together, each
 * step one forward pass for all of them. Token ids are random (speed does not depend on them). One
 * unmeasured warm-up round precedes the {@code repetitions} measured ones.
 */
public final class EngineBenchmark {
    private EngineBenchmark() {}

    public record Settings(int promptTokens, int decodeTokens, int batch, int repetitions) {
        public Settings {
            if (promptTokens < 0 || decodeTokens < 0 || batch < 1 || repetitions < 1) {
                throw new IllegalArgumentException("need prompt >= 0, decode >= 0, batch >= 1, repetitions >= 1");
            }
        }
    }

    /** Means and standard deviations over the repetitions; {@code weightBytesPerToken} is what one decode step reads. */
    public record Result(double prefillTokensPerSecond, double prefillStddev,
                         double decodeTokensPerSecond, double decodeStddev,
                         double aggregateDecodeTokensPerSecond, double aggregateStddev,
                         long weightBytesPerToken) {
        /** Weight bytes read per second at the single-sequence decode rate. */
        public double decodeGigabytesPerSecond() {
            return weightBytesPerToken * decodeTokensPerSecond / 1e9;
        }
    }

    public static Result run(LanguageModel model, Settings settings) {
        Transformer transformer = model.transformer();
        int needed = Math.max(settings.promptTokens(), settings.decodeTokens());
        if (needed > model.contextLength()) {
            throw new ContextOverflowException(needed, model.contextLength());
        }
        SplittableRandom random = new SplittableRandom(42);
        int vocabulary = model.config().vocabularySize();
        int[] prompt = random.ints(settings.promptTokens(), 0, vocabulary).toArray();
        measureRound(model, transformer, settings, prompt, random, new double[3]); // warm-up
        double[][] samples = new double[3][settings.repetitions()];
        for (int r = 0; r < settings.repetitions(); r++) {
            double[] round = new double[3];
            measureRound(model, transformer, settings, prompt, random, round);
            for (int k = 0; k < 3; k++) {
                samples[k][r] = round[k];
            }
        }
        return new Result(mean(samples[0]), stddev(samples[0]), mean(samples[1]), stddev(samples[1]),
                mean(samples[2]), stddev(samples[2]), weightBytesPerToken(transformer.weights));
    }

    private static void measureRound(LanguageModel model, Transformer transformer, Settings s, int[] prompt,
                                     SplittableRandom random, double[] out) {
        if (s.promptTokens() > 0) {
            Session session = model.newSession();
            long start = System.nanoTime();
            session.feed(prompt);
            out[0] = s.promptTokens() / ((System.nanoTime() - start) / 1e9);
        }
        if (s.decodeTokens() > 0) {
            out[1] = decode(model, transformer, 1, s.decodeTokens(), random);
            out[2] = s.batch() > 1 ? decode(model, transformer, s.batch(), s.decodeTokens(), random) : out[1];
        }
    }

    /** Tokens per second of {@code batch} sequences decoding {@code tokens} steps together. */
    private static double decode(LanguageModel model, Transformer transformer, int batch, int tokens, SplittableRandom random) {
        ModelConfig c = transformer.config;
        Transformer.Scratch scratch = new Transformer.Scratch(c, batch, model.contextLength(), transformer.pool.threads());
        Transformer.KvCache[] caches = new Transformer.KvCache[batch];
        float[][] logits = new float[batch][c.vocabularySize()];
        for (int i = 0; i < batch; i++) {
            caches[i] = new Transformer.KvCache(c, Math.max(tokens, 1));
        }
        int[] ids = new int[batch];
        int[] positions = new int[batch];
        long start = System.nanoTime();
        for (int step = 0; step < tokens; step++) {
            for (int i = 0; i < batch; i++) {
                ids[i] = random.nextInt(c.vocabularySize());
            }
            Arrays.fill(positions, step);
            transformer.forward(scratch, caches, ids, positions, batch, logits);
        }
        return (double) batch * tokens / ((System.nanoTime() - start) / 1e9);
    }

    /** Bytes of every matrix one token's forward pass reads (embedding row excluded). */
    static long weightBytesPerToken(Weights w) {
        long bytes = w.output.bytes();
        for (Weights.Layer l : w.layers) {
            bytes += l.wq().bytes() + l.wk().bytes() + l.wv().bytes() + l.wo().bytes()
                    + l.gate().bytes() + l.up().bytes() + l.down().bytes();
        }
        return bytes;
    }

    private static double mean(double[] v) {
        return Arrays.stream(v).average().orElse(Double.NaN);
    }

    private static double stddev(double[] v) {
        if (v.length < 2) {
            return 0;
        }
        double m = mean(v);
        return Math.sqrt(Arrays.stream(v).map(x -> (x - m) * (x - m)).sum() / (v.length - 1));
    }
}
