package ai.sovereign.server;

import com.sun.net.httpserver.HttpExchange;
import com.sun.net.httpserver.HttpServer;
import java.io.IOException;
import java.io.OutputStream;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.Executors;

/**
 * A stub upstream engine on loopback that speaks OpenAI's {@code /v1/chat/completions} and {@code /v1/completions}, or
 * fails on purpose. Every request's bytes (method, path, body) are recorded, so tests can prove where data went.
 */
final class StubNode implements AutoCloseable {
    enum Behaviour {
        /** Answers: streamed (role, three pieces, finish, usage, [DONE]) or whole. */
        OK,
        /** Nothing listens on its port. */
        REFUSED,
        /** HTTP 500 with an error body. */
        HTTP_500,
        /** Headers, then nothing for 5 s. */
        FIRST_TOKEN_TIMEOUT,
        /** One or two events (part of a body), then nothing for 5 s. */
        STALL_MID_STREAM,
        /** Data that is not JSON. */
        MALFORMED
    }

    /** One request as received: its request line and headers ({@code head}) and its body. */
    record Received(String method, String path, String head, byte[] body) {
        /** Every received byte of the request, head and body, as text. */
        String text() {
            return head + new String(body, StandardCharsets.UTF_8);
        }
    }

    final String id;
    final String jurisdiction;
    final Behaviour behaviour;
    final int port;
    final List<Received> received = new CopyOnWriteArrayList<>();
    private final HttpServer server;
    /** Text the OK stub answers with; null: it echoes what it was sent (a pseudonym must come back restored). */
    volatile String answer = "Hello from the stub.";

    StubNode(String id, String jurisdiction, Behaviour behaviour) throws IOException {
        this.id = id;
        this.jurisdiction = jurisdiction;
        this.behaviour = behaviour;
        if (behaviour == Behaviour.REFUSED) {
            try (ServerSocket s = new ServerSocket(0, 1, java.net.InetAddress.getLoopbackAddress())) {
                port = s.getLocalPort();
            }
            server = null;
            return;
        }
        server = HttpServer.create(new InetSocketAddress(java.net.InetAddress.getLoopbackAddress(), 0), 64);
        server.setExecutor(Executors.newVirtualThreadPerTaskExecutor());
        server.createContext("/", this::handle);
        server.start();
        port = server.getAddress().getPort();
    }

    String url() {
        return "http://127.0.0.1:" + port + "/v1";
    }

    /** Requests to the completion endpoints (health probes excluded). */
    List<Received> completions() {
        return received.stream().filter(r -> r.method().equals("POST")).toList();
    }

    private void handle(HttpExchange ex) throws IOException {
        byte[] body = ex.getRequestBody().readAllBytes();
        StringBuilder head = new StringBuilder(ex.getRequestMethod() + " " + ex.getRequestURI() + "\n");
        ex.getRequestHeaders().forEach((name, values) -> values.forEach(v -> head.append(name).append(": ").append(v).append('\n')));
        received.add(new Received(ex.getRequestMethod(), ex.getRequestURI().getPath(), head.toString(), body));
        try (ex) {
            if (ex.getRequestMethod().equals("GET")) {
                send(ex, 200, "{\"object\":\"list\",\"data\":[]}");
                return;
            }
            var json = Json.MAPPER.readTree(body);
            boolean stream = json.path("stream").asBoolean(false);
            boolean chat = ex.getRequestURI().getPath().endsWith("/chat/completions");
            String model = json.path("model").asText();
            switch (behaviour) {
                case HTTP_500 -> send(ex, 500, "{\"error\":{\"message\":\"boom\"}}");
                case FIRST_TOKEN_TIMEOUT -> {
                    ex.getResponseHeaders().add("Content-Type", stream ? "text/event-stream" : "application/json");
                    ex.sendResponseHeaders(200, 0);
                    ex.getResponseBody().flush();
                    sleep();
                }
                case STALL_MID_STREAM -> {
                    ex.getResponseHeaders().add("Content-Type", stream ? "text/event-stream" : "application/json");
                    ex.sendResponseHeaders(200, 0);
                    OutputStream out = ex.getResponseBody();
                    if (stream) {
                        event(out, chunk(chat, model, "Once", null));
                        event(out, chunk(chat, model, " upon", null));
                    } else {
                        out.write("{\"id\":\"x\",\"choices\":[".getBytes(StandardCharsets.UTF_8));
                        out.flush();
                    }
                    sleep();
                }
                case MALFORMED -> {
                    ex.getResponseHeaders().add("Content-Type", stream ? "text/event-stream" : "application/json");
                    ex.sendResponseHeaders(200, 0);
                    OutputStream out = ex.getResponseBody();
                    out.write((stream ? "data: {not json\n\n" : "<html>not json</html>").getBytes(StandardCharsets.UTF_8));
                    out.flush();
                }
                case OK -> {
                    if (ex.getRequestURI().getPath().endsWith("/embeddings")) {
                        StringBuilder data = new StringBuilder();
                        int n = json.path("input").isArray() ? json.path("input").size() : 1;
                        for (int i = 0; i < n; i++) {
                            data.append(i == 0 ? "" : ",").append("{\"object\":\"embedding\",\"index\":").append(i).append(",\"embedding\":[0.25,-0.5]}");
                        }
                        send(ex, 200, "{\"object\":\"list\",\"data\":[" + data + "],\"model\":\"" + model
                                + "\",\"usage\":{\"prompt_tokens\":3,\"total_tokens\":3}}");
                        return;
                    }
                    String reply = answer != null ? answer : echo(json, chat);
                    if (!stream) {
                        String whole = chat
                                ? "{\"id\":\"up-1\",\"object\":\"chat.completion\",\"created\":1,\"model\":\"" + model + "\",\"choices\":[{\"index\":0,"
                                        + "\"message\":{\"role\":\"assistant\",\"content\":" + Json.MAPPER.writeValueAsString(reply) + "},"
                                        + "\"finish_reason\":\"stop\"}],\"usage\":{\"prompt_tokens\":7,\"completion_tokens\":5,\"total_tokens\":12}}"
                                : "{\"id\":\"up-1\",\"object\":\"text_completion\",\"created\":1,\"model\":\"" + model + "\",\"choices\":[{\"index\":0,"
                                        + "\"text\":" + Json.MAPPER.writeValueAsString(reply) + ",\"finish_reason\":\"stop\"}],"
                                        + "\"usage\":{\"prompt_tokens\":7,\"completion_tokens\":5,\"total_tokens\":12}}";
                        send(ex, 200, whole);
                        return;
                    }
                    ex.getResponseHeaders().add("Content-Type", "text/event-stream");
                    ex.sendResponseHeaders(200, 0);
                    OutputStream out = ex.getResponseBody();
                    if (chat) {
                        event(out, "{\"id\":\"up-1\",\"object\":\"chat.completion.chunk\",\"created\":1,\"model\":\"" + model
                                + "\",\"choices\":[{\"index\":0,\"delta\":{\"role\":\"assistant\",\"content\":\"\"},\"finish_reason\":null}]}");
                    }
                    int third = Math.max(1, reply.length() / 3);
                    for (int i = 0; i < reply.length(); i += third) {
                        event(out, chunk(chat, model, reply.substring(i, Math.min(reply.length(), i + third)), null));
                    }
                    event(out, chunk(chat, model, "", "stop"));
                    event(out, "{\"id\":\"up-1\",\"object\":\"chat.completion.chunk\",\"created\":1,\"model\":\"" + model
                            + "\",\"choices\":[],\"usage\":{\"prompt_tokens\":7,\"completion_tokens\":5,\"total_tokens\":12}}");
                    event(out, "[DONE]");
                }
                default -> throw new IllegalStateException();
            }
        }
    }

    /** The last message's content (chat) or the prompt: what the stub was sent. */
    private static String echo(com.fasterxml.jackson.databind.JsonNode json, boolean chat) {
        return chat ? json.path("messages").get(json.path("messages").size() - 1).path("content").asText() : json.path("prompt").asText();
    }

    private static String chunk(boolean chat, String model, String text, String finish) throws IOException {
        String f = finish == null ? "null" : "\"" + finish + "\"";
        String piece = Json.MAPPER.writeValueAsString(text);
        return chat
                ? "{\"id\":\"up-1\",\"object\":\"chat.completion.chunk\",\"created\":1,\"model\":\"" + model + "\",\"choices\":[{\"index\":0,"
                        + "\"delta\":{\"content\":" + piece + "},\"finish_reason\":" + f + "}]}"
                : "{\"id\":\"up-1\",\"object\":\"text_completion\",\"created\":1,\"model\":\"" + model + "\",\"choices\":[{\"index\":0,"
                        + "\"text\":" + piece + ",\"finish_reason\":" + f + "}]}";
    }

    private static void event(OutputStream out, String data) throws IOException {
        out.write(("data: " + data + "\n\n").getBytes(StandardCharsets.UTF_8));
        out.flush();
    }

    private static void send(HttpExchange ex, int status, String body) throws IOException {
        byte[] bytes = body.getBytes(StandardCharsets.UTF_8);
        ex.getResponseHeaders().add("Content-Type", "application/json");
        ex.sendResponseHeaders(status, bytes.length);
        ex.getResponseBody().write(bytes);
    }

    private static void sleep() {
        try {
            Thread.sleep(5_000);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }

    @Override
    public void close() {
        if (server != null) {
            server.stop(0);
        }
    }
}
