package ai.sovereign.server.tenancy;

import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.time.Instant;
import java.util.List;
import java.util.TreeSet;
import java.util.UUID;
import java.util.concurrent.atomic.AtomicLong;

/**
 * Admission in the store: reserve, settle, renew.
 *
 * <p>Design note: a reservation is one transaction that first takes the write lock of every tenant
 * in the chain (the organization, then the project) — {@code SELECT … FOR UPDATE} on the tenant's
 * {@code quota_counter} row on PostgreSQL, SQLite's database write lock ({@code BEGIN IMMEDIATE})
 * on the embedded store — then sums the tenant's usage buckets, checks every limit, and adds the
 * reservation to the buckets before committing. Whoever holds the lock sees every earlier
 * reservation of that tenant (READ COMMITTED reads a fresh snapshot per statement), so instances
 * sharing one PostgreSQL cannot overrun a limit together. Windows slide over buckets (1 s for the
 * minute, 1 min for the day, 1 h for 30 days); a bucket that overlaps the window counts whole, which
 * can refuse at most one bucket's worth early and never admits over a limit. Settling moves the
 * bucket the reservation was charged to by (real − reserved), so usage is counted at admission time.
 */
final class Reservations {
    static final long SECOND = Store.SECOND, MINUTE = Store.MINUTE, HOUR = Store.HOUR, DAY = Store.DAY, MONTH = Store.MONTH;
    private static final long[] SPANS = {SECOND, MINUTE, HOUR};
    private static final int PURGE_EVERY = 64;

    /** A reservation as admitted; the ticket keeps it so a purged row still settles correctly. */
    record Reservation(String id, String tenant, String organization, String model, long tokens, long admittedAt) {}

    private final Store store;
    private final AtomicLong reservations = new AtomicLong();

    Reservations(Store store) {
        this.store = store;
    }

    sealed interface Reserved {}

    record Ok(Reservation reservation, Tenant tenant) implements Reserved {}

    record No(Admission.Refused refusal) implements Reserved {}

    Reserved reserve(String tenantId, String model, long tokens, long leaseMillis) {
        if (tokens < 0) {
            throw new IllegalArgumentException("reservation of " + tokens + " tokens");
        }
        return store.write(c -> {
            long now = store.now(c);
            Tenant[] chain = Store.chain(c, tenantId);
            if (chain == null) {
                return new No(new Admission.Refused(401, "invalid_api_key", "tenant " + tenantId + " no longer exists", 0, false));
            }
            Tenant tenant = chain[0], org = chain[1];
            List<Tenant> members = org == null ? List.of(tenant) : List.of(org, tenant);
            Admission.Refused refused = checkGrants(c, members, model, now);
            if (refused != null) {
                return new No(refused);
            }
            boolean limited = members.stream().anyMatch(t -> !t.quotas().unlimited());
            if (limited) {
                if (store.dialect == Store.Dialect.POSTGRES) {
                    for (String id : new TreeSet<>(members.stream().map(Tenant::id).toList())) {
                        try (PreparedStatement s = c.prepareStatement("SELECT version FROM quota_counter WHERE tenant_id = ? FOR UPDATE")) {
                            s.setString(1, id);
                            s.executeQuery().close();
                        }
                    }
                }
                for (Tenant t : members.reversed()) {
                    refused = checkLimits(c, t, tokens, now);
                    if (refused != null) {
                        return new No(refused);
                    }
                }
            }
            Reservation res = new Reservation(UUID.randomUUID().toString(), tenant.id(), org == null ? null : org.id(), model, tokens, now);
            try (PreparedStatement s = c.prepareStatement("INSERT INTO reservation (id, tenant_id, organization_id, model, tokens, "
                    + "admitted_at, expires_at) VALUES (?,?,?,?,?,?,?)")) {
                s.setString(1, res.id());
                s.setString(2, res.tenant());
                s.setString(3, res.organization());
                s.setString(4, model);
                s.setLong(5, tokens);
                s.setLong(6, now);
                s.setLong(7, now + leaseMillis);
                s.executeUpdate();
            }
            for (Tenant t : members) {
                charge(c, t.id(), now, tokens, 1);
            }
            if (reservations.incrementAndGet() % PURGE_EVERY == 0) {
                purge(c, members, now);
            }
            return new Ok(res, tenant);
        });
    }

    private static Admission.Refused checkGrants(Connection c, List<Tenant> members, String model, long now) throws SQLException {
        List<Grant> grants = Store.grants(c, members.stream().map(Tenant::id).toList());
        if (grants.isEmpty() || grants.stream().anyMatch(g -> g.covers(model, now))) {
            return null;
        }
        long next = grants.stream().filter(g -> g.model().equals("*") || g.model().equals(model))
                .mapToLong(g -> g.startsAt().toEpochMilli()).filter(s -> s > now).min().orElse(-1);
        return Admission.Refused.quotaExceeded("no active grant of model " + model + " for tenant " + members.getLast().id()
                        + (next > 0 ? "; the next starts at " + Instant.ofEpochMilli(next) : ""),
                next > 0 ? Store.ceilSeconds(next - now) : DAY / SECOND);
    }

    private Admission.Refused checkLimits(Connection c, Tenant t, long tokens, long now) throws SQLException {
        Tenant.Quotas q = t.quotas();
        if (q.maxConcurrent() != null) {
            try (PreparedStatement s = c.prepareStatement("SELECT COUNT(*) FROM reservation WHERE (tenant_id = ? OR organization_id = ?) "
                    + "AND expires_at > ?")) {
                s.setString(1, t.id());
                s.setString(2, t.id());
                s.setLong(3, now);
                long live = Store.single(s);
                if (live + 1 > q.maxConcurrent()) {
                    return Admission.Refused.rateLimited("tenant " + t.id() + " has " + live + " requests in flight; max_concurrent is "
                            + q.maxConcurrent(), 1);
                }
            }
        }
        if (!q.windowed()) {
            return null;
        }
        long[] used = new long[4]; // requests/min, tokens/min, tokens/day, tokens/month
        try (PreparedStatement s = c.prepareStatement("SELECT span, COALESCE(SUM(tokens), 0), COALESCE(SUM(requests), 0) FROM usage_bucket "
                + "WHERE tenant_id = ? AND ((span = ? AND bucket_start > ?) OR (span = ? AND bucket_start > ?) OR (span = ? AND bucket_start > ?)) "
                + "GROUP BY span")) {
            s.setString(1, t.id());
            s.setLong(2, SECOND);
            s.setLong(3, now - MINUTE - SECOND);
            s.setLong(4, MINUTE);
            s.setLong(5, now - DAY - MINUTE);
            s.setLong(6, HOUR);
            s.setLong(7, now - MONTH - HOUR);
            try (ResultSet r = s.executeQuery()) {
                while (r.next()) {
                    long span = r.getLong(1);
                    if (span == SECOND) {
                        used[1] = r.getLong(2);
                        used[0] = r.getLong(3);
                    } else if (span == MINUTE) {
                        used[2] = r.getLong(2);
                    } else if (span == HOUR) {
                        used[3] = r.getLong(2);
                    }
                }
            }
        }
        Admission.Refused r;
        if ((r = window(c, t, "requests_per_minute", q.requestsPerMinute(), used[0], 1, SECOND, MINUTE, false, now)) != null
                || (r = window(c, t, "tokens_per_minute", q.tokensPerMinute(), used[1], tokens, SECOND, MINUTE, true, now)) != null
                || (r = window(c, t, "tokens_per_day", q.tokensPerDay(), used[2], tokens, MINUTE, DAY, true, now)) != null
                || (r = window(c, t, "tokens_per_month", q.tokensPerMonth(), used[3], tokens, HOUR, MONTH, true, now)) != null) {
            return r;
        }
        return null;
    }

    private static Admission.Refused window(Connection c, Tenant t, String setting, Long limit, long used, long need, long span,
                                            long window, boolean tokens, long now) throws SQLException {
        if (limit == null || used + need <= limit) {
            return null;
        }
        boolean perMinute = window == MINUTE;
        String what = tokens ? "tokens" : "requests";
        if (need > limit) {
            String message = "a reservation of " + need + " " + what + " exceeds tenant " + t.id() + "'s " + setting + " of " + limit
                    + " (lower max_tokens or raise " + setting + ")";
            return perMinute ? Admission.Refused.rateLimited(message, window / SECOND) : Admission.Refused.quotaExceeded(message, window / SECOND);
        }
        long excess = used + need - limit;
        long freeAt = now + window;
        try (PreparedStatement s = c.prepareStatement("SELECT bucket_start, " + (tokens ? "tokens" : "requests")
                + " FROM usage_bucket WHERE tenant_id = ? AND span = ? AND bucket_start > ? ORDER BY bucket_start")) {
            s.setString(1, t.id());
            s.setLong(2, span);
            s.setLong(3, now - window - span);
            try (ResultSet r = s.executeQuery()) {
                long freed = 0;
                while (r.next()) {
                    freed += r.getLong(2);
                    if (freed >= excess) {
                        freeAt = r.getLong(1) + span + window;
                        break;
                    }
                }
            }
        }
        String message = "tenant " + t.id() + " used " + used + " of " + limit + " " + what + " in the last "
                + (window == MINUTE ? "minute" : window == DAY ? "24 hours" : "30 days") + "; this request needs " + need + " (" + setting + ")";
        long retry = Store.ceilSeconds(freeAt - now);
        return perMinute ? Admission.Refused.rateLimited(message, retry) : Admission.Refused.quotaExceeded(message, retry);
    }

    private void charge(Connection c, String tenant, long at, long tokens, long requests) throws SQLException {
        try (PreparedStatement s = c.prepareStatement("INSERT INTO usage_bucket (tenant_id, span, bucket_start, tokens, requests) "
                + "VALUES (?,?,?,?,?) ON CONFLICT (tenant_id, span, bucket_start) DO UPDATE SET tokens = usage_bucket.tokens + EXCLUDED.tokens, "
                + "requests = usage_bucket.requests + EXCLUDED.requests")) {
            for (long span : SPANS) {
                s.setString(1, tenant);
                s.setLong(2, span);
                s.setLong(3, at - Math.floorMod(at, span));
                s.setLong(4, tokens);
                s.setLong(5, requests);
                s.addBatch();
            }
            s.executeBatch();
        }
    }

    private static void purge(Connection c, List<Tenant> members, long now) throws SQLException {
        try (PreparedStatement b = c.prepareStatement("DELETE FROM usage_bucket WHERE tenant_id = ? AND ((span = ? AND bucket_start < ?) "
                + "OR (span = ? AND bucket_start < ?) OR (span = ? AND bucket_start < ?))");
             PreparedStatement r = c.prepareStatement("DELETE FROM reservation WHERE tenant_id = ? AND expires_at <= ?")) {
            for (Tenant t : members) {
                b.setString(1, t.id());
                b.setLong(2, SECOND);
                b.setLong(3, now - 2 * MINUTE);
                b.setLong(4, MINUTE);
                b.setLong(5, now - 2 * DAY);
                b.setLong(6, HOUR);
                b.setLong(7, now - 2 * MONTH);
                b.executeUpdate();
                r.setString(1, t.id());
                r.setLong(2, now);
                r.executeUpdate();
            }
        }
    }

    void settle(Reservation res, String requestId, Metering.Usage usage) {
        store.write(c -> {
            try (PreparedStatement s = c.prepareStatement("DELETE FROM reservation WHERE id = ?")) {
                s.setString(1, res.id());
                s.executeUpdate();
            }
            long real = usage == null ? 0 : usage.tokens();
            long delta = real - res.tokens();
            if (delta != 0) {
                List<String> members = res.organization() == null ? List.of(res.tenant()) : List.of(res.organization(), res.tenant());
                if (delta > 0 && store.dialect == Store.Dialect.POSTGRES) {
                    for (String id : new TreeSet<>(members)) {
                        try (PreparedStatement s = c.prepareStatement("SELECT version FROM quota_counter WHERE tenant_id = ? FOR UPDATE")) {
                            s.setString(1, id);
                            s.executeQuery().close();
                        }
                    }
                }
                for (String id : members) {
                    charge(c, id, res.admittedAt(), delta, 0);
                }
            }
            if (usage != null) {
                try (PreparedStatement s = c.prepareStatement("INSERT INTO usage_record (request_id, tenant_id, organization_id, model, node, "
                        + "started_at, duration_ms, tokens_in, tokens_out, energy_joules) VALUES (?,?,?,?,?,?,?,?,?,?)")) {
                    s.setString(1, requestId == null ? res.id() : requestId);
                    s.setString(2, res.tenant());
                    s.setString(3, res.organization());
                    s.setString(4, res.model());
                    s.setString(5, usage.node());
                    s.setLong(6, res.admittedAt());
                    s.setLong(7, usage.durationMillis());
                    s.setLong(8, usage.tokensIn());
                    s.setLong(9, usage.tokensOut());
                    s.setDouble(10, usage.energyJoules());
                    s.executeUpdate();
                }
            }
            return null;
        });
    }

    void renew(Reservation res, long leaseMillis) {
        store.write(c -> {
            try (PreparedStatement s = c.prepareStatement("UPDATE reservation SET expires_at = ? WHERE id = ?")) {
                s.setLong(1, store.now(c) + leaseMillis);
                s.setString(2, res.id());
                s.executeUpdate();
            }
            return null;
        });
    }

    /** Tokens charged to {@code tenant} in buckets of {@code span} starting after {@code since} (tests, reports). */
    long chargedTokens(String tenant, long span, long since) {
        return store.read(c -> {
            try (PreparedStatement s = c.prepareStatement("SELECT COALESCE(SUM(tokens), 0) FROM usage_bucket WHERE tenant_id = ? AND span = ? "
                    + "AND bucket_start > ?")) {
                s.setString(1, tenant);
                s.setLong(2, span);
                s.setLong(3, since);
                return Store.single(s);
            }
        });
    }
}
