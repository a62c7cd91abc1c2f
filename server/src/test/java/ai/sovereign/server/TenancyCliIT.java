package ai.sovereign.server;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;

import ai.sovereign.server.tenancy.Authentication;
import ai.sovereign.server.tenancy.Tenancy;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The embedded store is shared by processes: admin commands run at the same time on one fresh store
 * (default {@code embedded:./data}, migrated by whichever comes first) all succeed, and a key made by
 * the CLI authenticates in another process that has the store open.
 */
class TenancyCliIT {
    @Test
    void concurrentCommandsShareOneEmbeddedStore(@TempDir Path dir) throws Exception {
        try (Tenancy server = Tenancy.open("embedded:" + dir.resolve("data"))) {
            List<CompletableFuture<CliIT.Run>> runs = new ArrayList<>();
            for (int i = 0; i < 4; i++) {
                String id = "t" + i;
                runs.add(CompletableFuture.supplyAsync(() -> run(dir, "tenants", "create", id, "--tokens-per-day", "1000")));
            }
            for (CompletableFuture<CliIT.Run> r : runs) {
                assertEquals(0, r.get().exit(), r.get().err());
            }
            List<CompletableFuture<CliIT.Run>> keys = new ArrayList<>();
            for (int i = 0; i < 4; i++) {
                String id = "t" + i;
                keys.add(CompletableFuture.supplyAsync(() -> run(dir, "keys", "create", "--tenant", id)));
            }
            for (int i = 0; i < 4; i++) {
                CliIT.Run r = keys.get(i).get();
                assertEquals(0, r.exit(), r.err());
                Authentication.Principal p = assertInstanceOf(Authentication.Authenticated.class, server.authenticate(r.out().strip())).principal();
                assertEquals("t" + i, p.tenant().id());
            }
            assertEquals(4, run(dir, "keys", "list").out().lines().count());
        }
    }

    private static CliIT.Run run(Path dir, String... args) {
        try {
            return CliIT.sovereign(dir, args);
        } catch (Exception e) {
            throw new IllegalStateException(e);
        }
    }
}
