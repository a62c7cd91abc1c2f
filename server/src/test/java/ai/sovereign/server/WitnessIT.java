package ai.sovereign.server;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.sovereign.engine.Fixtures;
import ai.sovereign.ledger.Checkpoint;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.time.Duration;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * A factory and a regulator's witness, as two real processes: the factory sends each checkpoint
 * to {@code sovereign ledger witness}, which cosigns it only when it is consistent with what it
 * cosigned before; the factory serves the cosigned checkpoint, tlog-proofs carry it, and
 * {@code ledger verify --witness} requires it. Rollbacks, bad signatures and stale sizes are refused
 * over HTTP with the C2SP tlog-witness status codes (forks: WitnessTest in the ledger module).
 */
class WitnessIT {
    private static final String WITNESS = "regulator.example.kr/witness";

    private static ServeProcess serve(Path dir, String... extra) throws Exception {
        List<String> args = new java.util.ArrayList<>(List.of("--model", "stories=" + Fixtures.shared("models/stories260K.gguf")));
        args.addAll(List.of(extra));
        return ServeProcess.start(dir, args.toArray(String[]::new));
    }

    @Test
    void aWitnessCosignsTheFactorysCheckpointsAndRefusesForgeries(@TempDir Path dir) throws Exception {
        String logVkey;
        String early;
        try (ServeProcess s = serve(dir)) { // the first start creates the log's key; the witness is told its verifier key
            logVkey = s.get("/ledger/vkey").body().strip();
            early = s.get("/ledger/checkpoint").body();
        }
        Path wdir = dir.resolve("witness");
        try (ServeProcess w = ServeProcess.launch(dir, List.of("ledger", "witness", "--dir", wdir.toString(), "--name", WITNESS,
                "--log", logVkey, "--port", "0"))) {
            String witnessVkey = Files.readString(wdir.resolve("witness.vkey")).strip();
            assertTrue(witnessVkey.startsWith(WITNESS + "+"), witnessVkey);
            assertEquals("rw-------", PosixFilePermissions.toString(Files.getPosixFilePermissions(wdir.resolve("witness.key"))));
            Files.writeString(dir.resolve("sovereign.yaml"),
                    "ledger: { witnesses: [ { url: \"" + w.baseUrl + "\", vkey: \"" + witnessVkey + "\" } ] }\n");

            try (ServeProcess s = serve(dir, "--config", "sovereign.yaml")) {
                HttpResponse<String> r = s.post("/v1/chat/completions",
                        "{\"model\":\"stories\",\"messages\":[{\"role\":\"user\",\"content\":\"Once upon a time\"}],\"max_tokens\":2}");
                assertEquals(200, r.statusCode(), r.body());
                long index = Long.parseLong(r.headers().firstValue("x-sovereign-ledger-index").orElseThrow());
                String note = waitForCosigned(s, logVkey, index + 2);
                long size = Checkpoint.open(note, logVkey).orThrow().size();

                CliIT.Run ok = CliIT.sovereign(dir, "ledger", "verify", "--url", s.baseUrl + "/ledger/", "--vkey", logVkey, "--witness", witnessVkey);
                assertEquals(0, ok.exit(), ok.err());
                assertTrue(ok.out().contains(" cosigned by 1 witness"), ok.out());
                String stranger = strangerKey(dir, logVkey);
                CliIT.Run missing = CliIT.sovereign(dir, "ledger", "verify", "--url", s.baseUrl + "/ledger/", "--vkey", logVkey, "--witness", stranger);
                assertEquals(1, missing.exit(), missing.out());
                assertTrue(missing.err().contains("not cosigned by witness stranger.example/witness+"), missing.err());

                // The served tlog-proof is what `ledger prove` prints, cosignature included.
                HttpResponse<String> proof = s.get("/ledger/proof/tlog?index=" + index);
                assertEquals(200, proof.statusCode(), proof.body());
                assertTrue(proof.headers().firstValue("content-type").orElse("").startsWith("text/plain"));
                assertTrue(proof.body().startsWith("c2sp.org/tlog-proof@v1\nextra "), proof.body());
                assertTrue(proof.body().contains("\nindex " + index + "\n"), proof.body());
                assertTrue(proof.body().endsWith(note), "the checkpoint, verbatim, ends the proof");
                CliIT.Run prove = CliIT.sovereign(dir, "ledger", "prove", "--url", s.baseUrl + "/ledger/", "--index", Long.toString(index), "--vkey", logVkey);
                assertEquals(0, prove.exit(), prove.err());
                assertEquals(proof.body(), prove.out());
                // Offline, as a regulator holding the two keys checks the receipt.
                Files.writeString(dir.resolve("receipt.tlog-proof"), prove.out());
                CliIT.Run offline = CliIT.sovereign(dir, "ledger", "verify-proof", "--vkey", logVkey, "--witness", witnessVkey, "receipt.tlog-proof");
                assertEquals(0, offline.exit(), offline.err());
                assertTrue(offline.out().startsWith("ok: entry " + index + " of "), offline.out());
                assertTrue(offline.out().contains("\"type\":\"decision\""), offline.out());
                assertEquals(400, s.get("/ledger/proof/tlog?index=" + (size + 5)).statusCode());

                // The witness refuses what it must not cosign.
                HttpResponse<String> stale = addCheckpoint(w, "old 1\n\n" + note);
                assertEquals(409, stale.statusCode());
                assertEquals("text/x.tlog.size", stale.headers().firstValue("content-type").orElseThrow());
                assertEquals(size + "\n", stale.body());
                HttpResponse<String> rollback = addCheckpoint(w, "old " + size + "\n\n" + early);
                assertEquals(400, rollback.statusCode(), rollback.body());
                assertTrue(rollback.body().contains("rollback"), rollback.body());
                int sig = note.indexOf("\n\u2014 " + Checkpoint.open(note, logVkey).orThrow().origin() + " ") + 40;
                String forged = note.substring(0, sig) + (note.charAt(sig) == 'A' ? 'B' : 'A') + note.substring(sig + 1);
                HttpResponse<String> badSignature = addCheckpoint(w, "old " + size + "\n\n" + forged);
                assertEquals(403, badSignature.statusCode(), badSignature.body());
                assertEquals(404, addCheckpoint(w, "old 0\n\nother.example/log\n0\n47DEQpj8HBSa+/TImW+5JCeuQeRkm5NMpJWZG3hSuFU=\n\n"
                        + "\u2014 other.example/log " + java.util.Base64.getEncoder().encodeToString(new byte[68]) + "\n").statusCode());
            }
        }
    }

    /** The verifier key of another witness, one that never saw this log. */
    private static String strangerKey(Path dir, String logVkey) throws Exception {
        Path sdir = dir.resolve("stranger");
        try (ServeProcess ignored = ServeProcess.launch(dir, List.of("ledger", "witness", "--dir", sdir.toString(),
                "--name", "stranger.example/witness", "--log", logVkey, "--port", "0"))) {
            return Files.readString(sdir.resolve("witness.vkey")).strip();
        }
    }

    private static HttpResponse<String> addCheckpoint(ServeProcess witness, String body) throws Exception {
        return HttpClient.newHttpClient().send(HttpRequest.newBuilder(URI.create(witness.baseUrl + "/add-checkpoint"))
                .timeout(Duration.ofSeconds(30)).POST(HttpRequest.BodyPublishers.ofString(body)).build(), HttpResponse.BodyHandlers.ofString());
    }

    /** Waits for a checkpoint of at least {@code minSize} entries carrying the witness's cosignature; returns it. */
    private static String waitForCosigned(ServeProcess s, String logVkey, long minSize) throws Exception {
        long deadline = System.nanoTime() + 10_000_000_000L;
        while (true) {
            String note = s.get("/ledger/checkpoint").body();
            boolean cosigned = note.contains("\n\u2014 " + WITNESS + " ");
            if ((cosigned && Checkpoint.open(note, logVkey).orThrow().size() >= minSize) || System.nanoTime() > deadline) {
                assertTrue(cosigned, "no cosignature in\n" + note);
                assertTrue(Checkpoint.open(note, logVkey).orThrow().size() >= minSize, note);
                return note;
            }
            Thread.sleep(50);
        }
    }
}
