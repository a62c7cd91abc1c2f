package ai.sovereign.engine;

import static org.junit.jupiter.api.Assertions.assertEquals;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;

/** The per-width vector kernel classes are generated from one template; this fails when they drift apart. */
class VectorKernelSourcesTest {
    @Test
    void generatedClassesMatchTheTemplate() throws IOException {
        Path engine = Fixtures.repoRoot().resolve("engine");
        String template = Files.readString(engine.resolve("src/template/VectorRowKernels.java.template"));
        for (int bits : new int[] {128, 256, 512}) {
            Path generated = engine.resolve("src/main/java/ai/sovereign/engine/VectorRowKernels" + bits + ".java");
            assertEquals(template.replace("$BITS$", Integer.toString(bits)), Files.readString(generated),
                    generated + " is out of date: run scripts/generate-vector-kernels");
        }
    }
}
