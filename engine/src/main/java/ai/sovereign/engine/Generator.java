package ai.sovereign.engine;

import java.nio.ByteBuffer;
import java.nio.CharBuffer;
import java.nio.charset.CharsetDecoder;
import java.nio.charset.CodingErrorAction;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;

/**
 * The generation loop: feed the prompt, then repeatedly choose a token, report it and feed it back,
 * until the token limit, the context end, an end-of-generation token, a stop string or cancellation.
 *
 * <p>Text is produced incrementally: bytes of a UTF-8 sequence split across tokens are held until the
 * sequence completes, and any tail that could still become a stop string is held until it either
 * does (and is dropped) or cannot (and is released). A final listener call with token id -1 releases
 * what is still held when generation ends.
 */
public final class Generator {
    private final Session session;
    private final Tokenizer tokenizer;
    private final GenerationSettings settings;
    private final TokenListener listener;
    private final CharsetDecoder utf8 = StandardCharsets.UTF_8.newDecoder()
            .onMalformedInput(CodingErrorAction.REPLACE)
            .onUnmappableCharacter(CodingErrorAction.REPLACE);
    private ByteBuffer pendingBytes = ByteBuffer.allocate(64);
    private final CharBuffer decoded = CharBuffer.allocate(256);
    private final StringBuilder text = new StringBuilder();
    private int released;

    private Generator(Session session, Tokenizer tokenizer, GenerationSettings settings, TokenListener listener) {
        this.session = session;
        this.tokenizer = tokenizer;
        this.settings = settings;
        this.listener = listener;
    }

    public static GenerationResult generate(Session session, Tokenizer tokenizer, int[] prompt,
                                            GenerationSettings settings, TokenListener listener) {
        return new Generator(session, tokenizer, settings, listener == null ? TokenListener.NONE : listener).run(prompt);
    }

    private GenerationResult run(int[] prompt) {
        int vocabulary = tokenizer.size();
        Sampler sampler = new Sampler(settings.sampling(), vocabulary);
        for (int t : prompt) {
            sampler.accept(t);
        }
        float[] logits = session.feed(prompt);
        int[] forced = settings.forcedTokens();
        int limit = forced == null ? settings.maxTokens() : Math.min(settings.maxTokens(), forced.length);
        int[] generated = new int[Math.min(limit, 1 << 16)];
        int count = 0;
        int[] topIds = new int[Math.max(1, settings.topLogprobs())];
        double[] topLogprobs = new double[topIds.length];
        GenerationResult.FinishReason finish = GenerationResult.FinishReason.LENGTH;
        boolean stoppedByString = false;

        while (count < limit) {
            if (listener.wantsLogits()) {
                listener.onLogits(session.position() - 1, logits.clone());
            }
            sampler.penalize(logits);
            int token = forced != null ? forced[count] : sampler.sample(logits, vocabulary);
            double logprob = Double.NaN;
            List<GeneratedToken.Alternative> alternatives = List.of();
            if (settings.logprobs()) {
                logprob = logits[token] - Sampler.logSumExp(logits, vocabulary);
                if (settings.topLogprobs() > 0) {
                    int found = Sampler.topLogprobs(logits, vocabulary, settings.topLogprobs(), topIds, topLogprobs);
                    List<GeneratedToken.Alternative> list = new ArrayList<>(found);
                    for (int i = 0; i < found; i++) {
                        list.add(new GeneratedToken.Alternative(topIds[i], pieceText(topIds[i]), topLogprobs[i]));
                    }
                    alternatives = List.copyOf(list);
                }
            }
            sampler.accept(token);
            if (forced == null && settings.stopAtEndOfGeneration() && tokenizer.isEndOfGeneration(token)) {
                finish = GenerationResult.FinishReason.STOP;
                break;
            }
            if (count == generated.length) {
                generated = Arrays.copyOf(generated, Math.min(limit, generated.length * 2));
            }
            generated[count++] = token;
            appendBytes(tokenizer.tokenBytes(token));
            int stopAt = findStop();
            String delta = release(stopAt >= 0 ? stopAt : safeEnd());
            if (!listener.onToken(new GeneratedToken(token, delta, logprob, alternatives))) {
                finish = GenerationResult.FinishReason.CANCELLED;
                break;
            }
            if (stopAt >= 0) {
                text.setLength(stopAt);
                finish = GenerationResult.FinishReason.STOP;
                stoppedByString = true;
                break;
            }
            if (count == limit) {
                break;
            }
            if (session.remaining() == 0) {
                finish = GenerationResult.FinishReason.LENGTH;
                break;
            }
            logits = session.feed(token);
        }
        if (!stoppedByString) {
            flushBytes();
            String rest = release(text.length());
            if (!rest.isEmpty() && finish != GenerationResult.FinishReason.CANCELLED) {
                listener.onToken(new GeneratedToken(-1, rest, Double.NaN, List.of()));
            }
        }
        return new GenerationResult(Arrays.copyOf(generated, count), text.substring(0, released), finish, prompt.length);
    }

    private String pieceText(int id) {
        return new String(tokenizer.tokenBytes(id), StandardCharsets.UTF_8);
    }

    private void appendBytes(byte[] bytes) {
        if (pendingBytes.remaining() < bytes.length) {
            ByteBuffer bigger = ByteBuffer.allocate(Math.max(pendingBytes.capacity() * 2, pendingBytes.position() + bytes.length));
            pendingBytes.flip();
            bigger.put(pendingBytes);
            pendingBytes = bigger;
        }
        pendingBytes.put(bytes);
        decodePending(false);
    }

    private void flushBytes() {
        decodePending(true);
    }

    private void decodePending(boolean endOfInput) {
        pendingBytes.flip();
        while (true) {
            decoded.clear();
            var result = utf8.decode(pendingBytes, decoded, endOfInput);
            decoded.flip();
            text.append(decoded);
            if (!result.isOverflow()) {
                break;
            }
        }
        if (endOfInput) {
            decoded.clear();
            utf8.flush(decoded);
            decoded.flip();
            text.append(decoded);
            utf8.reset();
        }
        pendingBytes.compact();
    }

    /** Start of the earliest stop string in the unreleased text, or -1. */
    private int findStop() {
        int best = -1;
        for (String stop : settings.stop()) {
            int at = text.indexOf(stop, Math.max(0, released - stop.length() + 1));
            if (at >= 0 && (best < 0 || at < best)) {
                best = at;
            }
        }
        return best;
    }

    /** End of the text that can be released: everything but a tail that may still grow into a stop string. */
    private int safeEnd() {
        int length = text.length();
        int hold = 0;
        for (String stop : settings.stop()) {
            for (int len = Math.min(stop.length() - 1, length - released); len > hold; len--) {
                if (regionMatches(length - len, stop, len)) {
                    hold = len;
                    break;
                }
            }
        }
        return length - hold;
    }

    private boolean regionMatches(int start, String prefixOf, int length) {
        for (int i = 0; i < length; i++) {
            if (text.charAt(start + i) != prefixOf.charAt(i)) {
                return false;
            }
        }
        return true;
    }

    private String release(int end) {
        if (end <= released) {
            return "";
        }
        String delta = text.substring(released, end);
        released = end;
        return delta;
    }
}
