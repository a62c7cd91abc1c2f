package ai.sovereign.engine;

import java.util.Arrays;
import java.util.SplittableRandom;

/**
 * Chooses the next token from logits per {@link SamplingSettings}. Candidate buffers are sized once
 * for the vocabulary and reused; the same seed and inputs always give the same choice.
 */
final class Sampler {
    private final SamplingSettings settings;
    private final SplittableRandom random;
    private final int[] counts;          // occurrences of each id in the penalty window
    private final int[] window;          // ring buffer of the last penaltyLastN ids
    private int windowSize;
    private int windowStart;
    private final long[] order;          // (sortable logit << 32 | id) for ranking
    private final float[] probabilities;

    Sampler(SamplingSettings settings, int vocabularySize) {
        this.settings = settings;
        this.random = new SplittableRandom(settings.seed());
        this.counts = new int[vocabularySize];
        this.window = new int[Math.max(1, settings.penaltyLastN())];
        this.order = new long[vocabularySize];
        this.probabilities = new float[vocabularySize];
    }

    /** Records a token of the context (prompt or generated) for the penalties. */
    void accept(int token) {
        if (settings.penaltyLastN() == 0 || token < 0 || token >= counts.length) {
            return;
        }
        if (windowSize == window.length) {
            counts[window[windowStart]]--;
            window[windowStart] = token;
            windowStart = (windowStart + 1) % window.length;
        } else {
            window[(windowStart + windowSize) % window.length] = token;
            windowSize++;
        }
        counts[token]++;
    }

    /** Applies the penalties to {@code logits} in place (before log-probabilities are reported). */
    void penalize(float[] logits) {
        float repeat = settings.repetitionPenalty();
        float frequency = settings.frequencyPenalty();
        float presence = settings.presencePenalty();
        if (repeat == 1f && frequency == 0f && presence == 0f) {
            return;
        }
        for (int i = 0; i < windowSize; i++) {
            int token = window[(windowStart + i) % window.length];
            int count = counts[token];
            if (count <= 0) {
                continue;
            }
            // Visit each distinct token once: mark by negating the count, restore afterwards.
            counts[token] = -count;
            float l = logits[token];
            l = l <= 0 ? l * repeat : l / repeat;
            logits[token] = l - count * frequency - presence;
        }
        for (int i = 0; i < windowSize; i++) {
            int token = window[(windowStart + i) % window.length];
            counts[token] = Math.abs(counts[token]);
        }
    }

    /** Picks the next token from penalized logits. */
    int sample(float[] logits, int vocabularySize) {
        if (settings.isGreedy()) {
            return argmax(logits, vocabularySize);
        }
        int n = rank(logits, vocabularySize, settings.topK());
        float max = logitOf(order[0]);
        double sum = 0;
        for (int i = 0; i < n; i++) {
            float p = (float) Math.exp(logitOf(order[i]) - max);
            probabilities[i] = p;
            sum += p;
        }
        if (settings.topP() < 1f) {
            double cumulative = 0;
            for (int i = 0; i < n; i++) {
                cumulative += probabilities[i] / sum;
                if (cumulative >= settings.topP()) {
                    n = i + 1;
                    break;
                }
            }
        }
        if (settings.minP() > 0f) {
            float threshold = probabilities[0] * settings.minP();
            int kept = 1;
            while (kept < n && probabilities[kept] >= threshold) {
                kept++;
            }
            n = kept;
        }
        float inverseTemperature = 1f / settings.temperature();
        sum = 0;
        for (int i = 0; i < n; i++) {
            float p = (float) Math.exp((logitOf(order[i]) - max) * inverseTemperature);
            probabilities[i] = p;
            sum += p;
        }
        double draw = random.nextDouble() * sum;
        double cumulative = 0;
        for (int i = 0; i < n; i++) {
            cumulative += probabilities[i];
            if (draw < cumulative) {
                return idOf(order[i]);
            }
        }
        return idOf(order[n - 1]);
    }

    static int argmax(float[] logits, int n) {
        int best = 0;
        for (int i = 1; i < n; i++) {
            if (logits[i] > logits[best]) {
                best = i;
            }
        }
        return best;
    }

    /** Sorts candidates by descending logit (ties: lower id first) into {@code order}; returns how many to keep. */
    private int rank(float[] logits, int n, int topK) {
        for (int i = 0; i < n; i++) {
            order[i] = ((long) ~sortable(logits[i]) << 32) | i;
        }
        Arrays.sort(order, 0, n);
        return topK > 0 ? Math.min(topK, n) : n;
    }

    /** Maps a float to an int whose signed order is the float's order. */
    private static int sortable(float f) {
        int bits = Float.floatToIntBits(f);
        return bits >= 0 ? bits : bits ^ 0x7FFFFFFF;
    }

    private static float logitOf(long entry) {
        int s = ~(int) (entry >> 32);
        return Float.intBitsToFloat(s >= 0 ? s : s ^ 0x7FFFFFFF);
    }

    private static int idOf(long entry) {
        return (int) entry;
    }

    /** Natural-log probabilities of the whole distribution's top {@code k} entries, written to ids/logprobs. */
    static int topLogprobs(float[] logits, int n, int k, int[] ids, double[] logprobs) {
        double logSum = logSumExp(logits, n);
        int found = 0;
        for (int i = 0; i < n; i++) {
            float l = logits[i];
            if (found < k || l > logits[ids[found - 1]]) {
                int j = Math.min(found, k - 1);
                while (j > 0 && logits[ids[j - 1]] < l) {
                    ids[j] = ids[j - 1];
                    j--;
                }
                ids[j] = i;
                if (found < k) {
                    found++;
                }
            }
        }
        for (int i = 0; i < found; i++) {
            logprobs[i] = logits[ids[i]] - logSum;
        }
        return found;
    }

    static double logSumExp(float[] logits, int n) {
        float max = Float.NEGATIVE_INFINITY;
        for (int i = 0; i < n; i++) {
            max = Math.max(max, logits[i]);
        }
        double sum = 0;
        for (int i = 0; i < n; i++) {
            sum += Math.exp(logits[i] - max);
        }
        return max + Math.log(sum);
    }
}
