package ai.sovereign.policy;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class PiiGuardTest {
    private static final String RRN = "850315-1812920";
    private static final String PHONE = "010-1234-5678";
    private static final String EMAIL = "hong.gildong@naver.com";

    @TempDir
    Path dir;

    private PiiGuard guard() {
        return new PiiGuard(new PiiScanner(), new FilePiiKeyVault(dir.resolve("pii-keys")));
    }

    private static List<PiiGuard.Text> texts(String... values) {
        List<PiiGuard.Text> out = new ArrayList<>();
        for (int i = 0; i < values.length; i++) {
            out.add(new PiiGuard.Text(i, "content", values[i]));
        }
        return out;
    }

    private static PiiPolicy policy(String... kv) {
        Map<String, String> m = new java.util.LinkedHashMap<>();
        for (int i = 0; i < kv.length; i += 2) {
            m.put(kv[i], kv[i + 1]);
        }
        return PiiPolicy.parse(m);
    }

    private static PiiGuard.Guarded guarded(PiiGuard.Result r) {
        return assertInstanceOf(PiiGuard.Guarded.class, r);
    }

    @Test
    void defaultPolicyBlocksRrnWithTypeAndPositionOnly() {
        String second = "제 주민등록번호는 " + RRN + " 입니다";
        PiiGuard.Result r = guard().apply("default", PiiPolicy.parse(null), texts("hello", second));
        PiiGuard.Blocked b = assertInstanceOf(PiiGuard.Blocked.class, r);
        assertFalse(b.fault());
        assertEquals(1, b.entities().size());
        PiiGuard.Finding f = b.entities().getFirst();
        assertEquals(PiiType.KR_RRN, f.type());
        assertEquals(1, f.message());
        assertEquals(second.indexOf(RRN), f.start());
        assertEquals(second.indexOf(RRN) + RRN.length(), f.end());
        assertFalse(b.toString().contains(RRN) || b.toString().contains("1812920"), "no value in toString");
        assertEquals(Map.of(PiiType.KR_RRN, 1), b.counts());
    }

    @Test
    void defaultPolicyAllowsOtherTypesAndCountsThem() {
        String text = "call " + PHONE + " or mail " + EMAIL;
        PiiGuard.Guarded g = guarded(guard().apply("default", PiiPolicy.DEFAULT, texts(text)));
        assertEquals(text, g.texts().getFirst());
        assertEquals(1, g.counts().get(PiiType.PHONE_NUMBER));
        assertEquals(1, g.counts().get(PiiType.EMAIL_ADDRESS));
        assertTrue(g.pseudonyms().isEmpty());
    }

    @Test
    void redactUsesTypedPlaceholders() {
        PiiGuard.Guarded g = guarded(guard().apply("t", policy("default", "redact"), texts("주민번호 " + RRN + ", 전화 " + PHONE)));
        assertEquals("주민번호 [KR_RRN], 전화 [PHONE_NUMBER]", g.texts().getFirst());
        assertTrue(g.pseudonyms().isEmpty(), "redactions are not restorable");
        assertFalse(g.toString().contains(PHONE));
    }

    @Test
    void pseudonymsAreDeterministicPerTenantAndSpellingIndependent() {
        PiiPolicy p = policy("PHONE_NUMBER", "pseudonymize", "EMAIL_ADDRESS", "pseudonymize");
        PiiGuard guard = guard();
        String a1 = guarded(guard.apply("a", p, texts("연락처 " + PHONE))).texts().getFirst();
        String a2 = guarded(guard.apply("a", p, texts("연락처 01012345678"))).texts().getFirst();
        String a3 = guarded(guard().apply("a", p, texts("연락처 " + PHONE))).texts().getFirst(); // new guard, same key file
        String b1 = guarded(guard.apply("b", p, texts("연락처 " + PHONE))).texts().getFirst();
        assertTrue(Pattern.matches("연락처 \\[PHONE_NUMBER_[0-9a-f]{10}]", a1), a1);
        assertEquals(a1, a2, "one pseudonym for one number, however written");
        assertEquals(a1, a3, "stable across guards (the key is on disk)");
        assertNotEquals(a1, b1, "another tenant, another key, another pseudonym");
        assertFalse(a1.contains("5678") || b1.contains("5678"));
    }

    @Test
    void restoreMapsThisRequestsPseudonymsOnly() {
        PiiPolicy p = policy("PHONE_NUMBER", "pseudonymize", "EMAIL_ADDRESS", "pseudonymize");
        PiiGuard guard = guard();
        PiiGuard.Guarded a = guarded(guard.apply("a", p, texts("전화 " + PHONE + " 메일 " + EMAIL)));
        PiiGuard.Guarded b = guarded(guard.apply("b", p, texts("전화 " + PHONE)));
        assertEquals(2, a.pseudonyms().size());
        String answer = "Sure: " + String.join(" and ", a.pseudonyms().pseudonyms()) + ".";
        String restored = a.pseudonyms().restore(answer);
        assertTrue(restored.contains(PHONE) && restored.contains(EMAIL), restored);
        assertEquals(answer, b.pseudonyms().restore(answer), "tenant b cannot restore tenant a's pseudonyms");
        assertEquals("Pseudonyms[2]", a.pseudonyms().toString());
    }

    @Test
    void restoreCanBeTurnedOff() {
        PiiGuard.Guarded g = guarded(guard().apply("a", policy("PHONE_NUMBER", "pseudonymize", "restore", "false"), texts(PHONE)));
        assertTrue(g.pseudonyms().isEmpty());
        assertNotEquals(PHONE, g.texts().getFirst());
    }

    @Test
    void formatPreservingPhoneAndEmail() {
        PiiPolicy p = policy("PHONE_NUMBER", "pseudonymize", "EMAIL_ADDRESS", "pseudonymize", "format_preserving", "true");
        PiiGuard.Guarded g = guarded(guard().apply("a", p, texts("전화 " + PHONE + ", +82 10-1234-5678, 메일 " + EMAIL)));
        String t = g.texts().getFirst();
        assertTrue(Pattern.matches("전화 010-\\d{4}-\\d{4}, \\+82 10-\\d{4}-\\d{4}, 메일 u[0-9a-f]{9}@example\\.com", t), t);
        assertFalse(t.contains(PHONE) || t.contains(EMAIL));
        String fp = t.substring(3, 3 + PHONE.length());
        assertEquals(PHONE, g.pseudonyms().restore(fp));
        assertEquals(guarded(guard().apply("a", p, texts(PHONE))).texts().getFirst(), fp, "deterministic");
    }

    @Test
    void streamRestoreAcrossEveryChunkBoundary() {
        PiiPolicy p = policy("PHONE_NUMBER", "pseudonymize", "EMAIL_ADDRESS", "pseudonymize");
        PiiGuard.Guarded g = guarded(guard().apply("a", p, texts("전화 " + PHONE + " 메일 " + EMAIL)));
        List<String> ps = new ArrayList<>(g.pseudonyms().pseudonyms());
        String answer = "번호는 " + ps.get(0) + "이고 " + ps.get(1) + ps.get(0) + " [PHONE_x] [ 끝";
        String expected = g.pseudonyms().restore(answer);
        assertTrue(expected.contains(PHONE) && expected.contains(EMAIL));
        // every split into two chunks and every split into three
        for (int i = 0; i <= answer.length(); i++) {
            for (int j = i; j <= answer.length(); j++) {
                PiiGuard.Restorer r = g.pseudonyms().restorer();
                String out = r.accept(answer.substring(0, i)) + r.accept(answer.substring(i, j)) + r.accept(answer.substring(j))
                        + r.finish();
                assertEquals(expected, out, "split at " + i + "," + j);
            }
        }
        // char by char, and the hold-back is only a possible pseudonym start
        PiiGuard.Restorer r = g.pseudonyms().restorer();
        StringBuilder out = new StringBuilder();
        for (int i = 0; i < answer.length(); i++) {
            out.append(r.accept(answer.substring(i, i + 1)));
            String held = answer.substring(0, i + 1).substring(i + 1 - r.held());
            assertTrue(r.held() == 0 || ps.stream().anyMatch(x -> x.startsWith(held) && x.length() > held.length()),
                    "held '" + held + "' at " + i);
        }
        out.append(r.finish());
        assertEquals(expected, out.toString());
        PiiGuard.Restorer plain = g.pseudonyms().restorer();
        assertEquals("no pseudonym here", plain.accept("no pseudonym here"), "nothing held without a possible start");
    }

    @Test
    void detectorFaultFailsClosedUnlessFailOpen() {
        PiiGuard faulty = new PiiGuard((text, min) -> {
            throw new IllegalStateException("boom");
        }, new FilePiiKeyVault(dir));
        PiiGuard.Blocked b = assertInstanceOf(PiiGuard.Blocked.class, faulty.apply("a", PiiPolicy.DEFAULT, texts(RRN)));
        assertTrue(b.fault());
        assertTrue(b.entities().isEmpty());
        PiiGuard.Guarded g = guarded(faulty.apply("a", policy("fail_open", "true"), texts(RRN)));
        assertTrue(g.unguarded());
        assertEquals(RRN, g.texts().getFirst());
    }

    @Test
    void vaultFaultAlwaysBlocks() {
        PiiKeyVault broken = new PiiKeyVault() {
            public TenantKey key(String tenant) {
                throw new IllegalStateException("disk gone");
            }

            public TenantKey rotate(String tenant) {
                throw new UnsupportedOperationException();
            }

            public void shred(String tenant) {}
        };
        PiiGuard guard = new PiiGuard(new PiiScanner(), broken);
        PiiGuard.Blocked b = assertInstanceOf(PiiGuard.Blocked.class,
                guard.apply("a", policy("PHONE_NUMBER", "pseudonymize", "fail_open", "true"), texts(PHONE)));
        assertTrue(b.fault());
    }

    @Test
    void keyFileIsPrivateRotatesAndShreds() throws Exception {
        FilePiiKeyVault vault = new FilePiiKeyVault(dir.resolve("pii-keys"));
        PiiKeyVault.TenantKey k1 = vault.key("acme");
        Path file = dir.resolve("pii-keys/acme.key");
        assertEquals(32, Files.size(file));
        assertEquals("rw-------", PosixFilePermissions.toString(Files.getPosixFilePermissions(file)));
        assertEquals("rwx------", PosixFilePermissions.toString(Files.getPosixFilePermissions(file.getParent())));
        assertFalse(k1.toString().contains(java.util.HexFormat.of().formatHex(k1.secret())));
        assertEquals(k1.keyId(), new FilePiiKeyVault(dir.resolve("pii-keys")).key("acme").keyId(), "read back");

        PiiGuard guard = new PiiGuard(new PiiScanner(), vault);
        PiiPolicy p = policy("PHONE_NUMBER", "pseudonymize");
        String before = guarded(guard.apply("acme", p, texts(PHONE))).texts().getFirst();
        PiiKeyVault.TenantKey k2 = vault.rotate("acme");
        assertNotEquals(k1.keyId(), k2.keyId());
        PiiGuard.Guarded after = guarded(guard.apply("acme", p, texts(PHONE)));
        assertNotEquals(before, after.texts().getFirst(), "old pseudonyms are no longer produced");
        assertEquals(before, after.pseudonyms().restore(before), "and no longer restore");

        vault.shred("acme");
        assertFalse(Files.exists(file));
        String fresh = guarded(guard.apply("acme", p, texts(PHONE))).texts().getFirst();
        assertNotEquals(after.texts().getFirst(), fresh, "a shredded key's pseudonyms cannot be recomputed");
        assertThrows(IllegalArgumentException.class, () -> vault.key("../etc"));
    }

    @Test
    void aRotationOrShreddingByAnotherProcessTakesEffectAtTheNextUse() throws Exception {
        FilePiiKeyVault server = new FilePiiKeyVault(dir.resolve("pii-keys"));
        FilePiiKeyVault cli = new FilePiiKeyVault(dir.resolve("pii-keys"));
        PiiKeyVault.TenantKey first = server.key("acme");
        assertEquals(first.keyId(), server.key("acme").keyId(), "cached");
        PiiKeyVault.TenantKey rotated = cli.rotate("acme");
        assertEquals(rotated.keyId(), server.key("acme").keyId(), "the server follows the other process's rotation");
        cli.shred("acme");
        PiiKeyVault.TenantKey fresh = server.key("acme");
        assertNotEquals(rotated.keyId(), fresh.keyId(), "after shredding elsewhere the server never uses the old key");
        assertNotEquals(first.keyId(), fresh.keyId());

        Files.write(dir.resolve("pii-keys/zeroed.key"), new byte[32]);
        IllegalStateException e = assertThrows(IllegalStateException.class, () -> server.key("zeroed"));
        assertTrue(e.getMessage().contains("shredded"), e.getMessage());
    }

    @Test
    void policyParsing() {
        PiiPolicy p = policy("KR_RRN", "block", "PHONE_NUMBER", "pseudonymize", "default", "redact");
        assertEquals(PiiAction.BLOCK, p.action(PiiType.KR_RRN));
        assertEquals(PiiAction.PSEUDONYMIZE, p.action(PiiType.PHONE_NUMBER));
        assertEquals(PiiAction.REDACT, p.action(PiiType.EMAIL_ADDRESS));
        assertFalse(p.failOpen());
        assertEquals(PiiAction.ALLOW, PiiPolicy.DEFAULT.action(PiiType.PHONE_NUMBER));
        assertEquals(PiiAction.BLOCK, PiiPolicy.DEFAULT.action(PiiType.KR_DRIVER_LICENSE));
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> policy("KR_RNN", "block"));
        assertTrue(e.getMessage().startsWith("pii.KR_RNN"), e.getMessage());
        assertThrows(IllegalArgumentException.class, () -> policy("KR_RRN", "hide"));
        assertThrows(IllegalArgumentException.class, () -> policy("fail_open", "yes"));
    }
}
