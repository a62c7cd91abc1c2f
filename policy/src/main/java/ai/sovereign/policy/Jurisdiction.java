package ai.sovereign.policy;

import java.util.Locale;
import java.util.Set;

/** A jurisdiction: an ISO 3166-1 alpha-2 country code, upper case ({@code KR}, {@code US}). */
public record Jurisdiction(String code) implements Comparable<Jurisdiction> {
    private static final Set<String> ISO = Locale.getISOCountries(Locale.IsoCountryCode.PART1_ALPHA2);

    public Jurisdiction {
        if (code == null || !ISO.contains(code)) {
            throw new IllegalArgumentException("'" + clip(code) + "' is not an ISO 3166-1 alpha-2 country code (e.g. KR)");
        }
    }

    /** Parses a code in any case, surrounding blanks ignored. */
    public static Jurisdiction of(String code) {
        return new Jurisdiction(code == null ? null : code.strip().toUpperCase(Locale.ROOT));
    }

    @Override
    public int compareTo(Jurisdiction o) {
        return code.compareTo(o.code);
    }

    @Override
    public String toString() {
        return code;
    }

    private static String clip(String s) {
        return s == null ? "null" : s.length() > 16 ? s.substring(0, 16) + "..." : s;
    }
}
