package ai.sovereign.policy;

import java.nio.charset.StandardCharsets;
import java.security.GeneralSecurityException;
import java.text.Normalizer;
import java.util.ArrayList;
import java.util.Collections;
import java.util.EnumMap;
import java.util.HashMap;
import java.util.HexFormat;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Objects;
import javax.crypto.Mac;
import javax.crypto.spec.SecretKeySpec;

/**
 * Applies a tenant's {@link PiiPolicy} to the texts of one request: finds personal data with a detector (the
 * {@link PiiScanner}), then either refuses the request ({@link Blocked}: types and positions, never values) or rewrites
 * its texts ({@link Guarded}: redacted and pseudonymized, with counts per type and the request's pseudonym map for
 * restoring the answer). A guard is immutable and thread-safe.
 *
 * <h2>Replacement formats</h2>
 * <ul>
 *   <li><b>Redact</b>: {@code [TYPE]}, the entity type's name in brackets, e.g. {@code [KR_RRN]}, {@code [PHONE_NUMBER]}.
 *       Nothing of the value survives; redactions are never restored.</li>
 *   <li><b>Pseudonymize</b> (token form): {@code [TYPE_h]} where {@code h} is the first 10 hex digits of
 *       HMAC-SHA-256(tenant key, TYPE ‖ 0x00 ‖ canonical value), e.g. {@code [PHONE_NUMBER_3fa9c2d1e0]}. The canonical
 *       value is the NFKC form with separators removed and letters upper-cased (phone numbers: digits, {@code +82} as a
 *       leading {@code 0}; e-mail: lower-cased), so {@code 010-1234-5678} and {@code 01012345678} get one pseudonym.
 *       Deterministic per tenant and key: the same value gives the same pseudonym in every request of the tenant, other
 *       tenants (other keys) get unrelated pseudonyms, and nothing can be linked once the key is rotated or shredded.</li>
 *   <li><b>Pseudonymize, format-preserving</b> ({@code format_preserving: true}; phone numbers and e-mail only, so prompts
 *       read naturally): a phone number keeps its separators, {@code +} and its first digit group (the area or carrier
 *       code, at most 4 digits; the first 3 digits when written without separators; with {@code +82} also the next group)
 *       and every other digit is replaced by digits drawn from the same HMAC, e.g. {@code 010-1234-5678} →
 *       {@code 010-4821-0937}. An e-mail address becomes {@code u<9 hex>@example.<tld>} keeping only the original's
 *       top-level label when it is 2-6 ASCII letters ({@code com} otherwise), e.g. {@code u3fa9c2d1e@example.kr}. If a
 *       format-preserving pseudonym would stand for two different values in one request, the token form is used.</li>
 * </ul>
 *
 * <h2>Restore</h2>
 * {@link Guarded#pseudonyms()} maps each pseudonym used in this request to the value it replaced (the first spelling
 * seen); {@link Pseudonyms#restore} and {@link Pseudonyms#restorer()} (streams) put the values back into the model's
 * answer. The map exists only inside the request, so an answer is restored only with its own tenant's, own request's
 * pseudonyms (conversation history is re-sent, so earlier turns are covered while the key stays the same).
 *
 * <h2>Faults</h2>
 * If the detector throws, the request is {@link Blocked} with {@code fault = true} (fail closed) unless the policy sets
 * {@code fail_open}, in which case the texts pass unchanged and {@link Guarded#unguarded()} is true. A key-vault fault
 * always blocks: without the key nothing can be pseudonymized.
 */
public final class PiiGuard {
    /** Finds entities; {@link PiiScanner#scan(CharSequence, double)} is the production detector. */
    @FunctionalInterface
    public interface Detector {
        List<PiiEntity> scan(CharSequence text, double minScore);
    }

    /**
     * One text of a request: message (or input) index, the field within it, and the text. {@code toString} omits it.
     * A text that is not {@code rewritable} (a tool definition, a JSON schema, a stop sequence: structure whose meaning a
     * placeholder would change) cannot be redacted or pseudonymized, so an entity there whose action is not allow blocks
     * the request.
     */
    public record Text(int message, String field, String value, boolean rewritable) {
        public Text {
            Objects.requireNonNull(field, "field");
            Objects.requireNonNull(value, "value");
        }

        /** A rewritable text (message content, a prompt, an input). */
        public Text(int message, String field, String value) {
            this(message, field, value, true);
        }

        @Override
        public String toString() {
            return "Text[" + message + "." + field + ", " + value.length() + " chars]";
        }
    }

    /** A blocked entity: its type and where it is (UTF-16 offsets, end exclusive), never its value. */
    public record Finding(PiiType type, int message, String field, int start, int end) {}

    /** The outcome of guarding a request. */
    public sealed interface Result permits Blocked, Guarded {
        /** Entities found per type (all types, whatever their action), in type order. */
        Map<PiiType, Integer> counts();
    }

    /**
     * The request must be refused: {@code entities} lists the entities whose type is blocked; {@code fault} is true when
     * the detector or key vault failed instead (then {@code entities} is empty).
     */
    public record Blocked(List<Finding> entities, Map<PiiType, Integer> counts, boolean fault) implements Result {
        public Blocked {
            entities = List.copyOf(entities);
            counts = Collections.unmodifiableMap(new EnumMap<>(counts.isEmpty() ? new EnumMap<>(PiiType.class) : counts));
        }
    }

    /**
     * The request may proceed with {@code texts} (same order as given) in place of the originals. {@code unguarded} is true
     * when the detector failed and the policy fails open (texts unchanged, nothing counted).
     */
    public record Guarded(List<String> texts, Map<PiiType, Integer> counts, Pseudonyms pseudonyms, boolean unguarded)
            implements Result {
        public Guarded {
            texts = List.copyOf(texts);
            counts = Collections.unmodifiableMap(new EnumMap<>(counts.isEmpty() ? new EnumMap<>(PiiType.class) : counts));
        }

        /** Whether any text changed. */
        public boolean rewritten(List<Text> originals) {
            for (int i = 0; i < texts.size(); i++) {
                if (!texts.get(i).equals(originals.get(i).value())) {
                    return true;
                }
            }
            return false;
        }

        @Override
        public String toString() {
            return "Guarded[" + texts.size() + " texts, counts=" + counts + ", " + pseudonyms + ", unguarded=" + unguarded + "]";
        }
    }

    private final Detector detector;
    private final PiiKeyVault vault;

    public PiiGuard(PiiScanner scanner, PiiKeyVault vault) {
        this(scanner::scan, vault);
    }

    public PiiGuard(Detector detector, PiiKeyVault vault) {
        this.detector = Objects.requireNonNull(detector, "detector");
        this.vault = Objects.requireNonNull(vault, "vault");
    }

    /** Applies {@code policy} for {@code tenant} to {@code texts}. */
    public Result apply(String tenant, PiiPolicy policy, List<Text> texts) {
        List<List<PiiEntity>> found = new ArrayList<>(texts.size());
        try {
            for (Text t : texts) {
                found.add(detector.scan(t.value(), policy.minScore()));
            }
        } catch (RuntimeException | StackOverflowError detectorFault) {
            if (policy.failOpen()) {
                return new Guarded(texts.stream().map(Text::value).toList(), Map.of(), Pseudonyms.NONE, true);
            }
            return new Blocked(List.of(), Map.of(), true);
        }
        EnumMap<PiiType, Integer> counts = new EnumMap<>(PiiType.class);
        List<Finding> blocked = new ArrayList<>();
        boolean pseudonymize = false;
        for (int i = 0; i < texts.size(); i++) {
            for (PiiEntity e : found.get(i)) {
                counts.merge(e.type(), 1, Integer::sum);
                PiiAction action = policy.action(e.type());
                if (action == PiiAction.BLOCK || (action != PiiAction.ALLOW && !texts.get(i).rewritable())) {
                    blocked.add(new Finding(e.type(), texts.get(i).message(), texts.get(i).field(), e.start(), e.end()));
                }
                pseudonymize |= action == PiiAction.PSEUDONYMIZE;
            }
        }
        if (!blocked.isEmpty()) {
            return new Blocked(blocked, counts, false);
        }
        Mac mac = null;
        if (pseudonymize) {
            try {
                mac = Mac.getInstance("HmacSHA256");
                mac.init(new SecretKeySpec(vault.key(tenant).secret(), "HmacSHA256"));
            } catch (RuntimeException | GeneralSecurityException vaultFault) {
                return new Blocked(List.of(), counts, true);
            }
        }
        Map<String, String> restore = new LinkedHashMap<>();
        Map<String, String> canonicalOf = new HashMap<>();
        List<String> out = new ArrayList<>(texts.size());
        for (int i = 0; i < texts.size(); i++) {
            String text = texts.get(i).value();
            List<PiiEntity> entities = found.get(i);
            if (entities.isEmpty()) {
                out.add(text);
                continue;
            }
            StringBuilder b = new StringBuilder(text.length() + 16 * entities.size());
            int pos = 0;
            for (PiiEntity e : entities) {
                String value = text.substring(e.start(), e.end());
                b.append(text, pos, e.start());
                switch (policy.action(e.type())) {
                    case ALLOW, BLOCK -> b.append(value);
                    case REDACT -> b.append('[').append(e.type().name()).append(']');
                    case PSEUDONYMIZE -> {
                        String p = pseudonym(mac, e.type(), value, policy.formatPreserving(), canonicalOf);
                        restore.putIfAbsent(p, value);
                        b.append(p);
                    }
                }
                pos = e.end();
            }
            b.append(text, pos, text.length());
            out.add(b.toString());
        }
        return new Guarded(out, counts, policy.restore() && !restore.isEmpty() ? new Pseudonyms(restore) : Pseudonyms.NONE, false);
    }

    private static String pseudonym(Mac mac, PiiType type, String value, boolean formatPreserving, Map<String, String> canonicalOf) {
        String canonical = canonical(type, value);
        byte[] h = mac.doFinal((type.name() + '\0' + canonical).getBytes(StandardCharsets.UTF_8));
        String token = "[" + type.name() + "_" + HexFormat.of().formatHex(h, 0, 5) + "]";
        String p = token;
        if (formatPreserving && type == PiiType.PHONE_NUMBER) {
            p = phone(value, h);
        } else if (formatPreserving && type == PiiType.EMAIL_ADDRESS) {
            p = email(value, h);
        }
        String prior = canonicalOf.putIfAbsent(p, canonical);
        if (prior != null && !prior.equals(canonical)) {
            p = token;
            canonicalOf.putIfAbsent(p, canonical);
        }
        return p;
    }

    /** The value a pseudonym stands for, independent of spelling (see the class comment). */
    static String canonical(PiiType type, String value) {
        String n = Normalizer.normalize(value, Normalizer.Form.NFKC);
        return switch (type) {
            case EMAIL_ADDRESS -> n.strip().toLowerCase(Locale.ROOT);
            case PERSON, LOCATION -> n.strip().replaceAll("\\s+", " ");
            case PHONE_NUMBER -> {
                String digits = n.replaceAll("[^0-9]", "");
                yield n.strip().startsWith("+") && digits.startsWith("82") ? "0" + digits.substring(2) : digits;
            }
            default -> n.replaceAll("[^\\p{L}\\p{N}]", "").toUpperCase(Locale.ROOT);
        };
    }

    private static String phone(String value, byte[] h) {
        // how many leading digits to keep: the first group (<= 4 digits), with +82 also the next; 3 without separators
        int keepGroups = value.strip().startsWith("+") ? 2 : 1;
        int keepDigits = 0;
        int group = 0;
        int groupDigits = 0;
        boolean inDigits = false;
        boolean separated = false;
        for (int i = 0; i < value.length(); i++) {
            if (Character.isDigit(value.charAt(i))) {
                inDigits = true;
                groupDigits++;
            } else if (inDigits) {
                separated = true;
                inDigits = false;
                if (group < keepGroups) {
                    keepDigits += Math.min(4, groupDigits);
                }
                group++;
                groupDigits = 0;
            }
        }
        if (!separated) {
            keepDigits = 3;
        }
        StringBuilder b = new StringBuilder(value.length());
        int digit = 0;
        int drawn = 0;
        for (int i = 0; i < value.length(); i++) {
            char c = value.charAt(i);
            if (Character.isDigit(c)) {
                b.append(digit < keepDigits ? c : (char) ('0' + Math.floorMod(h[(5 + drawn++) % h.length], 10)));
                digit++;
            } else {
                b.append(c);
            }
        }
        return b.toString();
    }

    private static String email(String value, byte[] h) {
        int dot = value.lastIndexOf('.');
        String tld = dot < 0 ? "" : value.substring(dot + 1).toLowerCase(Locale.ROOT);
        if (!tld.matches("[a-z]{2,6}")) {
            tld = "com";
        }
        return "u" + HexFormat.of().formatHex(h, 0, 5).substring(1) + "@example." + tld;
    }

    /** A request's pseudonyms and the values they replaced; {@code toString} shows only how many. */
    public static final class Pseudonyms {
        public static final Pseudonyms NONE = new Pseudonyms(Map.of());

        private final Map<String, String> originals;
        private final String firstChars;

        Pseudonyms(Map<String, String> originals) {
            this.originals = Map.copyOf(originals);
            StringBuilder f = new StringBuilder();
            for (String p : originals.keySet()) {
                if (f.indexOf(String.valueOf(p.charAt(0))) < 0) {
                    f.append(p.charAt(0));
                }
            }
            this.firstChars = f.toString();
        }

        public boolean isEmpty() {
            return originals.isEmpty();
        }

        public int size() {
            return originals.size();
        }

        /** The pseudonyms used (not the values). */
        public java.util.Set<String> pseudonyms() {
            return originals.keySet();
        }

        /** {@code text} with every pseudonym of this request replaced by its original value. */
        public String restore(String text) {
            if (isEmpty()) {
                return text;
            }
            Restorer r = restorer();
            return r.accept(text) + r.finish();
        }

        /** A restorer for one streamed answer. */
        public Restorer restorer() {
            return new Restorer(this);
        }

        @Override
        public String toString() {
            return "Pseudonyms[" + originals.size() + "]";
        }
    }

    /**
     * Restores pseudonyms in a streamed answer whose chunks may split a pseudonym anywhere. {@link #accept} returns what
     * can be sent now and holds back only the suffix that could still be the start of a pseudonym (from the earliest
     * position where the rest of the text is a proper prefix of one); {@link #finish} returns what is held at the end.
     * Not thread-safe: one per streamed choice.
     */
    public static final class Restorer {
        private final Pseudonyms p;
        private final StringBuilder pending = new StringBuilder();

        Restorer(Pseudonyms p) {
            this.p = p;
        }

        public String accept(CharSequence chunk) {
            if (p.isEmpty()) {
                return chunk.toString();
            }
            pending.append(chunk);
            return drain(false);
        }

        public String finish() {
            return drain(true);
        }

        /** How many characters are held back now. */
        public int held() {
            return pending.length();
        }

        private String drain(boolean end) {
            StringBuilder out = new StringBuilder(pending.length());
            int n = pending.length();
            int i = 0;
            while (i < n) {
                char c = pending.charAt(i);
                if (p.firstChars.indexOf(c) < 0) {
                    out.append(c);
                    i++;
                    continue;
                }
                if (!end && couldGrow(i, n)) {
                    break;
                }
                String match = null;
                for (String key : p.originals.keySet()) {
                    if (key.length() <= n - i && (match == null || key.length() > match.length()) && regionEquals(i, key, key.length())) {
                        match = key;
                    }
                }
                if (match != null) {
                    out.append(p.originals.get(match));
                    i += match.length();
                } else {
                    out.append(c);
                    i++;
                }
            }
            pending.delete(0, i);
            return out.toString();
        }

        /** Whether the text from {@code i} is a proper prefix of some pseudonym (so more chunks could complete it). */
        private boolean couldGrow(int i, int n) {
            int rest = n - i;
            for (String key : p.originals.keySet()) {
                if (key.length() > rest && regionEquals(i, key, rest)) {
                    return true;
                }
            }
            return false;
        }

        private boolean regionEquals(int at, String key, int len) {
            for (int k = 0; k < len; k++) {
                if (pending.charAt(at + k) != key.charAt(k)) {
                    return false;
                }
            }
            return true;
        }
    }
}
