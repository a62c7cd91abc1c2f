package ai.sovereign.engine;

import java.io.IOException;
import java.nio.file.Path;

/** Test models for the server: a copy of a GGUF with its {@code tokenizer.chat_template} set (GgufWriter is package-private). */
public final class TemplatedModels {
    private TemplatedModels() {}

    public static Path withChatTemplate(Path source, Path target, String template) throws IOException {
        try (GgufFile file = GgufFile.open(source)) {
            GgufWriter.copyOf(file).putString("tokenizer.chat_template", template).write(target);
        }
        return target;
    }
}
