package ai.sovereign.ledger;

import ai.sovereign.ledger.AuditEntry.AdminEvent;
import ai.sovereign.ledger.AuditEntry.Attempt;
import ai.sovereign.ledger.AuditEntry.Attribute;
import ai.sovereign.ledger.AuditEntry.Decision;
import ai.sovereign.ledger.AuditEntry.Elimination;
import ai.sovereign.ledger.AuditEntry.Outcome;
import ai.sovereign.ledger.AuditEntry.PiiCount;
import java.io.ByteArrayOutputStream;
import java.nio.ByteBuffer;
import java.nio.CharBuffer;
import java.nio.charset.CharacterCodingException;
import java.nio.charset.CodingErrorAction;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;

/**
 * The canonical binary encoding of {@link AuditEntry} (grammar in {@code ledger/ENTRY-FORMAT.md}).
 *
 * <p>Design: one writer and one reader that walk the fields in the same fixed order; every field
 * has exactly one encoding (fixed-width big-endian integers, u16-length-prefixed strict UTF-8,
 * u16-count-prefixed lists, a hash as a 0 or 32 length byte and its bytes). The reader enforces
 * every rule the writer follows (limits, ranges, well-formed UTF-8, no trailing bytes) by building
 * the value through the records' own constructors, so "decodes" implies "re-encodes to the same
 * bytes". Any reader failure is a {@link Verification.Failed} naming the field and offset.
 */
final class EntryCodec {
    private EntryCodec() {}

    static final int KIND_DECISION = 1;
    static final int KIND_OUTCOME = 2;
    static final int KIND_ADMIN = 3;

    // ================================================================ value checks (used by the records)

    static String checkString(String field, String value) {
        String v = value == null ? "" : value;
        int n = utf8(field, v).length;
        if (n > AuditEntry.MAX_STRING_BYTES) {
            throw new IllegalArgumentException(field + " is " + n + " UTF-8 bytes; at most " + AuditEntry.MAX_STRING_BYTES);
        }
        return v;
    }

    static <T> List<T> checkList(String field, List<T> list) {
        List<T> l = list == null ? List.of() : List.copyOf(list);
        if (l.size() > AuditEntry.MAX_ITEMS) {
            throw new IllegalArgumentException(field + " has " + l.size() + " items; at most " + AuditEntry.MAX_ITEMS);
        }
        return l;
    }

    static void checkRange(String field, long value, long min, long max) {
        if (value < min || value > max) {
            throw new IllegalArgumentException(field + " is " + value + "; it must be between " + min + " and " + max);
        }
    }

    private static byte[] utf8(String field, String s) {
        try {
            ByteBuffer b = StandardCharsets.UTF_8.newEncoder().onMalformedInput(CodingErrorAction.REPORT)
                    .onUnmappableCharacter(CodingErrorAction.REPORT).encode(CharBuffer.wrap(s));
            byte[] out = new byte[b.remaining()];
            b.get(out);
            return out;
        } catch (CharacterCodingException e) {
            throw new IllegalArgumentException(field + " is not valid Unicode (an unpaired surrogate)");
        }
    }

    // ================================================================ writing

    static byte[] encode(AuditEntry entry) {
        Writer w = new Writer();
        w.u8(AuditEntry.VERSION);
        switch (entry) {
            case Decision d -> {
                w.u8(KIND_DECISION);
                w.i64(d.timeMillis());
                w.str(d.requestId());
                w.str(d.tenantId());
                w.str(d.keyId());
                w.str(d.endpoint());
                w.str(d.model());
                w.hash(d.modelSha256());
                w.str(d.node());
                w.str(d.jurisdiction());
                w.str(d.tier());
                w.count(d.pii().size());
                d.pii().forEach(p -> {
                    w.str(p.type());
                    w.u32(p.count());
                });
                w.count(d.candidates().size());
                d.candidates().forEach(w::str);
                w.count(d.eliminations().size());
                d.eliminations().forEach(e -> {
                    w.str(e.node());
                    w.str(e.reason());
                });
                w.count(d.attempts().size());
                d.attempts().forEach(a -> {
                    w.str(a.node());
                    w.str(a.result());
                });
                w.hash(d.requestHmac());
            }
            case Outcome o -> {
                w.u8(KIND_OUTCOME);
                w.i64(o.timeMillis());
                w.str(o.requestId());
                w.i64(o.decisionIndex());
                w.u16(o.status());
                w.count(o.finishReasons().size());
                o.finishReasons().forEach(w::str);
                w.u32(o.promptTokens());
                w.u32(o.completionTokens());
                w.i64(o.durationMillis());
                w.i64(o.timeToFirstTokenMillis());
                w.i64(o.energyMillijoules());
                w.hash(o.responseHmac());
            }
            case AdminEvent a -> {
                w.u8(KIND_ADMIN);
                w.i64(a.timeMillis());
                w.str(a.action());
                w.str(a.subject());
                w.count(a.attributes().size());
                a.attributes().forEach(x -> {
                    w.str(x.key());
                    w.str(x.value());
                });
            }
        }
        byte[] out = w.out.toByteArray();
        if (out.length > Ledger.MAX_ENTRY_BYTES) {
            throw new IllegalArgumentException("the entry encodes to " + out.length + " bytes; a ledger entry is at most " + Ledger.MAX_ENTRY_BYTES);
        }
        return out;
    }

    private static final class Writer {
        final ByteArrayOutputStream out = new ByteArrayOutputStream(256);

        void u8(int v) {
            out.write(v);
        }

        void u16(int v) {
            out.write(v >>> 8);
            out.write(v);
        }

        void u32(long v) {
            for (int s = 24; s >= 0; s -= 8) {
                out.write((int) (v >>> s));
            }
        }

        void i64(long v) {
            for (int s = 56; s >= 0; s -= 8) {
                out.write((int) (v >>> s));
            }
        }

        void count(int n) {
            u16(n);
        }

        void str(String s) {
            byte[] b = utf8("string", s);
            u16(b.length);
            out.writeBytes(b);
        }

        void hash(Hash h) {
            if (h == null) {
                u8(0);
            } else {
                u8(Hash.SIZE);
                out.writeBytes(h.bytes());
            }
        }
    }

    // ================================================================ reading

    static Verification<AuditEntry> decode(byte[] entry) {
        Reader r = new Reader(entry);
        try {
            int version = r.u8("version");
            if (version != AuditEntry.VERSION) {
                return Verification.failed("unknown entry version " + version + " (this reader knows version " + AuditEntry.VERSION + ")");
            }
            int kind = r.u8("kind");
            AuditEntry e = switch (kind) {
                case KIND_DECISION -> new Decision(r.i64("time"), r.str("request id"), r.str("tenant id"), r.str("key id"),
                        r.str("endpoint"), r.str("model"), r.hash("model sha256"), r.str("node"), r.str("jurisdiction"),
                        r.str("tier"), r.list("pii", () -> new PiiCount(r.str("pii type"), r.u32("pii count"))),
                        r.list("candidates", () -> r.str("candidate")),
                        r.list("eliminations", () -> new Elimination(r.str("elimination node"), r.str("elimination reason"))),
                        r.list("attempts", () -> new Attempt(r.str("attempt node"), r.str("attempt result"))),
                        r.hash("request hmac"));
                case KIND_OUTCOME -> new Outcome(r.i64("time"), r.str("request id"), r.i64("decision index"), r.u16("status"),
                        r.list("finish reasons", () -> r.str("finish reason")), r.u32("prompt tokens"), r.u32("completion tokens"),
                        r.i64("duration"), r.i64("time to first token"), r.i64("energy"), r.hash("response hmac"));
                case KIND_ADMIN -> new AdminEvent(r.i64("time"), r.str("action"), r.str("subject"),
                        r.list("attributes", () -> new Attribute(r.str("attribute key"), r.str("attribute value"))));
                default -> throw new Malformed("unknown entry kind " + kind + " at offset 1");
            };
            if (r.b.hasRemaining()) {
                return Verification.failed(r.b.remaining() + " trailing bytes after the entry, at offset " + r.b.position());
            }
            return Verification.ok(e);
        } catch (Malformed m) {
            return Verification.failed(m.getMessage());
        } catch (IllegalArgumentException bad) {
            return Verification.failed("a field is out of range: " + bad.getMessage());
        }
    }

    /** A reading failure; carries only a message (no stack trace is needed). */
    private static final class Malformed extends RuntimeException {
        private static final long serialVersionUID = 1L;

        Malformed(String message) {
            super(message, null, false, false);
        }
    }

    private interface Item<T> {
        T read();
    }

    private static final class Reader {
        final ByteBuffer b;

        Reader(byte[] bytes) {
            this.b = ByteBuffer.wrap(bytes);
        }

        private void need(int n, String field) {
            if (b.remaining() < n) {
                throw new Malformed("the entry ends inside " + field + " at offset " + b.position() + " (" + n + " bytes needed, "
                        + b.remaining() + " left)");
            }
        }

        int u8(String field) {
            need(1, field);
            return b.get() & 0xff;
        }

        int u16(String field) {
            need(2, field);
            return b.getShort() & 0xffff;
        }

        long u32(String field) {
            need(4, field);
            return b.getInt() & 0xFFFF_FFFFL;
        }

        long i64(String field) {
            need(8, field);
            return b.getLong();
        }

        String str(String field) {
            int at = b.position();
            int n = u16(field + " length");
            if (n > AuditEntry.MAX_STRING_BYTES) {
                throw new Malformed(field + " at offset " + at + " is " + n + " bytes; at most " + AuditEntry.MAX_STRING_BYTES);
            }
            need(n, field);
            ByteBuffer slice = b.slice(b.position(), n);
            b.position(b.position() + n);
            try {
                return StandardCharsets.UTF_8.newDecoder().onMalformedInput(CodingErrorAction.REPORT)
                        .onUnmappableCharacter(CodingErrorAction.REPORT).decode(slice).toString();
            } catch (CharacterCodingException e) {
                throw new Malformed(field + " at offset " + at + " is not well-formed UTF-8");
            }
        }

        Hash hash(String field) {
            int at = b.position();
            int n = u8(field + " length");
            if (n == 0) {
                return null;
            }
            if (n != Hash.SIZE) {
                throw new Malformed(field + " at offset " + at + " has length " + n + "; a hash is absent (0) or " + Hash.SIZE + " bytes");
            }
            need(n, field);
            byte[] h = new byte[n];
            b.get(h);
            return Hash.of(h);
        }

        <T> List<T> list(String field, Item<T> item) {
            int at = b.position();
            int n = u16(field + " count");
            if (n > AuditEntry.MAX_ITEMS) {
                throw new Malformed(field + " at offset " + at + " has " + n + " items; at most " + AuditEntry.MAX_ITEMS);
            }
            List<T> out = new ArrayList<>(n);
            for (int i = 0; i < n; i++) {
                out.add(item.read());
            }
            return out;
        }
    }
}
