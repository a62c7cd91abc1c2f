package ai.sovereign.ledger;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Base64;
import java.util.List;
import org.junit.jupiter.api.Test;

/**
 * Signed notes, verifier keys and cosignatures against golang/mod note vectors, the C2SP spec
 * example, transparency-dev/formats (a real sum.golang.org checkpoint, a real RFC 6962 note
 * signature, cosignature/v1 keys) and Sunlight's witness and mirror checkpoints.
 */
class NoteVectorsTest {
    private static final JsonNode GO = Vectors.json("golang-mod-sumdb/note-vectors.json");
    private static final JsonNode FORMATS = Vectors.json("transparency-dev-formats/vectors.json");

    private static NoteVerifier vkey(String s) {
        return NoteVerifier.parse(s).orThrow();
    }

    @Test
    void goVerifierKeysParseAndKeyIdsMatch() {
        for (var e : GO.get("keys").properties()) {
            NoteVerifier v = vkey(e.getValue().get("vkey").asText());
            assertEquals(e.getKey(), v.name());
            assertEquals(e.getValue().get("keyIdHex").asText(), String.format("%08x", v.keyId()));
            assertEquals(e.getValue().get("vkey").asText(), v.vkey());
        }
    }

    @Test
    void goInvalidVerifierKeysAreRejected() {
        JsonNode invalid = GO.get("invalidVkeys");
        assertEquals("malformed verifier key PeterNeumann: key is not canonical base64 of a type byte and a key",
                NoteVerifier.parse(invalid.get(0).get("vkey").asText()).reason());
        assertEquals("verifier key PeterNeumann: unknown signature type 0x65",
                NoteVerifier.parse(invalid.get(1).get("vkey").asText()).reason());
        // Every proper prefix and every single-byte increment of a valid key is rejected.
        String peter = GO.get("keys").get("PeterNeumann").get("vkey").asText();
        for (int i = 0; i < peter.length(); i++) {
            assertFalse(NoteVerifier.parse(peter.substring(0, i)).isOk(), "prefix " + i);
            char[] c = peter.toCharArray();
            c[i]++;
            assertFalse(NoteVerifier.parse(new String(c)).isOk(), "increment at " + i + ": " + new String(c));
        }
    }

    @Test
    void goSignerKeySignsDeterministically() {
        JsonNode peter = GO.get("keys").get("PeterNeumann");
        NoteSigner signer = NoteSigner.parse(peter.get("skey").asText()).orThrow();
        assertEquals(peter.get("vkey").asText(), signer.verifier().vkey());
        assertEquals(peter.get("skey").asText(), signer.skey());
        JsonNode signing = GO.get("signing");
        assertEquals(signing.get("expectedSignedNote").asText(), signer.signNote(signing.get("text").asText()));
        assertFalse(NoteSigner.parse("PRIVATE+KEY+PeterNeumann+c74f20a4+AYEKFALVFGyNhPJEMzD1QIDr+Y7hfZx09iUvxdXHKDFz").isOk());
    }

    @Test
    void goOpenCases() {
        String text = GO.get("signing").get("text").asText();
        String peterLine = GO.get("signing").get("expectedSignedNote").asText().substring(text.length() + 1);
        int n = 0;
        for (JsonNode c : GO.get("open")) {
            List<NoteVerifier> verifiers = new ArrayList<>();
            if (c.has("verifiers")) {
                c.get("verifiers").forEach(k -> verifiers.add(vkey(k.asText())));
            }
            String msg = c.has("msg") ? c.get("msg").asText() : text + "\n" + peterLine.repeat(101);
            Verification<Notes.Opened> r = Notes.open(msg, verifiers);
            String expect = c.get("expect").asText();
            if (expect.startsWith("ok")) {
                Notes.Opened o = r.orThrow();
                assertEquals(text, o.text());
                List<String> want = c.has("verifiedSigs") ? Vectors.strings(c.get("verifiedSigs")) : List.of("PeterNeumann");
                assertEquals(want, o.verified().stream().map(Notes.Signature::name).toList());
                if (c.has("unverifiedSigs")) {
                    assertEquals(Vectors.strings(c.get("unverifiedSigs")), o.unverified().stream().map(Notes.Signature::name).toList());
                }
            } else {
                assertFalse(r.isOk(), expect);
                String want = expect.substring("error: ".length());
                if (want.startsWith("malformed note")) {
                    assertEquals("malformed note: more than 100 signatures", r.reason());
                } else if (want.startsWith("ambiguous key")) {
                    assertTrue(r.reason().startsWith("ambiguous key EnochRoot+af0cfe78"), r.reason());
                } else {
                    assertTrue(r.reason().startsWith(want), r.reason() + " vs " + want);
                }
            }
            n++;
        }
        assertEquals(7, n);
    }

    @Test
    void goMalformedNotes() {
        List<NoteVerifier> peter = List.of(vkey(GO.get("keys").get("PeterNeumann").get("vkey").asText()));
        String text = GO.get("signing").get("text").asText();
        String signed = GO.get("signing").get("expectedSignedNote").asText();
        int n = 0;
        for (JsonNode c : GO.get("malformed")) {
            byte[] msg;
            if (c.has("msg")) {
                msg = c.get("msg").asText().getBytes(StandardCharsets.UTF_8);
            } else {
                byte[] body = signed.getBytes(StandardCharsets.UTF_8);
                msg = new byte[body.length + 1];
                msg[0] = (byte) 0xff;
                System.arraycopy(body, 0, msg, 1, body.length);
            }
            Verification<Notes.Opened> r = Notes.open(msg, peter);
            assertFalse(r.isOk(), c.get("why").asText());
            assertTrue(r.reason().startsWith("malformed note: "), c.get("why").asText() + ": " + r.reason());
            n++;
        }
        assertEquals(7, n);
        assertEquals("malformed note: not valid UTF-8", Notes.open(new byte[] {(byte) 0xff, '\n', '\n'}, peter).reason());
        assertEquals("malformed note: no blank line before the signatures", Notes.open(text, peter).reason());
    }

    @Test
    void c2spSignedNoteExample() {
        JsonNode ex = Vectors.json("c2sp/spec-examples.json").get("signedNoteExample");
        NoteVerifier v = vkey(ex.get("vkey").asText());
        Notes.Opened o = Notes.open(ex.get("note").asText(), List.of(v)).orThrow();
        assertEquals("This is an example message.\n", o.text());
        String tampered = ex.get("note").asText().replace("example message", "exemplary message");
        assertTrue(Notes.open(tampered, List.of(v)).reason().startsWith("invalid signature for key example.com/foo+530d903a"));
    }

    @Test
    void sumGolangOrgCheckpointAndExtraSignatures() {
        JsonNode sum = FORMATS.get("sumGolangOrgCheckpoint");
        NoteVerifier log = vkey(sum.get("vkey").asText());
        String note = sum.get("note").asText();
        Checkpoint c = Checkpoint.open(note, log, sum.get("origin").asText()).orThrow();
        assertEquals(sum.get("size").asLong(), c.size());
        assertEquals("go.sum database tree", c.origin());
        assertEquals("checkpoint origin \"go.sum database tree\" is not the expected \"Go rocks but I might have the wrong ID\"",
                Checkpoint.open(note, log, "Go rocks but I might have the wrong ID").reason());
        // Extra Ed25519 lines over the same body, plus unknown names, all on one note.
        StringBuilder all = new StringBuilder(note);
        List<NoteVerifier> verifiers = new ArrayList<>(List.of(log));
        for (JsonNode extra : sum.get("extraSignatures")) {
            all.append(extra.get("line").asText()).append('\n');
            verifiers.add(vkey(extra.get("vkey").asText()));
        }
        String unknown = "\u2014 random1 " + Base64.getEncoder().encodeToString(new byte[68]) + "\n";
        Notes.Opened o = Notes.open(all + unknown, verifiers).orThrow();
        assertEquals(List.of("sum.golang.org", "monkeys", "bananas", "witness"), o.verified().stream().map(Notes.Signature::name).toList());
        assertEquals(List.of("random1"), o.unverified().stream().map(Notes.Signature::name).toList());
        // Only one of them known: still opens, the rest are unverified.
        assertEquals(3, Notes.open(all.toString(), List.of(vkey(sum.get("extraSignatures").get(1).get("vkey").asText()))).orThrow().unverified().size());
        for (String k : Vectors.strings(FORMATS.get("testVkeys"))) {
            assertEquals(k, vkey(k).vkey());
        }
    }

    @Test
    void rfc6962NoteSignature() {
        JsonNode r = FORMATS.get("rfc6962NoteSignature");
        byte[] spki = Base64.getDecoder().decode(r.get("publicKeySpkiDerB64").asText());
        NoteVerifier fromUrl = NoteVerifier.rfc6962(r.get("logUrl").asText(), spki).orThrow();
        assertEquals(r.get("vkey").asText(), fromUrl.vkey());
        assertEquals(r.get("decoded").get("keyIdHex").asText(), String.format("%08x", fromUrl.keyId()));
        NoteVerifier v = vkey(r.get("vkey").asText());
        String cp = r.get("checkpoint").asText();
        assertEquals(115474666, Checkpoint.open(cp, v, "rome.ct.filippo.io/2024h1").orThrow().size());
        assertFalse(Notes.open("B0rked" + cp, List.of(v)).isOk());
        assertTrue(Notes.open("B0rked" + cp, List.of(v)).reason().startsWith("invalid signature for key rome.ct.filippo.io/2024h1+78f4abae"));
        for (JsonNode u : FORMATS.get("rfc6962VkeyFromUrl")) {
            byte[] key = Base64.getDecoder().decode(u.get("spkiB64").asText());
            String url = u.get("url").asText();
            assertEquals(u.get("vkey").asText(), NoteVerifier.rfc6962(url, key).orThrow().vkey());
            assertEquals(u.get("vkey").asText(), NoteVerifier.rfc6962(url.replace("https://", ""), key).orThrow().vkey());
            assertEquals(u.get("vkey").asText(), NoteVerifier.rfc6962(url.substring(0, url.length() - 1), key).orThrow().vkey());
            assertFalse(NoteVerifier.rfc6962("https://ct.example/a+b/", key).isOk());
        }
    }

    @Test
    void cosignatureV1KeysAndTimestamps() {
        JsonNode c = FORMATS.get("cosignatureV1");
        NoteVerifier remora = vkey(c.get("vkeys").get(0).asText());
        assertEquals(NoteVerifier.COSIGNATURE_V1, remora.type());
        NoteVerifier test = vkey(c.get("vkeys").get(1).asText());
        assertEquals(NoteVerifier.ED25519, test.type());
        NoteVerifier cosigner = test.asCosigner().orThrow();
        assertEquals(NoteVerifier.keyId("TEST", 0x04, test.key()), cosigner.keyId());
        assertTrue(cosigner.keyId() != test.keyId());
        JsonNode ts = c.get("timestampExtraction");
        assertEquals(ts.get("expectUnixSeconds").asLong(), NoteVerifier.cosignatureTime(Base64.getDecoder().decode(ts.get("sigB64").asText())).orThrow());
        assertEquals("a cosignature/v1 signature is 76 bytes, not 68",
                NoteVerifier.cosignatureTime(Base64.getDecoder().decode(c.get("notACosignature").get("sigB64").asText())).reason());
    }

    @Test
    void c2spCosignatureSyntax() {
        JsonNode ex = Vectors.json("c2sp/spec-examples.json").get("formatOnlyExamples");
        Notes.Parsed p = Notes.parse(ex.get("cosignedCheckpoint").asText()).orThrow();
        assertEquals(2, p.signatures().size());
        Checkpoint cp = Checkpoint.parse(p.text()).orThrow();
        assertEquals("example.com/behind-the-sofa", cp.origin());
        assertEquals(20852163, cp.size());
        long time = NoteVerifier.cosignatureTime(p.signatures().get(1).blob()).orThrow();
        assertEquals(ex.get("cosignatureV1SignedMessage").asText(),
                new String(NoteVerifier.cosignedMessage(time, p.text().getBytes(StandardCharsets.UTF_8)), StandardCharsets.UTF_8));
    }

    @Test
    void sunlightMirrorAndWitnessCosignatures() {
        NoteVerifier mirror = vkey(Vectors.json("sunlight-skylight/mirror/mirror.v0.json").get("verifier_keys").get(0).asText());
        String mirrored = Vectors.text("sunlight-skylight/mirror/checkpoint");
        Notes.Opened o = Notes.open(mirrored, List.of(mirror)).orThrow();
        assertEquals(List.of("mirror.example.org"), o.verified().stream().map(Notes.Signature::name).toList());
        assertEquals(1767139200L, NoteVerifier.cosignatureTime(o.verified().getFirst().blob()).orThrow());
        assertEquals("gw31yQrqZZCcEOPrzX+bpy3nJ6QgngTKn8G1m0i62uU=", Checkpoint.parse(o.text()).orThrow().root().base64());

        JsonNode log = Vectors.json("sunlight-skylight/log.v3.json");
        NoteVerifier logKey = NoteVerifier.rfc6962(log.get("submission_url").asText(), Base64.getDecoder().decode(log.get("key").asText())).orThrow();
        NoteVerifier witness = vkey(Vectors.json("sunlight-skylight/witness/witness.v0.json").get("verifier_keys").get(0).asText());
        String witnessed = Vectors.text("sunlight-skylight/witness/checkpoint");
        Notes.Opened w = Notes.open(witnessed, List.of(logKey, witness)).orThrow();
        assertEquals(List.of("rome2026h1.example.org", "witness.example.org"), w.verified().stream().map(Notes.Signature::name).toList());
        assertEquals(300, Checkpoint.parse(w.text()).orThrow().size());
        // A cosignature over a different body fails; so does one whose timestamp was altered.
        String moved = witnessed.replace("\n300\n", "\n301\n");
        assertTrue(Notes.open(moved, List.of(witness)).reason().startsWith("invalid signature for key witness.example.org+b8a2cf20"));
        byte[] blob = w.verified().get(1).blob();
        blob[11] ^= 1;
        assertEquals("signature does not verify", witness.verify(w.text().getBytes(StandardCharsets.UTF_8), blob).reason());
    }
}
