package ai.sovereign.server;

import ai.sovereign.server.tenancy.KeysCommand;
import ai.sovereign.server.tenancy.TenantsCommand;
import picocli.CommandLine;
import picocli.CommandLine.Command;

/**
 * The {@code sovereign} command line. Results go to stdout; logs, progress and statistics to stderr.
 * Exit status: 0 success, 1 failure (one-line reason on stderr), 2 bad usage.
 */
@Command(name = "sovereign", mixinStandardHelpOptions = true, version = "sovereign 0.1.0",
        description = "Sovereign AI Factory: self-hosted, auditable AI serving.",
        subcommands = {ServeCommand.class, GenerateCommand.class, ChatCommand.class, BenchCommand.class, ModelsCommand.class,
                LedgerCommand.class, PiiCommand.class, TenantsCommand.class, KeysCommand.class})
public final class Main implements Runnable {
    @CommandLine.Spec
    CommandLine.Model.CommandSpec spec;

    public static void main(String[] args) {
        System.exit(run(args));
    }

    static int run(String... args) {
        CommandLine cli = new CommandLine(new Main());
        cli.setExecutionExceptionHandler((e, commandLine, parseResult) -> {
            String reason = e.getMessage() == null ? e.getClass().getSimpleName() : e.getMessage();
            commandLine.getErr().println(commandLine.getCommandSpec().qualifiedName() + ": " + reason.lines().findFirst().orElse(reason));
            if (System.getenv("SOVEREIGN_DEBUG") != null) {
                e.printStackTrace(commandLine.getErr());
            }
            return 1;
        });
        return cli.execute(args);
    }

    @Override
    public void run() {
        throw new CommandLine.ParameterException(spec.commandLine(), "a command is required (try --help)");
    }
}
