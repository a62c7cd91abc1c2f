package ai.sovereign.server;

import com.fasterxml.jackson.databind.JsonNode;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.net.ConnectException;
import java.net.http.HttpConnectTimeoutException;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.Flow;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;

/**
 * A remote engine over the OpenAI protocol ({@code /chat/completions}, {@code /completions} under the node's URL), through
 * {@link Egress}.
 *
 * <h2>Design</h2>
 * The body arrives as a {@link Flow.Publisher} of byte buffers the moment the headers do; one buffer is requested at a
 * time, when the relay has used the last, so a slow client slows the upstream (no unbounded buffering) and each SSE
 * event is handed on as soon as its bytes are in. Every wait has a deadline: connect (the client's connect timeout),
 * first event (first-token timeout, counted from sending), each following event (chunk-gap timeout) and the request's
 * total; a missed deadline cancels the subscription, which closes the connection. Failures are
 * {@link UpstreamException}s whose {@code result} is the attempt's short code on the ledger ({@code connect_refused},
 * {@code http_500}, {@code first_token_timeout}, {@code chunk_timeout}, {@code malformed_sse}, ...), never upstream text.
 */
final class RemoteClient {
    private static final int MAX_EVENT_BYTES = 4 << 20;
    private static final int MAX_BODY_BYTES = 16 << 20;

    private final Egress egress;

    RemoteClient(Egress egress) {
        this.egress = egress;
    }

    /** An attempt that failed; {@code result} is its short code. */
    static final class UpstreamException extends Exception {
        final String result;

        UpstreamException(String result, String message) {
            super(message, null, false, false);
            this.result = result;
        }
    }

    /** Sends {@code body} to {@code node}'s {@code path} and returns the open event stream once its headers arrived. */
    Events stream(Fleet.Node node, String path, byte[] body, long deadlineNanos) throws UpstreamException {
        return new Events(open(node, path, body, true, deadlineNanos), node.timeouts, deadlineNanos);
    }

    /** Sends a non-streamed completion request and returns its JSON body (200 only). */
    JsonNode call(Fleet.Node node, String path, byte[] body, long deadlineNanos) throws UpstreamException {
        return call(node, path, body, deadlineNanos, "choices");
    }

    /** Sends a non-streamed request and returns its JSON body (200 only), which must hold the array {@code required}. */
    JsonNode call(Fleet.Node node, String path, byte[] body, long deadlineNanos, String required) throws UpstreamException {
        Body answer = callRaw(node, path, body, deadlineNanos);
        try {
            JsonNode json = Json.MAPPER.readTree(answer.bytes(), 0, answer.length());
            if (json == null || !json.isObject() || !json.path(required).isArray()) {
                throw new UpstreamException("malformed_response", "the node's response has no " + required + " array");
            }
            return json;
        } catch (IOException e) {
            throw new UpstreamException("malformed_response", "the node's response is not JSON");
        }
    }

    /** A whole response body: its first {@code length} bytes. */
    record Body(byte[] bytes, int length) {}

    /** Sends a non-streamed request and returns its body as received (200 only), unparsed. */
    Body callRaw(Fleet.Node node, String path, byte[] body, long deadlineNanos) throws UpstreamException {
        Chunks chunks = open(node, path, body, false, deadlineNanos);
        byte[] all = new byte[8192];
        int size = 0;
        try {
            long firstDeadline = Math.min(deadlineNanos, chunks.sent + node.timeouts.firstToken().toNanos());
            while (true) {
                boolean first = size == 0;
                ByteBuffer b = chunks.next(first ? firstDeadline : Math.min(deadlineNanos, System.nanoTime() + node.timeouts.chunkGap().toNanos()),
                        first ? "first_token_timeout" : "chunk_timeout");
                if (b == null) {
                    break;
                }
                int n = b.remaining();
                if (size + n > MAX_BODY_BYTES) {
                    throw new UpstreamException("response_too_large", "the node's response exceeds " + MAX_BODY_BYTES + " bytes");
                }
                if (size + n > all.length) {
                    all = java.util.Arrays.copyOf(all, Math.max(size + n, Math.min(MAX_BODY_BYTES, all.length * 2)));
                }
                b.get(all, size, n);
                size += n;
            }
        } finally {
            chunks.cancel();
        }
        return new Body(all, size);
    }

    private Chunks open(Fleet.Node node, String path, byte[] body, boolean stream, long deadlineNanos) throws UpstreamException {
        HttpRequest.Builder builder = HttpRequest.newBuilder(node.resolve(path))
                .header("Content-Type", "application/json")
                .header("Accept", stream ? "text/event-stream" : "application/json")
                .POST(HttpRequest.BodyPublishers.ofByteArray(body));
        if (node.apiKey != null) {
            builder.header("Authorization", "Bearer " + node.apiKey);
        }
        HttpRequest request = builder.build();
        long sent = System.nanoTime();
        CompletableFuture<HttpResponse<Flow.Publisher<List<ByteBuffer>>>> future;
        try {
            future = egress.send(request, HttpResponse.BodyHandlers.ofPublisher(), node.timeouts.connect());
        } catch (Egress.RefusedException e) {
            throw new UpstreamException("egress_refused", e.getMessage());
        }
        long headersDeadline = Math.min(deadlineNanos, sent + node.timeouts.firstToken().toNanos());
        HttpResponse<Flow.Publisher<List<ByteBuffer>>> response;
        try {
            response = future.get(Math.max(0, headersDeadline - System.nanoTime()), TimeUnit.NANOSECONDS);
        } catch (TimeoutException e) {
            future.cancel(true);
            throw new UpstreamException("first_token_timeout", "no response within the first-token timeout");
        } catch (InterruptedException e) {
            future.cancel(true);
            Thread.currentThread().interrupt();
            throw new UpstreamException("interrupted", "interrupted");
        } catch (ExecutionException e) {
            Throwable cause = e.getCause();
            String result = cause instanceof HttpConnectTimeoutException ? "connect_timeout"
                    : cause instanceof ConnectException ? "connect_refused" : "io_error";
            throw new UpstreamException(result, "cannot reach the node: " + cause.getClass().getSimpleName());
        }
        Chunks chunks = new Chunks(sent);
        response.body().subscribe(chunks);
        if (response.statusCode() != 200) {
            chunks.cancel();
            throw new UpstreamException("http_" + response.statusCode(), "the node answered HTTP " + response.statusCode());
        }
        return chunks;
    }

    /** The body's buffers, one requested at a time. */
    private static final class Chunks implements Flow.Subscriber<List<ByteBuffer>> {
        private static final Object END = new Object();
        private final LinkedBlockingQueue<Object> queue = new LinkedBlockingQueue<>();
        private final long sent;
        /** Runs before {@link #next} waits for the node (the relay sends what it held); may throw UncheckedIOException. */
        private Runnable beforeWait;
        private volatile Flow.Subscription subscription;
        private List<ByteBuffer> current = List.of();
        private int position;
        private boolean ended;

        Chunks(long sent) {
            this.sent = sent;
        }

        @Override
        public void onSubscribe(Flow.Subscription s) {
            subscription = s;
            s.request(1);
        }

        @Override
        public void onNext(List<ByteBuffer> item) {
            queue.add(item);
        }

        @Override
        public void onError(Throwable t) {
            queue.add(t);
        }

        @Override
        public void onComplete() {
            queue.add(END);
        }

        /** The next non-empty buffer, or null at the end of the body; {@code timeoutResult} names a missed deadline. */
        @SuppressWarnings("unchecked")
        ByteBuffer next(long deadlineNanos, String timeoutResult) throws UpstreamException {
            while (true) {
                while (position < current.size()) {
                    ByteBuffer b = current.get(position++);
                    if (b.hasRemaining()) {
                        return b;
                    }
                }
                if (ended) {
                    return null;
                }
                Object item = queue.poll();
                if (item == null && beforeWait != null) {
                    beforeWait.run();
                }
                try {
                    item = item != null ? item : queue.poll(Math.max(0, deadlineNanos - System.nanoTime()), TimeUnit.NANOSECONDS);
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                    cancel();
                    throw new UpstreamException("interrupted", "interrupted");
                }
                if (item == null) {
                    cancel();
                    throw new UpstreamException(timeoutResult, "the node sent nothing within the deadline (" + timeoutResult + ")");
                }
                if (item == END) {
                    ended = true;
                    continue;
                }
                if (item instanceof Throwable t) {
                    ended = true;
                    throw new UpstreamException("io_error", "the connection to the node failed: " + t.getClass().getSimpleName());
                }
                current = (List<ByteBuffer>) item;
                position = 0;
                subscription.request(1);
            }
        }

        void cancel() {
            Flow.Subscription s = subscription;
            if (s != null) {
                s.cancel();
            }
        }
    }

    /**
     * A server-sent event stream: {@link #next} returns each {@code data:} event's JSON, or null after {@code [DONE]}.
     * A stream that ends without {@code [DONE]}, an event that is not a JSON object, or an {@code error} event is a
     * failure.
     */
    static final class Events implements AutoCloseable {
        private final Chunks chunks;
        private final Fleet.Timeouts timeouts;
        private final long deadlineNanos;
        private final ByteArrayOutputStream line = new ByteArrayOutputStream();
        private final StringBuilder data = new StringBuilder();
        private boolean first = true;
        private boolean done;
        private String raw;

        Events(Chunks chunks, Fleet.Timeouts timeouts, long deadlineNanos) {
            this.chunks = chunks;
            this.timeouts = timeouts;
            this.deadlineNanos = deadlineNanos;
        }

        private ByteBuffer pending;

        JsonNode next() throws UpstreamException {
            if (done) {
                return null;
            }
            long gap = first ? chunks.sent + timeouts.firstToken().toNanos() : System.nanoTime() + timeouts.chunkGap().toNanos();
            String timeout = first ? "first_token_timeout" : "chunk_timeout";
            long deadline = Math.min(gap, deadlineNanos);
            if (deadline == deadlineNanos && gap > deadlineNanos) {
                timeout = "total_timeout";
            }
            while (true) {
                if (pending == null || !pending.hasRemaining()) {
                    pending = chunks.next(deadline, timeout);
                    if (pending == null) {
                        throw new UpstreamException("truncated_stream", "the node's stream ended without [DONE]");
                    }
                }
                while (pending.hasRemaining()) {
                    byte b = pending.get();
                    if (b != '\n') {
                        if (line.size() >= MAX_EVENT_BYTES) {
                            throw new UpstreamException("malformed_sse", "an event exceeds " + MAX_EVENT_BYTES + " bytes");
                        }
                        line.write(b);
                        continue;
                    }
                    String text = line.toString(StandardCharsets.UTF_8);
                    line.reset();
                    if (text.endsWith("\r")) {
                        text = text.substring(0, text.length() - 1);
                    }
                    if (text.startsWith("data:")) {
                        data.append(data.isEmpty() ? "" : "\n").append(text.substring(text.startsWith("data: ") ? 6 : 5));
                    } else if (text.isEmpty() && !data.isEmpty()) {
                        String event = data.toString();
                        data.setLength(0);
                        raw = event;
                        first = false;
                        if (event.strip().equals("[DONE]")) {
                            done = true;
                            chunks.cancel();
                            return null;
                        }
                        return parse(event);
                    }
                    // comments (":"), event:, id:, retry: lines carry nothing we relay
                }
            }
        }

        /**
         * {@code flush} runs whenever {@link #next} is about to wait for the node, so a relay that holds events for one
         * write never holds them while the node is silent; its IOException surfaces as an UncheckedIOException.
         */
        void beforeWait(IoAction flush) {
            chunks.beforeWait = () -> {
                try {
                    flush.run();
                } catch (IOException e) {
                    throw new java.io.UncheckedIOException(e);
                }
            };
        }

        /** An action that may fail with an IOException. */
        @FunctionalInterface
        interface IoAction {
            void run() throws IOException;
        }

        /** The JSON text of the event {@link #next} returned last. */
        String raw() {
            return raw;
        }

        private static JsonNode parse(String event) throws UpstreamException {
            JsonNode json;
            try {
                json = Json.MAPPER.readTree(event);
            } catch (IOException e) {
                throw new UpstreamException("malformed_sse", "an event from the node is not JSON");
            }
            if (json == null || !json.isObject()) {
                throw new UpstreamException("malformed_sse", "an event from the node is not a JSON object");
            }
            if (json.has("error")) {
                throw new UpstreamException("upstream_error_event", "the node sent an error event");
            }
            if (!json.path("choices").isArray()) {
                throw new UpstreamException("malformed_sse", "an event from the node has no choices");
            }
            return json;
        }

        @Override
        public void close() {
            chunks.cancel();
        }
    }
}
