package ai.sovereign.policy;

import java.util.EnumMap;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Objects;

/**
 * A tenant's personal-data policy: an action per entity type, a default for the other types, and options.
 *
 * <p>Config shape (the tenant's {@code pii:} block; all keys optional):
 * <pre>
 *   pii: { KR_RRN: block, PHONE_NUMBER: pseudonymize, default: redact,
 *          format_preserving: true, restore: true, fail_open: false, min_score: 0.5 }
 * </pre>
 * <ul>
 *   <li>type keys are {@link PiiType} names; values are {@link PiiAction} config names;</li>
 *   <li>{@code default}: the action for types not named (default {@code allow});</li>
 *   <li>{@code format_preserving}: pseudonymize phone numbers and e-mail addresses in their own shape
 *       ({@code 010-4821-0937}, {@code u3fa9c2d1e@example.kr}) instead of a token (default false);</li>
 *   <li>{@code restore}: map pseudonyms in the model's answer back to the originals (default true);</li>
 *   <li>{@code fail_open}: a detector fault lets the request through unguarded instead of refusing it
 *       (default false: fail closed);</li>
 *   <li>{@code min_score}: the detector score from which an entity counts (default {@link PiiScanner#DEFAULT_MIN_SCORE}).</li>
 * </ul>
 * {@link #DEFAULT} is the policy when a tenant has none (PRODUCT.md): KR_RRN, KR_FRN, KR_PASSPORT and
 * KR_DRIVER_LICENSE blocked (PIPA Art. 24), other types allowed; counts of all types are recorded either way.
 */
public record PiiPolicy(Map<PiiType, PiiAction> actions, PiiAction defaultAction, boolean formatPreserving, boolean restore,
                        boolean failOpen, double minScore) {
    public static final PiiPolicy DEFAULT = new PiiPolicy(Map.of(
            PiiType.KR_RRN, PiiAction.BLOCK, PiiType.KR_FRN, PiiAction.BLOCK,
            PiiType.KR_PASSPORT, PiiAction.BLOCK, PiiType.KR_DRIVER_LICENSE, PiiAction.BLOCK),
            PiiAction.ALLOW, false, true, false, PiiScanner.DEFAULT_MIN_SCORE);

    public PiiPolicy {
        Objects.requireNonNull(defaultAction, "defaultAction");
        EnumMap<PiiType, PiiAction> copy = new EnumMap<>(PiiType.class);
        copy.putAll(actions);
        actions = java.util.Collections.unmodifiableMap(copy);
        if (!(minScore >= 0 && minScore <= 1)) {
            throw new IllegalArgumentException("min_score must be in [0, 1], was " + minScore);
        }
    }

    /** The action for {@code type}. */
    public PiiAction action(PiiType type) {
        return actions.getOrDefault(type, defaultAction);
    }

    /**
     * Parses a {@code pii:} block (scalar values as strings); null means {@link #DEFAULT}. An unknown key or value is an
     * error naming it.
     */
    public static PiiPolicy parse(Map<String, String> block) {
        if (block == null) {
            return DEFAULT;
        }
        Map<PiiType, PiiAction> actions = new LinkedHashMap<>();
        PiiAction fallback = PiiAction.ALLOW;
        boolean formatPreserving = false;
        boolean restore = true;
        boolean failOpen = false;
        double minScore = PiiScanner.DEFAULT_MIN_SCORE;
        for (Map.Entry<String, String> e : block.entrySet()) {
            String key = e.getKey();
            String value = e.getValue() == null ? "" : e.getValue().strip();
            try {
                switch (key) {
                    case "default" -> fallback = PiiAction.parse(value);
                    case "format_preserving" -> formatPreserving = bool(value);
                    case "restore" -> restore = bool(value);
                    case "fail_open" -> failOpen = bool(value);
                    case "min_score" -> minScore = Double.parseDouble(value);
                    default -> actions.put(type(key), PiiAction.parse(value));
                }
            } catch (IllegalArgumentException ex) {
                throw new IllegalArgumentException("pii." + key + ": " + ex.getMessage());
            }
        }
        return new PiiPolicy(actions, fallback, formatPreserving, restore, failOpen, minScore);
    }

    private static PiiType type(String key) {
        try {
            return PiiType.valueOf(key);
        } catch (IllegalArgumentException e) {
            throw new IllegalArgumentException("unknown key; use an entity type (KR_RRN, PHONE_NUMBER, ...), default, "
                    + "format_preserving, restore, fail_open or min_score");
        }
    }

    private static boolean bool(String value) {
        return switch (value) {
            case "true" -> true;
            case "false" -> false;
            default -> throw new IllegalArgumentException("must be true or false");
        };
    }
}
