package ai.sovereign.server;

import ai.sovereign.engine.GeneratedToken;
import ai.sovereign.engine.GenerationResult;
import ai.sovereign.engine.GenerationSettings;
import ai.sovereign.engine.Generator;
import ai.sovereign.engine.LanguageModel;
import ai.sovereign.engine.Session;
import java.io.BufferedReader;
import java.io.InputStreamReader;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;

/**
 * {@code sovereign chat}: an interactive conversation in the terminal. Each turn re-renders the
 * conversation with the model's own chat template (as {@code serve} does) and reuses the KV cache
 * for the unchanged prefix.
 */
@Command(name = "chat", mixinStandardHelpOptions = true, description = "Chat with a GGUF model in the terminal (empty line or /exit ends).")
final class ChatCommand implements Callable<Integer> {
    @Option(names = "--model", required = true, paramLabel = "PATH", description = "GGUF model file")
    Path model;

    @Option(names = "--system", paramLabel = "TEXT", description = "system prompt")
    String system;

    @Option(names = {"-n", "--max-tokens"}, paramLabel = "N", defaultValue = "512", description = "tokens per answer (default ${DEFAULT-VALUE})")
    int maxTokens;

    @Option(names = "--context", paramLabel = "N", defaultValue = "0", description = "context length (default: the model's, at most 4096)")
    int context;

    @Mixin
    SamplingOptions sampling = new SamplingOptions();

    @Override
    public Integer call() throws Exception {
        PrintStream out = new PrintStream(new java.io.FileOutputStream(java.io.FileDescriptor.out), true, StandardCharsets.UTF_8);
        BufferedReader in = new BufferedReader(new InputStreamReader(System.in, StandardCharsets.UTF_8));
        try (LanguageModel lm = LanguageModel.load(model, context)) {
            ChatFormatter formatter = ChatFormatter.forModel(model.getFileName().toString(), lm.file().metadata(), lm.tokenizer());
            System.err.println("empty line or /exit ends the chat");
            Session session = lm.newSession();
            List<ChatMessage> messages = new ArrayList<>();
            if (system != null) {
                messages.add(ChatMessage.of("system", system));
            }
            int[] cached = new int[0];
            var settings = sampling.toSettings();
            while (true) {
                out.print("> ");
                String line = in.readLine();
                if (line == null || line.isBlank() || line.strip().equals("/exit")) {
                    return 0;
                }
                messages.add(ChatMessage.of("user", line));
                int[] prompt = formatter.encode(lm.tokenizer(), formatter.render(messages, List.of(), true));
                int common = commonPrefix(cached, prompt, session.position());
                session.rewind(common);
                int[] fresh = Arrays.copyOfRange(prompt, common, prompt.length);
                if (fresh.length == 0) { // the whole prompt is cached: re-feed its last token for fresh logits
                    session.rewind(common - 1);
                    fresh = new int[] {prompt[prompt.length - 1]};
                }
                int budget = Math.min(maxTokens, session.remaining() - fresh.length);
                if (budget <= 0) {
                    System.err.println("the conversation fills the context; start a new chat");
                    return 1;
                }
                GenerationResult result = Generator.generate(session, lm.tokenizer(), fresh,
                        GenerationSettings.of(budget, settings), (GeneratedToken t) -> {
                            out.print(t.text());
                            return true;
                        });
                out.println();
                messages.add(ChatMessage.of("assistant", result.text()));
                int[] all = Arrays.copyOf(prompt, prompt.length + result.tokens().length);
                System.arraycopy(result.tokens(), 0, all, prompt.length, result.tokens().length);
                cached = all;
                settings = settings.withSeed(settings.seed() + 1);
            }
        }
    }

    private static int commonPrefix(int[] a, int[] b, int limit) {
        int n = Math.min(Math.min(a.length, b.length), limit);
        int i = 0;
        while (i < n && a[i] == b[i]) {
            i++;
        }
        return i;
    }
}
