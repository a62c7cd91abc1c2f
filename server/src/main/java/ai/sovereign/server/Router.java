package ai.sovereign.server;

import ai.sovereign.policy.DataPolicy;
import ai.sovereign.policy.Routing;
import ai.sovereign.policy.RoutingDecision;

/**
 * The pipeline's route stage: the tenant's data policy, narrowed by {@code x-sovereign-jurisdictions}, and the fleet's
 * live facts through {@link Routing#decide}. No candidate is 403 {@code jurisdiction_policy} (policy removed every node
 * that serves the model) or 503 {@code no_capacity} (compliant nodes exist, none is available), each with
 * {@code sovereign.eliminated}. The trace goes on the exchange either way, for the ledger.
 */
final class Router {
    static final String HEADER = "x-sovereign-jurisdictions";

    private volatile Fleet fleet;

    Router(Fleet fleet) {
        this.fleet = fleet;
    }

    /** A config reload: requests routed from now on see {@code next}; those in flight keep the fleet they were routed on. */
    void swap(Fleet next) {
        fleet = next;
    }

    Fleet fleet() {
        return fleet;
    }

    RouteTrace route(Exchange ex, Tenant tenant, String model) {
        return route(tenant, ex.header(HEADER), model, ex::trace);
    }

    RouteTrace route(Tenant tenant, String narrowing, String model, java.util.function.Consumer<RouteTrace> sink) {
        DataPolicy policy;
        try {
            policy = tenant.data().narrow(narrowing);
        } catch (IllegalArgumentException e) {
            throw ApiException.invalid(HEADER, HEADER + " must be ISO 3166-1 alpha-2 codes separated by commas: " + e.getMessage());
        }
        Fleet current = fleet;
        RoutingDecision decision = Routing.decide(model, policy, current.facts());
        RouteTrace trace = switch (decision) {
            case RoutingDecision.Routed r -> new RouteTrace(current, r.candidates(), r.eliminated());
            case RoutingDecision.Refused r -> new RouteTrace(current, java.util.List.of(), r.eliminated());
        };
        sink.accept(trace);
        if (decision instanceof RoutingDecision.Refused refused) {
            throw switch (refused.refusal()) {
                case POLICY -> new ApiException(403, "permission_error", "jurisdiction_policy", null,
                        "no node that serves model " + model + " is allowed by tenant " + tenant.id() + "'s data policy"
                                + (narrowing == null ? "" : " narrowed by " + HEADER) + "; sovereign.eliminated lists why", null, trace.json());
                case CAPACITY -> new ApiException(503, "server_error", "no_capacity", null,
                        "every node allowed to serve model " + model + " is unavailable now; sovereign.eliminated lists why", 5, trace.json());
                case NOT_SERVED -> new ApiException(503, "server_error", "model_unavailable", null,
                        "no node serves model " + model + " now", 5, trace.json());
            };
        }
        return trace;
    }
}
