package ai.sovereign.server;

/**
 * Every request limit in one place (config key {@code limits}); a request over one gets a 400 (413
 * for the body) that names the number and the limit.
 *
 * @param maxBodyBytes       request body size
 * @param maxMessages        messages in one chat request
 * @param maxTokensCap       largest {@code max_tokens} accepted
 * @param defaultMaxTokens   {@code max_tokens} when a request gives none (capped by the context left)
 * @param maxChoices         largest {@code n}
 * @param maxStopStrings     entries in {@code stop}
 * @param requestTimeoutSeconds total time for one request, queueing included
 */
record Limits(Integer maxBodyBytes, Integer maxMessages, Integer maxTokensCap, Integer defaultMaxTokens,
              Integer maxChoices, Integer maxStopStrings, Integer requestTimeoutSeconds) {

    static final Limits DEFAULTS = new Limits(4 << 20, 1024, 32_768, 1024, 8, 4, 600);

    Limits withDefaults() {
        return new Limits(
                maxBodyBytes != null ? maxBodyBytes : DEFAULTS.maxBodyBytes,
                maxMessages != null ? maxMessages : DEFAULTS.maxMessages,
                maxTokensCap != null ? maxTokensCap : DEFAULTS.maxTokensCap,
                defaultMaxTokens != null ? defaultMaxTokens : DEFAULTS.defaultMaxTokens,
                maxChoices != null ? maxChoices : DEFAULTS.maxChoices,
                maxStopStrings != null ? maxStopStrings : DEFAULTS.maxStopStrings,
                requestTimeoutSeconds != null ? requestTimeoutSeconds : DEFAULTS.requestTimeoutSeconds);
    }
}
