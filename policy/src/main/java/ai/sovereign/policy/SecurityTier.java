package ai.sovereign.policy;

import java.util.Locale;

/**
 * A node's security tier, ordered {@code LOW < MODERATE < HIGH}. Korea's schemes map onto it: CSAP 상/중/하 and N2SF
 * C (classified) / S (sensitive) / O (open).
 */
public enum SecurityTier {
    LOW, MODERATE, HIGH;

    /** {@code high|moderate|low}, CSAP {@code 상|중|하}, N2SF {@code C|S|O} (any case). */
    public static SecurityTier parse(String name) {
        if (name != null) {
            switch (name.strip().toLowerCase(Locale.ROOT)) {
                case "high", "상", "c" -> {
                    return HIGH;
                }
                case "moderate", "중", "s" -> {
                    return MODERATE;
                }
                case "low", "하", "o" -> {
                    return LOW;
                }
                default -> { }
            }
        }
        throw new IllegalArgumentException("tier '" + name + "' is not one of high, moderate, low (CSAP 상/중/하, N2SF C/S/O)");
    }

    public boolean atLeast(SecurityTier minimum) {
        return minimum == null || compareTo(minimum) >= 0;
    }

    public String configName() {
        return name().toLowerCase(Locale.ROOT);
    }
}
