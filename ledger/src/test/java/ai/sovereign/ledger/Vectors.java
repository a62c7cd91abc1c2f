package ai.sovereign.ledger;

import ai.sovereign.engine.Fixtures;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Base64;
import java.util.HexFormat;
import java.util.List;

/** Reads the shared transparency-log vectors ({@code ../shared/tlog-vectors/}). */
final class Vectors {
    private Vectors() {}

    static final ObjectMapper JSON = new ObjectMapper();

    static Path path(String relative) {
        return Fixtures.shared("tlog-vectors/" + relative);
    }

    static JsonNode json(String relative) {
        return json(path(relative));
    }

    static JsonNode json(Path file) {
        try {
            return JSON.readTree(file.toFile());
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    static String text(String relative) {
        try {
            return Files.readString(path(relative));
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    static byte[] bytes(String relative) {
        try {
            return Files.readAllBytes(path(relative));
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    static byte[] b64(JsonNode n) {
        return n == null || n.isNull() ? new byte[0] : Base64.getDecoder().decode(n.asText());
    }

    static List<byte[]> b64List(JsonNode n) {
        List<byte[]> out = new ArrayList<>();
        if (n != null && !n.isNull()) {
            n.forEach(e -> out.add(b64(e)));
        }
        return out;
    }

    static byte[] hex(String s) {
        return HexFormat.of().parseHex(s);
    }

    static List<String> strings(JsonNode n) {
        List<String> out = new ArrayList<>();
        n.forEach(e -> out.add(e.asText()));
        return out;
    }

    /** All JSON files under a vector folder, sorted. */
    static List<Path> files(String relative) {
        try (var s = Files.walk(path(relative))) {
            return s.filter(p -> p.toString().endsWith(".json")).sorted().toList();
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }
}
