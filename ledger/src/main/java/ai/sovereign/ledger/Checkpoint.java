package ai.sovereign.ledger;

import java.util.ArrayList;
import java.util.List;

/**
 * A log checkpoint (C2SP tlog-checkpoint v1.0.0), the text of a signed note:
 * <pre>
 * origin "\n" size "\n" base64(root) "\n" *(extension "\n")
 * </pre>
 * origin: the log's identity (non-empty); size: ASCII decimal, no leading zeros ("0" for the empty
 * tree); root: the RFC 9162 root at that size (32 bytes, standard base64); extension lines are
 * non-empty and opaque (we emit none).
 */
public record Checkpoint(String origin, long size, Hash root, List<String> extensions) {

    public Checkpoint {
        extensions = List.copyOf(extensions);
        if (origin.isEmpty() || origin.contains("\n")) {
            throw new IllegalArgumentException("invalid origin");
        }
        if (size < 0) {
            throw new IllegalArgumentException("negative size");
        }
    }

    public Checkpoint(String origin, long size, Hash root) {
        this(origin, size, root, List.of());
    }

    /** The note text (what is signed). */
    public String body() {
        StringBuilder sb = new StringBuilder(origin).append('\n').append(size).append('\n').append(root.base64()).append('\n');
        extensions.forEach(e -> sb.append(e).append('\n'));
        return sb.toString();
    }

    /** Parses a checkpoint body (the note text, without signatures). */
    public static Verification<Checkpoint> parse(String text) {
        if (!text.endsWith("\n")) {
            return Verification.failed("malformed checkpoint: the text does not end in a newline");
        }
        String[] lines = text.substring(0, text.length() - 1).split("\n", -1);
        if (lines.length < 3) {
            return Verification.failed("malformed checkpoint: " + lines.length + " lines; origin, size and root hash are required");
        }
        if (lines[0].isEmpty()) {
            return Verification.failed("malformed checkpoint: empty origin line");
        }
        String sz = lines[1];
        long size = decimalSize(sz);
        if (size == TOO_LARGE) {
            return Verification.failed("malformed checkpoint: size " + sz + " is above 2^63-1");
        }
        if (size < 0) {
            return Verification.failed("malformed checkpoint: size " + Notes.excerpt(sz) + " is not a decimal number without leading zeros");
        }
        byte[] root = Notes.decodeBase64(lines[2]);
        if (root == null || root.length != Hash.SIZE) {
            return Verification.failed("malformed checkpoint: root hash " + Notes.excerpt(lines[2]) + " is not base64 of 32 bytes");
        }
        List<String> ext = new ArrayList<>();
        for (int i = 3; i < lines.length; i++) {
            if (lines[i].isEmpty()) {
                return Verification.failed("malformed checkpoint: empty extension line " + (i - 2));
            }
            ext.add(lines[i]);
        }
        return Verification.ok(new Checkpoint(lines[0], size, Hash.wrap(root), ext));
    }

    /**
     * Opens a signed checkpoint: the note must carry a valid signature by {@code vkey} (a signed-note
     * verifier key), and the origin must equal the key's name (C2SP: the log's key name SHOULD be
     * the origin; we require it, so one key cannot vouch for another log).
     */
    public static Verification<Checkpoint> open(String signedNote, String vkey) {
        return NoteVerifier.parse(vkey).then(v -> open(signedNote, v, v.name()));
    }

    static Verification<Checkpoint> open(String signedNote, NoteVerifier logKey, String origin) {
        return Notes.open(signedNote, List.of(logKey))
                .then(opened -> parse(opened.text()))
                .then(c -> c.origin().equals(origin) ? Verification.ok(c)
                        : Verification.failed("checkpoint origin " + Notes.excerpt(c.origin()) + " is not the expected " + Notes.excerpt(origin)));
    }

    /** {@link #decimalSize}'s answer for 19 digits above 2^63-1. */
    static final long TOO_LARGE = -2;

    /** A tree size as C2SP writes it (ASCII decimal, no sign, no leading zero); -1 when {@code s} is not one, {@link #TOO_LARGE} when it is above 2^63-1. */
    static long decimalSize(String s) {
        if (s.isEmpty() || s.length() > 19 || !s.chars().allMatch(c -> c >= '0' && c <= '9') || s.length() > 1 && s.charAt(0) == '0') {
            return -1;
        }
        try {
            return Long.parseLong(s);
        } catch (NumberFormatException e) {
            return TOO_LARGE;
        }
    }
}
