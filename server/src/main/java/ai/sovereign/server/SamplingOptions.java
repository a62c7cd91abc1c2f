package ai.sovereign.server;

import ai.sovereign.engine.SamplingSettings;
import picocli.CommandLine.Option;

/** Sampling flags shared by generate, chat and bench; defaults are llama.cpp's. */
final class SamplingOptions {
    @Option(names = "--temperature", paramLabel = "T", defaultValue = "0.8", description = "0 = greedy (default ${DEFAULT-VALUE})")
    float temperature;

    @Option(names = "--seed", paramLabel = "S", description = "random seed (default: random, printed on stderr)")
    Long seed;

    @Option(names = "--top-k", paramLabel = "K", defaultValue = "40", description = "default ${DEFAULT-VALUE}; 0 disables")
    int topK;

    @Option(names = "--top-p", paramLabel = "P", defaultValue = "0.95", description = "default ${DEFAULT-VALUE}; 1 disables")
    float topP;

    @Option(names = "--min-p", paramLabel = "P", defaultValue = "0.05", description = "default ${DEFAULT-VALUE}; 0 disables")
    float minP;

    @Option(names = "--repeat-penalty", paramLabel = "X", defaultValue = "1.0", description = "default ${DEFAULT-VALUE} (off)")
    float repeatPenalty;

    @Option(names = "--repeat-last-n", paramLabel = "N", defaultValue = "64", description = "penalty window, default ${DEFAULT-VALUE}")
    int repeatLastN;

    @Option(names = "--presence-penalty", paramLabel = "X", defaultValue = "0")
    float presencePenalty;

    @Option(names = "--frequency-penalty", paramLabel = "X", defaultValue = "0")
    float frequencyPenalty;

    SamplingSettings toSettings() {
        long s = seed != null ? seed : new java.security.SecureRandom().nextLong() & 0xFFFFFFFFL;
        return new SamplingSettings(temperature, topK, topP, minP, repeatPenalty, repeatLastN, presencePenalty, frequencyPenalty, s);
    }
}
