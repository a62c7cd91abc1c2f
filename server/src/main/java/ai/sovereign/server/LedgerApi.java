package ai.sovereign.server;

import ai.sovereign.ledger.Checkpoint;
import ai.sovereign.ledger.ConsistencyProof;
import ai.sovereign.ledger.Hash;
import ai.sovereign.ledger.InclusionProof;
import ai.sovereign.ledger.Ledger;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.nio.charset.StandardCharsets;
import java.util.Map;
import java.util.Optional;

/**
 * {@code GET /ledger/...}: the log as C2SP tlog-tiles resources plus JSON proofs and C2SP
 * tlog-proof files ({@code proof/tlog?index=N}). The checkpoint carries the cosignatures of the
 * configured witnesses. Full tiles and
 * entry bundles never change, so they are cacheable forever; the checkpoint moves with every
 * publish (no-cache); a partial tile is immutable too, but is superseded by the full one, so it is
 * cached briefly. Tiles are served up to the durable size (a partial tile of any durable width).
 */
final class LedgerApi {
    static final String PREFIX = "/ledger/";
    private static final String IMMUTABLE = "public, max-age=31536000, immutable";
    private static final String TEXT = "text/plain; charset=utf-8";
    private static final String OCTETS = "application/octet-stream";

    private final Ledger ledger;

    LedgerApi(Ledger ledger) {
        this.ledger = ledger;
    }

    /** The metrics route label for {@code path} (bounded: never the tile coordinates). */
    static String route(String path) {
        String rest = path.substring(PREFIX.length());
        if (rest.startsWith("tile/entries/")) {
            return "/ledger/tile/entries";
        }
        if (rest.startsWith("tile/")) {
            return "/ledger/tile";
        }
        return switch (rest) {
            case "checkpoint", "vkey", "proof/inclusion", "proof/consistency", "proof/tlog" -> path;
            default -> "/ledger/other";
        };
    }

    void serve(Exchange ex, String path) {
        String rest = path.substring(PREFIX.length());
        switch (rest) {
            case "checkpoint" -> ex.bytes(200, TEXT, "no-cache", ledger.checkpoint().getBytes(StandardCharsets.UTF_8));
            case "vkey" -> ex.bytes(200, TEXT, "public, max-age=3600", (ledger.verifierKey() + "\n").getBytes(StandardCharsets.UTF_8));
            case "proof/inclusion" -> inclusion(ex);
            case "proof/consistency" -> consistency(ex);
            case "proof/tlog" -> tlog(ex);
            default -> {
                Optional<byte[]> tile = rest.startsWith("tile/") ? ledger.tile(rest) : Optional.empty();
                if (tile.isEmpty()) {
                    throw ApiException.notFound("no ledger resource " + CompletionRequest.clip(path));
                }
                ex.bytes(200, OCTETS, rest.contains(".p/") ? "public, max-age=60" : IMMUTABLE, tile.get());
            }
        }
    }

    private void inclusion(Exchange ex) {
        Map<String, String> q = ex.query();
        long size = q.containsKey("size") ? number(q, "size") : publishedSize();
        long index = number(q, "index");
        InclusionProof p;
        try {
            p = ledger.inclusionProof(index, size);
        } catch (IllegalArgumentException e) {
            throw ApiException.invalid("index", e.getMessage());
        }
        ObjectNode o = Json.object().put("index", p.index()).put("size", p.size()).put("leaf_hash", p.leafHash().base64());
        ArrayNode hashes = o.putArray("hashes");
        p.hashes().forEach(h -> hashes.add(h.base64()));
        ex.json(200, o);
    }

    /** A C2SP tlog-proof for one entry against the published checkpoint (with its cosignatures): what {@code ledger prove} prints. */
    private void tlog(Exchange ex) {
        long index = number(ex.query(), "index");
        String proof;
        try {
            proof = ledger.tlogProof(index);
        } catch (IllegalArgumentException e) {
            throw ApiException.invalid("index", e.getMessage());
        }
        ex.bytes(200, TEXT, "no-cache", proof.getBytes(StandardCharsets.UTF_8));
    }

    private void consistency(Exchange ex) {
        Map<String, String> q = ex.query();
        long oldSize = number(q, "old");
        long newSize = q.containsKey("new") ? number(q, "new") : publishedSize();
        ConsistencyProof p;
        try {
            p = ledger.consistencyProof(oldSize, newSize);
        } catch (IllegalArgumentException e) {
            throw ApiException.invalid("old", e.getMessage());
        }
        ObjectNode o = Json.object().put("old", p.oldSize()).put("new", p.newSize());
        ArrayNode hashes = o.putArray("hashes");
        p.hashes().stream().map(Hash::base64).forEach(hashes::add);
        ex.json(200, o);
    }

    /** The size of the published checkpoint, so a default proof verifies against {@code /ledger/checkpoint}. */
    private long publishedSize() {
        return Checkpoint.open(ledger.checkpoint(), ledger.verifierKey()).orThrow().size();
    }

    /** A required non-negative integer query parameter. */
    static long number(Map<String, String> q, String name) {
        String v = q.get(name);
        if (v == null) {
            throw ApiException.invalid(name, name + " is required");
        }
        try {
            long n = Long.parseLong(v);
            if (n < 0) {
                throw new NumberFormatException();
            }
            return n;
        } catch (NumberFormatException e) {
            throw ApiException.invalid(name, name + " must be a non-negative integer, not '" + CompletionRequest.clip(v) + "'");
        }
    }
}
