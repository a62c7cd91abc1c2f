package ai.sovereign.server.tenancy;

import static org.junit.jupiter.api.Assertions.fail;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.Statement;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * The test PostgreSQL cluster: {@code SOVEREIGN_TEST_PG_URL} (./run-tests starts one with
 * scripts/test-postgres.sh). Absent, the tests skip with this message, or fail when
 * {@code SOVEREIGN_REQUIRE_FIXTURES=1} (CI), so CI can never pass by skipping.
 */
final class TestPostgres {
    private static final AtomicInteger SCHEMAS = new AtomicInteger();

    private TestPostgres() {}

    static String url() {
        String url = System.getenv("SOVEREIGN_TEST_PG_URL");
        boolean present = url != null && !url.isBlank();
        String message = "SOVEREIGN_TEST_PG_URL is not set (./run-tests starts a throwaway PostgreSQL with scripts/test-postgres.sh)";
        if ("1".equals(System.getenv("SOVEREIGN_REQUIRE_FIXTURES"))) {
            if (!present) {
                fail(message + "; PostgreSQL is required here (SOVEREIGN_REQUIRE_FIXTURES=1)");
            }
        } else {
            assumeTrue(present, message);
        }
        return url;
    }

    /** A URL whose current schema is a new, empty one. */
    static String freshSchema() throws Exception {
        String base = url();
        String schema = "t" + ProcessHandle.current().pid() + "_" + System.nanoTime() % 1_000_000_000 + "_" + SCHEMAS.incrementAndGet();
        try (Connection c = DriverManager.getConnection(base); Statement s = c.createStatement()) {
            s.execute("CREATE SCHEMA " + schema);
        }
        return base + (base.contains("?") ? "&" : "?") + "currentSchema=" + schema;
    }
}
