package ai.sovereign.server.tenancy;

import java.time.LocalDate;

/** Metering values: what one request used, rollups of many, and grants that sit idle. */
public final class Metering {
    private Metering() {}

    /**
     * What a served request used. Energy is an estimate: the node's power times the request's share
     * of its time ({@link #energyJoules(double, long, int)}).
     */
    public record Usage(long tokensIn, long tokensOut, String node, long durationMillis, double energyJoules) {
        public Usage {
            if (tokensIn < 0 || tokensOut < 0 || durationMillis < 0 || energyJoules < 0) {
                throw new IllegalArgumentException("usage counts must be 0 or more");
            }
            node = node == null ? "" : node;
        }

        public long tokens() {
            return tokensIn + tokensOut;
        }
    }

    /** Joules for {@code durationMillis} on a node drawing {@code powerWatts}, shared by {@code concurrent} sequences. */
    public static double energyJoules(double powerWatts, long durationMillis, int concurrent) {
        return powerWatts * durationMillis / 1000.0 / Math.max(1, concurrent);
    }

    /** Usage of one tenant on one model and node over one UTC day. */
    public record Rollup(String tenant, String model, String node, LocalDate day, long requests, long tokensIn, long tokensOut,
                         long durationMillis, double energyJoules) {
        /** The row as the admin API and {@code tenants usage --format json} print it. */
        public java.util.Map<String, Object> fields() {
            java.util.Map<String, Object> m = new java.util.LinkedHashMap<>();
            m.put("day", day.toString());
            m.put("tenant", tenant);
            m.put("model", model);
            m.put("node", node);
            m.put("requests", requests);
            m.put("tokens_in", tokensIn);
            m.put("tokens_out", tokensOut);
            m.put("duration_ms", durationMillis);
            m.put("energy_joules", energyJoules);
            return m;
        }
    }

    /**
     * A grant whose tenant used less than {@code threshold} of its share of the model's served tokens
     * over the period; share = the tenant's weight over the weights of every tenant holding a grant for
     * that model in the period.
     */
    public record IdleGrant(Grant grant, double share, long tokensUsed, long tokensServed, double usedOfShare) {
        /** The row as the admin API and {@code tenants idle-grants --format json} print it. */
        public java.util.Map<String, Object> fields() {
            java.util.Map<String, Object> m = new java.util.LinkedHashMap<>(TenancyCli.json(grant));
            m.put("share", share);
            m.put("tokens_used", tokensUsed);
            m.put("tokens_served", tokensServed);
            m.put("used_of_share", usedOfShare);
            return m;
        }
    }
}
