package ai.sovereign.policy;

import java.util.Objects;

/**
 * One detected entity: its type, its span in the scanned text (UTF-16 code units, end exclusive) and a confidence score
 * in [0, 1]. It never holds the matched value; callers that need it take {@code text.subSequence(start, end)}.
 */
public record PiiEntity(PiiType type, int start, int end, double score) {
    public PiiEntity {
        Objects.requireNonNull(type, "type");
        if (start < 0 || end <= start) {
            throw new IllegalArgumentException("span must satisfy 0 <= start < end, was " + start + ".." + end);
        }
        if (!(score >= 0 && score <= 1)) {
            throw new IllegalArgumentException("score must be in [0, 1], was " + score);
        }
    }
}
