package ai.sovereign.server;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.sovereign.engine.Fixtures;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStream;
import java.io.InputStreamReader;
import java.io.OutputStream;
import java.net.Socket;
import java.net.URI;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Raw HTTP against a real serve process: SSE bytes, hostile input, disconnects, headers, no leaks. */
class ServeHttpIT {
    private static final ObjectMapper JSON = new ObjectMapper();
    @TempDir
    static Path workDir;
    private static ServeProcess serve;

    @BeforeAll
    static void start() throws Exception {
        serve = ServeProcess.start(workDir, "--model", "stories=" + Fixtures.shared("models/stories260K.gguf"));
    }

    @AfterAll
    static void stop() throws Exception {
        if (serve != null) {
            serve.close();
        }
    }

    private static String chat(String extra) {
        return "{\"model\":\"stories\",\"messages\":[{\"role\":\"user\",\"content\":\"Once upon a time\"}]" + extra + "}";
    }

    @Test
    void sseBytesFollowOpenAisFormat() throws Exception {
        HttpResponse<String> r = serve.post("/v1/chat/completions", chat(",\"max_tokens\":6,\"temperature\":0,\"stream\":true,\"stream_options\":{\"include_usage\":true}"));
        assertEquals(200, r.statusCode());
        assertTrue(r.headers().firstValue("content-type").orElse("").startsWith("text/event-stream"));
        String body = r.body();
        assertTrue(body.endsWith("data: [DONE]\n\n"), "ends with [DONE]");
        String[] events = body.split("\n\n");
        for (String e : events) {
            assertTrue(e.startsWith("data: "), "every event is a single data line: " + e);
            assertFalse(e.substring(6).contains("\n"));
        }
        List<JsonNode> chunks = new ArrayList<>();
        for (int i = 0; i < events.length - 1; i++) {
            chunks.add(JSON.readTree(events[i].substring(6)));
        }
        JsonNode first = chunks.getFirst();
        assertEquals("chat.completion.chunk", first.get("object").asText());
        assertEquals("assistant", first.at("/choices/0/delta/role").asText());
        String id = first.get("id").asText();
        assertTrue(id.startsWith("chatcmpl-"));
        StringBuilder text = new StringBuilder();
        for (JsonNode c : chunks) {
            assertEquals(id, c.get("id").asText(), "one id for the whole stream");
            assertEquals("stories", c.get("model").asText());
            assertTrue(c.has("usage"), "with include_usage every chunk has a usage field");
            if (c.get("choices").size() > 0) {
                text.append(c.at("/choices/0/delta/content").asText(""));
            }
        }
        JsonNode finish = chunks.get(chunks.size() - 2);
        assertEquals("length", finish.at("/choices/0/finish_reason").asText());
        assertEquals(0, finish.at("/choices/0/delta").size(), "the finish chunk has an empty delta");
        JsonNode usage = chunks.getLast();
        assertEquals(0, usage.get("choices").size());
        assertEquals(6, usage.at("/usage/completion_tokens").asInt());
        JsonNode whole = JSON.readTree(serve.post("/v1/chat/completions", chat(",\"max_tokens\":6,\"temperature\":0")).body());
        assertEquals(whole.at("/choices/0/message/content").asText(), text.toString());
        assertTrue(text.toString().startsWith(", there was a little"), text.toString());
    }

    @Test
    void servedGenerationsCarryProvenance() throws Exception {
        HttpResponse<String> r = serve.post("/v1/chat/completions", chat(",\"max_tokens\":3"));
        assertEquals(200, r.statusCode());
        String requestId = r.headers().firstValue("x-request-id").orElseThrow();
        assertEquals("true", r.headers().firstValue("x-ai-generated").orElseThrow());
        assertEquals("local", r.headers().firstValue("x-sovereign-node").orElseThrow());
        assertEquals("KR", r.headers().firstValue("x-sovereign-jurisdiction").orElseThrow());
        String sha = "270cba1bd5109f42d03350f60406024560464db173c0e387d91f0426d3bd256d";
        assertEquals(sha, r.headers().firstValue("x-sovereign-model-sha256").orElseThrow());
        JsonNode body = JSON.readTree(r.body());
        assertEquals(sha, body.at("/sovereign/model_sha256").asText());
        assertTrue(body.at("/sovereign/ai_generated").asBoolean());
        assertEquals(requestId, body.at("/sovereign/request_id").asText());
    }

    @Test
    void malformedInputGetsClearErrorsNeverA500() throws Exception {
        String tenThousand = "{\"model\":\"stories\",\"messages\":[" + "{\"role\":\"user\",\"content\":\"x\"},".repeat(9_999)
                + "{\"role\":\"user\",\"content\":\"x\"}]}";
        Object[][] cases = {
            {"{not json", 400, "invalid_json"},
            {"", 400, "invalid_json"},
            {"[1,2,3]", 400, null},
            {"{\"model\":7,\"messages\":[]}", 400, null},
            {"{\"model\":\"stories\"}", 400, null},
            {"{\"model\":\"stories\",\"messages\":[]}", 400, null},
            {"{\"model\":\"stories\",\"messages\":[{\"role\":\"wizard\",\"content\":\"x\"}]}", 400, null},
            {"{\"model\":\"stories\",\"messages\":[{\"role\":\"user\",\"content\":42}]}", 400, null},
            {chat(",\"temperature\":\"hot\""), 400, null},
            {chat(",\"temperature\":9"), 400, null},
            {chat(",\"max_tokens\":-1"), 400, null},
            {chat(",\"max_tokens\":4000"), 400, "context_length_exceeded"},
            {chat(",\"n\":100"), 400, null},
            {chat(",\"stop\":[1,2]"), 400, null},
            {chat(",\"response_format\":{\"type\":\"xml\"}"), 400, null},
            {"{\"a\":" + "[".repeat(5000) + "]".repeat(5000) + "}", 400, "invalid_json"},
            {tenThousand, 400, "too_many_messages"},
            {"{\"model\":\"other\",\"messages\":[{\"role\":\"user\",\"content\":\"x\"}]}", 404, "model_not_found"},
        };
        for (Object[] c : cases) {
            HttpResponse<String> r = serve.post("/v1/chat/completions", (String) c[0]);
            String what = ((String) c[0]).length() > 60 ? ((String) c[0]).substring(0, 60) : (String) c[0];
            assertEquals((int) c[1], r.statusCode(), what + " -> " + r.body());
            JsonNode error = JSON.readTree(r.body()).get("error");
            assertTrue(error.has("message") && error.has("type") && error.has("param") && error.has("code"), r.body());
            if (c[2] != null) {
                assertEquals(c[2], error.get("code").asText(), what);
            }
        }
        byte[] invalidUtf8 = "{\"model\":\"stories\",\"messages\":[{\"role\":\"user\",\"content\":\"\u0000\"}]}".getBytes(StandardCharsets.UTF_8);
        invalidUtf8[invalidUtf8.length - 6] = (byte) 0xC3; // a lone lead byte
        assertEquals(400, serve.post("/v1/chat/completions", invalidUtf8).statusCode());
        byte[] huge = new byte[(4 << 20) + 10];
        java.util.Arrays.fill(huge, (byte) ' ');
        assertEquals(413, serve.post("/v1/chat/completions", huge).statusCode());
        HttpResponse<String> wrongMethod = serve.get("/v1/chat/completions");
        assertEquals(405, wrongMethod.statusCode());
        assertEquals(404, serve.get("/v2/nothing").statusCode());
        assertEquals(200, serve.get("/health/live").statusCode(), "still alive after all of that");
    }

    @Test
    void anOversizedBodyIsRefusedWithA413ThatTheClientReceivesAndTheConnectionStaysOpen() throws Exception {
        URI uri = URI.create(serve.baseUrl);
        byte[] huge = new byte[5 << 20];
        Arrays.fill(huge, (byte) ' ');
        try (Socket socket = new Socket(uri.getHost(), uri.getPort())) {
            socket.setSoTimeout(30_000);
            OutputStream out = socket.getOutputStream();
            Thread sender = Thread.ofVirtual().start(() -> {
                try {
                    out.write(("POST /v1/chat/completions HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nContent-Length: "
                            + huge.length + "\r\n\r\n").getBytes(StandardCharsets.US_ASCII));
                    out.write(huge);
                    out.flush();
                } catch (IOException e) {
                    // a server that closes early resets the connection; the reads below then fail the test
                }
            });
            InputStream in = socket.getInputStream();
            assertTrue(readResponse(in).startsWith("HTTP/1.1 413 "));
            sender.join();
            out.write("GET /health/live HTTP/1.1\r\nHost: x\r\n\r\n".getBytes(StandardCharsets.US_ASCII));
            out.flush();
            String again = readResponse(in);
            assertTrue(again.startsWith("HTTP/1.1 200 "), "the same connection serves the next request: " + again);
        }
    }

    /** One HTTP/1.1 response with a Content-Length body, read byte by byte so nothing after it is consumed. */
    private static String readResponse(InputStream in) throws IOException {
        StringBuilder head = new StringBuilder();
        while (!head.toString().endsWith("\r\n\r\n")) {
            int b = in.read();
            if (b < 0) {
                throw new IOException("connection closed after " + head.length() + " bytes: " + head);
            }
            head.append((char) b);
        }
        Matcher length = Pattern.compile("(?i)content-length: *(\\d+)").matcher(head);
        if (length.find()) {
            in.readNBytes(Integer.parseInt(length.group(1)));
        }
        return head.toString();
    }

    @Test
    void errorsNeverEchoPromptContentAndLogsNeverHoldIt() throws Exception {
        String secret = "PLANTED-SECRET-" + System.nanoTime();
        HttpResponse<String> r = serve.post("/v1/chat/completions",
                "{\"model\":\"stories\",\"messages\":[{\"role\":\"user\",\"content\":\"" + secret + "\"}],\"max_tokens\":999999}");
        assertEquals(400, r.statusCode());
        assertFalse(r.body().contains(secret));
        serve.post("/v1/chat/completions", "{\"model\":\"stories\",\"messages\":[{\"role\":\"user\",\"content\":\"" + secret + "\"}],\"max_tokens\":4}");
        assertFalse(serve.stderr().contains(secret), "the log holds prompt text");
        assertFalse(serve.get("/metrics").body().contains(secret));
    }

    @Test
    void disconnectMidStreamCancelsTheGeneration() throws Exception {
        URI uri = URI.create(serve.baseUrl);
        String body = chat(",\"max_tokens\":1900,\"temperature\":1,\"stream\":true");
        long before = generatedTokens();
        try (Socket socket = new Socket(uri.getHost(), uri.getPort())) {
            OutputStream out = socket.getOutputStream();
            out.write(("POST /v1/chat/completions HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nContent-Length: "
                    + body.getBytes(StandardCharsets.UTF_8).length + "\r\n\r\n" + body).getBytes(StandardCharsets.UTF_8));
            out.flush();
            BufferedReader in = new BufferedReader(new InputStreamReader(socket.getInputStream(), StandardCharsets.UTF_8));
            int events = 0;
            String line;
            while (events < 3 && (line = in.readLine()) != null) {
                if (line.startsWith("data: ")) {
                    events++;
                }
            }
            assertEquals(3, events);
        }
        long closed = System.nanoTime();
        long deadline = closed + 5_000_000_000L;
        while (runningSequences() > 0 && System.nanoTime() < deadline) {
            Thread.sleep(1);
        }
        assertEquals(0, runningSequences(), "the generation was cancelled");
        System.out.printf("disconnect: generation gone from the engine %.1f ms after the client closed (metrics polled every ~1 ms)%n",
                (System.nanoTime() - closed) / 1e6);
        long generated = generatedTokens() - before;
        assertTrue(generated < 1900, "generated " + generated + " of 1900 tokens after the client left");
        assertNotEquals(-1, metric("sovereign_client_disconnects_total"));
    }

    private static double runningSequences() throws Exception {
        return metric("sovereign_running_sequences");
    }

    private static long generatedTokens() throws Exception {
        return (long) metric("sovereign_engine_generated_tokens_total");
    }

    private static double metric(String name) throws Exception {
        Matcher m = Pattern.compile("(?m)^" + name + "\\{model=\"stories\"\\} ([0-9.eE+-]+)$").matcher(serve.get("/metrics").body());
        return m.find() ? Double.parseDouble(m.group(1)) : -1;
    }
}
