package ai.sovereign.server;

import picocli.CommandLine;
import picocli.CommandLine.Command;

/** The {@code sovereign} command line: results on stdout, logs on stderr; exit 0 ok, 1 failure, 2 bad usage. */
@Command(name = "sovereign", mixinStandardHelpOptions = true, version = "sovereign 0.1.0",
        description = "Sovereign AI Factory: self-hosted, auditable AI serving.")
public final class Main {
    public static void main(String[] args) {
        System.exit(new CommandLine(new Main()).execute(args));
    }
}
