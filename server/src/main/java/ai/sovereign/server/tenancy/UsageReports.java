package ai.sovereign.server.tenancy;

import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.time.Instant;
import java.time.LocalDate;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/** Metering reports from the store: rollups per tenant, model, node and day; idle grants. */
final class UsageReports {
    private static final long DAY = Store.DAY;
    private final Store store;

    UsageReports(Store store) {
        this.store = store;
    }

    List<Metering.Rollup> rollups(Instant from, Instant to, String tenant) {
        return store.read(c -> {
            String who = tenant == null ? "" : " AND (tenant_id = ? OR organization_id = ?)";
            try (PreparedStatement s = c.prepareStatement("SELECT tenant_id, model, node, started_at / " + DAY + " AS day, COUNT(*), "
                    + "SUM(tokens_in), SUM(tokens_out), SUM(duration_ms), SUM(energy_joules) FROM usage_record "
                    + "WHERE started_at >= ? AND started_at < ?" + who + " GROUP BY tenant_id, model, node, started_at / " + DAY
                    + " ORDER BY 4, 1, 2, 3")) {
                s.setLong(1, from.toEpochMilli());
                s.setLong(2, to.toEpochMilli());
                if (tenant != null) {
                    s.setString(3, tenant);
                    s.setString(4, tenant);
                }
                try (ResultSet r = s.executeQuery()) {
                    List<Metering.Rollup> out = new ArrayList<>();
                    while (r.next()) {
                        out.add(new Metering.Rollup(r.getString(1), r.getString(2), r.getString(3), LocalDate.ofEpochDay(r.getLong(4)),
                                r.getLong(5), r.getLong(6), r.getLong(7), r.getLong(8), r.getDouble(9)));
                    }
                    return out;
                }
            }
        });
    }

    List<Metering.IdleGrant> idleGrants(Instant from, Instant to, double threshold) {
        return store.read(c -> {
            long f = from.toEpochMilli(), t = to.toEpochMilli();
            List<Grant> active = Store.grants(c, List.of()).stream()
                    .filter(g -> g.startsAt().toEpochMilli() < t && g.endsAt().toEpochMilli() > f).toList();
            Map<String, Integer> weights = new LinkedHashMap<>();
            for (Tenant tn : tenantsIn(c, active.stream().map(Grant::tenant).distinct().toList())) {
                weights.put(tn.id(), tn.weight());
            }
            List<Metering.IdleGrant> out = new ArrayList<>();
            for (Grant g : active) {
                long lo = Math.max(f, g.startsAt().toEpochMilli()), hi = Math.min(t, g.endsAt().toEpochMilli());
                int totalWeight = active.stream().filter(o -> o.model().equals(g.model())).map(Grant::tenant).distinct()
                        .mapToInt(id -> weights.getOrDefault(id, 1)).sum();
                double share = (double) weights.getOrDefault(g.tenant(), 1) / Math.max(1, totalWeight);
                String onModel = g.model().equals("*") ? "" : " AND model = ?";
                long served, used;
                try (PreparedStatement s = c.prepareStatement("SELECT COALESCE(SUM(tokens_in + tokens_out), 0) FROM usage_record "
                        + "WHERE started_at >= ? AND started_at < ?" + onModel)) {
                    s.setLong(1, lo);
                    s.setLong(2, hi);
                    if (!onModel.isEmpty()) {
                        s.setString(3, g.model());
                    }
                    served = Store.single(s);
                }
                try (PreparedStatement s = c.prepareStatement("SELECT COALESCE(SUM(tokens_in + tokens_out), 0) FROM usage_record "
                        + "WHERE started_at >= ? AND started_at < ? AND (tenant_id = ? OR organization_id = ?)" + onModel)) {
                    s.setLong(1, lo);
                    s.setLong(2, hi);
                    s.setString(3, g.tenant());
                    s.setString(4, g.tenant());
                    if (!onModel.isEmpty()) {
                        s.setString(5, g.model());
                    }
                    used = Store.single(s);
                }
                double usedOfShare = served == 0 ? 0 : used / (share * served);
                if (usedOfShare < threshold) {
                    out.add(new Metering.IdleGrant(g, share, used, served, usedOfShare));
                }
            }
            return out;
        });
    }

    private static List<Tenant> tenantsIn(Connection c, List<String> ids) throws SQLException {
        List<Tenant> out = new ArrayList<>();
        for (String id : ids) {
            Store.findTenant(c, id).ifPresent(out::add);
        }
        return out;
    }
}
