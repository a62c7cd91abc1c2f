package ai.sovereign.engine;

import static org.junit.jupiter.api.Assertions.fail;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import java.nio.file.Files;
import java.nio.file.Path;

/**
 * Finds the shared test fixtures: {@code $SOVEREIGN_FIXTURES}, else {@code ../shared} beside the repo
 * root. A missing fixture skips the test with a message, or fails it when
 * {@code SOVEREIGN_REQUIRE_FIXTURES=1} (CI), so CI can never pass by skipping.
 */
public final class Fixtures {
    private Fixtures() {}

    public static Path repoRoot() {
        String env = System.getenv("SOVEREIGN_REPO_ROOT");
        if (env != null && !env.isBlank()) {
            return Path.of(env).toAbsolutePath().normalize();
        }
        Path dir = Path.of("").toAbsolutePath();
        while (dir != null && !Files.exists(dir.resolve("sovereign"))) {
            dir = dir.getParent();
        }
        return dir == null ? Path.of("").toAbsolutePath() : dir;
    }

    /** The shared fixture root (holding models/, tlog-vectors/ ...), or null when absent. */
    public static Path sharedRoot() {
        String env = System.getenv("SOVEREIGN_FIXTURES");
        Path root = env != null && !env.isBlank() ? Path.of(env) : repoRoot().resolve("../shared");
        return Files.isDirectory(root) ? root.toAbsolutePath().normalize() : null;
    }

    /** A file under the shared root; skips (or fails in CI) when it is absent. */
    public static Path shared(String relative) {
        Path root = sharedRoot();
        Path file = root == null ? null : root.resolve(relative);
        require(file != null && Files.exists(file), "fixture " + relative + " not found (set SOVEREIGN_FIXTURES to the shared folder)");
        return file;
    }

    /** A file under the repo's .cache folder (installed by ./run-tests); skips (or fails in CI) when absent. */
    public static Path cached(String relative) {
        Path file = repoRoot().resolve(".cache").resolve(relative);
        require(Files.exists(file), "fixture .cache/" + relative + " not found (./run-tests installs it)");
        return file;
    }

    static void require(boolean present, String message) {
        if ("1".equals(System.getenv("SOVEREIGN_REQUIRE_FIXTURES"))) {
            if (!present) {
                fail(message + "; fixtures are required here (SOVEREIGN_REQUIRE_FIXTURES=1)");
            }
        } else {
            assumeTrue(present, message);
        }
    }
}
