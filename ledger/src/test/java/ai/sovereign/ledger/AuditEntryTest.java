package ai.sovereign.ledger;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.sovereign.ledger.AuditEntry.AdminEvent;
import ai.sovereign.ledger.AuditEntry.Attempt;
import ai.sovereign.ledger.AuditEntry.Attribute;
import ai.sovereign.ledger.AuditEntry.Decision;
import ai.sovereign.ledger.AuditEntry.Elimination;
import ai.sovereign.ledger.AuditEntry.Outcome;
import ai.sovereign.ledger.AuditEntry.PiiCount;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HexFormat;
import java.util.List;
import java.util.Random;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The entry encoding: round trips, one encoding per value, precise rejections, and a fuzzed decoder. */
class AuditEntryTest {
    private static final Hash SHA = Hash.ofHex("270cba1bd5109f42d03350f60406024560464db173c0e387d91f0426d3bd256d");
    private static final Hash HMAC = AuditKey.of(new byte[32]).hash("body".getBytes(StandardCharsets.UTF_8));

    static Decision decision() {
        return new Decision(1_767_225_600_000L, "0f3c9a", "ministry-a", "", "/v1/chat/completions", "exaone-32b", SHA,
                "local", "KR", "high", List.of(new PiiCount("KR_RRN", 1), new PiiCount("PHONE_NUMBER", 2)),
                List.of("local", "sejong-1"), List.of(new Elimination("tokyo-1", "jurisdiction JP not allowed")),
                List.of(new Attempt("local", "selected")), HMAC);
    }

    static Outcome outcome() {
        return new Outcome(1_767_225_600_420L, "0f3c9a", 41, 200, List.of("stop", "length"), 17, 64, 420, 12, 147_000, HMAC);
    }

    static AdminEvent admin() {
        return new AdminEvent(1_767_225_600_000L, "model.registered", "stories",
                List.of(new Attribute("sha256", SHA.hex()), new Attribute("pinned", "true"), new Attribute("status", "available")));
    }

    static List<AuditEntry> samples() {
        return List.of(decision(), outcome(), admin(),
                new Decision(0, "", "", "", "", "", null, "", "", "", List.of(), List.of(), List.of(), List.of(), null),
                new Outcome(0, "r", 0, 499, List.of(), 0, 0, 0, -1, 0, null),
                new AdminEvent(5, "config.loaded", "한국어 설정 🇰🇷", List.of()));
    }

    @Test
    void valuesRoundTripAndReencodeToTheSameBytes() {
        for (AuditEntry e : samples()) {
            byte[] bytes = e.encode();
            AuditEntry back = AuditEntry.decode(bytes).orThrow();
            assertEquals(e, back);
            assertArrayEquals(bytes, back.encode());
        }
    }

    @Test
    void theEncodingIsTheDocumentedGrammar() {
        byte[] a = admin().encode();
        assertEquals(1, a[0], "version");
        assertEquals(3, a[1], "kind admin");
        assertEquals(1_767_225_600_000L, java.nio.ByteBuffer.wrap(a, 2, 8).getLong());
        assertEquals("model.registered".length(), ((a[10] & 0xff) << 8) | (a[11] & 0xff));
        byte[] empty = new Outcome(0, "r", 0, 499, List.of(), 0, 0, 0, -1, 0, null).encode();
        assertEquals("0102" + "0000000000000000" + "000172" + "0000000000000000" + "01f3" + "0000" + "00000000" + "00000000"
                + "0000000000000000" + "ffffffffffffffff" + "0000000000000000" + "00", HexFormat.of().formatHex(empty));
    }

    @Test
    void rejectsWhatIsNotCanonical() {
        byte[] good = decision().encode();
        assertReason(Arrays.copyOf(good, good.length + 1), "1 trailing bytes");
        assertReason(Arrays.copyOf(good, good.length - 1), "the entry ends inside request hmac");
        assertReason(new byte[0], "the entry ends inside version");
        byte[] v2 = good.clone();
        v2[0] = 2;
        assertReason(v2, "unknown entry version 2");
        byte[] k9 = good.clone();
        k9[1] = 9;
        assertReason(k9, "unknown entry kind 9");
        // An overlong string: request id claims 1025 bytes.
        byte[] longStr = new byte[2 + 8 + 2 + 1025];
        longStr[0] = 1;
        longStr[1] = 3;
        longStr[10] = 0x04;
        longStr[11] = 0x01;
        assertReason(longStr, "action at offset 10 is 1025 bytes; at most 1024");
        // Overlong UTF-8 ('/' as C0 AF) and an encoded surrogate are not well-formed.
        assertReason(adminWithRawAction(new byte[] {(byte) 0xC0, (byte) 0xAF}), "not well-formed UTF-8");
        assertReason(adminWithRawAction(new byte[] {(byte) 0xED, (byte) 0xA0, (byte) 0x80}), "not well-formed UTF-8");
        // A hash of the wrong length, a list over the limit, a status out of range, a negative time.
        byte[] o = outcome().encode();
        byte[] badHash = o.clone();
        badHash[o.length - 33] = 31;
        assertReason(badHash, "response hmac at offset " + (o.length - 33) + " has length 31");
        byte[] manyItems = new Outcome(0, "r", 0, 200, List.of(), 0, 0, 0, -1, 0, null).encode();
        manyItems[24] = 65; // finish reasons count (u16 at offset 23)
        assertReason(manyItems, "finish reasons at offset 23 has 65 items; at most 64");
        byte[] status = o.clone();
        status[2 + 8 + 2 + 6 + 8] = 0x03; // status 0x03c8 = 968
        assertReason(status, "status is 968");
        byte[] negative = o.clone();
        negative[2] = (byte) 0x80;
        assertReason(negative, "time is -");
    }

    private static byte[] adminWithRawAction(byte[] action) {
        java.nio.ByteBuffer b = java.nio.ByteBuffer.allocate(2 + 8 + 2 + action.length + 2 + 2);
        b.put((byte) 1).put((byte) 3).putLong(0).putShort((short) action.length).put(action).putShort((short) 0).putShort((short) 0);
        return b.array();
    }

    private static void assertReason(byte[] bytes, String expected) {
        Verification<AuditEntry> v = AuditEntry.decode(bytes);
        assertFalse(v.isOk(), "should not decode: " + HexFormat.of().formatHex(bytes));
        assertTrue(v.reason().contains(expected), v.reason());
    }

    @Test
    void valuesOutsideTheLimitsCannotBeBuilt() {
        assertThrows(IllegalArgumentException.class, () -> new AdminEvent(0, "x".repeat(1025), "", List.of()));
        assertThrows(IllegalArgumentException.class, () -> new AdminEvent(0, "\uD800", "", List.of()));
        assertThrows(IllegalArgumentException.class, () -> new AdminEvent(0, "a", "", java.util.Collections.nCopies(65, new Attribute("k", "v"))));
        assertThrows(IllegalArgumentException.class, () -> new Outcome(0, "r", -1, 200, List.of(), 0, 0, 0, -1, 0, null));
        assertThrows(IllegalArgumentException.class, () -> new Outcome(0, "r", 0, 200, List.of(), 0, 0, 0, -2, 0, null));
        assertThrows(IllegalArgumentException.class, () -> new Outcome(0, "r", 0, 200, List.of(), 1L << 32, 0, 0, -1, 0, null));
        Decision huge = new Decision(0, "", "", "", "", "", null, "", "", "", List.of(), List.of(),
                java.util.Collections.nCopies(64, new Elimination("n".repeat(1024), "r".repeat(1024))), List.of(), null);
        assertThrows(IllegalArgumentException.class, huge::encode, "over 65,535 bytes");
        assertEquals("", new AdminEvent(0, null, null, null).action(), "null strings are empty");
    }

    /** Mutated and random inputs: the decoder never throws, and whatever decodes re-encodes to the same bytes. */
    @Test
    void fuzzedDecoderNeverThrowsAndStaysCanonical() {
        Random random = new Random(20260101);
        List<byte[]> seeds = new ArrayList<>();
        samples().forEach(e -> seeds.add(e.encode()));
        int decoded = 0;
        for (int i = 0; i < 200_000; i++) {
            byte[] input;
            if (i % 10 == 0) {
                input = new byte[random.nextInt(64)];
                random.nextBytes(input);
                if (input.length > 1) {
                    input[0] = 1;
                }
            } else {
                byte[] seed = seeds.get(random.nextInt(seeds.size()));
                input = mutate(seed, random);
            }
            Verification<AuditEntry> v;
            try {
                v = AuditEntry.decode(input);
            } catch (RuntimeException e) {
                throw new AssertionError("decode threw on " + HexFormat.of().formatHex(input), e);
            }
            if (v instanceof Verification.Ok<AuditEntry>(AuditEntry e)) {
                decoded++;
                assertArrayEquals(input, e.encode(), "a decoded entry re-encodes to its bytes");
            } else {
                assertNotEquals(null, v.reason());
            }
        }
        assertTrue(decoded > 1000, "the fuzzer reaches valid entries too (" + decoded + ")");
    }

    private static byte[] mutate(byte[] seed, Random random) {
        byte[] b = seed.clone();
        switch (random.nextInt(4)) {
            case 0 -> b[random.nextInt(b.length)] = (byte) random.nextInt(256);
            case 1 -> b[random.nextInt(b.length)] ^= (byte) (1 << random.nextInt(8));
            case 2 -> b = Arrays.copyOf(b, random.nextInt(b.length + 4));
            default -> {
                int at = 2 + random.nextInt(b.length - 2);
                b[at] = (byte) (random.nextBoolean() ? 0 : 0xff);
            }
        }
        return b;
    }

    @Test
    void auditKeyIsCreatedPrivateAndStable(@TempDir Path tmp) throws Exception {
        Path file = tmp.resolve("ledger.key.hmac");
        AuditKey k = AuditKey.openOrCreate(file);
        assertEquals("rw-------", PosixFilePermissions.toString(Files.getPosixFilePermissions(file)));
        byte[] body = "{\"prompt\":\"x\"}".getBytes(StandardCharsets.UTF_8);
        assertEquals(k.hash(body), AuditKey.openOrCreate(file).hash(body), "the same secret after a restart");
        assertNotEquals(k.hash(body), AuditKey.of(new byte[32]).hash(body));
        assertNotEquals(k.hashTexts(List.of("ab", "c")), k.hashTexts(List.of("a", "bc")), "parts are length-framed");
        Files.setPosixFilePermissions(file, PosixFilePermissions.fromString("rw-r--r--"));
        assertThrows(LedgerException.class, () -> AuditKey.openOrCreate(file));
    }

    @Test
    void verifyCanRequireEveryEntryToDecode(@TempDir Path tmp) {
        Path dir = tmp.resolve("ledger");
        try (Ledger l = Ledger.open(dir, tmp.resolve("ledger.key"), "test.example/ledger")) {
            for (AuditEntry e : samples()) {
                l.append(e.encode());
            }
            l.publish();
        }
        assertTrue(Ledger.verify(dir, null, null, true).isOk());
        try (Ledger l = Ledger.open(dir, tmp.resolve("ledger.key"), "test.example/ledger")) {
            l.append("not an entry".getBytes(StandardCharsets.UTF_8));
            l.publish();
        }
        assertTrue(Ledger.verify(dir, null, null, false).isOk(), "framing and hashes are still fine");
        Verification<Checkpoint> v = Ledger.verify(dir, null, null, true);
        assertFalse(v.isOk());
        assertTrue(v.reason().contains("tile/entries/000.p/7: entry 6 is not a valid audit entry: unknown entry version 110"), v.reason());
    }
}
