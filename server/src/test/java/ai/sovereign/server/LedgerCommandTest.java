package ai.sovereign.server;

import static org.junit.jupiter.api.Assertions.assertEquals;

import ai.sovereign.ledger.Ledger;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
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
                l.append(("entry " + i).getBytes(StandardCharsets.UTF_8));
            }
            vkey = l.verifierKey();
        }
        assertEquals(0, Main.run("ledger", "verify", "--dir", dir.toString(), "--vkey", vkey));
        assertEquals(0, Main.run("ledger", "verify", "--dir", dir.toString()));
        assertEquals(0, Main.run("ledger", "verify", "--dir", dir.toString(), "--vkey", vkey, "--trusted", dir.resolve("checkpoint").toString()));
        assertEquals(2, Main.run("ledger", "verify"));
        assertEquals(2, Main.run("ledger", "verify", "--dir", dir.toString(), "--url", "http://localhost/"));
        byte[] tile = Files.readAllBytes(dir.resolve("tile/0/000"));
        tile[100] ^= 1;
        Files.write(dir.resolve("tile/0/000"), tile);
        assertEquals(1, Main.run("ledger", "verify", "--dir", dir.toString(), "--vkey", vkey));
    }
}
