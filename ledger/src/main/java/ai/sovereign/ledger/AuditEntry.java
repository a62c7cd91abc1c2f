package ai.sovereign.ledger;

import java.util.List;

/**
 * What the factory writes on its ledger: one {@link Decision} before a request is served, one
 * {@link Outcome} after it, and {@link AdminEvent}s for administrative actions. Entries carry
 * types, counts, hashes and keyed hashes, never raw prompts or responses (guarantee 2).
 *
 * <p>The bytes are a versioned, canonical binary encoding (grammar: {@code ledger/ENTRY-FORMAT.md}):
 * {@link #encode()} of a value is the only encoding {@link #decode} accepts for it, so
 * {@code encode(decode(b)) == b} for every {@code b} that decodes, and two parties who agree on
 * the value agree on the leaf hash. Field limits (string length, list size, numeric ranges) are checked when a
 * value is built; a null string is the empty string and a null list the empty list.
 */
public sealed interface AuditEntry permits AuditEntry.Decision, AuditEntry.Outcome, AuditEntry.AdminEvent {
    /** The encoding version this code writes and the only one it reads. */
    int VERSION = 1;
    /** The longest string field, in UTF-8 bytes. */
    int MAX_STRING_BYTES = 1024;
    /** The most items in one list field. */
    int MAX_ITEMS = 64;

    /** When the entry was made (Unix epoch milliseconds). */
    long timeMillis();

    /**
     * The canonical bytes of this entry. Throws {@link IllegalArgumentException} when they would
     * exceed {@link Ledger#MAX_ENTRY_BYTES} (only possible with many long list items).
     */
    default byte[] encode() {
        return EntryCodec.encode(this);
    }

    /** Decodes canonical entry bytes; fails on any other bytes, with the reason. */
    static Verification<AuditEntry> decode(byte[] entry) {
        return EntryCodec.decode(entry);
    }

    /** A count of one kind of personal data found in a request (never the values). */
    record PiiCount(String type, long count) {
        public PiiCount {
            type = EntryCodec.checkString("pii type", type);
            EntryCodec.checkRange("pii count", count, 0, 0xFFFF_FFFFL);
        }
    }

    /** A node routing ruled out, and why. */
    record Elimination(String node, String reason) {
        public Elimination {
            node = EntryCodec.checkString("elimination node", node);
            reason = EntryCodec.checkString("elimination reason", reason);
        }
    }

    /** A node routing tried (or chose), and the result ({@code selected}, {@code ok}, {@code timeout} ...). */
    record Attempt(String node, String result) {
        public Attempt {
            node = EntryCodec.checkString("attempt node", node);
            result = EntryCodec.checkString("attempt result", result);
        }
    }

    /** A key-value fact of an admin event. */
    record Attribute(String key, String value) {
        public Attribute {
            key = EntryCodec.checkString("attribute key", key);
            value = EntryCodec.checkString("attribute value", value);
        }
    }

    /**
     * The decision to serve a request, written (durably) before generation starts and before the
     * response's first byte. {@code modelSha256} is the served weight file's SHA-256 (the embedded
     * embedding model: its ONNX file), null for a refused request that named no registered model;
     * {@code requestHmac} is the keyed hash of the request body (null when the body was never read).
     */
    record Decision(long timeMillis, String requestId, String tenantId, String keyId, String endpoint,
                    String model, Hash modelSha256, String node, String jurisdiction, String tier,
                    List<PiiCount> pii, List<String> candidates, List<Elimination> eliminations,
                    List<Attempt> attempts, Hash requestHmac) implements AuditEntry {
        public Decision {
            EntryCodec.checkRange("time", timeMillis, 0, Long.MAX_VALUE);
            requestId = EntryCodec.checkString("request id", requestId);
            tenantId = EntryCodec.checkString("tenant id", tenantId);
            keyId = EntryCodec.checkString("key id", keyId);
            endpoint = EntryCodec.checkString("endpoint", endpoint);
            model = EntryCodec.checkString("model", model);
            node = EntryCodec.checkString("node", node);
            jurisdiction = EntryCodec.checkString("jurisdiction", jurisdiction);
            tier = EntryCodec.checkString("tier", tier);
            pii = EntryCodec.checkList("pii", pii);
            candidates = EntryCodec.checkList("candidates", candidates);
            candidates.forEach(c -> EntryCodec.checkString("candidate", c));
            eliminations = EntryCodec.checkList("eliminations", eliminations);
            attempts = EntryCodec.checkList("attempts", attempts);
        }
    }

    /**
     * How a request ended, written after its generation ends (success, refusal, cancel, client
     * gone, error), linked to its decision by {@code requestId} and {@code decisionIndex}.
     * {@code timeToFirstTokenMillis} is -1 when no token came; {@code energyMillijoules} is an
     * estimate (the node's configured power times the request's busy time); {@code responseHmac}
     * is the keyed hash of the generated text (null when there is none).
     */
    record Outcome(long timeMillis, String requestId, long decisionIndex, int status, List<String> finishReasons,
                   long promptTokens, long completionTokens, long durationMillis, long timeToFirstTokenMillis,
                   long energyMillijoules, Hash responseHmac) implements AuditEntry {
        public Outcome {
            EntryCodec.checkRange("time", timeMillis, 0, Long.MAX_VALUE);
            requestId = EntryCodec.checkString("request id", requestId);
            EntryCodec.checkRange("decision index", decisionIndex, 0, Long.MAX_VALUE);
            EntryCodec.checkRange("status", status, 100, 599);
            finishReasons = EntryCodec.checkList("finish reasons", finishReasons);
            finishReasons.forEach(r -> EntryCodec.checkString("finish reason", r));
            EntryCodec.checkRange("prompt tokens", promptTokens, 0, 0xFFFF_FFFFL);
            EntryCodec.checkRange("completion tokens", completionTokens, 0, 0xFFFF_FFFFL);
            EntryCodec.checkRange("duration", durationMillis, 0, Long.MAX_VALUE);
            EntryCodec.checkRange("time to first token", timeToFirstTokenMillis, -1, Long.MAX_VALUE);
            EntryCodec.checkRange("energy", energyMillijoules, 0, Long.MAX_VALUE);
        }
    }

    /** An administrative action: {@code model.registered}, {@code config.loaded}, later keys, tenants, policy. */
    record AdminEvent(long timeMillis, String action, String subject, List<Attribute> attributes) implements AuditEntry {
        public AdminEvent {
            EntryCodec.checkRange("time", timeMillis, 0, Long.MAX_VALUE);
            action = EntryCodec.checkString("action", action);
            subject = EntryCodec.checkString("subject", subject);
            attributes = EntryCodec.checkList("attributes", attributes);
        }

        /** The value of attribute {@code key}, or null. */
        public String attribute(String key) {
            return attributes.stream().filter(a -> a.key().equals(key)).map(Attribute::value).findFirst().orElse(null);
        }
    }
}
