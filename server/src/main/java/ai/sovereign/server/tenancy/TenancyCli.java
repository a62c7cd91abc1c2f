package ai.sovereign.server.tenancy;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.dataformat.yaml.YAMLFactory;
import java.io.IOException;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.time.LocalDate;
import java.time.ZoneOffset;
import java.time.format.DateTimeParseException;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import picocli.CommandLine.Option;

/** What {@code sovereign tenants} and {@code sovereign keys} share: the store option, parsing and output. */
final class TenancyCli {
    static final ObjectMapper JSON = new ObjectMapper();

    private TenancyCli() {}

    /** {@code --store URL} or {@code --config FILE} (its {@code store.url}); default {@code embedded:./data}. */
    static final class StoreOptions {
        @Option(names = "--store", paramLabel = "URL", description = "the tenants store: embedded:DIR or jdbc:postgresql://host/db (default: embedded:./data)")
        String store;

        @Option(names = "--config", paramLabel = "FILE", description = "read store.url from this sovereign.yaml")
        Path config;

        Tenancy open() {
            if (store != null && config != null) {
                throw new IllegalArgumentException("give --store or --config, not both");
            }
            String url = store;
            if (config != null) {
                try {
                    JsonNode node = new ObjectMapper(new YAMLFactory()).readTree(config.toFile());
                    JsonNode u = node == null ? null : node.path("store").path("url");
                    url = u == null || u.isMissingNode() || u.isNull() ? null : u.asText();
                } catch (IOException e) {
                    throw new IllegalArgumentException("cannot read " + config + ": " + e.getMessage().lines().findFirst().orElse(""));
                }
            }
            return Tenancy.open(url == null ? "embedded:./data" : url);
        }
    }

    /** {@code 2026-03-01} (UTC midnight) or an instant such as {@code 2026-03-01T09:00:00Z}. */
    static Instant instant(String s, String option) {
        try {
            return s.length() == 10 ? LocalDate.parse(s).atStartOfDay(ZoneOffset.UTC).toInstant() : Instant.parse(s);
        } catch (DateTimeParseException e) {
            throw new IllegalArgumentException(option + " '" + s + "' is not a date (2026-03-01) or an instant (2026-03-01T09:00:00Z)");
        }
    }

    /** {@code 90d}, {@code 12h}, {@code 30m}, {@code 10s}, {@code 0}, or ISO-8601 ({@code PT1H}). */
    static Duration duration(String s, String option) {
        try {
            if (s.equals("0")) {
                return Duration.ZERO;
            }
            if (s.startsWith("P") || s.startsWith("p")) {
                return Duration.parse(s);
            }
            long n = Long.parseLong(s.substring(0, s.length() - 1));
            return switch (s.charAt(s.length() - 1)) {
                case 'd' -> Duration.ofDays(n);
                case 'h' -> Duration.ofHours(n);
                case 'm' -> Duration.ofMinutes(n);
                case 's' -> Duration.ofSeconds(n);
                default -> throw new NumberFormatException();
            };
        } catch (RuntimeException e) {
            throw new IllegalArgumentException(option + " '" + s + "' is not a duration such as 90d, 12h, 30m or PT1H");
        }
    }

    /** {@code TYPE=action,TYPE=action}. */
    static Map<String, String> piiMap(String s) {
        Map<String, String> out = new LinkedHashMap<>();
        if (s == null || s.isBlank()) {
            return out;
        }
        for (String kv : s.split(",")) {
            int eq = kv.indexOf('=');
            if (eq <= 0) {
                throw new IllegalArgumentException("--pii '" + kv + "' is not TYPE=action (e.g. KR_RRN=block,default=redact)");
            }
            out.put(kv.substring(0, eq).trim(), kv.substring(eq + 1).trim().toLowerCase(Locale.ROOT));
        }
        return out;
    }

    static List<String> list(String s) {
        List<String> out = new ArrayList<>();
        if (s != null) {
            for (String part : s.split(",")) {
                if (!part.isBlank()) {
                    out.add(part.trim());
                }
            }
        }
        return out;
    }

    static Map<String, Object> json(Tenant t) {
        Map<String, Object> m = new LinkedHashMap<>();
        m.put("id", t.id());
        m.put("kind", t.isOrganization() ? "organization" : "project");
        if (t.parent() != null) {
            m.put("parent", t.parent());
        }
        m.put("jurisdictions", t.jurisdictions());
        m.put("min_tier", t.minTier());
        m.put("pii", t.pii());
        m.put("models", t.models());
        Map<String, Object> q = new LinkedHashMap<>();
        q.put("requests_per_minute", t.quotas().requestsPerMinute());
        q.put("tokens_per_minute", t.quotas().tokensPerMinute());
        q.put("tokens_per_day", t.quotas().tokensPerDay());
        q.put("tokens_per_month", t.quotas().tokensPerMonth());
        q.put("max_concurrent", t.quotas().maxConcurrent());
        m.put("quotas", q);
        Map<String, Object> share = new LinkedHashMap<>();
        share.put("weight", t.weight());
        share.put("priority", t.priority().label());
        m.put("share", share);
        return m;
    }

    static Map<String, Object> json(ApiKey k) {
        Map<String, Object> m = new LinkedHashMap<>();
        m.put("lookup", k.lookup());
        m.put("tenant", k.tenant());
        m.put("scopes", k.scopes().stream().sorted().map(ApiKey.Scope::label).toList());
        m.put("name", k.name());
        m.put("created_at", String.valueOf(k.createdAt()));
        m.put("expires_at", k.expiresAt() == null ? null : k.expiresAt().toString());
        m.put("revoked_at", k.revokedAt() == null ? null : k.revokedAt().toString());
        m.put("replaced_by", k.replacedBy());
        return m;
    }

    static Map<String, Object> json(Grant g) {
        Map<String, Object> m = new LinkedHashMap<>();
        m.put("id", g.id());
        m.put("tenant", g.tenant());
        m.put("model", g.model());
        m.put("starts_at", g.startsAt().toString());
        m.put("ends_at", g.endsAt().toString());
        return m;
    }

    static String line(Object value) {
        try {
            return JSON.writeValueAsString(value);
        } catch (IOException e) {
            throw new IllegalStateException(e);
        }
    }

    static String csv(String s) {
        return s.contains(",") || s.contains("\"") || s.contains("\n") ? "\"" + s.replace("\"", "\"\"") + "\"" : s;
    }
}
