package ai.sovereign.server.tenancy;

import java.nio.file.Path;
import org.junit.jupiter.api.io.TempDir;

/** The store contract on the embedded store (SQLite file under a fresh directory). */
class EmbeddedStoreTest extends StoreContract {
    @TempDir
    Path dir;

    @Override
    String freshUrl() {
        return "embedded:" + dir.resolve("data");
    }
}
