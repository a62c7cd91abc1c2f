package ai.sovereign.server;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.sovereign.engine.Fixtures;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The command-line contract, run as a user runs it: the packaged jar in a child process. */
class CliIT {
    record Run(int exit, String out, String err) {}

    static Run sovereign(Path dir, String... args) throws Exception {
        return sovereignWithInput(dir, null, args);
    }

    static Run sovereignWithInput(Path dir, String input, String... args) throws Exception {
        Path jar = Path.of("target", "sovereign.jar").toAbsolutePath();
        List<String> command = new ArrayList<>(List.of(ProcessHandle.current().info().command().orElse("java"),
                "--add-modules", "jdk.incubator.vector", "-jar", jar.toString()));
        command.addAll(Arrays.asList(args));
        ProcessBuilder builder = new ProcessBuilder(command).directory(dir.toFile());
        if (input == null) {
            builder.redirectInput(ProcessBuilder.Redirect.from(new java.io.File("/dev/null")));
        }
        Process p = builder.start();
        if (input != null) {
            try (var stdin = p.getOutputStream()) {
                stdin.write(input.getBytes(StandardCharsets.UTF_8));
            }
        }
        var out = p.getInputStream().readAllBytes();
        var err = p.getErrorStream().readAllBytes();
        assertTrue(p.waitFor(120, TimeUnit.SECONDS));
        return new Run(p.exitValue(), new String(out, StandardCharsets.UTF_8), new String(err, StandardCharsets.UTF_8));
    }

    @Test
    void generatePrintsOnlyTheContinuationAndMatchesLlamaCpp(@TempDir Path dir) throws Exception {
        Path model = Fixtures.shared("models/stories260K.gguf");
        String golden = Files.readString(Fixtures.shared("models/golden/stories260K.greedy64.txt"));
        Run run = sovereign(dir, "generate", "--model", model.toString(), "--prompt", "Once upon a time", "-n", "64", "--temperature", "0");
        assertEquals(0, run.exit(), run.err());
        assertEquals(golden.substring(0, golden.length() - 2), " Once upon a time" + run.out().stripTrailing().replace("\n\n", "\n"));
        assertTrue(run.err().contains("tokens/s"), "statistics go to stderr");
    }

    @Test
    void chatAnswersEachLineAndEndsOnAnEmptyOne(@TempDir Path dir) throws Exception {
        Path model = Fixtures.shared("models/stories260K.gguf");
        Run chat = sovereignWithInput(dir, "Once upon a time\n\nnever read\n", "chat", "--model", model.toString(), "-n", "12", "--temperature", "0");
        assertEquals(0, chat.exit(), chat.err());
        assertTrue(chat.out().startsWith("> , there was a little girl"), chat.out());
        assertFalse(chat.out().contains("never read"));
        assertEquals(2, chat.out().split("> ", -1).length - 1, "one answer, then the prompt that read the empty line: " + chat.out());
    }

    @Test
    void tokensForceAndLogitsFollowTheContract(@TempDir Path dir) throws Exception {
        Path model = Fixtures.shared("models/synthetic/llama-f32.gguf");
        JsonNode golden = new ObjectMapper().readTree(Fixtures.shared("models/synthetic/llama-f32.golden.json").toFile());
        Run greedy = sovereign(dir, "generate", "--model", model.toString(), "--prompt", "Once upon a time", "-n", "32",
                "--temperature", "0", "--tokens", "--ignore-eos");
        assertEquals(0, greedy.exit(), greedy.err());
        int[] ids = Arrays.stream(greedy.out().trim().split(" ")).mapToInt(Integer::parseInt).toArray();
        int[] expected = new int[32];
        for (int i = 0; i < 32; i++) {
            expected[i] = golden.get("greedy_ids").get(i).asInt();
        }
        assertArrayEquals(expected, ids);

        Path logits = dir.resolve("logits.jsonl");
        String forced = "312 15 296";
        Run teacher = sovereign(dir, "generate", "--model", model.toString(), "--prompt", "Once upon a time", "--force", forced,
                "--tokens", "--logits", logits.toString());
        assertEquals(0, teacher.exit(), teacher.err());
        assertEquals(forced, teacher.out().trim());
        List<String> lines = Files.readAllLines(logits);
        assertEquals(3, lines.size(), "one line per position from the last prompt position on");
        for (int i = 0; i < 3; i++) {
            JsonNode line = new ObjectMapper().readTree(lines.get(i));
            assertEquals(4 + i, line.get("position").asInt());
            assertEquals(512, line.get("logits").size());
            JsonNode reference = golden.get("logits").get(i).get("values");
            for (int v = 0; v < 512; v++) {
                assertEquals(reference.get(v).asDouble(), line.get("logits").get(v).asDouble(), 1e-4);
            }
        }
    }

    @Test
    void inspectBenchAndExitCodes(@TempDir Path dir) throws Exception {
        Path model = Fixtures.shared("models/stories260K.gguf");
        Run inspect = sovereign(dir, "models", "inspect", model.toString(), "--json");
        assertEquals(0, inspect.exit(), inspect.err());
        JsonNode info = new ObjectMapper().readTree(inspect.out());
        assertEquals(48, info.get("tensors").size());
        assertEquals("llama", info.at("/metadata/general.architecture").asText());

        Run bench = sovereign(dir, "bench", "--model", model.toString(), "-p", "16", "-n", "8", "--batch", "2", "--repetitions", "1", "--json");
        assertEquals(0, bench.exit(), bench.err());
        assertEquals(1, bench.out().strip().lines().count(), "exactly one line on stdout");
        JsonNode b = new ObjectMapper().readTree(bench.out());
        assertTrue(b.get("prefill_tokens_per_s").asDouble() > 0 && b.get("decode_tokens_per_s").asDouble() > 0);
        assertEquals(2, b.get("batch").asInt());
        assertTrue(b.get("aggregate_decode_tokens_per_s").asDouble() > 0);

        Path truncated = dir.resolve("truncated.gguf");
        Files.write(truncated, Arrays.copyOf(Files.readAllBytes(model), 4000));
        Run bad = sovereign(dir, "models", "inspect", truncated.toString());
        assertEquals(1, bad.exit());
        assertEquals(1, bad.err().strip().lines().filter(l -> !l.startsWith("WARNING")).count(), "one-line reason: " + bad.err());
        assertTrue(bad.err().contains("truncated"), bad.err());

        assertEquals(2, sovereign(dir, "generate", "--prompt", "x").exit(), "missing --model is bad usage");
        assertEquals(2, sovereign(dir, "frobnicate").exit());
        assertEquals(0, sovereign(dir, "serve", "--help").exit());
        Run missing = sovereign(dir, "generate", "--model", "nope.gguf", "--prompt", "x");
        assertEquals(1, missing.exit());
        assertFalse(missing.err().contains("Exception in thread"), missing.err());
    }
}
