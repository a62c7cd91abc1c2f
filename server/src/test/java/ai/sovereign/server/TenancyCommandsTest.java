package ai.sovereign.server;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** {@code sovereign tenants …} and {@code sovereign keys …} on an embedded store: results on stdout, exit codes 0/1/2. */
class TenancyCommandsTest {
    private record Run(int status, String out, String err) {}

    private static synchronized Run run(String... args) {
        PrintStream out = System.out, err = System.err;
        ByteArrayOutputStream o = new ByteArrayOutputStream(), e = new ByteArrayOutputStream();
        System.setOut(new PrintStream(o, true, StandardCharsets.UTF_8));
        System.setErr(new PrintStream(e, true, StandardCharsets.UTF_8));
        try {
            int status = Main.run(args);
            return new Run(status, o.toString(StandardCharsets.UTF_8), e.toString(StandardCharsets.UTF_8));
        } finally {
            System.setOut(out);
            System.setErr(err);
        }
    }

    @Test
    void adminLifecycleOnTheEmbeddedStore(@TempDir Path tmp) throws Exception {
        String store = "embedded:" + tmp.resolve("data");
        Run org = run("tenants", "create", "consortium", "--store", store, "--jurisdictions", "KR", "--tokens-per-day", "5000000", "--weight", "3");
        assertEquals(0, org.status(), org.err());
        assertTrue(org.out().contains("\"tokens_per_day\":5000000"), org.out());
        assertEquals(0, run("tenants", "create", "team-a", "--store", store, "--parent", "consortium", "--pii", "KR_RRN=block,default=redact").status());
        Run widen = run("tenants", "create", "team-b", "--store", store, "--parent", "consortium", "--jurisdictions", "US");
        assertEquals(1, widen.status());
        assertTrue(widen.err().contains("can only narrow"), widen.err());

        Path config = tmp.resolve("sovereign.yaml");
        Files.writeString(config, "store: { url: \"" + store + "\" }\n");
        Run key = run("keys", "create", "--config", config.toString(), "--tenant", "team-a", "--scopes", "inference,auditor", "--ttl", "90d");
        assertEquals(0, key.status(), key.err());
        String secret = key.out().strip();
        assertTrue(secret.matches("sk-sov-[a-z2-7]{12}_[A-Za-z0-9_-]{43}"), "stdout holds only the key");
        String lookup = secret.substring(7, 19);
        assertFalse(key.err().contains(secret.substring(20)), "the secret goes to stdout only");

        Run list = run("keys", "list", "--store", store);
        assertTrue(list.out().contains(lookup) && !list.out().contains(secret.substring(20)), list.out());
        Run show = run("tenants", "show", "team-a", "--store", store);
        assertTrue(show.out().contains("\"keys\":[{\"lookup\":\"" + lookup), show.out());

        Run grant = run("tenants", "grant", "team-a", "--store", store, "--model", "stories", "--from", "2026-01-01", "--to", "2027-01-01");
        assertEquals(0, grant.status(), grant.err());
        Run idle = run("tenants", "idle-grants", "--store", store, "--from", "2026-06-01", "--to", "2026-07-01");
        assertEquals(2, idle.out().lines().count(), "header and the unused grant: " + idle.out());
        Run usage = run("tenants", "usage", "--store", store, "--format", "csv");
        assertEquals("day,tenant,model,node,requests,tokens_in,tokens_out,duration_ms,energy_joules", usage.out().strip());

        Run rotated = run("keys", "rotate", lookup, "--store", store, "--grace", "1h");
        assertEquals(0, rotated.status(), rotated.err());
        assertFalse(rotated.out().strip().equals(secret));
        assertEquals(0, run("keys", "revoke", lookup, "--store", store).status());
        assertTrue(run("keys", "list", "--store", store, "--tenant", "team-a").out().contains("\"replaced_by\":\"" + rotated.out().substring(7, 19)));

        assertEquals(1, run("tenants", "delete", "consortium", "--store", store).status(), "projects first");
        assertEquals(0, run("tenants", "delete", "team-a", "--store", store).status());
        assertEquals(0, run("tenants", "delete", "consortium", "--store", store).status());
        assertEquals("", run("tenants", "list", "--store", store).out());
        assertEquals(2, run("keys").status());
        assertEquals(2, run("tenants", "grant", "x", "--store", store).status());
        assertEquals(1, run("tenants", "usage", "--store", store, "--format", "xml").status());
        assertEquals(1, run("tenants", "list", "--store", "mysql://nope").status());
    }
}
