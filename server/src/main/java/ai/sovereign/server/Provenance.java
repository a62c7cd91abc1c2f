package ai.sovereign.server;

import com.fasterxml.jackson.databind.node.ObjectNode;

/**
 * The one place a served request's decision entry is written and its provenance shown, for the local engine and remote
 * nodes alike: the durable decision ({@link LedgerRecorder#decide}, timed for {@code sovereign_ledger_append_seconds}),
 * the {@code x-sovereign-*} / {@code x-ai-generated} headers and the {@code sovereign} object of a whole response
 * (Korea's AI Basic Act, Art. 31: AI output labelled with its model, weight hash, node and jurisdiction).
 */
final class Provenance {
    private final LedgerRecorder ledger;
    private final Metrics metrics;

    Provenance(LedgerRecorder ledger, Metrics metrics) {
        this.ledger = ledger;
        this.metrics = metrics;
    }

    /** The decision to serve {@code ex} with {@code model}, durable on return, and its index header. */
    long decide(Exchange ex, String endpoint, String model, String modelSha256) {
        long t0 = System.nanoTime();
        long index = ledger.decide(ex, endpoint, model, modelSha256);
        metrics.ledgerAppend((System.nanoTime() - t0) / 1e9);
        ex.header("x-sovereign-ledger-index", Long.toString(index));
        return index;
    }

    /** {@link #decide}, and the labels of a generation served by {@code node}. */
    long decideGeneration(Exchange ex, String endpoint, ModelRegistry.Entry model, Fleet.Node node) {
        long index = decide(ex, endpoint, model.name(), model.sha256());
        ex.header("x-ai-generated", "true");
        ex.header("x-sovereign-node", node.id);
        ex.header("x-sovereign-jurisdiction", node.jurisdiction.code());
        if (model.sha256() != null) {
            ex.header("x-sovereign-model-sha256", model.sha256());
        }
        return index;
    }

    /** The {@code sovereign} object of a whole response; OpenAI clients ignore it. */
    static ObjectNode body(Exchange ex, ModelRegistry.Entry model, Fleet.Node node, long ledgerIndex) {
        return Json.object()
                .put("request_id", ex.requestId)
                .put("ai_generated", true)
                .put("model", model.name())
                .put("model_sha256", model.sha256())
                .put("node", node.id)
                .put("jurisdiction", node.jurisdiction.code())
                .put("ledger_index", ledgerIndex);
    }
}
