package ai.sovereign.server.tenancy;

import ai.sovereign.ledger.AuditEntry;
import com.zaxxer.hikari.HikariConfig;
import com.zaxxer.hikari.HikariDataSource;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Types;
import java.time.Instant;
import java.util.ArrayList;
import java.util.EnumSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.UUID;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.locks.ReentrantLock;
import java.util.function.Consumer;
import java.util.function.LongSupplier;
import java.util.stream.Collectors;
import org.flywaydb.core.Flyway;

/**
 * The tenants store over JDBC: SQLite (embedded) or PostgreSQL, one schema migrated by Flyway on
 * open ({@code db/tenancy/V*.sql}).
 *
 * <p>Design note: every write is one transaction ({@link #write}), retried on deadlock, serialization
 * failure or a busy SQLite file; on SQLite an in-process lock keeps this process's writers from
 * spinning on the file lock, and {@code BEGIN IMMEDIATE} serializes writers across processes. Every
 * admin change also writes its admin event in the same transaction (an outbox). Admission and
 * metering live in {@link Reservations} and {@link UsageReports} over the same connections.
 * The clock is the database's on PostgreSQL (instances may disagree), the JVM's on SQLite.
 */
final class Store implements AutoCloseable {
    static final long SECOND = 1_000, MINUTE = 60_000, HOUR = 3_600_000, DAY = 86_400_000, MONTH = 30 * DAY;

    enum Dialect { SQLITE, POSTGRES }

    private final HikariDataSource pool;
    final Dialect dialect;
    final String description;
    private final LongSupplier clock;
    private final ReentrantLock localWrites = new ReentrantLock(true);
    private final AtomicLong eventSequence = new AtomicLong();

    private Store(HikariDataSource pool, Dialect dialect, String description, LongSupplier clock) {
        this.pool = pool;
        this.dialect = dialect;
        this.description = description;
        this.clock = clock;
    }

    /**
     * Opens (and migrates) the store at {@code url}: {@code embedded:DIR} (SQLite file {@code DIR/tenancy.db}),
     * {@code jdbc:sqlite:FILE} or {@code jdbc:postgresql://host[:port]/db[?user=…&password=…]}. {@code clock}
     * replaces the store's clock (tests); null uses the database's.
     */
    static Store open(String url, LongSupplier clock) {
        if (url == null || url.isBlank()) {
            url = "embedded:./data";
        }
        HikariConfig config = new HikariConfig();
        config.setPoolName("tenancy");
        config.setConnectionTimeout(10_000);
        Dialect dialect;
        String description;
        if (url.startsWith("embedded:") || url.startsWith("jdbc:sqlite:")) {
            Path file;
            if (url.startsWith("embedded:")) {
                Path dir = Path.of(url.substring("embedded:".length()));
                try {
                    Files.createDirectories(dir);
                } catch (IOException e) {
                    throw new TenancyException("cannot create the store directory " + dir + " (store.url " + url + "): " + e.getMessage(), e);
                }
                file = dir.resolve("tenancy.db");
            } else {
                file = Path.of(url.substring("jdbc:sqlite:".length()));
            }
            config.setJdbcUrl("jdbc:sqlite:" + file);
            config.addDataSourceProperty("journal_mode", "WAL");
            config.addDataSourceProperty("synchronous", "FULL");
            config.addDataSourceProperty("busy_timeout", "30000");
            config.addDataSourceProperty("foreign_keys", "true");
            config.addDataSourceProperty("transaction_mode", "IMMEDIATE");
            config.setMaximumPoolSize(4);
            dialect = Dialect.SQLITE;
            description = "embedded store " + file;
        } else if (url.startsWith("jdbc:postgresql:")) {
            config.setJdbcUrl(url);
            config.setMaximumPoolSize(8);
            dialect = Dialect.POSTGRES;
            description = "PostgreSQL store " + redact(url);
        } else {
            throw new IllegalArgumentException("store.url '" + redact(url) + "' is neither embedded:DIR nor jdbc:postgresql://host/db");
        }
        HikariDataSource pool;
        try {
            pool = new HikariDataSource(config);
        } catch (RuntimeException e) {
            throw new TenancyException("cannot open the " + description + " (store.url): " + rootMessage(e), e);
        }
        try {
            Flyway.configure().dataSource(pool).locations("classpath:db/tenancy").table("tenancy_schema_history")
                    .load().migrate();
        } catch (RuntimeException e) {
            pool.close();
            throw new TenancyException("cannot migrate the " + description + ": " + rootMessage(e), e);
        }
        return new Store(pool, dialect, description, clock);
    }

    static String redact(String url) {
        return url.replaceAll("(?i)(password=)[^&]*", "$1***").replaceAll("//([^/@:]+):[^/@]*@", "//$1:***@");
    }

    @Override
    public void close() {
        pool.close();
    }

    // ---------------------------------------------------------------- tenants

    Tenant createTenant(Tenant t) {
        return write(c -> {
            long now = now(c);
            if (findTenant(c, t.id()).isPresent()) {
                throw new IllegalArgumentException("tenant " + t.id() + " exists");
            }
            checkParent(c, t);
            try (PreparedStatement s = c.prepareStatement("INSERT INTO tenant (id, parent_id, jurisdictions, min_tier, pii, "
                    + "requests_per_minute, tokens_per_minute, tokens_per_day, tokens_per_month, max_concurrent, share_weight, priority, "
                    + "models, created_at, updated_at) VALUES (?,?,?,?,?,?,?,?,?,?,?,?,?,?,?)")) {
                s.setString(1, t.id());
                s.setString(2, t.parent());
                bindTenantFields(s, 3, t);
                s.setLong(14, now);
                s.setLong(15, now);
                s.executeUpdate();
            }
            try (PreparedStatement s = c.prepareStatement("INSERT INTO quota_counter (tenant_id, version) VALUES (?, 0)")) {
                s.setString(1, t.id());
                s.executeUpdate();
            }
            event(c, now, "tenant.create", t.id(), tenantAttributes(t));
            return t;
        });
    }

    Tenant updateTenant(Tenant t) {
        return write(c -> {
            long now = now(c);
            Tenant old = findTenant(c, t.id()).orElseThrow(() -> new IllegalArgumentException("tenant " + t.id() + " does not exist"));
            if (!java.util.Objects.equals(old.parent(), t.parent())) {
                throw new IllegalArgumentException("tenant " + t.id() + " belongs to " + (old.parent() == null ? "no organization" : old.parent())
                        + "; a tenant cannot move (delete and create it)");
            }
            checkParent(c, t);
            checkProjects(c, t);
            try (PreparedStatement s = c.prepareStatement("UPDATE tenant SET jurisdictions=?, min_tier=?, pii=?, requests_per_minute=?, "
                    + "tokens_per_minute=?, tokens_per_day=?, tokens_per_month=?, max_concurrent=?, share_weight=?, priority=?, models=?, "
                    + "updated_at=? WHERE id=?")) {
                bindTenantFields(s, 1, t);
                s.setLong(12, now);
                s.setString(13, t.id());
                s.executeUpdate();
            }
            event(c, now, "tenant.update", t.id(), tenantAttributes(t));
            return t;
        });
    }

    private void checkParent(Connection c, Tenant t) throws SQLException {
        if (t.parent() == null) {
            return;
        }
        Tenant parent = findTenant(c, t.parent()).orElseThrow(() -> new IllegalArgumentException("organization " + t.parent() + " does not exist"));
        if (!parent.isOrganization()) {
            throw new IllegalArgumentException(t.parent() + " is a project; projects belong to organizations (two levels)");
        }
        checkWithin(t, parent);
    }

    /** An organization may not be narrowed below what one of its projects lists (the project must narrow first). */
    private void checkProjects(Connection c, Tenant organization) throws SQLException {
        if (!organization.isOrganization()) {
            return;
        }
        try (PreparedStatement s = c.prepareStatement("SELECT * FROM tenant WHERE parent_id = ? ORDER BY id")) {
            s.setString(1, organization.id());
            try (ResultSet r = s.executeQuery()) {
                while (r.next()) {
                    checkWithin(tenantRow(r), organization);
                }
            }
        }
    }

    private static void checkWithin(Tenant project, Tenant organization) {
        outside(project, organization, "jurisdiction", project.jurisdictions(), organization.jurisdictions());
        outside(project, organization, "model", project.models(), organization.models());
    }

    private static void outside(Tenant project, Tenant organization, String what, List<String> listed, List<String> allowed) {
        if (allowed.isEmpty()) {
            return;
        }
        for (String x : listed) {
            if (!allowed.contains(x)) {
                throw new IllegalArgumentException("project " + project.id() + " lists " + what + " " + x + ", which its organization "
                        + organization.id() + " does not allow " + allowed + "; a project can only narrow");
            }
        }
    }

    void deleteTenant(String id) {
        write(c -> {
            long now = now(c);
            findTenant(c, id).orElseThrow(() -> new IllegalArgumentException("tenant " + id + " does not exist"));
            try (PreparedStatement s = c.prepareStatement("SELECT id FROM tenant WHERE parent_id = ? ORDER BY id")) {
                s.setString(1, id);
                List<String> children = strings(s);
                if (!children.isEmpty()) {
                    throw new IllegalArgumentException("organization " + id + " still has projects " + children + "; delete them first");
                }
            }
            for (String sql : List.of("DELETE FROM api_key WHERE tenant_id = ?", "DELETE FROM tenant_grant WHERE tenant_id = ?",
                    "DELETE FROM quota_counter WHERE tenant_id = ?", "DELETE FROM usage_bucket WHERE tenant_id = ?",
                    "DELETE FROM reservation WHERE tenant_id = ?", "DELETE FROM config_tenant WHERE tenant_id = ?",
                    "DELETE FROM tenant WHERE id = ?")) {
                try (PreparedStatement s = c.prepareStatement(sql)) {
                    s.setString(1, id);
                    s.executeUpdate();
                }
            }
            event(c, now, "tenant.delete", id, Map.of());
            return null;
        });
    }

    Optional<Tenant> tenant(String id) {
        return read(c -> findTenant(c, id));
    }

    /** The ids of the tenants mirrored from the config file. */
    java.util.Set<String> configTenants() {
        return read(c -> {
            try (PreparedStatement s = c.prepareStatement("SELECT tenant_id FROM config_tenant ORDER BY tenant_id")) {
                return new java.util.TreeSet<>(strings(s));
            }
        });
    }

    void configTenants(java.util.Set<String> ids) {
        write(c -> {
            try (PreparedStatement s = c.prepareStatement("DELETE FROM config_tenant")) {
                s.executeUpdate();
            }
            try (PreparedStatement s = c.prepareStatement("INSERT INTO config_tenant (tenant_id) VALUES (?)")) {
                for (String id : ids) {
                    s.setString(1, id);
                    s.executeUpdate();
                }
            }
            return null;
        });
    }

    List<Tenant> tenants() {
        return read(c -> {
            try (PreparedStatement s = c.prepareStatement("SELECT * FROM tenant ORDER BY COALESCE(parent_id, id), parent_id IS NOT NULL, id");
                 ResultSet r = s.executeQuery()) {
                List<Tenant> out = new ArrayList<>();
                while (r.next()) {
                    out.add(tenantRow(r));
                }
                return out;
            }
        });
    }

    static Optional<Tenant> findTenant(Connection c, String id) throws SQLException {
        try (PreparedStatement s = c.prepareStatement("SELECT * FROM tenant WHERE id = ?")) {
            s.setString(1, id);
            try (ResultSet r = s.executeQuery()) {
                return r.next() ? Optional.of(tenantRow(r)) : Optional.empty();
            }
        }
    }

    private static final List<String> TENANT_COLUMNS = List.of("id", "parent_id", "jurisdictions", "min_tier", "pii", "requests_per_minute",
            "tokens_per_minute", "tokens_per_day", "tokens_per_month", "max_concurrent", "share_weight", "priority", "models");
    /** A tenant {@code t} and its organization {@code o}, columns prefixed {@code t_} and {@code o_}. */
    private static final String CHAIN_COLUMNS = TENANT_COLUMNS.stream().map(c -> "t." + c + " AS t_" + c + ", o." + c + " AS o_" + c)
            .collect(Collectors.joining(", "));
    private static final String CHAIN_JOIN = "tenant t LEFT JOIN tenant o ON o.id = t.parent_id";

    /** The tenant and its organization (null for an organization), or null when the tenant is gone. */
    static Tenant[] chain(Connection c, String id) throws SQLException {
        try (PreparedStatement s = c.prepareStatement("SELECT " + CHAIN_COLUMNS + " FROM " + CHAIN_JOIN + " WHERE t.id = ?")) {
            s.setString(1, id);
            try (ResultSet r = s.executeQuery()) {
                return r.next() ? chainRow(r) : null;
            }
        }
    }

    private static Tenant[] chainRow(ResultSet r) throws SQLException {
        Tenant t = tenantRow(r, "t_");
        return new Tenant[] {t, t.parent() == null ? null : tenantRow(r, "o_")};
    }

    private static void bindTenantFields(PreparedStatement s, int i, Tenant t) throws SQLException {
        s.setString(i, String.join(",", t.jurisdictions()));
        s.setString(i + 1, t.minTier());
        s.setString(i + 2, piiText(t.pii()));
        Tenant.Quotas q = t.quotas();
        setLong(s, i + 3, q.requestsPerMinute());
        setLong(s, i + 4, q.tokensPerMinute());
        setLong(s, i + 5, q.tokensPerDay());
        setLong(s, i + 6, q.tokensPerMonth());
        setLong(s, i + 7, q.maxConcurrent());
        s.setInt(i + 8, t.weight());
        s.setString(i + 9, t.priority().label());
        s.setString(i + 10, String.join(",", t.models()));
    }

    private static Tenant tenantRow(ResultSet r) throws SQLException {
        return tenantRow(r, "");
    }

    private static Tenant tenantRow(ResultSet r, String prefix) throws SQLException {
        String j = r.getString(prefix + "jurisdictions");
        Map<String, String> pii = new LinkedHashMap<>();
        String p = r.getString(prefix + "pii");
        if (p != null && !p.isEmpty()) {
            for (String kv : p.split(",")) {
                int eq = kv.indexOf('=');
                pii.put(kv.substring(0, eq), kv.substring(eq + 1));
            }
        }
        Tenant.Quotas q = new Tenant.Quotas(getLong(r, prefix + "requests_per_minute"), getLong(r, prefix + "tokens_per_minute"),
                getLong(r, prefix + "tokens_per_day"), getLong(r, prefix + "tokens_per_month"), getLong(r, prefix + "max_concurrent"));
        return new Tenant(r.getString(prefix + "id"), r.getString(prefix + "parent_id"), commaList(j), r.getString(prefix + "min_tier"), pii,
                commaList(r.getString(prefix + "models")), q, r.getInt(prefix + "share_weight"), Tenant.Priority.parse(r.getString(prefix + "priority")));
    }

    /** Personal-data actions as stored: {@code TYPE=action,...} sorted by type. */
    private static String piiText(Map<String, String> pii) {
        return pii.entrySet().stream().sorted(Map.Entry.comparingByKey()).map(e -> e.getKey() + "=" + e.getValue()).collect(Collectors.joining(","));
    }

    private static List<String> commaList(String s) {
        return s == null || s.isEmpty() ? List.of() : List.of(s.split(","));
    }

    private static Map<String, String> tenantAttributes(Tenant t) {
        Map<String, String> a = new LinkedHashMap<>();
        if (t.parent() != null) {
            a.put("parent", t.parent());
        }
        a.put("jurisdictions", String.join(",", t.jurisdictions()));
        if (t.minTier() != null) {
            a.put("min_tier", t.minTier());
        }
        if (!t.models().isEmpty()) {
            a.put("models", String.join(",", t.models()));
        }
        a.put("pii", piiText(t.pii()));
        Tenant.Quotas q = t.quotas();
        a.put("quotas", "rpm=" + q.requestsPerMinute() + ",tpm=" + q.tokensPerMinute() + ",tpd=" + q.tokensPerDay()
                + ",tpmonth=" + q.tokensPerMonth() + ",concurrent=" + q.maxConcurrent());
        a.put("share", "weight=" + t.weight() + ",priority=" + t.priority().label());
        return a;
    }

    // ---------------------------------------------------------------- keys

    ApiKey.Issued createKey(String tenant, Set<ApiKey.Scope> scopes, String name, Instant expiresAt) {
        if (scopes.isEmpty()) {
            throw new IllegalArgumentException("a key needs at least one scope (inference, auditor, admin)");
        }
        return write(c -> {
            long now = now(c);
            findTenant(c, tenant).orElseThrow(() -> new IllegalArgumentException("tenant " + tenant + " does not exist"));
            return insertKey(c, now, tenant, scopes, name, expiresAt);
        });
    }

    private ApiKey.Issued insertKey(Connection c, long now, String tenant, Set<ApiKey.Scope> scopes, String name, Instant expiresAt)
            throws SQLException {
        if (expiresAt != null && expiresAt.toEpochMilli() <= now) {
            throw new IllegalArgumentException("expiry " + expiresAt + " is in the past");
        }
        Keys.Fresh fresh = Keys.generate();
        String label = name == null ? "" : name;
        try (PreparedStatement s = c.prepareStatement("INSERT INTO api_key (lookup, tenant_id, sha256, scopes, name, created_at, expires_at) "
                + "VALUES (?,?,?,?,?,?,?)")) {
            s.setString(1, fresh.lookup());
            s.setString(2, tenant);
            s.setString(3, fresh.sha256Hex());
            s.setString(4, scopeList(scopes));
            s.setString(5, label);
            s.setLong(6, now);
            setLong(s, 7, expiresAt == null ? null : expiresAt.toEpochMilli());
            s.executeUpdate();
        }
        Map<String, String> a = new LinkedHashMap<>();
        a.put("tenant", tenant);
        a.put("scopes", scopeList(scopes));
        if (expiresAt != null) {
            a.put("expires_at", expiresAt.toString());
        }
        event(c, now, "key.create", fresh.lookup(), a);
        ApiKey key = new ApiKey(fresh.lookup(), tenant, scopes, label, Instant.ofEpochMilli(now), expiresAt, null, null);
        return new ApiKey.Issued(key, fresh.key());
    }

    List<ApiKey> keys(String tenant) {
        return read(c -> {
            try (PreparedStatement s = c.prepareStatement(tenant == null ? "SELECT * FROM api_key ORDER BY tenant_id, created_at, lookup"
                    : "SELECT * FROM api_key WHERE tenant_id = ? ORDER BY created_at, lookup")) {
                if (tenant != null) {
                    s.setString(1, tenant);
                }
                try (ResultSet r = s.executeQuery()) {
                    List<ApiKey> out = new ArrayList<>();
                    while (r.next()) {
                        out.add(keyRow(r));
                    }
                    return out;
                }
            }
        });
    }

    ApiKey revokeKey(String lookup) {
        return write(c -> {
            long now = now(c);
            ApiKey k = findKey(c, lookup).orElseThrow(() -> new IllegalArgumentException("key " + lookup + " does not exist"));
            if (k.revokedAt() == null || k.revokedAt().toEpochMilli() > now) {
                try (PreparedStatement s = c.prepareStatement("UPDATE api_key SET revoked_at = ? WHERE lookup = ?")) {
                    s.setLong(1, now);
                    s.setString(2, lookup);
                    s.executeUpdate();
                }
                event(c, now, "key.revoke", lookup, Map.of("tenant", k.tenant()));
            }
            return findKey(c, lookup).orElseThrow();
        });
    }

    /** A new key with the old one's tenant, scopes, name and expiry; the old one stops working after {@code graceMillis}. */
    ApiKey.Issued rotateKey(String lookup, long graceMillis) {
        if (graceMillis < 0) {
            throw new IllegalArgumentException("grace must be 0 or more");
        }
        return write(c -> {
            long now = now(c);
            ApiKey old = findKey(c, lookup).orElseThrow(() -> new IllegalArgumentException("key " + lookup + " does not exist"));
            if (!old.activeAt(Instant.ofEpochMilli(now))) {
                throw new IllegalArgumentException("key " + lookup + " is revoked or expired; create a new key instead");
            }
            ApiKey.Issued fresh = insertKey(c, now, old.tenant(), old.scopes(), old.name(), old.expiresAt());
            long end = now + graceMillis;
            try (PreparedStatement s = c.prepareStatement("UPDATE api_key SET revoked_at = ?, replaced_by = ? WHERE lookup = ?")) {
                s.setLong(1, end);
                s.setString(2, fresh.key().lookup());
                s.setString(3, lookup);
                s.executeUpdate();
            }
            event(c, now, "key.rotate", lookup, Map.of("tenant", old.tenant(), "replaced_by", fresh.key().lookup(),
                    "revoked_at", Instant.ofEpochMilli(end).toString()));
            return fresh;
        });
    }

    Authentication authenticate(String bearer) {
        Keys.Parsed parsed = Keys.parse(bearer);
        if (parsed == null) {
            return new Authentication.Rejected(Authentication.Reason.NOT_A_STORE_KEY);
        }
        return read(c -> {
            String storedHash = null;
            ApiKey key = null;
            Tenant[] chain = null;
            long now;
            try (PreparedStatement s = c.prepareStatement("SELECT k.*, " + CHAIN_COLUMNS + ", " + nowColumn() + " AS db_now FROM api_key k "
                    + "JOIN tenant t ON t.id = k.tenant_id LEFT JOIN tenant o ON o.id = t.parent_id WHERE k.lookup = ?")) {
                s.setString(1, parsed.lookup());
                try (ResultSet r = s.executeQuery()) {
                    if (r.next()) {
                        storedHash = r.getString("sha256");
                        key = keyRow(r);
                        chain = chainRow(r);
                        now = clockOr(r.getLong("db_now"));
                    } else {
                        now = 0;
                    }
                }
            }
            if (!Keys.matches(parsed.sha256(), storedHash)) {
                return new Authentication.Rejected(Authentication.Reason.UNKNOWN);
            }
            if (key.revokedAt() != null && key.revokedAt().toEpochMilli() <= now) {
                return new Authentication.Rejected(Authentication.Reason.REVOKED);
            }
            if (key.expiresAt() != null && key.expiresAt().toEpochMilli() <= now) {
                return new Authentication.Rejected(Authentication.Reason.EXPIRED);
            }
            return new Authentication.Authenticated(new Authentication.Principal(chain[0], chain[1] == null ? null : chain[1].id(),
                    EffectivePolicy.of(chain[0], chain[1]), key.scopes(), key.lookup()));
        });
    }

    private static Optional<ApiKey> findKey(Connection c, String lookup) throws SQLException {
        try (PreparedStatement s = c.prepareStatement("SELECT * FROM api_key WHERE lookup = ?")) {
            s.setString(1, lookup);
            try (ResultSet r = s.executeQuery()) {
                return r.next() ? Optional.of(keyRow(r)) : Optional.empty();
            }
        }
    }

    private static ApiKey keyRow(ResultSet r) throws SQLException {
        Set<ApiKey.Scope> scopes = EnumSet.noneOf(ApiKey.Scope.class);
        for (String s : r.getString("scopes").split(",")) {
            if (!s.isEmpty()) {
                scopes.add(ApiKey.Scope.parse(s));
            }
        }
        return new ApiKey(r.getString("lookup"), r.getString("tenant_id"), scopes, r.getString("name"), instant(getLong(r, "created_at")),
                instant(getLong(r, "expires_at")), instant(getLong(r, "revoked_at")), r.getString("replaced_by"));
    }

    private static String scopeList(Set<ApiKey.Scope> scopes) {
        return scopes.stream().sorted().map(ApiKey.Scope::label).collect(Collectors.joining(","));
    }

    // ---------------------------------------------------------------- grants

    Grant addGrant(String tenant, String model, Instant startsAt, Instant endsAt) {
        return write(c -> {
            long now = now(c);
            findTenant(c, tenant).orElseThrow(() -> new IllegalArgumentException("tenant " + tenant + " does not exist"));
            Grant g = new Grant("g-" + UUID.randomUUID().toString().substring(0, 8), tenant, model, startsAt, endsAt);
            try (PreparedStatement s = c.prepareStatement("INSERT INTO tenant_grant (id, tenant_id, model, starts_at, ends_at, created_at) "
                    + "VALUES (?,?,?,?,?,?)")) {
                s.setString(1, g.id());
                s.setString(2, tenant);
                s.setString(3, model);
                s.setLong(4, startsAt.toEpochMilli());
                s.setLong(5, endsAt.toEpochMilli());
                s.setLong(6, now);
                s.executeUpdate();
            }
            event(c, now, "grant.create", g.id(), Map.of("tenant", tenant, "model", model, "starts_at", startsAt.toString(),
                    "ends_at", endsAt.toString()));
            return g;
        });
    }

    void removeGrant(String id) {
        write(c -> {
            long now = now(c);
            try (PreparedStatement s = c.prepareStatement("DELETE FROM tenant_grant WHERE id = ?")) {
                s.setString(1, id);
                if (s.executeUpdate() == 0) {
                    throw new IllegalArgumentException("grant " + id + " does not exist");
                }
            }
            event(c, now, "grant.delete", id, Map.of());
            return null;
        });
    }

    List<Grant> grants(String tenant) {
        return read(c -> grants(c, tenant == null ? List.of() : List.of(tenant)));
    }

    static List<Grant> grants(Connection c, List<String> tenants) throws SQLException {
        String where = tenants.isEmpty() ? "" : " WHERE tenant_id IN (" + String.join(",", java.util.Collections.nCopies(tenants.size(), "?")) + ")";
        try (PreparedStatement s = c.prepareStatement("SELECT * FROM tenant_grant" + where + " ORDER BY tenant_id, starts_at, id")) {
            for (int i = 0; i < tenants.size(); i++) {
                s.setString(i + 1, tenants.get(i));
            }
            try (ResultSet r = s.executeQuery()) {
                List<Grant> out = new ArrayList<>();
                while (r.next()) {
                    out.add(new Grant(r.getString("id"), r.getString("tenant_id"), r.getString("model"),
                            Instant.ofEpochMilli(r.getLong("starts_at")), Instant.ofEpochMilli(r.getLong("ends_at"))));
                }
                return out;
            }
        }
    }

    // ---------------------------------------------------------------- admin events (outbox)

    private void event(Connection c, long now, String action, String subject, Map<String, String> attributes) throws SQLException {
        try (PreparedStatement s = c.prepareStatement("INSERT INTO admin_event (id, time_ms, action, subject, attributes) VALUES (?,?,?,?,?)")) {
            s.setString(1, String.format("%016x-%016x-%s", now, eventSequence.incrementAndGet(), UUID.randomUUID()));
            s.setLong(2, now);
            s.setString(3, action);
            s.setString(4, subject);
            s.setString(5, attributes.entrySet().stream().map(e -> e.getKey() + "=" + e.getValue().replace('\n', ' '))
                    .collect(Collectors.joining("\n")));
            s.executeUpdate();
        }
    }

    /** Admin events drained per transaction (each is a durable ledger append while its row is held). */
    private static final int DRAIN_BATCH = 64;

    /** An admin event of an action outside the store's own tables, in its own transaction. */
    void adminEvent(String action, String subject, Map<String, String> attributes) {
        write(c -> {
            event(c, now(c), action, subject, attributes);
            return null;
        });
    }

    /**
     * Hands every undrained admin event, oldest first, to {@code sink}, and marks each drained after the sink returns,
     * in transactions of up to {@link #DRAIN_BATCH} that claim their rows first: {@code FOR UPDATE SKIP LOCKED} on
     * PostgreSQL, so a second instance draining at the same moment takes other rows (or none) instead of the same
     * ones; the write transaction itself on SQLite (one writer at a time). Delivery is at least once: a crash between
     * the sink's append and the commit leaves the event to be drained again.
     */
    int drainAdminEvents(Consumer<AuditEntry.AdminEvent> sink) {
        int total = 0;
        while (true) {
            int drained = write(c -> {
                List<String[]> claimed = new ArrayList<>();
                try (PreparedStatement s = c.prepareStatement("SELECT id, time_ms, action, subject, attributes FROM admin_event "
                        + "WHERE drained_at IS NULL ORDER BY time_ms, id LIMIT " + DRAIN_BATCH
                        + (dialect == Dialect.POSTGRES ? " FOR UPDATE SKIP LOCKED" : "")); ResultSet r = s.executeQuery()) {
                    while (r.next()) {
                        claimed.add(new String[] {r.getString(1), Long.toString(r.getLong(2)), r.getString(3), r.getString(4), r.getString(5)});
                    }
                }
                long now = now(c);
                try (PreparedStatement mark = c.prepareStatement("UPDATE admin_event SET drained_at = ? WHERE id = ?")) {
                    for (String[] e : claimed) {
                        List<AuditEntry.Attribute> attributes = new ArrayList<>();
                        for (String line : e[4].split("\n")) {
                            int eq = line.indexOf('=');
                            if (eq > 0) {
                                attributes.add(new AuditEntry.Attribute(line.substring(0, eq), line.substring(eq + 1)));
                            }
                        }
                        sink.accept(new AuditEntry.AdminEvent(Long.parseLong(e[1]), e[2], e[3], attributes));
                        mark.setLong(1, now);
                        mark.setString(2, e[0]);
                        mark.executeUpdate();
                    }
                }
                return claimed.size();
            });
            total += drained;
            if (drained < DRAIN_BATCH) {
                return total;
            }
        }
    }

    // ---------------------------------------------------------------- plumbing

    interface Work<T> {
        T run(Connection c) throws SQLException;
    }

    /** The database clock as a column (PostgreSQL), or a placeholder where the JVM's clock is used. */
    private String nowColumn() {
        return clock == null && dialect == Dialect.POSTGRES ? "CAST(EXTRACT(EPOCH FROM clock_timestamp()) * 1000 AS BIGINT)" : "0";
    }

    private long clockOr(long dbNow) {
        if (clock != null) {
            return clock.getAsLong();
        }
        return dialect == Dialect.POSTGRES ? dbNow : System.currentTimeMillis();
    }

    long now(Connection c) throws SQLException {
        if (clock != null) {
            return clock.getAsLong();
        }
        if (dialect == Dialect.POSTGRES) {
            try (PreparedStatement s = c.prepareStatement("SELECT CAST(EXTRACT(EPOCH FROM clock_timestamp()) * 1000 AS BIGINT)")) {
                return single(s);
            }
        }
        return System.currentTimeMillis();
    }

    <T> T read(Work<T> work) {
        try (Connection c = pool.getConnection()) {
            return work.run(c);
        } catch (SQLException e) {
            throw new TenancyException(description + " failed: " + e.getMessage() + " (check store.url and that the database is up)", e);
        }
    }

    /** One transaction; retried on deadlock, serialization failure or a busy SQLite file. */
    <T> T write(Work<T> work) {
        SQLException last = null;
        for (int attempt = 0; attempt < 5; attempt++) {
            boolean local = dialect == Dialect.SQLITE;
            if (local) {
                localWrites.lock();
            }
            try (Connection c = pool.getConnection()) {
                c.setAutoCommit(false);
                try {
                    T result = work.run(c);
                    c.commit();
                    return result;
                } catch (SQLException | RuntimeException e) {
                    c.rollback();
                    throw e;
                } finally {
                    c.setAutoCommit(true);
                }
            } catch (SQLException e) {
                last = e;
                if (!transientFailure(e)) {
                    break;
                }
            } finally {
                if (local) {
                    localWrites.unlock();
                }
            }
        }
        throw new TenancyException(description + " failed: " + last.getMessage() + " (check store.url and that the database is up)", last);
    }

    private static boolean transientFailure(SQLException e) {
        String state = e.getSQLState();
        String message = String.valueOf(e.getMessage());
        return "40001".equals(state) || "40P01".equals(state) || message.contains("SQLITE_BUSY") || message.contains("database is locked");
    }

    static long single(PreparedStatement s) throws SQLException {
        try (ResultSet r = s.executeQuery()) {
            r.next();
            return r.getLong(1);
        }
    }

    private static List<String> strings(PreparedStatement s) throws SQLException {
        try (ResultSet r = s.executeQuery()) {
            List<String> out = new ArrayList<>();
            while (r.next()) {
                out.add(r.getString(1));
            }
            return out;
        }
    }

    static void setLong(PreparedStatement s, int i, Long v) throws SQLException {
        if (v == null) {
            s.setNull(i, Types.BIGINT);
        } else {
            s.setLong(i, v);
        }
    }

    private static Long getLong(ResultSet r, String column) throws SQLException {
        long v = r.getLong(column);
        return r.wasNull() ? null : v;
    }

    private static Instant instant(Long millis) {
        return millis == null ? null : Instant.ofEpochMilli(millis);
    }

    static long ceilSeconds(long millis) {
        return Math.max(1, (millis + SECOND - 1) / SECOND);
    }

    private static String rootMessage(Throwable e) {
        Throwable t = e;
        while (t.getCause() != null && t.getCause() != t) {
            t = t.getCause();
        }
        return String.valueOf(t.getMessage()).lines().findFirst().orElse(t.getClass().getSimpleName());
    }
}
