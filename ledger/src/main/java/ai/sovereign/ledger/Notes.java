package ai.sovereign.ledger;

import java.nio.ByteBuffer;
import java.nio.charset.CharacterCodingException;
import java.nio.charset.CodingErrorAction;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Base64;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * C2SP signed-note v1.0.0: parsing, opening (verifying) and signing.
 *
 * <pre>
 * note      = text "\n" 1*sigline          ; text is UTF-8, ends in "\n", may hold blank lines
 * sigline   = "— " name " " base64(blob) "\n" ; "—" is U+2014, blob = key ID (4 bytes, BE) || signature
 * </pre>
 * The text is split from the signatures at the <em>last</em> blank line; the signed bytes are the
 * text including its final newline. No control characters but {@code \n} anywhere.
 *
 * <p>Opening follows C2SP and golang.org/x/mod/sumdb/note: signatures from unknown keys (name and
 * key ID must both match) are kept as unverified; a known key's signature must verify or the
 * note is rejected ("invalid signature for key N+ID"); two verifiers with the same name and ID
 * make that key ambiguous (an error only if a signature uses it); repeated signatures by one key
 * count once; at least one signature must verify. Like Go we reject notes with more than 100
 * signature lines (C2SP requires accepting 16).
 */
final class Notes {
    private Notes() {}

    static final String DASH = "\u2014 ";
    static final int MAX_SIGNATURES = 100;

    /** One signature line. */
    record Signature(String name, int keyId, byte[] blob) {
        String keyLabel() {
            return name + "+" + String.format("%08x", keyId);
        }
    }

    /** A parsed note: its text and all signature lines, in order. */
    record Parsed(String text, List<Signature> signatures) {}

    /** A note with at least one verified signature. */
    record Opened(String text, List<Signature> verified, List<Signature> unverified) {}

    // ---------------------------------------------------------------- parsing

    static Verification<Parsed> parse(byte[] msg) {
        String s;
        try {
            s = StandardCharsets.UTF_8.newDecoder()
                    .onMalformedInput(CodingErrorAction.REPORT)
                    .onUnmappableCharacter(CodingErrorAction.REPORT)
                    .decode(ByteBuffer.wrap(msg)).toString();
        } catch (CharacterCodingException e) {
            return Verification.failed("malformed note: not valid UTF-8");
        }
        return parse(s);
    }

    static Verification<Parsed> parse(String s) {
        for (int i = 0; i < s.length(); i++) {
            char c = s.charAt(i);
            if (c < 0x20 && c != '\n' || c == 0x7f) {
                return Verification.failed("malformed note: control character 0x" + String.format("%02x", (int) c) + " at offset " + i);
            }
        }
        int split = s.lastIndexOf("\n\n");
        if (split < 0) {
            return Verification.failed("malformed note: no blank line before the signatures");
        }
        String text = s.substring(0, split + 1);
        String sigs = s.substring(split + 2);
        if (sigs.isEmpty()) {
            return Verification.failed("malformed note: no signature lines after the blank line");
        }
        if (!sigs.endsWith("\n")) {
            return Verification.failed("malformed note: the last signature line does not end in a newline");
        }
        List<Signature> out = new ArrayList<>();
        int lineNo = 0;
        for (String line : sigs.substring(0, sigs.length() - 1).split("\n", -1)) {
            lineNo++;
            if (out.size() == MAX_SIGNATURES) {
                return Verification.failed("malformed note: more than " + MAX_SIGNATURES + " signatures");
            }
            if (!line.startsWith(DASH)) {
                return Verification.failed("malformed note: signature line " + lineNo + " does not start with \"— \"");
            }
            String rest = line.substring(DASH.length());
            int sp = rest.indexOf(' ');
            if (sp < 0) {
                return Verification.failed("malformed note: signature line " + lineNo + " has no space between key name and signature");
            }
            String name = rest.substring(0, sp);
            if (!validName(name)) {
                return Verification.failed("malformed note: signature line " + lineNo + " has an invalid key name");
            }
            byte[] blob = decodeBase64(rest.substring(sp + 1));
            if (blob == null) {
                return Verification.failed("malformed note: signature line " + lineNo + " (" + name + ") is not canonical base64");
            }
            if (blob.length < 5) {
                return Verification.failed("malformed note: signature line " + lineNo + " (" + name + ") is " + blob.length + " bytes; at least 5 expected");
            }
            out.add(new Signature(name, ByteBuffer.wrap(blob).getInt(), blob));
        }
        return Verification.ok(new Parsed(text, List.copyOf(out)));
    }

    /** C2SP key names: non-empty, no Unicode white space, no '+'. */
    static boolean validName(String name) {
        if (name.isEmpty() || name.indexOf('+') >= 0) {
            return false;
        }
        return name.codePoints().noneMatch(cp -> Character.isWhitespace(cp) || Character.isSpaceChar(cp) || cp == 0x85);
    }

    // ---------------------------------------------------------------- opening

    static Verification<Opened> open(byte[] msg, List<NoteVerifier> verifiers) {
        return parse(msg).then(p -> open(p, verifiers));
    }

    static Verification<Opened> open(String msg, List<NoteVerifier> verifiers) {
        return parse(msg).then(p -> open(p, verifiers));
    }

    static Verification<Opened> open(Parsed note, List<NoteVerifier> verifiers) {
        Map<String, List<NoteVerifier>> known = new HashMap<>();
        for (NoteVerifier v : verifiers) {
            known.computeIfAbsent(v.label(), k -> new ArrayList<>()).add(v);
        }
        byte[] text = note.text().getBytes(StandardCharsets.UTF_8);
        List<Signature> verified = new ArrayList<>();
        List<Signature> unverified = new ArrayList<>();
        Set<String> seen = new HashSet<>();
        for (Signature sig : note.signatures()) {
            String label = sig.keyLabel();
            List<NoteVerifier> candidates = known.get(label);
            if (candidates == null) {
                unverified.add(sig);
                continue;
            }
            if (candidates.size() > 1) {
                return Verification.failed("ambiguous key " + label + " (listed " + candidates.size() + " times among the verifiers)");
            }
            if (!seen.add(label)) {
                continue;
            }
            Verification<Void> v = candidates.getFirst().verify(text, sig.blob());
            if (!v.isOk()) {
                return Verification.failed("invalid signature for key " + label + ": " + v.reason());
            }
            verified.add(sig);
        }
        if (verified.isEmpty()) {
            return Verification.failed("note has no verifiable signatures"
                    + (unverified.isEmpty() ? "" : " (signed by " + String.join(", ", unverified.stream().map(Signature::keyLabel).toList()) + ")"));
        }
        return Verification.ok(new Opened(note.text(), List.copyOf(verified), List.copyOf(unverified)));
    }

    // ---------------------------------------------------------------- signing

    /** Signs {@code text} (which must end in a newline) with each signer, in order. */
    static String sign(String text, List<NoteSigner> signers) {
        if (!text.endsWith("\n")) {
            throw new IllegalArgumentException("a note's text must end in a newline");
        }
        if (parse(text + "\n" + DASH + "x AAAAAAA=\n") instanceof Verification.Failed<Parsed> f) {
            throw new IllegalArgumentException(f.reason());
        }
        StringBuilder sb = new StringBuilder(text).append('\n');
        byte[] bytes = text.getBytes(StandardCharsets.UTF_8);
        for (NoteSigner s : signers) {
            sb.append(DASH).append(s.name()).append(' ')
                    .append(Base64.getEncoder().encodeToString(s.sign(bytes))).append('\n');
        }
        return sb.toString();
    }

    // ---------------------------------------------------------------- helpers

    /** Standard base64 with padding, canonical only (re-encoding gives the same string); null if not. */
    static byte[] decodeBase64(String s) {
        if (s.isEmpty() || s.length() % 4 != 0) {
            return s.isEmpty() ? new byte[0] : null;
        }
        byte[] b;
        try {
            b = Base64.getDecoder().decode(s);
        } catch (IllegalArgumentException e) {
            return null;
        }
        return Base64.getEncoder().encodeToString(b).equals(s) ? b : null;
    }

    /** A short, printable excerpt of untrusted input for error messages. */
    static String excerpt(String s) {
        String t = s.length() > 40 ? s.substring(0, 40) + "…" : s;
        return "\"" + t.replaceAll("[\\p{Cntrl}]", "?") + "\"";
    }
}
