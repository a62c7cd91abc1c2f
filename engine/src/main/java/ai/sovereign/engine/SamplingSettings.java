package ai.sovereign.engine;

/**
 * How the next token is chosen. Applied in llama.cpp's order: repetition/frequency/presence
 * penalties over the last {@code penaltyLastN} tokens, top-k, top-p, min-p, temperature, then a
 * draw from the seeded generator. {@code temperature <= 0} is greedy (argmax, lowest id on ties).
 * {@code topK <= 0}, {@code topP >= 1}, {@code minP <= 0} and penalties of 1 / 0 disable a step.
 */
public record SamplingSettings(
        float temperature,
        int topK,
        float topP,
        float minP,
        float repetitionPenalty,
        int penaltyLastN,
        float presencePenalty,
        float frequencyPenalty,
        long seed) {

    public SamplingSettings {
        if (Float.isNaN(temperature) || temperature < 0) {
            throw new IllegalArgumentException("temperature " + temperature + " must be >= 0");
        }
        if (Float.isNaN(topP) || topP <= 0 || topP > 1) {
            throw new IllegalArgumentException("top_p " + topP + " must be in (0, 1]");
        }
        if (Float.isNaN(minP) || minP < 0 || minP > 1) {
            throw new IllegalArgumentException("min_p " + minP + " must be in [0, 1]");
        }
        if (Float.isNaN(repetitionPenalty) || repetitionPenalty <= 0) {
            throw new IllegalArgumentException("repetition penalty " + repetitionPenalty + " must be > 0");
        }
        if (penaltyLastN < 0) {
            throw new IllegalArgumentException("penalty window " + penaltyLastN + " must be >= 0");
        }
        if (Float.isNaN(presencePenalty) || Math.abs(presencePenalty) > 2 || Float.isNaN(frequencyPenalty) || Math.abs(frequencyPenalty) > 2) {
            throw new IllegalArgumentException("presence and frequency penalties must be within [-2, 2]");
        }
    }

    public static SamplingSettings greedy() {
        return new SamplingSettings(0f, 0, 1f, 0f, 1f, 64, 0f, 0f, 0L);
    }

    /** llama.cpp's defaults: temperature 0.8, top-k 40, top-p 0.95, min-p 0.05. */
    public static SamplingSettings defaults(long seed) {
        return new SamplingSettings(0.8f, 40, 0.95f, 0.05f, 1f, 64, 0f, 0f, seed);
    }

    public SamplingSettings withTemperature(float t) {
        return new SamplingSettings(t, topK, topP, minP, repetitionPenalty, penaltyLastN, presencePenalty, frequencyPenalty, seed);
    }

    public SamplingSettings withSeed(long s) {
        return new SamplingSettings(temperature, topK, topP, minP, repetitionPenalty, penaltyLastN, presencePenalty, frequencyPenalty, s);
    }

    public SamplingSettings withTopK(int k) {
        return new SamplingSettings(temperature, k, topP, minP, repetitionPenalty, penaltyLastN, presencePenalty, frequencyPenalty, seed);
    }

    public SamplingSettings withTopP(float p) {
        return new SamplingSettings(temperature, topK, p, minP, repetitionPenalty, penaltyLastN, presencePenalty, frequencyPenalty, seed);
    }

    public SamplingSettings withMinP(float p) {
        return new SamplingSettings(temperature, topK, topP, p, repetitionPenalty, penaltyLastN, presencePenalty, frequencyPenalty, seed);
    }

    public SamplingSettings withPenalties(float repetition, int lastN, float presence, float frequency) {
        return new SamplingSettings(temperature, topK, topP, minP, repetition, lastN, presence, frequency, seed);
    }

    boolean isGreedy() {
        return temperature <= 0f;
    }
}
