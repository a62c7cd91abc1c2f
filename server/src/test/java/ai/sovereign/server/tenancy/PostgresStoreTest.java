package ai.sovereign.server.tenancy;

/** The store contract on PostgreSQL ({@code SOVEREIGN_TEST_PG_URL}, started by ./run-tests), one fresh schema per test. */
class PostgresStoreTest extends StoreContract {
    @Override
    String freshUrl() throws Exception {
        return TestPostgres.freshSchema();
    }
}
