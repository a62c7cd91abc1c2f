package ai.sovereign.server;

import ai.sovereign.ledger.Checkpoint;
import ai.sovereign.ledger.Ledger;
import ai.sovereign.ledger.Verification;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.concurrent.Callable;
import picocli.CommandLine.ArgGroup;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/** {@code sovereign ledger ...}: verify a transparency ledger, or print an inclusion proof for one entry. */
@Command(name = "ledger", mixinStandardHelpOptions = true, description = "Verify the transparency ledger; print inclusion proofs.",
        subcommands = {LedgerCommand.Verify.class, LedgerCommand.Prove.class})
final class LedgerCommand implements Runnable {
    @picocli.CommandLine.Spec
    picocli.CommandLine.Model.CommandSpec spec;

    @Override
    public void run() {
        throw new picocli.CommandLine.ParameterException(spec.commandLine(), "a subcommand is required (try --help)");
    }

    static final class Source {
        @Option(names = "--url", required = true, description = "the log's URL prefix, e.g. http://host:8080/ledger/")
        URI url;

        @Option(names = "--dir", required = true, description = "the log's directory (ledger.dir)")
        Path dir;
    }

    @Command(name = "verify", mixinStandardHelpOptions = true,
            description = "Check the checkpoint's signature, decode every entry (ledger/ENTRY-FORMAT.md), recompute every tile "
                    + "and the root from the entries, and check consistency with a trusted earlier checkpoint. Prints origin, size and root on success.")
    static final class Verify implements Callable<Integer> {
        @ArgGroup(exclusive = true, multiplicity = "1")
        Source source;

        @Option(names = "--vkey", paramLabel = "VKEY",
                description = "the log's verifier key (name+id+key); default: the one the log publishes, which only checks self-consistency")
        String vkey;

        @Option(names = "--trusted", paramLabel = "FILE", description = "a signed checkpoint of this log seen earlier")
        Path trusted;

        @Override
        public Integer call() throws Exception {
            String trustedNote = trusted == null ? null : Files.readString(trusted, StandardCharsets.UTF_8);
            if (vkey == null) {
                System.err.println("sovereign ledger verify: no --vkey given; using the key the log publishes (checks integrity, not identity)");
            }
            Verification<Checkpoint> v = source.dir != null
                    ? Ledger.verify(source.dir, vkey, trustedNote, true)
                    : Ledger.verify(source.url, vkey, trustedNote, true);
            Checkpoint cp = v.orThrow();
            System.out.println("ok: " + cp.origin() + " size " + cp.size() + " root " + cp.root().base64());
            return 0;
        }
    }

    @Command(name = "prove", mixinStandardHelpOptions = true,
            description = "Print a C2SP tlog-proof (inclusion proof and signed checkpoint) for the entry at INDEX.")
    static final class Prove implements Callable<Integer> {
        @Option(names = "--url", required = true, description = "the log's URL prefix, e.g. http://host:8080/ledger/")
        URI url;

        @Option(names = "--index", required = true, paramLabel = "N", description = "the entry's index")
        long index;

        @Option(names = "--vkey", paramLabel = "VKEY", description = "check the checkpoint's signature with this verifier key first")
        String vkey;

        @Override
        public Integer call() {
            System.out.print(Ledger.prove(url, index, vkey).orThrow());
            System.out.flush();
            return 0;
        }
    }
}
