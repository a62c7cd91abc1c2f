package ai.sovereign.server;

import ai.sovereign.ledger.Checkpoint;
import ai.sovereign.ledger.Ledger;
import ai.sovereign.ledger.Verification;
import ai.sovereign.ledger.Witness;
import com.sun.net.httpserver.HttpExchange;
import com.sun.net.httpserver.HttpServer;
import java.io.IOException;
import java.net.InetSocketAddress;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.Callable;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.Executors;
import picocli.CommandLine.ArgGroup;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/**
 * {@code sovereign ledger ...}: verify a transparency ledger, print an inclusion proof for one entry, verify such a proof
 * offline, or run a witness.
 */
@Command(name = "ledger", mixinStandardHelpOptions = true,
        description = "Verify the transparency ledger; print and verify inclusion proofs (C2SP tlog-proof); run a witness.",
        subcommands = {LedgerCommand.Verify.class, LedgerCommand.Prove.class, LedgerCommand.VerifyProof.class, LedgerCommand.WitnessCommand.class})
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

        @Option(names = "--witness", paramLabel = "VKEY",
                description = "require a valid cosignature by this witness (cosigner verifier key; repeatable)")
        List<String> witnesses = new ArrayList<>();

        @Override
        public Integer call() throws Exception {
            String trustedNote = trusted == null ? null : Files.readString(trusted, StandardCharsets.UTF_8);
            if (vkey == null) {
                System.err.println("sovereign ledger verify: no --vkey given; using the key the log publishes (checks integrity, not identity)");
            }
            Verification<Checkpoint> v = source.dir != null
                    ? Ledger.verify(source.dir, vkey, trustedNote, true, witnesses)
                    : Ledger.verify(source.url, vkey, trustedNote, true, witnesses);
            Checkpoint cp = v.orThrow();
            System.out.println("ok: " + cp.origin() + " size " + cp.size() + " root " + cp.root().base64()
                    + (witnesses.isEmpty() ? "" : " cosigned by " + witnesses.size() + " witness" + (witnesses.size() == 1 ? "" : "es")));
            return 0;
        }
    }

    @Command(name = "prove", mixinStandardHelpOptions = true,
            description = "Print a C2SP tlog-proof for the entry at INDEX: the entry itself (extra line), its inclusion proof and the "
                    + "signed checkpoint with its cosignatures. `ledger verify-proof` checks it offline.")
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

    @Command(name = "verify-proof", mixinStandardHelpOptions = true,
            description = {"Verify a C2SP tlog-proof offline (nothing is fetched): the checkpoint's signature by --vkey (its origin must be the "
                    + "key's name), a cosignature by each --witness, and the inclusion proof from the entry to the checkpoint's root. The entry is "
                    + "the proof's extra data (as `ledger prove` and GET /ledger/proof/tlog write it) or --entry FILE.",
                    "Prints 'ok: entry N of ORIGIN, checkpoint size S root R' and the decoded entry as one JSON line (ledger/ENTRY-FORMAT.md); "
                            + "exit 1 with the reason when anything fails to verify or the entry does not decode."})
    static final class VerifyProof implements Callable<Integer> {
        private static final int MAX_FILE = 1 << 20;

        @Option(names = "--vkey", required = true, paramLabel = "VKEY", description = "the log's verifier key (name+id+key), obtained out of band")
        String vkey;

        @Option(names = "--witness", paramLabel = "VKEY",
                description = "require a valid cosignature by this witness (cosigner verifier key; repeatable)")
        List<String> witnesses = new ArrayList<>();

        @Option(names = "--entry", paramLabel = "FILE", description = "the entry's bytes, for a proof without an extra line")
        Path entry;

        @picocli.CommandLine.Parameters(paramLabel = "FILE|-", arity = "0..1", defaultValue = "-",
                description = "the tlog-proof file, or - for stdin (default)")
        String input;

        @Override
        public Integer call() throws Exception {
            byte[] proof;
            try (java.io.InputStream in = input.equals("-") ? System.in : Files.newInputStream(Path.of(input))) {
                proof = in.readNBytes(MAX_FILE + 1);
            } catch (java.nio.file.NoSuchFileException e) {
                throw new IOException("no such file: " + input);
            }
            if (proof.length > MAX_FILE) {
                throw new IOException("the proof is over 1 MiB; a tlog-proof of one entry is at most about 90 KB");
            }
            Ledger.ProvenEntry proven = Ledger.verifyProof(proof, entry == null ? null : Files.readAllBytes(entry), vkey, witnesses).orThrow();
            Verification<ai.sovereign.ledger.AuditEntry> decoded = ai.sovereign.ledger.AuditEntry.decode(proven.entry());
            if (!decoded.isOk()) {
                throw new IllegalArgumentException("entry " + proven.index() + " is in the log but is not a valid audit entry: " + decoded.reason());
            }
            Checkpoint cp = proven.checkpoint();
            System.out.println("ok: entry " + proven.index() + " of " + cp.origin() + ", checkpoint size " + cp.size() + " root " + cp.root().base64()
                    + (witnesses.isEmpty() ? "" : ", cosigned by " + witnesses.size() + " witness" + (witnesses.size() == 1 ? "" : "es")));
            System.out.println(TenantLedger.render(proven.index(), proven.entry()));
            return 0;
        }
    }

    @Command(name = "witness", mixinStandardHelpOptions = true,
            description = "Run a minimal C2SP tlog-witness: POST <url>/add-checkpoint cosigns (cosignature/v1, Ed25519) a checkpoint of a "
                    + "tracked log when it is consistent with the last one this witness cosigned; forks, rollbacks and bad signatures are refused. "
                    + "Prints its URL on stdout and its verifier key on stderr (and in DIR/witness.vkey).")
    static final class WitnessCommand implements Callable<Integer> {
        private static final int MAX_BODY = 1 << 20;

        @Option(names = "--dir", required = true, paramLabel = "DIR", description = "state and key (witness.key, created 0600 on first start)")
        Path dir;

        @Option(names = "--name", required = true, description = "the witness's name, e.g. regulator.example.kr/witness")
        String name;

        @Option(names = "--log", required = true, paramLabel = "VKEY", description = "a log to witness, by its verifier key (repeatable)")
        List<String> logs;

        @Option(names = "--port", defaultValue = "8090", description = "port (0: any free one; default ${DEFAULT-VALUE})")
        int port;

        @Option(names = "--host", defaultValue = "127.0.0.1", description = "address to listen on (default ${DEFAULT-VALUE})")
        String host;

        @Override
        public Integer call() throws Exception {
            Witness witness = Witness.open(dir, name, logs);
            HttpServer http = HttpServer.create(new InetSocketAddress(host, port), 64);
            http.setExecutor(Executors.newVirtualThreadPerTaskExecutor());
            http.createContext("/add-checkpoint", ex -> {
                try (ex) {
                    if (!ex.getRequestMethod().equals("POST")) {
                        reply(ex, 405, "text/plain; charset=utf-8", "POST only\n");
                        return;
                    }
                    byte[] body = ex.getRequestBody().readNBytes(MAX_BODY + 1);
                    if (body.length > MAX_BODY) {
                        reply(ex, 413, "text/plain; charset=utf-8", "request over 1 MiB\n");
                        return;
                    }
                    switch (witness.addCheckpoint(body)) {
                        case Witness.Cosigned c -> {
                            Log.info("witness: cosigned " + c.checkpoint().origin() + " at size " + c.checkpoint().size());
                            reply(ex, 200, "text/plain; charset=utf-8", c.lines());
                        }
                        case Witness.Conflict c -> reply(ex, 409, "text/x.tlog.size", c.size() + "\n");
                        case Witness.Refused r -> {
                            Log.warn("witness: refused (" + r.status() + "): " + r.reason());
                            reply(ex, r.status(), "text/plain; charset=utf-8", r.reason() + "\n");
                        }
                    }
                } catch (RuntimeException e) {
                    Log.error("witness: " + e.getMessage());
                    reply(ex, 500, "text/plain; charset=utf-8", "internal error\n");
                }
            });
            CountDownLatch stopped = new CountDownLatch(1);
            Runtime.getRuntime().addShutdownHook(Thread.ofPlatform().unstarted(() -> {
                http.stop(1);
                stopped.countDown();
            }));
            http.start();
            System.err.println("witness: " + name + " verifier key " + witness.verifierKey() + "; tracking " + String.join(", ", witness.origins()));
            System.out.println("http://" + http.getAddress().getHostString() + ":" + http.getAddress().getPort());
            System.out.flush();
            stopped.await();
            return 0;
        }

        private static void reply(HttpExchange ex, int status, String type, String text) throws IOException {
            byte[] b = text.getBytes(StandardCharsets.UTF_8);
            ex.getResponseHeaders().set("Content-Type", type);
            ex.sendResponseHeaders(status, b.length);
            ex.getResponseBody().write(b);
        }
    }
}
