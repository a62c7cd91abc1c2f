package ai.sovereign.server;

import ai.sovereign.ledger.AuditEntry;
import ai.sovereign.ledger.Hash;
import ai.sovereign.ledger.Ledger;
import ai.sovereign.ledger.Verification;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Base64;
import java.util.BitSet;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;

/**
 * A tenant's own entries on the ledger ({@code GET /v1/ledger/entries}), newest first. The view is derived from the
 * log itself, so it cannot disagree with it: each query first decodes the entries appended since the last one. A
 * decision belongs to the tenant it names, an outcome to the tenant of the decision it links to; admin events belong
 * to no tenant (they are in the public tiles). Each listed entry carries its bytes, so a tenant can check it against
 * {@code /ledger/proof/inclusion?index=N} without trusting this view. Memory: one int per entry.
 */
final class TenantLedger {
    static final int DEFAULT_LIMIT = 100;
    static final int MAX_LIMIT = 1000;
    private static final int CHUNK = 1 << 16;
    private static final int NO_TENANT = -1;

    private final Ledger ledger;
    private final List<int[]> owners = new ArrayList<>();
    private final Map<String, Integer> numbers = new HashMap<>();
    private long indexed;

    TenantLedger(Ledger ledger) {
        this.ledger = ledger;
    }

    /** Up to {@code limit} entries of {@code tenants} below index {@code before} (null: the whole log), newest first. */
    synchronized ObjectNode page(Set<String> tenants, Long before, int limit) {
        catchUp();
        long end = before == null ? indexed : Math.min(before, indexed);
        BitSet wanted = new BitSet();
        for (String t : tenants) {
            Integer n = numbers.get(t);
            if (n != null) {
                wanted.set(n);
            }
        }
        List<Long> found = new ArrayList<>();
        for (long i = end - 1; i >= 0 && found.size() <= limit && !wanted.isEmpty(); i--) {
            int owner = owner(i);
            if (owner != NO_TENANT && wanted.get(owner)) {
                found.add(i);
            }
        }
        boolean more = found.size() > limit;
        if (more) {
            found.removeLast();
        }
        ObjectNode page = Json.object().put("object", "list");
        ArrayNode data = page.putArray("data");
        for (Map.Entry<Long, byte[]> e : read(found).descendingMap().entrySet()) {
            data.add(render(e.getKey(), e.getValue()));
        }
        page.put("has_more", more);
        if (more) {
            page.put("next_before", found.getLast());
        }
        return page;
    }

    /** Indexes the entries appended since the last call (the first call reads the whole log). */
    synchronized void catchUp() {
        long size = ledger.size();
        if (size > indexed) {
            ledger.readEntries(indexed, size, (index, bytes) -> own(index, switch (AuditEntry.decode(bytes)) {
                case Verification.Ok<AuditEntry>(AuditEntry.Decision d) -> numbers.computeIfAbsent(d.tenantId(), k -> numbers.size());
                case Verification.Ok<AuditEntry>(AuditEntry.Outcome o) -> o.decisionIndex() < index ? owner(o.decisionIndex()) : NO_TENANT;
                default -> NO_TENANT;
            }));
            indexed = size;
        }
    }

    private int owner(long index) {
        return owners.get((int) (index / CHUNK))[(int) (index % CHUNK)];
    }

    private void own(long index, int tenant) {
        if (index / CHUNK == owners.size()) {
            owners.add(new int[CHUNK]);
        }
        owners.get((int) (index / CHUNK))[(int) (index % CHUNK)] = tenant;
    }

    /** The entries at {@code indices}, reading each entry bundle they fall in once. */
    private TreeMap<Long, byte[]> read(List<Long> indices) {
        TreeMap<Long, byte[]> out = new TreeMap<>();
        Set<Long> wanted = Set.copyOf(indices);
        long bundle = -1;
        for (long index : indices.reversed()) {
            long b = index / Ledger.BUNDLE_ENTRIES;
            if (b != bundle) {
                bundle = b;
                ledger.readEntries(b * Ledger.BUNDLE_ENTRIES, Math.min((b + 1) * Ledger.BUNDLE_ENTRIES, indexed), (i, bytes) -> {
                    if (wanted.contains(i)) {
                        out.put(i, bytes);
                    }
                });
            }
        }
        return out;
    }

    /** One entry as JSON: its fields (ledger/ENTRY-FORMAT.md; keyed hashes in hex, never content) and its bytes in base64. */
    static ObjectNode render(long index, byte[] bytes) {
        ObjectNode o = Json.object().put("index", index);
        switch (AuditEntry.decode(bytes)) {
            case Verification.Ok<AuditEntry>(AuditEntry.Decision d) -> {
                o.put("type", "decision").put("time", Instant.ofEpochMilli(d.timeMillis()).toString()).put("request_id", d.requestId())
                        .put("tenant", d.tenantId()).put("key_id", d.keyId()).put("endpoint", d.endpoint()).put("model", d.model())
                        .put("model_sha256", hex(d.modelSha256())).put("node", d.node()).put("jurisdiction", d.jurisdiction())
                        .put("tier", d.tier());
                ObjectNode pii = o.putObject("pii");
                d.pii().forEach(p -> pii.put(p.type(), p.count()));
                d.candidates().forEach(o.putArray("candidates")::add);
                ArrayNode eliminated = o.putArray("eliminated");
                d.eliminations().forEach(e -> eliminated.addObject().put("node", e.node()).put("reason", e.reason()));
                ArrayNode attempts = o.putArray("attempts");
                d.attempts().forEach(a -> attempts.addObject().put("node", a.node()).put("result", a.result()));
                o.put("request_hmac", hex(d.requestHmac()));
            }
            case Verification.Ok<AuditEntry>(AuditEntry.Outcome x) -> {
                o.put("type", "outcome").put("time", Instant.ofEpochMilli(x.timeMillis()).toString()).put("request_id", x.requestId())
                        .put("decision_index", x.decisionIndex()).put("status", x.status());
                x.finishReasons().forEach(o.putArray("finish_reasons")::add);
                o.put("prompt_tokens", x.promptTokens()).put("completion_tokens", x.completionTokens())
                        .put("duration_ms", x.durationMillis()).put("time_to_first_token_ms", x.timeToFirstTokenMillis())
                        .put("energy_mj", x.energyMillijoules()).put("response_hmac", hex(x.responseHmac()));
            }
            case Verification.Ok<AuditEntry>(AuditEntry.AdminEvent a) -> {
                o.put("type", "admin").put("time", Instant.ofEpochMilli(a.timeMillis()).toString()).put("action", a.action())
                        .put("subject", a.subject());
                ObjectNode attributes = o.putObject("attributes");
                a.attributes().forEach(x -> attributes.put(x.key(), x.value()));
            }
            default -> o.put("type", "other");
        }
        return o.put("entry_base64", Base64.getEncoder().encodeToString(bytes));
    }

    private static String hex(Hash h) {
        return h == null ? null : h.hex();
    }
}
