package ai.sovereign.server;

import ai.sovereign.ledger.AuditEntry;
import ai.sovereign.policy.RoutingDecision;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.util.ArrayList;
import java.util.List;

/**
 * One request's routing record: the candidates and eliminations the decision gave, each attempt and its result, and the
 * node that served. It travels with the request to the ledger's decision entry and the {@code x-sovereign-*} headers.
 */
final class RouteTrace {
    final List<String> candidates;
    final List<RoutingDecision.Elimination> eliminated;
    /** The fleet the decision was made against (a config reload swaps the router's, never this one). */
    private final Fleet fleet;
    private final List<AuditEntry.Attempt> attempts = new ArrayList<>();
    private volatile Fleet.Node served;

    RouteTrace(Fleet fleet, List<String> candidates, List<RoutingDecision.Elimination> eliminated) {
        this.fleet = fleet;
        this.candidates = List.copyOf(candidates);
        this.eliminated = List.copyOf(eliminated);
    }

    Fleet.Node node(String id) {
        return fleet.node(id);
    }

    synchronized void attempt(String node, String result) {
        attempts.add(new AuditEntry.Attempt(node, result));
    }

    synchronized List<AuditEntry.Attempt> attempts() {
        return List.copyOf(attempts);
    }

    void served(Fleet.Node node) {
        served = node;
    }

    /** The node that served (or is serving); null when none did. */
    Fleet.Node served() {
        return served;
    }

    List<AuditEntry.Elimination> ledgerEliminations() {
        return eliminated.stream().map(e -> new AuditEntry.Elimination(e.node(), e.reason().code())).toList();
    }

    /** {@code {"eliminated":[{"node","reason"}...], "attempts":[{"node","result"}...]}} for an error body. */
    ObjectNode json() {
        ObjectNode o = Json.object();
        ArrayNode el = o.putArray("eliminated");
        eliminated.forEach(e -> el.addObject().put("node", e.node()).put("reason", e.reason().code()));
        List<AuditEntry.Attempt> tried = attempts();
        if (!tried.isEmpty()) {
            ArrayNode at = o.putArray("attempts");
            tried.forEach(a -> at.addObject().put("node", a.node()).put("result", a.result()));
        }
        return o;
    }
}
