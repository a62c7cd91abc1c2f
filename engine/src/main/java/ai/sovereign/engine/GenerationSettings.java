package ai.sovereign.engine;

import java.util.List;

/**
 * One generation's limits: at most {@code maxTokens} new tokens; stop at any of {@code stop} (the
 * stop text is not returned) or at an end-of-generation token when {@code stopAtEndOfGeneration};
 * {@code topLogprobs} alternatives per token (0 = only the chosen token's log-probability when
 * {@code logprobs}); {@code forcedTokens}, when not null, are fed instead of sampling (teacher forcing);
 * {@code constraint}, when not null, restricts each choice (see {@link TokenConstraint}).
 */
public record GenerationSettings(
        int maxTokens,
        SamplingSettings sampling,
        List<String> stop,
        boolean stopAtEndOfGeneration,
        boolean logprobs,
        int topLogprobs,
        int[] forcedTokens,
        TokenConstraint.Factory constraint) {

    public static final int MAX_TOP_LOGPROBS = 20;

    public GenerationSettings {
        if (maxTokens < 0) {
            throw new IllegalArgumentException("max tokens " + maxTokens + " must be >= 0");
        }
        if (topLogprobs < 0 || topLogprobs > MAX_TOP_LOGPROBS) {
            throw new IllegalArgumentException("top logprobs " + topLogprobs + " must be within 0.." + MAX_TOP_LOGPROBS);
        }
        stop = stop == null ? List.of() : List.copyOf(stop);
        for (String s : stop) {
            if (s.isEmpty()) {
                throw new IllegalArgumentException("a stop string must not be empty");
            }
        }
        sampling = sampling == null ? SamplingSettings.greedy() : sampling;
        forcedTokens = forcedTokens == null ? null : forcedTokens.clone();
    }

    public static GenerationSettings of(int maxTokens, SamplingSettings sampling) {
        return new GenerationSettings(maxTokens, sampling, List.of(), true, false, 0, null, null);
    }

    public GenerationSettings withConstraint(TokenConstraint.Factory factory) {
        return new GenerationSettings(maxTokens, sampling, stop, stopAtEndOfGeneration, logprobs, topLogprobs, forcedTokens, factory);
    }
}
