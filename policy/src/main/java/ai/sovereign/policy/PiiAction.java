package ai.sovereign.policy;

import java.util.Locale;

/**
 * What the guard does with a detected entity of a type (configured per tenant and type):
 * <ul>
 *   <li>{@code allow}: left as written (still counted);</li>
 *   <li>{@code block}: the request is refused with the types and positions found, never the values;</li>
 *   <li>{@code redact}: replaced by the typed placeholder {@code [TYPE]}, e.g. {@code [KR_RRN]}; not restorable;</li>
 *   <li>{@code pseudonymize}: replaced by the tenant's deterministic pseudonym (see {@link PiiGuard}); pseudonyms in the
 *       model's answer are restored to the originals for that request, unless the policy sets {@code restore: false}.</li>
 * </ul>
 */
public enum PiiAction {
    ALLOW, BLOCK, REDACT, PSEUDONYMIZE;

    /** The config spelling ({@code allow}, {@code block}, {@code redact}, {@code pseudonymize}). */
    public String configName() {
        return name().toLowerCase(Locale.ROOT);
    }

    /** Parses a config value; the message names the accepted values, never anything else. */
    public static PiiAction parse(String value) {
        for (PiiAction a : values()) {
            if (a.configName().equals(value)) {
                return a;
            }
        }
        throw new IllegalArgumentException("unknown PII action '" + value + "'; use allow, block, redact or pseudonymize");
    }
}
