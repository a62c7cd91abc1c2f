package ai.sovereign.server;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import java.nio.charset.StandardCharsets;
import org.junit.jupiter.api.Test;

/** A node's embeddings answer is relayed as its own bytes with only the top-level model replaced. */
class RemoteEmbeddingsTest {
    private static RemoteClient.Body body(String json) {
        byte[] b = (json + "  trailing space is cut by length").getBytes(StandardCharsets.UTF_8);
        return new RemoteClient.Body(b, json.getBytes(StandardCharsets.UTF_8).length);
    }

    private static String relay(String json, String ours) throws Exception {
        RemoteClient.Body b = body(json);
        return new String(RemoteRelay.Embedded.read(b).withModel(b, ours), StandardCharsets.UTF_8);
    }

    @Test
    void onlyTheTopLevelModelChangesAndEveryOtherByteIsTheNodes() throws Exception {
        String vectors = "[0.1,-2.5e-3,1E+2,3.0000000000000004,-0.0]";
        String node = "{\"object\":\"list\",\"data\":[{\"object\":\"embedding\",\"index\":0,\"model\":\"inner\",\"embedding\":" + vectors
                + "}],\"model\" : \"BAAI/bge-m3\",\"usage\":{\"prompt_tokens\":7,\"total_tokens\":7}}";
        assertEquals(node.replace("\"BAAI/bge-m3\"", "\"emb\""), relay(node, "emb"), "numbers keep their exact text");
        assertEquals(7, RemoteRelay.Embedded.read(body(node)).promptTokens());
        assertEquals("{\"model\":\"한국어 \\\"q\\\"\",\"data\":[]}", relay("{\"model\":\"up\\\"x\\u00e9\",\"data\":[]}", "한국어 \"q\""),
                "escapes in either name");
        assertEquals("{\"model\":\"emb\", \"data\":[]}", relay("{ \"data\":[]}", "emb"), "a node that names no model gets ours added");
    }

    @Test
    void anAnswerThatIsNotOneObjectWithADataArrayIsAFailedAttempt() {
        for (String bad : new String[] {"[]", "{\"data\":{}}", "{\"object\":\"list\"}", "{\"data\":[]} {}", "{\"data\":[", "not json", ""}) {
            RemoteClient.UpstreamException e = assertThrows(RemoteClient.UpstreamException.class, () -> RemoteRelay.Embedded.read(body(bad)), bad);
            assertEquals("malformed_response", e.result, bad);
        }
    }
}
