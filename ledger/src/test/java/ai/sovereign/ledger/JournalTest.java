package ai.sovereign.ledger;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The journal's reader: a bad final record is a torn tail and is cut; a bad record with intact ones after it is refused. */
class JournalTest {
    @TempDir
    Path tmp;

    private static List<byte[]> entries(int n) {
        List<byte[]> out = new ArrayList<>();
        for (int i = 0; i < n; i++) {
            out.add(("entry " + i).getBytes(StandardCharsets.UTF_8));
        }
        return out;
    }

    /** Byte offset of record {@code i} in a journal of {@link #entries} starting at 0. */
    private static int offset(List<byte[]> entries, int i) {
        int at = Journal.HEADER;
        for (int k = 0; k < i; k++) {
            at += 2 + entries.get(k).length + 4;
        }
        return at;
    }

    private Path journal(List<byte[]> entries) throws IOException {
        Path p = tmp.resolve("journal");
        Journal.create(p, 0, entries);
        return p;
    }

    private static void flip(Path p, int at) throws IOException {
        byte[] b = Files.readAllBytes(p);
        b[at] ^= 0x10;
        Files.write(p, b);
    }

    @Test
    void aBadFinalRecordIsATornTailAndIsCut() throws IOException {
        List<byte[]> e = entries(10);
        Path p = journal(e);
        flip(p, offset(e, 9) + 2 + 3); // a byte of the last entry: its CRC fails, nothing follows
        Journal.Contents c = Journal.read(p);
        assertEquals(9, c.entries().size());
        assertArrayEquals(e.get(8), c.entries().get(8));
        assertEquals(offset(e, 9), c.validBytes());
        assertEquals(2 + e.get(9).length + 4, c.tornBytes(), "the whole last record, up to the preallocated zeros");
    }

    @Test
    void aBadRecordInTheMiddleIsRefusedWithItsIndexAndByte() throws IOException {
        List<byte[]> e = entries(10);
        Path p = journal(e);
        flip(p, offset(e, 4) + 2 + 1); // a byte of entry 4: records 5..9 are intact after it
        LedgerException x = assertThrows(LedgerException.class, () -> Journal.read(p));
        assertEquals(p + ": record 4 (at byte " + offset(e, 4) + ") is damaged, but record 5 after it (at byte " + offset(e, 5)
                + ") is intact, so this is not a torn tail and records after 3 may have been acknowledged; refusing to start. "
                + "Restore the journal from a copy, or, to give up records 4 and later, truncate the file to " + offset(e, 4) + " bytes",
                x.getMessage());
    }

    @Test
    void aDamagedLengthFieldInTheMiddleIsFoundByScanning() throws IOException {
        List<byte[]> e = entries(10);
        Path p = journal(e);
        flip(p, offset(e, 4)); // the high byte of record 4's length: walking the lengths derails
        LedgerException x = assertThrows(LedgerException.class, () -> Journal.read(p));
        assertTrue(x.getMessage().contains("record 4 (at byte " + offset(e, 4) + ") is damaged, but record 5 after it (at byte " + offset(e, 5)),
                x.getMessage());
        // Two damaged records in a row, lengths intact: the walk finds record 6.
        Path q = tmp.resolve("two");
        Journal.create(q, 0, e);
        flip(q, offset(e, 4) + 2);
        flip(q, offset(e, 5) + 2);
        x = assertThrows(LedgerException.class, () -> Journal.read(q));
        assertTrue(x.getMessage().contains("but record 6 after it (at byte " + offset(e, 6) + ")"), x.getMessage());
    }

    @Test
    void truncatingAtTheNamedByteGivesTheLossUp() throws IOException {
        List<byte[]> e = entries(10);
        Path p = journal(e);
        flip(p, offset(e, 4) + 2 + 1);
        assertThrows(LedgerException.class, () -> Journal.read(p));
        try (var ch = java.nio.channels.FileChannel.open(p, java.nio.file.StandardOpenOption.WRITE)) {
            ch.truncate(offset(e, 4));
        }
        Journal.Contents c = Journal.read(p);
        assertEquals(4, c.entries().size());
        assertEquals(0, c.tornBytes());
    }
}
