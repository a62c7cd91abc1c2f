package ai.sovereign.server;

import ai.sovereign.engine.GeneratedToken;
import ai.sovereign.engine.GenerationResult;
import ai.sovereign.engine.GenerationSettings;
import ai.sovereign.engine.Generator;
import ai.sovereign.engine.LanguageModel;
import ai.sovereign.engine.SamplingSettings;
import ai.sovereign.engine.Session;
import ai.sovereign.engine.TokenListener;
import java.io.BufferedWriter;
import java.io.IOException;
import java.io.PrintStream;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.List;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;

/** {@code sovereign generate}: one generation; stdout holds only the generated text or token ids. */
@Command(name = "generate", mixinStandardHelpOptions = true,
        description = "Generate a continuation of a prompt with a GGUF model (prompt tokenized with the model's BOS rule).")
final class GenerateCommand implements Callable<Integer> {
    @Option(names = "--model", required = true, paramLabel = "PATH", description = "GGUF model file")
    Path model;

    @Option(names = "--prompt", required = true, paramLabel = "TEXT", description = "prompt text")
    String prompt;

    @Option(names = {"-n", "--max-tokens"}, paramLabel = "N", defaultValue = "128", description = "tokens to generate (default ${DEFAULT-VALUE})")
    int maxTokens;

    @Mixin
    SamplingOptions sampling = new SamplingOptions();

    @Option(names = "--context", paramLabel = "N", defaultValue = "0", description = "context length (default: the model's, at most 4096)")
    int context;

    @Option(names = "--tokens", description = "print the generated token ids, space separated, instead of text")
    boolean tokens;

    @Option(names = "--force", paramLabel = "IDS", description = "feed these continuation ids (space separated) instead of sampling")
    String force;

    @Option(names = "--logits", paramLabel = "FILE", description = "write {\"position\":p,\"logits\":[...]} per line from the last prompt position on")
    Path logitsFile;

    @Option(names = "--ignore-eos", description = "keep generating after an end-of-generation token")
    boolean ignoreEos;

    @Override
    public Integer call() throws IOException {
        int[] forced = force == null ? null : parseIds(force);
        try (LanguageModel lm = LanguageModel.load(model, context);
             BufferedWriter logits = logitsFile == null ? null : Files.newBufferedWriter(logitsFile, StandardCharsets.UTF_8)) {
            int[] promptIds = lm.tokenizer().encode(prompt, true, false);
            Session session = lm.newSession();
            SamplingSettings settings = sampling.toSettings();
            PrintStream out = new PrintStream(new java.io.FileOutputStream(java.io.FileDescriptor.out), false, StandardCharsets.UTF_8);
            StringBuilder ids = new StringBuilder();
            TokenListener listener = new TokenListener() {
                @Override
                public boolean onToken(GeneratedToken token) {
                    if (tokens) {
                        if (token.id() >= 0) {
                            ids.append(ids.isEmpty() ? "" : " ").append(token.id());
                        }
                    } else {
                        out.print(token.text());
                        out.flush();
                    }
                    return true;
                }

                @Override
                public boolean wantsLogits() {
                    return logits != null;
                }

                @Override
                public void onLogits(int position, float[] values) {
                    try {
                        logits.write(logitsLine(position, values));
                        logits.newLine();
                    } catch (IOException e) {
                        throw new UncheckedIOException(e);
                    }
                }
            };
            long start = System.nanoTime();
            GenerationResult result = Generator.generate(session, lm.tokenizer(), promptIds,
                    new GenerationSettings(maxTokens, settings, List.of(), !ignoreEos && forced == null, false, 0, forced, null), listener);
            double seconds = (System.nanoTime() - start) / 1e9;
            if (tokens) {
                out.println(ids);
            } else {
                out.println();
            }
            out.flush();
            System.err.printf("prompt %d tokens, generated %d tokens in %.2f s (%.1f tokens/s), finish %s, seed %d%n",
                    promptIds.length, result.completionTokens(), seconds, result.completionTokens() / Math.max(seconds, 1e-9),
                    result.finishReason().name().toLowerCase(), settings.seed());
        }
        return 0;
    }

    static String logitsLine(int position, float[] values) {
        StringBuilder line = new StringBuilder(values.length * 12 + 32);
        line.append("{\"position\":").append(position).append(",\"logits\":[");
        for (int i = 0; i < values.length; i++) {
            if (i > 0) {
                line.append(',');
            }
            float v = values[i];
            line.append(Float.isFinite(v) ? Float.toString(v) : v > 0 ? "3.4028235E38" : "-3.4028235E38");
        }
        return line.append("]}").toString();
    }

    static int[] parseIds(String text) {
        String trimmed = text.trim();
        if (trimmed.isEmpty()) {
            return new int[0];
        }
        try {
            return Arrays.stream(trimmed.split("[\\s,]+")).mapToInt(Integer::parseInt).toArray();
        } catch (NumberFormatException e) {
            throw new picocli.CommandLine.TypeConversionException("--force takes token ids separated by spaces: " + e.getMessage());
        }
    }
}
