package ai.sovereign.ledger;

import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Base64;
import java.util.List;

/**
 * A C2SP tlog-proof file (c2sp.org/tlog-proof@v1): an offline proof that an entry is in a log.
 * <pre>
 * c2sp.org/tlog-proof@v1
 * [extra &lt;base64&gt;]                 opaque and unauthenticated; ours carry the entry's canonical bytes
 * index &lt;decimal, no leading zero&gt;
 * *(&lt;base64 32-byte hash&gt;)           the RFC 9162 inclusion proof, leaf's sibling first
 *                                    (an empty line)
 * &lt;signed checkpoint, verbatim, with any cosignatures&gt;
 * </pre>
 * The spec leaves the leaf to the application ("compute the leaf hash"). This log's proofs put the
 * entry itself in {@code extra}, so a proof is a self-contained receipt: the extra bytes are trusted
 * only once the inclusion proof binds their leaf hash to the checkpoint's signed root. A proof
 * without {@code extra} needs the entry given beside it.
 */
record TlogProof(byte[] extra, long index, List<byte[]> hashes, String checkpoint) {
    static final String HEADER = "c2sp.org/tlog-proof@v1";
    /** More hashes than any tree of 2^63 leaves needs. */
    private static final int MAX_HASHES = 63;

    TlogProof {
        hashes = List.copyOf(hashes);
    }

    /** The file's text. */
    String format() {
        StringBuilder sb = new StringBuilder(HEADER).append('\n');
        if (extra != null) {
            sb.append("extra ").append(Base64.getEncoder().encodeToString(extra)).append('\n');
        }
        sb.append("index ").append(index).append('\n');
        hashes.forEach(h -> sb.append(Base64.getEncoder().encodeToString(h)).append('\n'));
        return sb.append('\n').append(checkpoint).toString();
    }

    /** Parses a tlog-proof file; the reason names the line that is wrong (never quoting the extra data). */
    static Verification<TlogProof> parse(byte[] file) {
        String text = new String(file, StandardCharsets.UTF_8);
        if (!Arrays.equals(text.getBytes(StandardCharsets.UTF_8), file)) {
            return malformed("the file is not UTF-8");
        }
        int blank = text.indexOf("\n\n");
        if (blank < 0) {
            return malformed("no empty line before the checkpoint");
        }
        List<String> head = List.of(text.substring(0, blank).split("\n", -1));
        if (!head.getFirst().equals(HEADER)) {
            return malformed("the first line must be " + HEADER + ", not " + Notes.excerpt(head.getFirst()));
        }
        int line = 1;
        byte[] extra = null;
        if (line < head.size() && head.get(line).startsWith("extra ")) {
            extra = Notes.decodeBase64(head.get(line).substring("extra ".length()));
            if (extra == null) {
                return malformed("line 2: the extra data is not canonical standard base64");
            }
            line++;
        }
        if (line >= head.size() || !head.get(line).startsWith("index ")) {
            return malformed("line " + (line + 1) + " must be 'index <N>'");
        }
        long index = Checkpoint.decimalSize(head.get(line).substring("index ".length()));
        if (index < 0) {
            return malformed("line " + (line + 1) + ": the index is not a decimal number below 2^63 without leading zeros");
        }
        line++;
        if (head.size() - line > MAX_HASHES) {
            return malformed("the inclusion proof has " + (head.size() - line) + " hashes; no tree needs more than " + MAX_HASHES);
        }
        List<byte[]> hashes = new ArrayList<>();
        for (; line < head.size(); line++) {
            byte[] h = Notes.decodeBase64(head.get(line));
            if (h == null || h.length != Hash.SIZE) {
                return malformed("line " + (line + 1) + " (proof hash " + hashes.size() + ") is not the base64 of a 32-byte hash");
            }
            hashes.add(h);
        }
        return Verification.ok(new TlogProof(extra, index, hashes, text.substring(blank + 2)));
    }

    private static Verification<TlogProof> malformed(String why) {
        return Verification.failed("malformed tlog-proof: " + why);
    }
}
