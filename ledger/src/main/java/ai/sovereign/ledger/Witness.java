package ai.sovereign.ledger;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Base64;
import java.util.HexFormat;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * A minimal witness (C2SP tlog-witness {@code add-checkpoint}, cosignatures per C2SP
 * tlog-cosignature, Ed25519 cosignature/v1).
 *
 * <h2>Design</h2>
 * It tracks a fixed set of logs, each named by its verifier key (the key's name is the log's
 * origin). For each it keeps the last checkpoint it cosigned, in {@code <dir>/logs/<hex
 * SHA-256(origin)>}. A submission is {@code old <size>}, up to 63 base64 consistency-proof hashes,
 * an empty line, and the log-signed checkpoint. The witness cosigns only a checkpoint that is
 * consistent with the one it cosigned last, so it never cosigns two views of one log: the request
 * must name exactly that last size ({@code old}; 409 with the size otherwise, so the log can
 * retry), the consistency proof from it must verify (422: a fork or a rewritten log), and a
 * smaller checkpoint is refused (400: rollback). The new state is written durably (temporary file,
 * fsync, rename) under the same lock as the size check, before the cosignature is returned.
 * Status codes are those of tlog-witness: 400 malformed or old &gt; size, 403 no valid log
 * signature, 404 unknown origin, 409 wrong old size, 422 bad proof or bad empty root.
 *
 * <p>The cosigner key is an Ed25519 key of type 0x04 (key ID over name, 0x0A, 0x04, public key),
 * stored like a log key ({@code PRIVATE+KEY+name+id+base64(0x04 || seed)}, mode 0600, created on
 * first start). One witness key must not serve two witnesses (the cosigned message does not name
 * the cosigner).
 */
public final class Witness {
    private static final int MAX_PROOF_HASHES = 63;

    /** What an {@code add-checkpoint} request comes to. */
    public sealed interface Result permits Cosigned, Conflict, Refused {}

    /** The checkpoint was cosigned: {@code lines} are the cosignature lines to append to it. */
    public record Cosigned(Checkpoint checkpoint, String lines) implements Result {}

    /** {@code old} is not the size this witness last cosigned, which is {@code size} (HTTP 409). */
    public record Conflict(long size) implements Result {}

    /** Not cosigned: the tlog-witness status code and why. */
    public record Refused(int status, String reason) implements Result {}

    private final Path dir;
    private final NoteSigner signer;
    private final Map<String, NoteVerifier> logs = new LinkedHashMap<>();

    private Witness(Path dir, NoteSigner signer) {
        this.dir = dir;
        this.signer = signer;
    }

    /**
     * Opens the witness whose state and key live in {@code dir} ({@code witness.key}, created on
     * first start), cosigning as {@code name}, for the logs whose verifier keys are {@code logVkeys}.
     */
    public static Witness open(Path dir, String name, List<String> logVkeys) {
        if (!Notes.validName(name)) {
            throw new LedgerException("witness name " + Notes.excerpt(name) + " must be non-empty with no spaces and no '+'");
        }
        NoteSigner signer = Ledger.loadOrCreateKey(dir.resolve("witness.key"), name, NoteVerifier.COSIGNATURE_V1);
        Witness w = new Witness(dir.toAbsolutePath(), signer);
        for (String vkey : logVkeys) {
            NoteVerifier v = NoteVerifier.parse(vkey).orThrow();
            if (w.logs.put(v.name(), v) != null) {
                throw new LedgerException("two verifier keys for log " + v.name() + "; a witness tracks one key per origin");
            }
        }
        try {
            Durable.write(dir.resolve("witness.vkey"), (w.verifierKey() + "\n").getBytes(StandardCharsets.UTF_8));
        } catch (IOException e) {
            throw new LedgerException("cannot write " + dir.resolve("witness.vkey") + ": " + e.getMessage(), e);
        }
        return w;
    }

    /** This witness's cosigner verifier key ({@code name+id+base64(0x04 || key)}). */
    public String verifierKey() {
        return signer.verifier().vkey();
    }

    /** The origins this witness tracks. */
    public List<String> origins() {
        return List.copyOf(logs.keySet());
    }

    /** An {@code add-checkpoint} body as parsed, before any key is consulted. */
    record Request(long old, List<byte[]> proof, String note, Notes.Parsed parsed, Checkpoint checkpoint) {}

    /**
     * Parses an {@code add-checkpoint} body: {@code old <size>}, 0 to 63 base64 proof hashes, an empty line, a
     * checkpoint note. Every failure here is a 400 (malformed request).
     */
    static Verification<Request> parse(byte[] body) {
        String text = new String(body, StandardCharsets.UTF_8);
        if (!Arrays.equals(text.getBytes(StandardCharsets.UTF_8), body)) {
            return Verification.failed("the request is not UTF-8");
        }
        int blank = text.indexOf("\n\n");
        if (!text.startsWith("old ") || blank < 0) {
            return Verification.failed("the request must be 'old <size>', the proof lines, an empty line, then the checkpoint");
        }
        String[] head = text.substring(0, blank).split("\n", -1);
        long old = Checkpoint.decimalSize(head[0].substring(4));
        if (old < 0) {
            return Verification.failed("malformed old size " + Notes.excerpt(head[0].substring(4)));
        }
        if (head.length - 1 > MAX_PROOF_HASHES) {
            return Verification.failed("a consistency proof has at most " + MAX_PROOF_HASHES + " hashes, not " + (head.length - 1));
        }
        List<byte[]> proof = new ArrayList<>();
        for (int i = 1; i < head.length; i++) {
            byte[] h = Notes.decodeBase64(head[i]);
            if (h == null || h.length != Hash.SIZE) {
                return Verification.failed("proof line " + i + " is not the base64 of a 32-byte hash");
            }
            proof.add(h);
        }
        String note = text.substring(blank + 2);
        Verification<Notes.Parsed> parsed = Notes.parse(note);
        if (!(parsed instanceof Verification.Ok<Notes.Parsed>(Notes.Parsed p))) {
            return Verification.failed("checkpoint: " + parsed.reason());
        }
        Verification<Checkpoint> cpv = Checkpoint.parse(p.text());
        if (!(cpv instanceof Verification.Ok<Checkpoint>(Checkpoint cp))) {
            return Verification.failed("checkpoint: " + cpv.reason());
        }
        return Verification.ok(new Request(old, List.copyOf(proof), note, p, cp));
    }

    /** Handles one {@code add-checkpoint} request body. */
    public Result addCheckpoint(byte[] body) {
        Verification<Request> parsed = parse(body);
        if (!(parsed instanceof Verification.Ok<Request>(Request request))) {
            return new Refused(400, parsed.reason());
        }
        long old = request.old();
        List<byte[]> proof = request.proof();
        String note = request.note();
        Notes.Parsed p = request.parsed();
        Checkpoint cp = request.checkpoint();
        NoteVerifier logKey = logs.get(cp.origin());
        if (logKey == null) {
            return new Refused(404, "unknown log " + Notes.excerpt(cp.origin()));
        }
        Verification<Notes.Opened> opened = Notes.open(p, List.of(logKey));
        if (!opened.isOk()) {
            return new Refused(403, "checkpoint of " + cp.origin() + ": " + opened.reason());
        }
        if (old > cp.size()) {
            return new Refused(400, "old size " + old + " is larger than the checkpoint's size " + cp.size() + " (a rollback)");
        }
        if (cp.size() == 0 && !cp.root().equals(Hash.wrap(Merkle.EMPTY_ROOT.clone()))) {
            return new Refused(422, "a checkpoint of size 0 must have the empty tree's root");
        }
        synchronized (this) {
            Checkpoint last;
            try {
                last = last(cp.origin(), logKey);
            } catch (IOException e) {
                throw new LedgerException("cannot read the witness state in " + dir + ": " + e.getMessage(), e);
            }
            long lastSize = last == null ? 0 : last.size();
            if (old != lastSize) {
                return new Conflict(lastSize);
            }
            Verification<Void> consistent;
            if (old == 0) {
                consistent = proof.isEmpty() ? Verification.ok() : Verification.failed("a proof from size 0 must be empty");
            } else if (old == cp.size()) {
                consistent = !proof.isEmpty() ? Verification.failed("a proof between equal sizes must be empty")
                        : last.root().equals(cp.root()) ? Verification.ok()
                        : Verification.failed("size " + old + " has root " + last.root().base64() + " here, not " + cp.root().base64());
            } else {
                consistent = Proofs.verifyConsistency(old, cp.size(), proof, last.root().raw(), cp.root().raw());
            }
            if (!consistent.isOk()) {
                return new Refused(422, "checkpoint " + cp.size() + " of " + cp.origin() + " is not consistent with the one cosigned at size "
                        + old + ": " + consistent.reason() + " (a fork or a rewritten log)");
            }
            try {
                Durable.write(statePath(cp.origin()), note.getBytes(StandardCharsets.UTF_8));
            } catch (IOException e) {
                throw new LedgerException("cannot persist the witness state in " + dir + ": " + e.getMessage(), e);
            }
            long time = Math.max(1, System.currentTimeMillis() / 1000);
            byte[] blob = signer.cosign(p.text().getBytes(StandardCharsets.UTF_8), time);
            return new Cosigned(cp, Notes.DASH + signer.name() + " " + Base64.getEncoder().encodeToString(blob) + "\n");
        }
    }

    /** The checkpoint this witness last cosigned for {@code origin}, or null. */
    private Checkpoint last(String origin, NoteVerifier logKey) throws IOException {
        try {
            String note = Files.readString(statePath(origin), StandardCharsets.UTF_8);
            return Checkpoint.open(note, logKey, origin).orThrow();
        } catch (NoSuchFileException e) {
            return null;
        }
    }

    private Path statePath(String origin) {
        return dir.resolve("logs").resolve(HexFormat.of().formatHex(Merkle.sha256(origin.getBytes(StandardCharsets.UTF_8))));
    }
}
