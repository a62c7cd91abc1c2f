package ai.sovereign.server;

import static org.junit.jupiter.api.Assertions.assertEquals;

import ai.sovereign.ledger.AuditEntry;
import ai.sovereign.ledger.Ledger;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** {@code sovereign ledger verify --dir}: exit 0 on a good log, 1 on a tampered one, 2 on bad usage. */
class LedgerCommandTest {

    @Test
    void verifyDirectory(@TempDir Path tmp) throws Exception {
        Path dir = tmp.resolve("ledger");
        String vkey;
        try (Ledger l = Ledger.open(dir, tmp.resolve("ledger.key"), "factory.example.kr/ledger")) {
            for (int i = 0; i < 300; i++) {
                l.append(new AuditEntry.AdminEvent(i, "test.event", "entry " + i, List.of()).encode());
            }
            vkey = l.verifierKey();
        }
        assertEquals(0, Main.run("ledger", "verify", "--dir", dir.toString(), "--vkey", vkey));
        assertEquals(0, Main.run("ledger", "verify", "--dir", dir.toString()));
        assertEquals(0, Main.run("ledger", "verify", "--dir", dir.toString(), "--vkey", vkey, "--trusted", dir.resolve("checkpoint").toString()));
        assertEquals(2, Main.run("ledger", "verify"));
        assertEquals(2, Main.run("ledger", "verify", "--dir", dir.toString(), "--url", "http://localhost/"));
        try (Ledger l = Ledger.open(tmp.resolve("raw"), tmp.resolve("raw.key"), "factory.example.kr/ledger")) {
            l.append("not an audit entry".getBytes(StandardCharsets.UTF_8));
        }
        assertEquals(1, Main.run("ledger", "verify", "--dir", tmp.resolve("raw").toString()), "every entry must decode");
        byte[] tile = Files.readAllBytes(dir.resolve("tile/0/000"));
        tile[100] ^= 1;
        Files.write(dir.resolve("tile/0/000"), tile);
        assertEquals(1, Main.run("ledger", "verify", "--dir", dir.toString(), "--vkey", vkey));
    }
}
