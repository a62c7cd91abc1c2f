package ai.sovereign.server;

import ai.sovereign.policy.PiiEntity;
import ai.sovereign.policy.PiiScanner;
import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonNode;
import java.io.BufferedReader;
import java.io.BufferedWriter;
import java.io.FileDescriptor;
import java.io.FileInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.InputStreamReader;
import java.io.OutputStreamWriter;
import java.io.Writer;
import java.nio.charset.CharacterCodingException;
import java.nio.charset.CodingErrorAction;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.Callable;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

/** {@code sovereign pii ...}: Korean personal-data detection from the command line. */
@Command(name = "pii", mixinStandardHelpOptions = true, description = "Detect Korean personal data in text.",
        subcommands = {PiiCommand.ScanCommand.class})
final class PiiCommand implements Runnable {
    @CommandLine.Spec
    CommandLine.Model.CommandSpec spec;

    @Override
    public void run() {
        throw new CommandLine.ParameterException(spec.commandLine(), "a subcommand is required (try --help)");
    }

    /**
     * {@code sovereign pii scan [--min-score S] [FILE|-]}: one JSON object per input line,
     * {@code {"entities":[{"type","start","end","score"}]}}. A line starting with '{' is JSON and its "text" field is
     * scanned. Matched values are never printed, and error messages name the line number, never its content.
     */
    @Command(name = "scan", mixinStandardHelpOptions = true,
            description = {"Scan text line by line and print one JSON object per line:",
                    "{\"entities\":[{\"type\",\"start\",\"end\",\"score\"}]} (UTF-16 offsets, end exclusive; values are never printed).",
                    "A line starting with '{' is JSON and its \"text\" field is scanned."})
    static final class ScanCommand implements Callable<Integer> {
        @CommandLine.Spec
        CommandLine.Model.CommandSpec spec;

        @Option(names = "--min-score", paramLabel = "S", defaultValue = "0.5",
                description = "report entities scoring at least S, 0 to 1 (default: ${DEFAULT-VALUE})")
        double minScore;

        @Parameters(paramLabel = "FILE|-", arity = "0..1", defaultValue = "-", description = "input file, or - for stdin (default)")
        String input;

        @Override
        public Integer call() throws Exception {
            if (!(minScore >= 0 && minScore <= 1)) {
                throw new CommandLine.ParameterException(spec.commandLine(), "--min-score must be between 0 and 1");
            }
            InputStream in;
            if (input.equals("-")) {
                in = new FileInputStream(FileDescriptor.in);
            } else {
                try {
                    in = Files.newInputStream(Path.of(input));
                } catch (NoSuchFileException e) {
                    throw new IOException("no such file: " + input);
                }
            }
            var decoder = StandardCharsets.UTF_8.newDecoder()
                    .onMalformedInput(CodingErrorAction.REPORT)
                    .onUnmappableCharacter(CodingErrorAction.REPORT);
            PiiScanner scanner = new PiiScanner();
            StringBuilder out = new StringBuilder(256);
            long lineNo = 0;
            try (BufferedReader reader = new BufferedReader(new InputStreamReader(in, decoder), 1 << 16);
                 Writer writer = new BufferedWriter(new OutputStreamWriter(new java.io.FileOutputStream(FileDescriptor.out), StandardCharsets.UTF_8), 1 << 16)) {
                while (true) {
                    String line;
                    try {
                        line = reader.readLine();
                    } catch (CharacterCodingException e) {
                        writer.flush();
                        throw new IOException("line " + (lineNo + 1) + ": input is not valid UTF-8");
                    }
                    if (line == null) {
                        break;
                    }
                    lineNo++;
                    String text = line;
                    if (line.startsWith("{")) {
                        text = textField(line, lineNo, writer);
                    }
                    List<PiiEntity> entities = scanner.scan(text, minScore);
                    out.setLength(0);
                    render(entities, out);
                    writer.append(out).append('\n');
                    if (!reader.ready()) {
                        writer.flush();
                    }
                }
            }
            return 0;
        }

        private static String textField(String line, long lineNo, Writer writer) throws IOException {
            JsonNode node;
            try {
                node = Json.MAPPER.readTree(line);
            } catch (JsonProcessingException e) {
                writer.flush();
                throw new IOException("line " + lineNo + ": starts with '{' but is not valid JSON");
            }
            JsonNode text = node == null ? null : node.get("text");
            if (text == null || !text.isTextual()) {
                writer.flush();
                throw new IOException("line " + lineNo + ": JSON line has no string \"text\" field");
            }
            return text.asText();
        }

        static void render(List<PiiEntity> entities, StringBuilder out) {
            out.append("{\"entities\":[");
            for (int i = 0; i < entities.size(); i++) {
                PiiEntity e = entities.get(i);
                if (i > 0) {
                    out.append(',');
                }
                out.append("{\"type\":\"").append(e.type().name()).append("\",\"start\":").append(e.start())
                        .append(",\"end\":").append(e.end()).append(",\"score\":").append(e.score()).append('}');
            }
            out.append("]}");
        }
    }
}
