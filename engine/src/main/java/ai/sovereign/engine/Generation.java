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
 * One sequence's generation, decided a token at a time from the logits a driver hands it (the
 * single-sequence {@link Generator} loop, or the {@link BatchScheduler} stepping many at once).
 *
 * <p>Text is produced incrementally: bytes of a UTF-8 sequence split across tokens are held until
 * the sequence completes, and any tail that could still become a stop string is held until it
 * either does (and is dropped) or cannot (and is released). When generation ends, a last listener
 * call with token id -1 releases what is still held.
 */
final class Generation {
    private final Tokenizer tokenizer;
    private final GenerationSettings settings;
    private final TokenListener listener;
    private final Sampler sampler;
    private final TokenConstraint constraint;
    private final int promptTokens;
    private final int limit;
    private final CharsetDecoder utf8 = StandardCharsets.UTF_8.newDecoder()
            .onMalformedInput(CodingErrorAction.REPLACE)
            .onUnmappableCharacter(CodingErrorAction.REPLACE);
    private ByteBuffer pendingBytes = ByteBuffer.allocate(64);
    private final CharBuffer decoded = CharBuffer.allocate(256);
    private final StringBuilder text = new StringBuilder();
    private final int[] topIds;
    private final double[] topLogprobs;
    private int[] generated;
    private int count;
    private int released;
    private GenerationResult.FinishReason finish;
    private boolean stoppedByString;

    Generation(Tokenizer tokenizer, int[] prompt, GenerationSettings settings, TokenListener listener) {
        this.tokenizer = tokenizer;
        this.settings = settings;
        this.listener = listener == null ? TokenListener.NONE : listener;
        this.sampler = new Sampler(settings.sampling(), tokenizer.size());
        this.constraint = settings.constraint() == null ? null : settings.constraint().create(tokenizer);
        for (int t : prompt) {
            sampler.accept(t);
        }
        this.promptTokens = prompt.length;
        int[] forced = settings.forcedTokens();
        this.limit = forced == null ? settings.maxTokens() : Math.min(settings.maxTokens(), forced.length);
        this.generated = new int[Math.min(limit, 256)];
        this.topIds = new int[Math.max(1, settings.topLogprobs())];
        this.topLogprobs = new double[topIds.length];
        if (limit == 0) {
            finish(GenerationResult.FinishReason.LENGTH);
        }
    }

    boolean finished() {
        return finish != null;
    }

    /** The token to feed next: the last one chosen. */
    int lastToken() {
        return generated[count - 1];
    }

    /**
     * Chooses the next token from the logits after {@code position} (penalties are applied in
     * place), reports it, and returns whether generation goes on; {@code roomLeft} is false when the
     * KV cache cannot take the chosen token.
     */
    boolean step(float[] logits, int position, boolean roomLeft) {
        if (finish != null) {
            return false;
        }
        if (listener.wantsLogits()) {
            listener.onLogits(position, logits.clone());
        }
        int vocabulary = tokenizer.size();
        sampler.penalize(logits);
        if (constraint != null) {
            constraint.mask(logits);
        }
        int[] forced = settings.forcedTokens();
        int token = forced != null ? forced[count] : sampler.sample(logits, vocabulary);
        double logprob = Double.NaN;
        List<GeneratedToken.Alternative> alternatives = List.of();
        if (settings.logprobs()) {
            logprob = logits[token] - Sampler.logSumExp(logits, vocabulary);
            if (settings.topLogprobs() > 0) {
                int found = Sampler.topLogprobs(logits, vocabulary, settings.topLogprobs(), topIds, topLogprobs);
                List<GeneratedToken.Alternative> list = new ArrayList<>(found);
                for (int i = 0; i < found; i++) {
                    list.add(new GeneratedToken.Alternative(topIds[i],
                            new String(tokenizer.tokenBytes(topIds[i]), StandardCharsets.UTF_8), topLogprobs[i]));
                }
                alternatives = List.copyOf(list);
            }
        }
        sampler.accept(token);
        if (constraint != null) {
            constraint.accept(token);
        }
        if (forced == null && settings.stopAtEndOfGeneration() && tokenizer.isEndOfGeneration(token)) {
            finish(GenerationResult.FinishReason.STOP);
            return false;
        }
        if (count == generated.length) {
            generated = Arrays.copyOf(generated, Math.min(limit, generated.length * 2));
        }
        generated[count++] = token;
        appendBytes(tokenizer.tokenBytes(token));
        int stopAt = findStop();
        String delta = release(stopAt >= 0 ? stopAt : safeEnd());
        if (!listener.onToken(new GeneratedToken(token, delta, logprob, alternatives))) {
            finish(GenerationResult.FinishReason.CANCELLED);
            return false;
        }
        if (stopAt >= 0) {
            text.setLength(stopAt);
            stoppedByString = true;
            finish(GenerationResult.FinishReason.STOP);
            return false;
        }
        if (constraint != null && constraint.complete()) {
            finish(GenerationResult.FinishReason.STOP);
            return false;
        }
        if (count == limit || !roomLeft) {
            finish(GenerationResult.FinishReason.LENGTH);
            return false;
        }
        return true;
    }

    /** Ends the generation from outside (client gone, timeout, shutdown). */
    void cancel() {
        if (finish == null) {
            finish(GenerationResult.FinishReason.CANCELLED);
        }
    }

    GenerationResult result() {
        return new GenerationResult(Arrays.copyOf(generated, count), text.substring(0, released), finish, promptTokens);
    }

    private void finish(GenerationResult.FinishReason reason) {
        finish = reason;
        if (!stoppedByString) {
            decodePending(true);
            String rest = release(text.length());
            if (!rest.isEmpty() && reason != GenerationResult.FinishReason.CANCELLED) {
                listener.onToken(new GeneratedToken(-1, rest, Double.NaN, List.of()));
            }
        }
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

    /** Start of the earliest stop string that ends in the unreleased text, or -1. */
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
                if (tailMatches(length - len, stop, len)) {
                    hold = len;
                    break;
                }
            }
        }
        return length - hold;
    }

    private boolean tailMatches(int start, String prefixOf, int length) {
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
