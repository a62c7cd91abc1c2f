package ai.sovereign.server;

import ai.sovereign.engine.EngineBenchmark;
import ai.sovereign.engine.LanguageModel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Locale;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/** {@code sovereign bench}: prefill and decode tokens/s of a model on this machine, as llama-bench measures them. */
@Command(name = "bench", mixinStandardHelpOptions = true,
        description = "Measure prefill and decode tokens/s (decode from an empty context, as llama-bench does).")
final class BenchCommand implements Callable<Integer> {
    @Option(names = "--model", required = true, paramLabel = "PATH", description = "GGUF model file")
    Path model;

    @Option(names = {"-p", "--prompt-tokens"}, paramLabel = "N", defaultValue = "512", description = "prefill length (default ${DEFAULT-VALUE}; 0 skips)")
    int promptTokens;

    @Option(names = {"-n", "--decode-tokens"}, paramLabel = "N", defaultValue = "128", description = "tokens to decode (default ${DEFAULT-VALUE}; 0 skips)")
    int decodeTokens;

    @Option(names = "--threads", paramLabel = "N", defaultValue = "0", description = "worker threads (default: all cores)")
    int threads;

    @Option(names = "--batch", paramLabel = "B", defaultValue = "1", description = "sequences decoding together for the aggregate rate (default ${DEFAULT-VALUE})")
    int batch;

    @Option(names = "--repetitions", paramLabel = "R", defaultValue = "3", description = "measured rounds after one warm-up (default ${DEFAULT-VALUE})")
    int repetitions;

    @Option(names = "--json", description = "print one JSON line instead of text")
    boolean json;

    @Override
    public Integer call() throws Exception {
        int context = Math.max(Math.max(promptTokens, decodeTokens), 16);
        try (LanguageModel lm = LanguageModel.load(model, new LanguageModel.Options(context, threads, Math.max(promptTokens, 1)))) {
            EngineBenchmark.Result r = EngineBenchmark.run(lm, new EngineBenchmark.Settings(promptTokens, decodeTokens, batch, repetitions));
            long fileBytes = Files.size(model);
            if (json) {
                var o = Json.object();
                o.put("model", model.getFileName().toString());
                o.put("architecture", lm.config().architecture());
                o.put("file_bytes", fileBytes);
                o.put("threads", lm.threads());
                o.put("prompt_tokens", promptTokens);
                o.put("decode_tokens", decodeTokens);
                o.put("repetitions", repetitions);
                o.put("prefill_tokens_per_s", round(r.prefillTokensPerSecond()));
                o.put("prefill_stddev", round(r.prefillStddev()));
                o.put("decode_tokens_per_s", round(r.decodeTokensPerSecond()));
                o.put("decode_stddev", round(r.decodeStddev()));
                o.put("batch", batch);
                o.put("aggregate_decode_tokens_per_s", round(r.aggregateDecodeTokensPerSecond()));
                o.put("aggregate_stddev", round(r.aggregateStddev()));
                o.put("weight_bytes_per_token", r.weightBytesPerToken());
                o.put("decode_weight_gb_per_s", round(r.decodeGigabytesPerSecond()));
                System.out.println(o);
            } else {
                System.out.printf(Locale.ROOT, "model %s (%s, %.1f MB), %d threads, %d repetitions%n", model.getFileName(),
                        lm.config().architecture(), fileBytes / 1e6, lm.threads(), repetitions);
                if (promptTokens > 0) {
                    System.out.printf(Locale.ROOT, "prefill pp%-5d %10.2f ± %.2f tokens/s%n", promptTokens, r.prefillTokensPerSecond(), r.prefillStddev());
                }
                if (decodeTokens > 0) {
                    System.out.printf(Locale.ROOT, "decode  tg%-5d %10.2f ± %.2f tokens/s (%.1f MB of weights per token, %.2f GB/s)%n",
                            decodeTokens, r.decodeTokensPerSecond(), r.decodeStddev(), r.weightBytesPerToken() / 1e6, r.decodeGigabytesPerSecond());
                    if (batch > 1) {
                        System.out.printf(Locale.ROOT, "decode  batch %-3d %8.2f ± %.2f tokens/s aggregate (%.2fx one sequence)%n",
                                batch, r.aggregateDecodeTokensPerSecond(), r.aggregateStddev(),
                                r.aggregateDecodeTokensPerSecond() / r.decodeTokensPerSecond());
                    }
                }
            }
        }
        return 0;
    }

    private static double round(double v) {
        return Double.isFinite(v) ? Math.round(v * 100) / 100.0 : 0;
    }
}
