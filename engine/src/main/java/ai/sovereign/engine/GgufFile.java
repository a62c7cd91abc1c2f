package ai.sovereign.engine;

import ai.sovereign.engine.GgufMetadata.TypeTree;
import java.io.IOException;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.ByteOrder;
import java.nio.channels.FileChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Collections;
import java.util.Comparator;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * A GGUF file (versions 2 and 3), memory-mapped read-only with {@code java.lang.foreign}, so files
 * beyond 2 GiB work and tensor data is never copied. {@link #parse} reads an in-memory image; heap
 * segments ({@code MemorySegment.ofArray(byte[])}) work as well as mapped ones (all reads use
 * unaligned layouts).
 *
 * <p>Layout (ggml's gguf.md): magic "GGUF", uint32 version, uint64 tensor count, uint64 metadata count,
 * metadata key/value pairs, tensor infos (name, n_dims, dims, type, offset), padding to
 * {@code general.alignment} (default 32), tensor data. All little endian.
 *
 * <p>Hostile input. The header is untrusted; every malformed, truncated or oversized field fails with
 * a {@link GgufException} naming the field, its value and the limit, never another exception. Limits:
 * <ul>
 *   <li>{@link #MAX_TENSORS} tensors, {@link #MAX_METADATA_ENTRIES} metadata entries,
 *       {@link #MAX_ARRAY_LENGTH} elements per array, {@link #MAX_ARRAY_NESTING} levels of arrays of arrays;
 *   <li>keys of at most {@link #MAX_KEY_BYTES} bytes, tensor names of at most {@link #MAX_TENSOR_NAME_BYTES};
 *   <li>1..{@link #MAX_DIMENSIONS} dimensions, each 1..{@link #MAX_DIMENSION}, element and byte counts
 *       that fit 63 bits; data aligned, inside the file and not overlapping;
 *   <li>{@code general.alignment} an integer power of two in 1..{@link #MAX_ALIGNMENT}; bools 0 or 1;
 *       unique keys and tensor names; known value and tensor types; version 2 or 3.
 * </ul>
 * Byte accounting: before any count is used to allocate, it is checked against the bytes that remain,
 * counting the least each item can take in the file (a string its 8-byte length, an array its type
 * and length), so what the reader keeps is bounded by a small multiple of the file size (measured by
 * {@code GgufFuzzTest}: under {@link #MAX_HEAP_PER_FILE_BYTE} bytes of heap per file byte, plus a
 * constant). Parsing is a single linear pass; nothing outside the segment is ever read.
 */
public final class GgufFile implements AutoCloseable {
    static final int MAGIC = 0x46554747; // "GGUF" little endian
    static final int MAX_DIMENSIONS = 4;
    static final long MAX_DIMENSION = 1L << 40;
    static final int MAX_TENSOR_NAME_BYTES = 63; // GGML_MAX_NAME - 1
    static final int MAX_KEY_BYTES = 65_535;
    static final long MAX_TENSORS = 1L << 20;
    static final long MAX_METADATA_ENTRIES = 1L << 20;
    static final int MAX_ARRAY_LENGTH = Integer.MAX_VALUE - 8; // the largest Java array
    static final int MAX_ARRAY_NESTING = 4;
    static final int DEFAULT_ALIGNMENT = 32;
    static final int MAX_ALIGNMENT = 1 << 16;
    static final int MAX_HEAP_PER_FILE_BYTE = 16;
    /** Least bytes of one metadata entry: key length (empty key), value type, a uint8 value. */
    static final int MIN_METADATA_ENTRY_BYTES = 8 + 4 + 1;
    /** Least bytes of one tensor info: name length (empty name), n_dims, one dimension, type, offset. */
    static final int MIN_TENSOR_INFO_BYTES = 8 + 4 + 8 + 4 + 8;

    private static final ValueLayout.OfInt INT = ValueLayout.JAVA_INT_UNALIGNED.withOrder(ByteOrder.LITTLE_ENDIAN);
    private static final ValueLayout.OfLong LONG = ValueLayout.JAVA_LONG_UNALIGNED.withOrder(ByteOrder.LITTLE_ENDIAN);
    private static final ValueLayout.OfShort SHORT = ValueLayout.JAVA_SHORT_UNALIGNED.withOrder(ByteOrder.LITTLE_ENDIAN);
    private static final ValueLayout.OfFloat FLOAT = ValueLayout.JAVA_FLOAT_UNALIGNED.withOrder(ByteOrder.LITTLE_ENDIAN);
    private static final ValueLayout.OfDouble DOUBLE = ValueLayout.JAVA_DOUBLE_UNALIGNED.withOrder(ByteOrder.LITTLE_ENDIAN);

    private final Path path;
    private final Arena arena;
    private final MemorySegment file;
    private final int version;
    private final GgufMetadata metadata;
    private final List<GgufTensor> tensors;
    private final Map<String, GgufTensor> tensorsByName;
    private final long dataOffset;
    private final int alignment;

    private GgufFile(Path path, Arena arena, MemorySegment file) {
        this.path = path;
        this.arena = arena;
        this.file = file;
        Reader in = new Reader(file);
        int magic = in.i32("magic", null);
        if (magic != MAGIC) {
            throw new GgufException(String.format("magic is 0x%08x, expected 0x%08x (\"GGUF\"): not a GGUF file", magic, MAGIC));
        }
        version = in.i32("version", null);
        if (version != 2 && version != 3) {
            throw new GgufException("version is " + Integer.toUnsignedString(version) + " (supported: 2, 3)");
        }
        long tensorCount = in.count("tensor_count", null, MAX_TENSORS, MIN_TENSOR_INFO_BYTES);
        long kvCount = in.count("metadata_kv_count", null, MAX_METADATA_ENTRIES, MIN_METADATA_ENTRY_BYTES);
        LinkedHashMap<String, Object> kv = new LinkedHashMap<>();
        Map<String, TypeTree> types = new HashMap<>();
        for (long i = 0; i < kvCount; i++) {
            String key = in.string("metadata key #", null, i, MAX_KEY_BYTES);
            GgufValueType valueType = in.valueType("type of metadata ", key);
            if (kv.containsKey(key)) {
                throw new GgufException("metadata key " + key + " appears twice (keys must be unique)");
            }
            TypeTree[] tree = new TypeTree[1];
            kv.put(key, in.value(key, valueType, 0, tree));
            types.put(key, tree[0]);
        }
        metadata = new GgufMetadata(kv, types);
        alignment = readAlignment(metadata);

        List<GgufTensor> infos = new ArrayList<>((int) tensorCount);
        Map<String, GgufTensor> byName = new HashMap<>();
        for (long i = 0; i < tensorCount; i++) {
            infos.add(readTensorInfo(in, i, byName));
        }
        long headerEnd = in.position();
        dataOffset = tensorCount == 0 && headerEnd == file.byteSize() ? headerEnd : alignUp(headerEnd, alignment);
        checkTensorPlacement(infos);
        tensors = Collections.unmodifiableList(infos);
        LinkedHashMap<String, GgufTensor> ordered = new LinkedHashMap<>();
        infos.forEach(t -> ordered.put(t.name(), t));
        tensorsByName = Collections.unmodifiableMap(ordered);
    }

    private GgufTensor readTensorInfo(Reader in, long index, Map<String, GgufTensor> byName) {
        String name = in.string("name of tensor #", null, index, MAX_TENSOR_NAME_BYTES);
        int dims = in.i32("n_dims of tensor ", name);
        if (dims < 1 || dims > MAX_DIMENSIONS) {
            throw new GgufException("n_dims of tensor " + name + " is " + Integer.toUnsignedString(dims)
                    + " (allowed 1.." + MAX_DIMENSIONS + ")");
        }
        long[] shape = new long[dims];
        long elements = 1;
        for (int d = 0; d < dims; d++) {
            shape[d] = in.i64("dimension " + d + " of tensor ", name);
            if (shape[d] < 1 || shape[d] > MAX_DIMENSION) {
                throw new GgufException("dimension " + d + " of tensor " + name + " is " + shape[d]
                        + " (allowed 1.." + MAX_DIMENSION + ")");
            }
            elements = multiply(elements, shape[d], "element count of tensor " + name);
        }
        int typeId = in.i32("type of tensor ", name);
        GgmlType type = GgmlType.byId(typeId);
        if (type == null) {
            throw new GgufException("type of tensor " + name + " is " + Integer.toUnsignedString(typeId) + ", not a known ggml type");
        }
        if (shape[0] % type.blockLength() != 0) {
            throw new GgufException("dimension 0 of tensor " + name + " is " + shape[0] + ", not a multiple of the "
                    + type + " block length " + type.blockLength());
        }
        long bytes = multiply(elements / type.blockLength(), type.blockBytes(), "byte size of tensor " + name);
        long offset = in.i64("offset of tensor ", name);
        if (offset < 0 || offset % alignment != 0) {
            throw new GgufException("offset of tensor " + name + " is " + Long.toUnsignedString(offset)
                    + ", not a non-negative multiple of the alignment " + alignment);
        }
        GgufTensor tensor = new GgufTensor(name, type, shape, offset, bytes);
        if (byName.putIfAbsent(name, tensor) != null) {
            throw new GgufException("name of tensor #" + index + " is " + name + ", which appears twice (names must be unique)");
        }
        return tensor;
    }

    /** Maps and parses {@code path}; the file stays mapped until {@link #close()}. */
    public static GgufFile open(Path path) throws IOException {
        Arena arena = Arena.ofShared();
        try (FileChannel channel = FileChannel.open(path, StandardOpenOption.READ)) {
            MemorySegment segment = channel.map(FileChannel.MapMode.READ_ONLY, 0, channel.size(), arena);
            return new GgufFile(path, arena, segment);
        } catch (RuntimeException | IOException e) {
            arena.close();
            if (e instanceof GgufException g) {
                throw new GgufException(path.getFileName() + ": " + g.getMessage());
            }
            throw e;
        }
    }

    /** Parses an in-memory image (tests, fuzzing); the segment must stay alive while this is used. */
    static GgufFile parse(MemorySegment image) {
        return new GgufFile(null, null, image);
    }

    public Path path() {
        return path;
    }

    public int version() {
        return version;
    }

    public GgufMetadata metadata() {
        return metadata;
    }

    public List<GgufTensor> tensors() {
        return tensors;
    }

    public GgufTensor tensor(String name) {
        return tensorsByName.get(name);
    }

    public int alignment() {
        return alignment;
    }

    /** Absolute file offset where tensor data begins. */
    public long dataOffset() {
        return dataOffset;
    }

    public long fileSize() {
        return file.byteSize();
    }

    /** The bytes of one tensor, a slice of the mapping. */
    public MemorySegment data(GgufTensor tensor) {
        return file.asSlice(dataOffset + tensor.offset(), tensor.byteSize());
    }

    @Override
    public void close() {
        if (arena != null) {
            arena.close();
        }
    }

    private static int readAlignment(GgufMetadata metadata) {
        Object value = metadata.get("general.alignment");
        if (value == null) {
            return DEFAULT_ALIGNMENT;
        }
        if (!(value instanceof Long n) || n < 1 || n > MAX_ALIGNMENT || Long.bitCount(n) != 1) {
            String shown = value instanceof Long n ? Long.toUnsignedString(n) : value.getClass().getSimpleName();
            throw new GgufException("general.alignment is " + shown + " (must be an integer power of two in 1.." + MAX_ALIGNMENT + ")");
        }
        return (int) (long) n;
    }

    private void checkTensorPlacement(List<GgufTensor> infos) {
        long available = file.byteSize() - dataOffset;
        GgufTensor[] sorted = infos.toArray(GgufTensor[]::new);
        Arrays.sort(sorted, Comparator.comparingLong(GgufTensor::offset));
        long end = 0;
        GgufTensor previous = null;
        for (GgufTensor t : sorted) {
            if (t.offset() > available || t.byteSize() > available - t.offset()) {
                throw new GgufException("data of tensor " + t.name() + " at offset " + t.offset() + " (" + t.byteSize()
                        + " bytes) lies beyond the end of the data section (" + Math.max(0, available)
                        + " bytes): the file is truncated or corrupt");
            }
            if (previous != null && t.offset() < end) {
                throw new GgufException("offset of tensor " + t.name() + " is " + t.offset() + ", inside the data of tensor "
                        + previous.name() + " (which ends at " + end + "): tensors overlap");
            }
            end = t.offset() + t.byteSize();
            previous = t;
        }
    }

    private static long multiply(long a, long b, String what) {
        try {
            return Math.multiplyExact(a, b);
        } catch (ArithmeticException e) {
            throw new GgufException(what + " overflows 63 bits (" + a + " x " + b + ")");
        }
    }

    static long alignUp(long value, int alignment) {
        return (value + alignment - 1) / alignment * alignment;
    }

    /**
     * A bounds-checked little-endian cursor over the header. Field names come as a prefix and a subject
     * (a key, a tensor name, an index) that are only joined when an error is reported.
     */
    private static final class Reader {
        private static final byte[] EMPTY = new byte[0];
        private final MemorySegment in;
        private long pos;
        private byte[] scratch = new byte[256];

        Reader(MemorySegment in) {
            this.in = in;
        }

        long position() {
            return pos;
        }

        private long remaining() {
            return in.byteSize() - pos;
        }

        private static String field(String prefix, String subject) {
            return subject == null ? prefix : prefix + subject;
        }

        /** prefix + subject + "[index]"; with no subject, prefix + index ("metadata key #3"). */
        private static String field(String prefix, String subject, long index) {
            if (subject == null) {
                return index < 0 ? prefix : prefix + index;
            }
            return index < 0 ? prefix + subject : prefix + subject + "[" + index + "]";
        }

        private void need(long bytes, String prefix, String subject) {
            if (bytes > remaining()) {
                throw new GgufException("truncated at byte " + pos + " reading " + field(prefix, subject) + ": needs " + bytes
                        + " bytes, " + remaining() + " remain");
            }
        }

        int u8(String prefix, String subject) {
            need(1, prefix, subject);
            return in.get(ValueLayout.JAVA_BYTE, pos++) & 0xFF;
        }

        int i32(String prefix, String subject) {
            need(4, prefix, subject);
            int v = in.get(INT, pos);
            pos += 4;
            return v;
        }

        long i64(String prefix, String subject) {
            need(8, prefix, subject);
            long v = in.get(LONG, pos);
            pos += 8;
            return v;
        }

        /** A uint64 count bounded by a hard limit and by the bytes left (each item takes at least minBytes). */
        long count(String prefix, String subject, long limit, long minBytes) {
            long n = i64(prefix, subject);
            if (n < 0 || n > limit) {
                throw new GgufException(field(prefix, subject) + " is " + Long.toUnsignedString(n) + " (limit " + limit + ")");
            }
            if (n > remaining() / minBytes) {
                throw new GgufException(field(prefix, subject) + " is " + n + " but only " + remaining()
                        + " bytes remain (each item takes at least " + minBytes + "): the file is truncated or corrupt");
            }
            return n;
        }

        GgufValueType valueType(String prefix, String subject) {
            int id = i32(prefix, subject);
            GgufValueType type = GgufValueType.byId(id);
            if (type == null) {
                throw new GgufException(field(prefix, subject) + " is " + Integer.toUnsignedString(id) + " (allowed 0..12)");
            }
            return type;
        }

        /** A length-prefixed string; invalid UTF-8 is kept losslessly (see {@link GgufFile#RAW_MARK}). */
        String string(String prefix, String subject, long index, long maxBytes) {
            if (remaining() < 8) {
                throw new GgufException("truncated at byte " + pos + " reading length of " + field(prefix, subject, index)
                        + ": needs 8 bytes, " + remaining() + " remain");
            }
            long length = in.get(LONG, pos);
            pos += 8;
            if (length < 0 || length > maxBytes) {
                throw new GgufException("length of " + field(prefix, subject, index) + " is " + Long.toUnsignedString(length)
                        + " (limit " + maxBytes + ")");
            }
            if (length > remaining()) {
                throw new GgufException("truncated at byte " + pos + " reading " + field(prefix, subject, index) + ": needs "
                        + length + " bytes, " + remaining() + " remain");
            }
            if (length == 0) {
                return "";
            }
            int n = (int) length;
            if (scratch.length < n) {
                scratch = new byte[Math.max(n, (int) Math.min(MAX_ARRAY_LENGTH, 2L * scratch.length))];
            }
            MemorySegment.copy(in, ValueLayout.JAVA_BYTE, pos, scratch, 0, n);
            pos += n;
            boolean marked = n >= 3 && scratch[0] == (byte) 0xEF && scratch[1] == (byte) 0xBF && scratch[2] == (byte) 0xBF;
            if (!marked && isUtf8(scratch, n)) {
                return new String(scratch, 0, n, StandardCharsets.UTF_8);
            }
            // Vocabularies hold byte sequences that are not valid UTF-8 on their own; keep them lossless.
            return RAW_MARK + new String(scratch, 0, n, StandardCharsets.ISO_8859_1);
        }

        /** Reads one value of {@code type}; its type tree goes to {@code tree[0]}. */
        Object value(String key, GgufValueType type, int depth, TypeTree[] tree) {
            if (type != GgufValueType.ARRAY) {
                tree[0] = TypeTree.scalar(type);
            }
            String prefix = "metadata ";
            return switch (type) {
                case UINT8 -> (long) u8(prefix, key);
                case INT8 -> (long) (byte) u8(prefix, key);
                case UINT16 -> { need(2, prefix, key); long v = in.get(SHORT, pos) & 0xFFFFL; pos += 2; yield v; }
                case INT16 -> { need(2, prefix, key); long v = in.get(SHORT, pos); pos += 2; yield v; }
                case UINT32 -> i32(prefix, key) & 0xFFFFFFFFL;
                case INT32 -> (long) i32(prefix, key);
                case FLOAT32 -> { need(4, prefix, key); float v = in.get(FLOAT, pos); pos += 4; yield v; }
                case BOOL -> bool(prefix, key, -1);
                case STRING -> string(prefix, key, -1, remaining());
                case ARRAY -> array(key, depth, tree);
                case UINT64, INT64 -> i64(prefix, key);
                case FLOAT64 -> { need(8, prefix, key); double v = in.get(DOUBLE, pos); pos += 8; yield v; }
            };
        }

        private boolean bool(String prefix, String key, long index) {
            int b = u8(prefix, key);
            if (b > 1) {
                throw new GgufException(prefix + key + (index < 0 ? "" : "[" + index + "]") + " is a bool with byte value "
                        + b + " (allowed 0 or 1)");
            }
            return b == 1;
        }

        private Object array(String key, int depth, TypeTree[] tree) {
            if (depth >= MAX_ARRAY_NESTING) {
                throw new GgufException("metadata " + key + " nests arrays deeper than " + MAX_ARRAY_NESTING + " levels");
            }
            GgufValueType elementType = valueType("element type of metadata ", key);
            int n = (int) count("length of array ", key, MAX_ARRAY_LENGTH, elementType.minBytes());
            if (elementType != GgufValueType.ARRAY) {
                tree[0] = TypeTree.array(elementType);
            }
            // Fixed-size elements: count() has checked that all n fit in the remaining bytes.
            switch (elementType) {
                case UINT8, INT8 -> {
                    int[] a = new int[n];
                    boolean signed = elementType == GgufValueType.INT8;
                    for (int i = 0; i < n; i++) {
                        byte b = in.get(ValueLayout.JAVA_BYTE, pos + i);
                        a[i] = signed ? b : b & 0xFF;
                    }
                    pos += n;
                    return a;
                }
                case UINT16, INT16 -> {
                    int[] a = new int[n];
                    boolean signed = elementType == GgufValueType.INT16;
                    for (int i = 0; i < n; i++) {
                        short s = in.get(SHORT, pos + 2L * i);
                        a[i] = signed ? s : s & 0xFFFF;
                    }
                    pos += 2L * n;
                    return a;
                }
                case UINT32, INT32 -> {
                    int[] a = n == 0 ? new int[0] : in.asSlice(pos, 4L * n).toArray(INT);
                    pos += 4L * n;
                    return a;
                }
                case FLOAT32 -> {
                    float[] a = n == 0 ? new float[0] : in.asSlice(pos, 4L * n).toArray(FLOAT);
                    pos += 4L * n;
                    return a;
                }
                case UINT64, INT64 -> {
                    long[] a = n == 0 ? new long[0] : in.asSlice(pos, 8L * n).toArray(LONG);
                    pos += 8L * n;
                    return a;
                }
                case FLOAT64 -> {
                    double[] a = n == 0 ? new double[0] : in.asSlice(pos, 8L * n).toArray(DOUBLE);
                    pos += 8L * n;
                    return a;
                }
                case BOOL -> {
                    boolean[] a = new boolean[n];
                    for (int i = 0; i < n; i++) {
                        a[i] = bool("metadata ", key, i);
                    }
                    return a;
                }
                case STRING -> {
                    String[] a = new String[n];
                    for (int i = 0; i < n; i++) {
                        a[i] = string("metadata ", key, i, remaining());
                    }
                    return a;
                }
                case ARRAY -> {
                    Object[] a = new Object[n];
                    TypeTree[] inner = new TypeTree[n];
                    TypeTree[] slot = new TypeTree[1];
                    for (int i = 0; i < n; i++) {
                        a[i] = array(key + "[" + i + "]", depth + 1, slot);
                        inner[i] = slot[0];
                    }
                    tree[0] = TypeTree.nested(inner);
                    return a;
                }
                default -> throw new AssertionError(elementType);
            }
        }

        /** Strict UTF-8 (RFC 3629): no overlong forms, no surrogates, nothing above U+10FFFF. */
        private static boolean isUtf8(byte[] b, int n) {
            int i = 0;
            while (i < n) {
                int c = b[i] & 0xFF;
                if (c < 0x80) {
                    i++;
                    continue;
                }
                int extra;
                int min;
                if (c >= 0xC2 && c <= 0xDF) {
                    extra = 1;
                    min = 0x80;
                } else if (c >= 0xE0 && c <= 0xEF) {
                    extra = 2;
                    min = 0x800;
                } else if (c >= 0xF0 && c <= 0xF4) {
                    extra = 3;
                    min = 0x10000;
                } else {
                    return false;
                }
                if (i + extra >= n) {
                    return false;
                }
                int cp = c & (0x3F >> extra);
                for (int k = 1; k <= extra; k++) {
                    int cc = b[i + k] & 0xFF;
                    if ((cc & 0xC0) != 0x80) {
                        return false;
                    }
                    cp = cp << 6 | cc & 0x3F;
                }
                if (cp < min || cp > 0x10FFFF || cp >= 0xD800 && cp <= 0xDFFF) {
                    return false;
                }
                i += extra + 1;
            }
            return true;
        }
    }

    /**
     * Strings that are not valid UTF-8 (or that begin with U+FFFF) are decoded as Latin-1 and prefixed
     * with U+FFFF, a noncharacter that never begins valid text here, so {@link #rawBytes(String)}
     * recovers the exact bytes.
     */
    static final char RAW_MARK = '\uFFFF';

    /** The exact bytes of a metadata string as stored in the file. */
    static byte[] rawBytes(String value) {
        if (!value.isEmpty() && value.charAt(0) == RAW_MARK) {
            return value.substring(1).getBytes(StandardCharsets.ISO_8859_1);
        }
        return value.getBytes(StandardCharsets.UTF_8);
    }
}
