package ai.sovereign.server.tenancy;

import java.time.Instant;

/**
 * A time-boxed grant of a model (or {@code *}, every model) to a tenant. A tenant whose chain
 * (itself and its organization) holds no grant at all may use every model; once any grant exists,
 * requests are admitted only for a model with a grant active now.
 */
public record Grant(String id, String tenant, String model, Instant startsAt, Instant endsAt) {
    public Grant {
        if (model == null || model.isBlank() || model.length() > 200) {
            throw new IllegalArgumentException("grant model must be a model name or *");
        }
        if (!endsAt.isAfter(startsAt)) {
            throw new IllegalArgumentException("grant ends at " + endsAt + ", not after its start " + startsAt);
        }
    }

    boolean covers(String m, long nowMillis) {
        return (model.equals("*") || model.equals(m)) && startsAt.toEpochMilli() <= nowMillis && nowMillis < endsAt.toEpochMilli();
    }
}
