package ai.sovereign.server;

import com.fasterxml.jackson.databind.JsonNode;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import org.eclipse.jetty.http.HttpHeader;
import org.eclipse.jetty.io.Content;
import org.eclipse.jetty.server.Request;
import org.eclipse.jetty.server.Response;
import org.eclipse.jetty.util.Callback;

/** One HTTP request and its response, with blocking reads and writes (handlers run on virtual threads). */
final class Exchange {
    final Request request;
    final Response response;
    final Callback callback;
    final String requestId;
    private OutputStream stream;
    /** The request body once read (kept for its keyed hash on the ledger, never logged). */
    private byte[] body;
    /** The index of this request's decision entry on the ledger, once written. */
    private long ledgerIndex = -1;
    /** Personal data found in this request, per type (counts only), once the guard stage ran; for the ledger. */
    private java.util.Map<String, Long> piiCounts = java.util.Map.of();

    /** The authenticated caller (set before the pipeline runs). */
    private Tenant tenant;
    /** This request's routing record, once routed. */
    private RouteTrace trace;
    /** This request's admission (its reservation of tokens and its fair-share slot), once admitted. */
    private ai.sovereign.server.tenancy.Ticket ticket;

    ai.sovereign.server.tenancy.Ticket ticket() {
        return ticket;
    }

    void ticket(ai.sovereign.server.tenancy.Ticket value) {
        ticket = value;
    }

    Tenant tenant() {
        return tenant;
    }

    void tenant(Tenant value) {
        tenant = value;
    }

    RouteTrace trace() {
        return trace;
    }

    void trace(RouteTrace value) {
        trace = value;
    }

    Exchange(Request request, Response response, Callback callback, String requestId) {
        this.request = request;
        this.response = response;
        this.callback = callback;
        this.requestId = requestId;
        response.getHeaders().put("x-request-id", requestId);
    }

    String method() {
        return request.getMethod();
    }

    String path() {
        return Request.getPathInContext(request);
    }

    String header(String name) {
        return request.getHeaders().get(name);
    }

    void header(String name, String value) {
        response.getHeaders().put(name, value);
    }

    /**
     * Bytes of an oversized body read and dropped before its 413 is sent. A client still sending when the server
     * closes gets a TCP reset that can destroy the answer already in its receive buffer; so, like nginx's discarded
     * bodies, the rest is read first and the connection stays usable. A larger body is refused without reading it.
     */
    private static final long DRAIN_LIMIT = 64L << 20;

    /** The body, refusing more than {@code limit} bytes with a 413 (answered after draining what the client sends). */
    byte[] body(int limit) throws IOException {
        long declared = request.getLength();
        try (InputStream in = Request.asInputStream(request)) {
            if (declared > limit) {
                if (declared <= DRAIN_LIMIT) {
                    drain(in);
                }
                throw ApiException.tooLarge(declared, limit);
            }
            byte[] bytes = in.readNBytes(limit + 1);
            if (bytes.length > limit) {
                drain(in);
                throw ApiException.tooLarge(-1, limit);
            }
            body = bytes;
            return bytes;
        }
    }

    private static void drain(InputStream in) throws IOException {
        byte[] sink = new byte[64 << 10];
        long dropped = 0;
        for (int n; dropped < DRAIN_LIMIT && (n = in.read(sink)) >= 0; ) {
            dropped += n;
        }
    }

    /** The body read by {@link #body(int)}, or null when it was not read (or was refused as too large). */
    byte[] bodyRead() {
        return body;
    }

    /** The query parameters (the first of a repeated name); malformed URL encoding is a 400. */
    java.util.Map<String, String> query() {
        java.util.Map<String, String> out = new java.util.HashMap<>();
        String query = request.getHttpURI().getQuery();
        if (query == null) {
            return out;
        }
        for (String pair : query.split("&")) {
            int eq = pair.indexOf('=');
            if (eq > 0) {
                try {
                    out.putIfAbsent(java.net.URLDecoder.decode(pair.substring(0, eq), StandardCharsets.UTF_8),
                            java.net.URLDecoder.decode(pair.substring(eq + 1), StandardCharsets.UTF_8));
                } catch (IllegalArgumentException e) {
                    throw ApiException.invalid(null, "the query string is not valid URL encoding");
                }
            }
        }
        return out;
    }

    java.util.Map<String, Long> piiCounts() {
        return piiCounts;
    }

    void piiCounts(java.util.Map<String, Long> counts) {
        piiCounts = counts;
    }

    long ledgerIndex() {
        return ledgerIndex;
    }

    void ledgerIndex(long index) {
        ledgerIndex = index;
    }

    void bytes(int status, String contentType, String cacheControl, byte[] bytes) {
        response.setStatus(status);
        response.getHeaders().put(HttpHeader.CONTENT_TYPE, contentType);
        response.getHeaders().put(HttpHeader.CACHE_CONTROL, cacheControl);
        response.getHeaders().put(HttpHeader.CONTENT_LENGTH, bytes.length);
        response.write(true, ByteBuffer.wrap(bytes), callback);
    }

    void json(int status, JsonNode body) {
        json(status, Json.bytes(body));
    }

    /** A JSON body already serialized (a node's answer relayed as received). */
    void json(int status, byte[] bytes) {
        response.setStatus(status);
        response.getHeaders().put(HttpHeader.CONTENT_TYPE, "application/json");
        response.getHeaders().put(HttpHeader.CONTENT_LENGTH, bytes.length);
        response.write(true, ByteBuffer.wrap(bytes), callback);
    }

    void text(int status, String contentType, String body) {
        byte[] bytes = body.getBytes(StandardCharsets.UTF_8);
        response.setStatus(status);
        response.getHeaders().put(HttpHeader.CONTENT_TYPE, contentType);
        response.getHeaders().put(HttpHeader.CONTENT_LENGTH, bytes.length);
        response.write(true, ByteBuffer.wrap(bytes), callback);
    }

    void error(ApiException e) {
        if (e.retryAfterSeconds != null) {
            header("Retry-After", Integer.toString(e.retryAfterSeconds));
        }
        var error = Json.object();
        var inner = error.putObject("error");
        inner.put("message", e.getMessage());
        inner.put("type", e.type);
        inner.put("param", e.param);
        inner.put("code", e.code);
        if (e.sovereign != null) {
            error.set("sovereign", e.sovereign);
        }
        json(e.status, error);
    }

    /** Starts a text/event-stream response. */
    void startEvents() throws IOException {
        response.setStatus(200);
        response.getHeaders().put(HttpHeader.CONTENT_TYPE, "text/event-stream; charset=utf-8");
        response.getHeaders().put(HttpHeader.CACHE_CONTROL, "no-cache");
        response.getHeaders().put("X-Accel-Buffering", "no");
        stream = Content.Sink.asOutputStream(response);
    }

    /** Writes one {@code data:} event and flushes it (with any held before it); throws when the client is gone. */
    void event(String data) throws IOException {
        event(data, false);
    }

    /** Events held for one write: at most this many bytes, and never while the producer waits ({@link #flushEvents}). */
    private static final int HOLD_BYTES = 16 << 10;
    private final java.io.ByteArrayOutputStream held = new java.io.ByteArrayOutputStream();

    /**
     * Writes one {@code data:} event; {@code hold} keeps it for the next write (one write, one wake-up for a burst of
     * events) up to {@link #HOLD_BYTES}. Whoever holds must call {@link #flushEvents} before it waits for more.
     */
    void event(String data, boolean hold) throws IOException {
        held.write(("data: " + data + "\n\n").getBytes(StandardCharsets.UTF_8));
        if (!hold || held.size() >= HOLD_BYTES) {
            flushEvents();
        }
    }

    /** Sends the held events now. */
    void flushEvents() throws IOException {
        if (held.size() > 0) {
            held.writeTo(stream);
            held.reset();
            stream.flush();
        }
    }

    void endEvents() {
        try {
            stream.close();
            callback.succeeded();
        } catch (IOException e) {
            callback.failed(e);
        }
    }

    boolean streaming() {
        return stream != null;
    }
}
