package ai.sovereign.server;

import ai.sovereign.engine.GeneratedToken;
import ai.sovereign.policy.PiiGuard;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.function.IntFunction;

/**
 * The {@code logprobs} of one choice when the personal-data guard pseudonymized the prompt: the client sees the original
 * values, never a pseudonym or a piece of one, in tokens as in text.
 *
 * <p>Design: the tokens' pieces (their UTF-8 bytes, which the entries show as {@code token} and {@code bytes}) are matched
 * against the request's pseudonyms as one byte stream, leftmost and longest first, as the text restorer matches text.
 * The tokens that overlap a pseudonym become one entry: {@code token} is the restored text of those pieces, {@code bytes} its UTF-8, {@code logprob} the sum
 * of theirs (the log-probability of the whole run) and {@code top_logprobs} empty, since alternatives inside a
 * pseudonym are pseudonym pieces. Elsewhere an alternative is left out when it shares three or more consecutive
 * characters with a pseudonym of the request (it could spell the start of one). So the entries' tokens still
 * concatenate to the answer as the client receives it.
 *
 * <p>Streams: a token that could still be the start of a pseudonym is held until the next tokens decide it, so in a
 * stream a chunk's logprobs may trail its content by those tokens; {@link #finish} releases the rest. Without
 * pseudonyms every token passes at once, unchanged.
 */
final class PiiLogprobs {
    private final PiiGuard.Pseudonyms pseudonyms;
    private final IntFunction<byte[]> pieces;
    private final List<String> keys;
    private final List<byte[]> keyBytes = new ArrayList<>();
    private final List<GeneratedToken> pending = new ArrayList<>();
    private byte[] bytes = new byte[64];
    private int[] ends = new int[8];
    private int length;

    PiiLogprobs(PiiGuard.Pseudonyms pseudonyms, IntFunction<byte[]> pieces) {
        this.pseudonyms = pseudonyms;
        this.pieces = pieces;
        this.keys = List.copyOf(pseudonyms.pseudonyms());
        for (String k : keys) {
            keyBytes.add(k.getBytes(StandardCharsets.UTF_8));
        }
    }

    /** The logprobs object of all {@code tokens} at once (a whole response). */
    static JsonNode whole(PiiGuard.Pseudonyms pseudonyms, IntFunction<byte[]> pieces, List<GeneratedToken> tokens) {
        PiiLogprobs p = new PiiLogprobs(pseudonyms, pieces);
        ObjectNode lp = Json.object();
        ArrayNode content = lp.putArray("content");
        for (GeneratedToken t : tokens) {
            p.accept(t, content);
        }
        p.finish(content);
        return lp;
    }

    /** Adds to {@code content} the entries that {@code token} makes final (none while a pseudonym may be forming). */
    void accept(GeneratedToken token, ArrayNode content) {
        if (keys.isEmpty()) {
            entry(content, token);
            return;
        }
        byte[] piece = pieces.apply(token.id());
        if (pending.size() == ends.length) {
            ends = Arrays.copyOf(ends, 2 * ends.length);
        }
        if (length + piece.length > bytes.length) {
            bytes = Arrays.copyOf(bytes, Math.max(2 * bytes.length, length + piece.length));
        }
        System.arraycopy(piece, 0, bytes, length, piece.length);
        length += piece.length;
        ends[pending.size()] = length;
        pending.add(token);
        drain(false, content);
    }

    /** Adds the entries still held at the end of the answer. */
    void finish(ArrayNode content) {
        drain(true, content);
    }

    private void drain(boolean end, ArrayNode content) {
        List<int[]> matches = new ArrayList<>();
        int stop = length;
        for (int i = 0; i < length; ) {
            if (!end && couldGrow(i)) {
                stop = i;
                break;
            }
            int best = -1;
            for (int k = 0; k < keyBytes.size(); k++) {
                byte[] key = keyBytes.get(k);
                if (key.length <= length - i && (best < 0 || key.length > keyBytes.get(best).length) && Arrays.equals(bytes, i, i + key.length, key, 0, key.length)) {
                    best = k;
                }
            }
            if (best >= 0) {
                matches.add(new int[] {i, i + keyBytes.get(best).length, best});
                i += keyBytes.get(best).length;
            } else {
                i++;
            }
        }
        // matches all end at or before stop; a group is a token, or the run of tokens that overlap one or more matches
        int released = 0;
        int from = 0;
        int m = 0;
        while (released < pending.size()) {
            int last = released;
            int groupEnd = ends[last];
            boolean merged = false;
            while (m < matches.size() && matches.get(m)[0] < groupEnd) {
                merged = true;
                int matchEnd = matches.get(m)[1];
                while (groupEnd < matchEnd && last + 1 < pending.size()) {
                    last++;
                    groupEnd = ends[last];
                }
                m++;
            }
            if (groupEnd > stop) {
                break;
            }
            if (merged) {
                mergedEntry(content, released, last, from, groupEnd, matches);
            } else {
                entry(content, pending.get(released));
            }
            released = last + 1;
            from = groupEnd;
        }
        if (released > 0) {
            pending.subList(0, released).clear();
            System.arraycopy(bytes, from, bytes, 0, length - from);
            length -= from;
            for (int t = 0; t < pending.size(); t++) {
                ends[t] = ends[t + released] - from;
            }
        }
    }

    /** Whether the bytes from {@code i} are a proper prefix of some pseudonym. */
    private boolean couldGrow(int i) {
        int rest = length - i;
        for (byte[] key : keyBytes) {
            if (key.length > rest && Arrays.equals(bytes, i, length, key, 0, rest)) {
                return true;
            }
        }
        return false;
    }

    private void mergedEntry(ArrayNode content, int first, int last, int from, int to, List<int[]> matches) {
        java.io.ByteArrayOutputStream restored = new java.io.ByteArrayOutputStream();
        int p = from;
        for (int[] match : matches) {
            if (match[0] < from || match[1] > to) {
                continue;
            }
            restored.write(bytes, p, match[0] - p);
            restored.writeBytes(pseudonyms.restore(keys.get(match[2])).getBytes(StandardCharsets.UTF_8));
            p = match[1];
        }
        restored.write(bytes, p, to - p);
        byte[] out = restored.toByteArray();
        double logprob = 0;
        for (int t = first; t <= last; t++) {
            logprob += pending.get(t).logprob();
        }
        ObjectNode entry = content.addObject();
        entry.put("token", new String(out, StandardCharsets.UTF_8));
        entry.put("logprob", logprob);
        bytes(entry, out);
        entry.putArray("top_logprobs");
    }

    private void entry(ArrayNode content, GeneratedToken t) {
        ObjectNode entry = content.addObject();
        byte[] piece = pieces.apply(t.id());
        entry.put("token", new String(piece, StandardCharsets.UTF_8));
        entry.put("logprob", t.logprob());
        bytes(entry, piece);
        ArrayNode top = entry.putArray("top_logprobs");
        for (var alt : t.alternatives()) {
            if (sharesPseudonymPiece(alt.token())) {
                continue;
            }
            ObjectNode a = top.addObject();
            a.put("token", alt.token());
            a.put("logprob", alt.logprob());
            bytes(a, pieces.apply(alt.id()));
        }
    }

    /** Whether {@code text} has three or more consecutive characters in common with a pseudonym of the request. */
    private boolean sharesPseudonymPiece(String text) {
        for (int i = 0; i + 3 <= text.length(); i++) {
            String three = text.substring(i, i + 3);
            for (String key : keys) {
                if (key.contains(three)) {
                    return true;
                }
            }
        }
        return false;
    }

    private static void bytes(ObjectNode node, byte[] bytes) {
        ArrayNode array = node.putArray("bytes");
        for (byte b : bytes) {
            array.add(b & 0xFF);
        }
    }
}
