package ai.sovereign.server;

import ai.sovereign.policy.FilePiiKeyVault;
import ai.sovereign.policy.PiiEntity;
import ai.sovereign.policy.PiiScanner;
import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonNode;
import java.io.BufferedOutputStream;
import java.io.FileDescriptor;
import java.io.FileInputStream;
import java.io.IOException;
import java.io.FileOutputStream;
import java.io.InputStream;
import java.io.OutputStream;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.util.concurrent.Callable;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

/** {@code sovereign pii ...}: Korean personal-data detection from the command line. */
@Command(name = "pii", mixinStandardHelpOptions = true, description = "Detect Korean personal data in text.",
        subcommands = {PiiCommand.ScanCommand.class, PiiCommand.KeysCommand.class})
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
            LineScan scan = new LineScan(answer(new PiiScanner(), minScore), Runtime.getRuntime().availableProcessors());
            try (in; OutputStream out = new BufferedOutputStream(new FileOutputStream(FileDescriptor.out), 1 << 16)) {
                scan.run(in, out);
            }
            return 0;
        }

        /** One line's answer: its entities as JSON, or the "text" field's entities for a line that starts with '{'. */
        static LineScan.Answer answer(PiiScanner scanner, double minScore) {
            return (line, length, out) -> render(length > 0 && line[0] == '{'
                    ? scanner.scan(textField(new String(line, 0, length)), minScore)
                    : scanner.scan(line, length, minScore), out);
        }

        private static String textField(String line) throws LineScan.LineException {
            JsonNode node;
            try {
                node = Json.MAPPER.readTree(line);
            } catch (JsonProcessingException e) {
                throw new LineScan.LineException("starts with '{' but is not valid JSON");
            }
            JsonNode text = node == null ? null : node.get("text");
            if (text == null || !text.isTextual()) {
                throw new LineScan.LineException("JSON line has no string \"text\" field");
            }
            return text.asText();
        }

        static void render(java.util.List<PiiEntity> entities, StringBuilder out) {
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

    /**
     * {@code sovereign pii keys show|rotate|shred TENANT}: the tenants' pseudonymization keys in the embedded vault
     * ({@code <store>/pii-keys}, from {@code --config} or ./sovereign.yaml). A running server follows a rotation or
     * shredding at its next request. Prints key ids, never keys.
     *
     * <p>A rotation or shredding is an admin event on the ledger, written ahead: {@code pii.key.rotate} /
     * {@code pii.key.shred} with {@code phase=requested} goes into the tenants store's outbox (durably) before the key
     * file changes, then {@code phase=done} (with the new key id) or {@code phase=failed} after. The CLI runs without
     * the server, so like {@code sovereign tenants|keys} it writes the outbox, which {@code serve} drains into the
     * ledger at its start, every second and at shutdown. An auditor thus sees every key change, even one made while
     * no server ran or whose process died halfway ({@code requested} without {@code done}); when the store cannot
     * record the request, the key is not touched.
     */
    @Command(name = "keys", mixinStandardHelpOptions = true,
            description = {"Show, rotate or shred a tenant's pseudonymization key (prints key ids, never keys).",
                    "rotate: old pseudonyms no longer restore; shred (crypto-shredding): they become unrecoverable.",
                    "rotate and shred are ledger admin events (pii.key.rotate|shred): recorded in the tenants store's outbox before "
                            + "the key changes and after, and drained into the ledger by serve (within a second, or at its next start)."})
    static final class KeysCommand implements Callable<Integer> {
        @CommandLine.Spec
        CommandLine.Model.CommandSpec spec;

        @Parameters(index = "0", paramLabel = "show|rotate|shred", description = "what to do")
        String action;

        @Parameters(index = "1", paramLabel = "TENANT", description = "the tenant id")
        String tenant;

        @Option(names = "--config", paramLabel = "FILE", description = "sovereign.yaml (default: ./sovereign.yaml when present, else embedded defaults)")
        Path config;

        @Option(names = "--yes", description = "confirm shred: the tenant's pseudonyms become unrecoverable")
        boolean yes;

        @Override
        public Integer call() throws Exception {
            if (!action.equals("show") && !action.equals("rotate") && !action.equals("shred")) {
                throw new CommandLine.ParameterException(spec.commandLine(), "the action must be show, rotate or shred, not '" + action + "'");
            }
            if (action.equals("shred") && !yes) {
                throw new CommandLine.ParameterException(spec.commandLine(),
                        "shred makes tenant " + tenant + "'s pseudonyms unrecoverable; add --yes to confirm");
            }
            Path file = ServerConfig.locate(config);
            ServerConfig cfg = file == null ? ServerConfig.DEFAULTS : ServerConfig.load(file);
            FilePiiKeyVault vault = new FilePiiKeyVault(cfg.piiKeyDirectory());
            Path keyFile;
            try {
                keyFile = vault.file(tenant);
            } catch (IllegalArgumentException e) {
                throw new CommandLine.ParameterException(spec.commandLine(), e.getMessage());
            }
            var out = Json.object().put("tenant", tenant);
            if (action.equals("show")) {
                if (Files.exists(keyFile)) {
                    out.put("key_id", vault.key(tenant).keyId());
                } else {
                    out.putNull("key_id");
                }
            } else {
                try (ai.sovereign.server.tenancy.Tenancy outbox = ai.sovereign.server.tenancy.Tenancy.open(cfg.storeOrDefault().url())) {
                    String event = "pii.key." + action;
                    String before = Files.exists(keyFile) ? vault.key(tenant).keyId() : "";
                    outbox.recordAdminEvent(event, tenant, java.util.Map.of("phase", "requested", "key_id_before", before));
                    try {
                        if (action.equals("rotate")) {
                            String after = vault.rotate(tenant).keyId();
                            outbox.recordAdminEvent(event, tenant, java.util.Map.of("phase", "done", "key_id_before", before, "key_id", after));
                            out.put("key_id", after).put("rotated", true);
                        } else {
                            vault.shred(tenant);
                            outbox.recordAdminEvent(event, tenant, java.util.Map.of("phase", "done", "key_id_before", before));
                            out.putNull("key_id").put("shredded", true);
                        }
                    } catch (RuntimeException e) {
                        outbox.recordAdminEvent(event, tenant, java.util.Map.of("phase", "failed", "key_id_before", before,
                                "error", e.getClass().getSimpleName()));
                        throw e;
                    }
                }
            }
            out.put("file", keyFile.toString());
            System.out.println(out);
            if (!action.equals("show")) {
                Log.info("pii keys: " + action + " for tenant " + tenant + " done; a running server uses the change from its next request");
            }
            return 0;
        }
    }
}
