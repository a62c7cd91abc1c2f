package ai.sovereign.engine;

import java.io.IOException;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.ByteOrder;
import java.nio.channels.FileChannel;
import java.nio.charset.CharacterCodingException;
import java.nio.charset.CodingErrorAction;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Collections;
import java.util.Comparator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * A GGUF file (versions 2 and 3), memory-mapped read-only with {@code java.lang.foreign}, so files
 * beyond 2 GiB work and tensor data is never copied.
 *
 * <p>Layout (ggml's gguf.md): magic "GGUF", uint32 version, uint64 tensor count, uint64 metadata count,
 * metadata key/value pairs, tensor infos (name, n_dims, dims, type, offset), padding to
 * {@code general.alignment} (default 32), tensor data. All little endian.
 *
 * <p>Hostile input: every count and length is checked against the bytes that remain before anything
 * is allocated, so a corrupt file fails fast with a {@link GgufException} naming the field, its value
 * and the limit; it never allocates more than the file's size nor reads outside the mapping.
 */
public final class GgufFile implements AutoCloseable {
    static final int MAGIC = 0x46554747; // "GGUF" little endian
    static final int MAX_DIMENSIONS = 4;
    static final int MAX_TENSOR_NAME_BYTES = 63; // GGML_MAX_NAME - 1
    static final int MAX_KEY_BYTES = 65_535;
    static final long MAX_TENSORS = 1L << 20;
    static final long MAX_METADATA_ENTRIES = 1L << 20;
    static final int MAX_ARRAY_NESTING = 4;
    static final int DEFAULT_ALIGNMENT = 32;

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
        int magic = in.i32("magic");
        if (magic != MAGIC) {
            throw new GgufException(String.format("not a GGUF file: magic is 0x%08x, expected 0x%08x (\"GGUF\")", magic, MAGIC));
        }
        version = in.i32("version");
        if (version != 2 && version != 3) {
            throw new GgufException("GGUF version " + Integer.toUnsignedString(version) + " is not supported (supported: 2, 3)");
        }
        long tensorCount = in.count("tensor_count", MAX_TENSORS, 8 + 4 + 4 + 8 + 8);
        long kvCount = in.count("metadata_kv_count", MAX_METADATA_ENTRIES, 8 + 1 + 4 + 1);
        Map<String, Object> kv = new LinkedHashMap<>();
        for (long i = 0; i < kvCount; i++) {
            String key = in.string("metadata key #" + i, MAX_KEY_BYTES);
            int valueType = in.i32("type of metadata " + key);
            Object value = in.value(key, valueType, 0);
            if (kv.putIfAbsent(key, value) != null) {
                throw new GgufException("metadata key " + key + " appears twice");
            }
        }
        metadata = new GgufMetadata(kv);
        alignment = readAlignment(metadata);

        List<GgufTensor> infos = new ArrayList<>((int) tensorCount);
        Map<String, GgufTensor> byName = new LinkedHashMap<>();
        for (long i = 0; i < tensorCount; i++) {
            String name = in.string("name of tensor #" + i, MAX_TENSOR_NAME_BYTES);
            int dims = in.i32("n_dims of tensor " + name);
            if (dims < 1 || dims > MAX_DIMENSIONS) {
                throw new GgufException("tensor " + name + " has n_dims " + Integer.toUnsignedString(dims) + " (allowed 1.." + MAX_DIMENSIONS + ")");
            }
            long[] shape = new long[dims];
            long elements = 1;
            for (int d = 0; d < dims; d++) {
                shape[d] = in.i64("dimension " + d + " of tensor " + name);
                if (shape[d] < 1 || shape[d] > file.byteSize() * 64) {
                    throw new GgufException("tensor " + name + " dimension " + d + " is " + Long.toUnsignedString(shape[d])
                            + " (allowed 1.." + file.byteSize() * 64 + " for a file of " + file.byteSize() + " bytes)");
                }
                elements = multiply(elements, shape[d], "element count of tensor " + name);
            }
            int typeId = in.i32("type of tensor " + name);
            GgmlType type = GgmlType.byId(typeId);
            if (type == null) {
                throw new GgufException("tensor " + name + " has unknown ggml type id " + Integer.toUnsignedString(typeId));
            }
            if (shape[0] % type.blockLength() != 0) {
                throw new GgufException("tensor " + name + " row length " + shape[0] + " is not a multiple of the "
                        + type + " block length " + type.blockLength());
            }
            long offset = in.i64("offset of tensor " + name);
            long bytes = multiply(elements / type.blockLength(), type.blockBytes(), "byte size of tensor " + name);
            if (offset < 0 || offset % alignment != 0) {
                throw new GgufException("tensor " + name + " offset " + Long.toUnsignedString(offset)
                        + " is not a non-negative multiple of the alignment " + alignment);
            }
            GgufTensor tensor = new GgufTensor(name, type, shape, offset, bytes);
            if (byName.putIfAbsent(name, tensor) != null) {
                throw new GgufException("tensor name " + name + " appears twice");
            }
            infos.add(tensor);
        }
        long headerEnd = in.position();
        dataOffset = tensorCount == 0 && headerEnd == file.byteSize() ? headerEnd : alignUp(headerEnd, alignment);
        checkTensorPlacement(infos);
        tensors = Collections.unmodifiableList(infos);
        tensorsByName = Collections.unmodifiableMap(byName);
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
        if (!(value instanceof Long n) || n < 1 || n > (1 << 16) || Long.bitCount(n) != 1) {
            throw new GgufException("general.alignment = " + value + " must be a power of two between 1 and 65536");
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
                throw new GgufException("tensor " + t.name() + " data [" + t.offset() + ", " + (t.offset() + t.byteSize())
                        + ") lies beyond the end of the data section (" + Math.max(0, available) + " bytes): the file is truncated or corrupt");
            }
            if (previous != null && t.offset() < end) {
                throw new GgufException("tensors " + previous.name() + " and " + t.name() + " overlap at data offset " + t.offset());
            }
            end = t.offset() + t.byteSize();
            previous = t;
        }
    }

    private static long multiply(long a, long b, String what) {
        try {
            return Math.multiplyExact(a, b);
        } catch (ArithmeticException e) {
            throw new GgufException(what + " overflows 64 bits (" + a + " x " + b + ")");
        }
    }

    static long alignUp(long value, int alignment) {
        return (value + alignment - 1) / alignment * alignment;
    }

    /** A bounds-checked little-endian cursor over the header. */
    private static final class Reader {
        private final MemorySegment in;
        private long pos;

        Reader(MemorySegment in) {
            this.in = in;
        }

        long position() {
            return pos;
        }

        private long remaining() {
            return in.byteSize() - pos;
        }

        private void need(long bytes, String field) {
            if (bytes > remaining()) {
                throw new GgufException("truncated at byte " + pos + " reading " + field + ": needs " + bytes
                        + " bytes, " + remaining() + " remain");
            }
        }

        int u8(String field) {
            need(1, field);
            return in.get(ValueLayout.JAVA_BYTE, pos++) & 0xFF;
        }

        int i32(String field) {
            need(4, field);
            int v = in.get(INT, pos);
            pos += 4;
            return v;
        }

        long i64(String field) {
            need(8, field);
            long v = in.get(LONG, pos);
            pos += 8;
            return v;
        }

        /** A uint64 count bounded by a hard limit and by the bytes left (each item takes at least minBytes). */
        long count(String field, long limit, long minBytes) {
            long n = i64(field);
            if (n < 0 || n > limit) {
                throw new GgufException(field + " is " + Long.toUnsignedString(n) + " (limit " + limit + ")");
            }
            if (n > remaining() / minBytes) {
                throw new GgufException(field + " is " + n + " but only " + remaining() + " bytes remain (each item takes at least "
                        + minBytes + "): the file is truncated or corrupt");
            }
            return n;
        }

        String string(String field, long maxBytes) {
            long length = i64("length of " + field);
            if (length < 0 || length > maxBytes) {
                throw new GgufException(field + " has length " + Long.toUnsignedString(length) + " (limit " + maxBytes + ")");
            }
            need(length, field);
            byte[] bytes = in.asSlice(pos, length).toArray(ValueLayout.JAVA_BYTE);
            pos += length;
            try {
                return StandardCharsets.UTF_8.newDecoder()
                        .onMalformedInput(CodingErrorAction.REPORT)
                        .onUnmappableCharacter(CodingErrorAction.REPORT)
                        .decode(java.nio.ByteBuffer.wrap(bytes)).toString();
            } catch (CharacterCodingException e) {
                // Real vocabularies hold byte sequences that are not valid UTF-8 on their own; keep them lossless.
                return new String(bytes, StandardCharsets.ISO_8859_1).transform(GgufFile::markRawBytes);
            }
        }

        Object value(String key, int type, int depth) {
            return switch (type) {
                case 0 -> (long) (byte) u8(key);                       // UINT8 (kept as in ggml: value & 0xFF)
                case 1 -> (long) (byte) u8(key);                       // INT8
                case 2 -> { need(2, key); long v = in.get(SHORT, pos) & 0xFFFFL; pos += 2; yield v; }
                case 3 -> { need(2, key); long v = in.get(SHORT, pos); pos += 2; yield v; }
                case 4 -> i32(key) & 0xFFFFFFFFL;                      // UINT32
                case 5 -> (long) i32(key);                             // INT32
                case 6 -> { need(4, key); float v = in.get(FLOAT, pos); pos += 4; yield v; }
                case 7 -> {
                    int b = u8(key);
                    if (b > 1) {
                        throw new GgufException("metadata " + key + " is a bool with byte value " + b + " (allowed 0 or 1)");
                    }
                    yield b == 1;
                }
                case 8 -> string("metadata " + key, remaining());
                case 9 -> array(key, depth);
                case 10, 11 -> i64(key);                               // UINT64, INT64
                case 12 -> { need(8, key); double v = in.get(DOUBLE, pos); pos += 8; yield v; }
                default -> throw new GgufException("metadata " + key + " has unknown value type " + Integer.toUnsignedString(type) + " (allowed 0..12)");
            };
        }

        private Object array(String key, int depth) {
            if (depth >= MAX_ARRAY_NESTING) {
                throw new GgufException("metadata " + key + " nests arrays deeper than " + MAX_ARRAY_NESTING);
            }
            int elementType = i32("element type of " + key);
            int size = switch (elementType) {
                case 0, 1, 7 -> 1;
                case 2, 3 -> 2;
                case 4, 5, 6 -> 4;
                case 10, 11, 12, 8, 9 -> 8;   // strings and arrays take at least their 8-byte length
                default -> throw new GgufException("metadata " + key + " is an array of unknown type " + Integer.toUnsignedString(elementType));
            };
            int n = (int) count("length of array " + key, Integer.MAX_VALUE - 8, size);
            switch (elementType) {
                case 0, 1, 2, 3, 4, 5 -> {
                    int[] a = new int[n];
                    for (int i = 0; i < n; i++) {
                        a[i] = (int) (long) (Long) value(key, elementType, depth);
                    }
                    return a;
                }
                case 6 -> {
                    float[] a = in.asSlice(pos, 4L * n).toArray(FLOAT);
                    pos += 4L * n;
                    return a;
                }
                case 7 -> {
                    boolean[] a = new boolean[n];
                    for (int i = 0; i < n; i++) {
                        a[i] = (Boolean) value(key, 7, depth);
                    }
                    return a;
                }
                case 8 -> {
                    String[] a = new String[n];
                    for (int i = 0; i < n; i++) {
                        a[i] = string("element " + i + " of " + key, remaining());
                    }
                    return a;
                }
                case 10, 11 -> {
                    long[] a = in.asSlice(pos, 8L * n).toArray(LONG);
                    pos += 8L * n;
                    return a;
                }
                case 12 -> {
                    double[] a = in.asSlice(pos, 8L * n).toArray(DOUBLE);
                    pos += 8L * n;
                    return a;
                }
                default -> {
                    Object[] a = new Object[n];
                    for (int i = 0; i < n; i++) {
                        a[i] = array(key, depth + 1);
                    }
                    return a;
                }
            }
        }
    }

    /**
     * Strings that are not valid UTF-8 are decoded as Latin-1 and prefixed with U+FFFF, a noncharacter
     * that never appears in valid text, so {@link #rawBytes(String)} recovers the exact bytes.
     */
    static final char RAW_MARK = '\uFFFF';

    private static String markRawBytes(String latin1) {
        return RAW_MARK + latin1;
    }

    /** The exact bytes of a metadata string as stored in the file. */
    static byte[] rawBytes(String value) {
        if (!value.isEmpty() && value.charAt(0) == RAW_MARK) {
            return value.substring(1).getBytes(StandardCharsets.ISO_8859_1);
        }
        return value.getBytes(StandardCharsets.UTF_8);
    }
}
