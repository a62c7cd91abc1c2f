package ai.sovereign.engine;

import ai.sovereign.engine.GgufMetadata.TypeTree;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.channels.Channels;
import java.nio.channels.FileChannel;
import java.nio.channels.WritableByteChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * Writes GGUF v3 files: metadata of every value type, then tensor infos, then tensor data, each
 * tensor padded to {@code general.alignment} (default 32) with zero bytes, as llama.cpp and gguf-py
 * do; a file without tensors ends right after its header. A file parsed by {@link GgufFile} and
 * re-written with {@link #copyOf} is byte-identical when it was laid out that way.
 *
 * <p>Metadata and tensor descriptions are kept in memory (small); tensor data is streamed at
 * {@link #write} time from a {@code byte[]}, a {@link MemorySegment} or a {@link TensorSource}
 * callback, through one 1 MiB buffer, so multi-gigabyte files never need their data in memory.
 * Values are checked against their GGUF type when put (an out-of-range uint8 is an error, not
 * silently truncated); strings are written as UTF-8, or as the exact bytes of a raw string read by
 * the reader ({@link GgufFile#rawBytes}).
 */
final class GgufWriter {
    static final int VERSION = 3;
    private static final int BUFFER_BYTES = 1 << 20;

    /** Writes a tensor's bytes, in order, into the sink; it must write exactly the tensor's byte size. */
    @FunctionalInterface
    interface TensorSource {
        void writeTo(TensorSink sink) throws IOException;
    }

    private record TensorEntry(String name, byte[] nameBytes, GgmlType type, long[] shape, long byteSize, TensorSource source) {}

    private final LinkedHashMap<String, Object> values = new LinkedHashMap<>();
    private final Map<String, TypeTree> types = new LinkedHashMap<>();
    private final List<TensorEntry> tensors = new ArrayList<>();
    private final Set<String> tensorNames = new HashSet<>();

    /** A writer holding all metadata (with its GGUF types) and all tensors of {@code source}, reading their data from it. */
    static GgufWriter copyOf(GgufFile source) {
        GgufWriter w = new GgufWriter();
        GgufMetadata m = source.metadata();
        for (Map.Entry<String, Object> e : m.asMap().entrySet()) {
            TypeTree type = m.typeTree(e.getKey());
            w.put(e.getKey(), e.getValue(), type != null ? type : TypeTree.infer(e.getKey(), e.getValue()));
        }
        for (GgufTensor t : source.tensors()) {
            w.addTensor(t.name(), t.type(), t.shape(), source.data(t));
        }
        return w;
    }

    // ---- metadata: scalars -------------------------------------------------------------------

    GgufWriter putUint8(String key, int value) { return put(key, (long) value, TypeTree.scalar(GgufValueType.UINT8)); }
    GgufWriter putInt8(String key, int value) { return put(key, (long) value, TypeTree.scalar(GgufValueType.INT8)); }
    GgufWriter putUint16(String key, int value) { return put(key, (long) value, TypeTree.scalar(GgufValueType.UINT16)); }
    GgufWriter putInt16(String key, int value) { return put(key, (long) value, TypeTree.scalar(GgufValueType.INT16)); }
    GgufWriter putUint32(String key, long value) { return put(key, value, TypeTree.scalar(GgufValueType.UINT32)); }
    GgufWriter putInt32(String key, int value) { return put(key, (long) value, TypeTree.scalar(GgufValueType.INT32)); }
    /** An unsigned 64-bit value, given by its bits. */
    GgufWriter putUint64(String key, long value) { return put(key, value, TypeTree.scalar(GgufValueType.UINT64)); }
    GgufWriter putInt64(String key, long value) { return put(key, value, TypeTree.scalar(GgufValueType.INT64)); }
    GgufWriter putFloat32(String key, float value) { return put(key, value, TypeTree.scalar(GgufValueType.FLOAT32)); }
    GgufWriter putFloat64(String key, double value) { return put(key, value, TypeTree.scalar(GgufValueType.FLOAT64)); }
    GgufWriter putBool(String key, boolean value) { return put(key, value, TypeTree.scalar(GgufValueType.BOOL)); }
    GgufWriter putString(String key, String value) { return put(key, value, TypeTree.scalar(GgufValueType.STRING)); }

    // ---- metadata: arrays --------------------------------------------------------------------

    /** An array of 8, 16 or 32-bit integers (uint32 given by its bits) of {@code elementType}. */
    GgufWriter putArray(String key, int[] values, GgufValueType elementType) {
        return put(key, values.clone(), TypeTree.array(elementType));
    }

    /** An array of UINT64 (bits) or INT64. */
    GgufWriter putArray(String key, long[] values, GgufValueType elementType) {
        return put(key, values.clone(), TypeTree.array(elementType));
    }

    GgufWriter putFloats(String key, float[] values) { return put(key, values.clone(), TypeTree.array(GgufValueType.FLOAT32)); }
    GgufWriter putDoubles(String key, double[] values) { return put(key, values.clone(), TypeTree.array(GgufValueType.FLOAT64)); }
    GgufWriter putBools(String key, boolean[] values) { return put(key, values.clone(), TypeTree.array(GgufValueType.BOOL)); }
    GgufWriter putStrings(String key, String[] values) { return put(key, values.clone(), TypeTree.array(GgufValueType.STRING)); }

    /** An array of arrays; each element is a value as {@link GgufMetadata} represents arrays, its type given per element. */
    GgufWriter putArrays(String key, Object[] arrays, TypeTree... elementTypes) {
        return put(key, arrays.clone(), TypeTree.nested(elementTypes));
    }

    /**
     * Any value in {@link GgufMetadata}'s representation with its GGUF type. A key already present
     * keeps its position and gets the new value.
     */
    GgufWriter put(String key, Object value, TypeTree type) {
        if (key == null || type == null) {
            throw new IllegalArgumentException("metadata key and type must not be null");
        }
        checkBytes("metadata key", key, encode("metadata key", key), GgufFile.MAX_KEY_BYTES);
        check(key, value, type, 0);
        values.put(key, value);
        types.put(key, type);
        return this;
    }

    GgufWriter remove(String key) {
        values.remove(key);
        types.remove(key);
        return this;
    }

    /** The metadata put so far, with types, as the reader would return it. */
    GgufMetadata metadata() {
        return new GgufMetadata(new LinkedHashMap<>(values), new LinkedHashMap<>(types));
    }

    // ---- tensors -----------------------------------------------------------------------------

    GgufWriter addTensor(String name, GgmlType type, long[] shape, byte[] data) {
        byte[] copy = data.clone();
        return addTensor(name, type, shape, data.length, sink -> sink.write(copy));
    }

    /** Data read from {@code data} at write time; it must stay alive (e.g. its file mapped) until then. */
    GgufWriter addTensor(String name, GgmlType type, long[] shape, MemorySegment data) {
        return addTensor(name, type, shape, data.byteSize(), sink -> sink.write(data));
    }

    /** Data produced by {@code source} at write time, streamed to the file. */
    GgufWriter addTensor(String name, GgmlType type, long[] shape, TensorSource source) {
        return addTensor(name, type, shape, -1, source);
    }

    private GgufWriter addTensor(String name, GgmlType type, long[] shape, long givenBytes, TensorSource source) {
        byte[] nameBytes = encode("tensor name", name);
        checkBytes("tensor name", name, nameBytes, GgufFile.MAX_TENSOR_NAME_BYTES);
        if (!tensorNames.add(name)) {
            throw new IllegalArgumentException("tensor name " + name + " is already used");
        }
        long[] dims = shape.clone();
        try {
            if (dims.length < 1 || dims.length > GgufFile.MAX_DIMENSIONS) {
                throw new IllegalArgumentException("tensor " + name + " has " + dims.length + " dimensions (allowed 1.."
                        + GgufFile.MAX_DIMENSIONS + ")");
            }
            long elements = 1;
            for (int d = 0; d < dims.length; d++) {
                if (dims[d] < 1 || dims[d] > GgufFile.MAX_DIMENSION) {
                    throw new IllegalArgumentException("dimension " + d + " of tensor " + name + " is " + dims[d]
                            + " (allowed 1.." + GgufFile.MAX_DIMENSION + ")");
                }
                elements = Math.multiplyExact(elements, dims[d]);
            }
            if (dims[0] % type.blockLength() != 0) {
                throw new IllegalArgumentException("dimension 0 of tensor " + name + " is " + dims[0]
                        + ", not a multiple of the " + type + " block length " + type.blockLength());
            }
            long bytes = type.bytesFor(elements);
            if (givenBytes >= 0 && givenBytes != bytes) {
                throw new IllegalArgumentException("tensor " + name + " " + type + " " + java.util.Arrays.toString(dims)
                        + " takes " + bytes + " bytes but " + givenBytes + " were given");
            }
            tensors.add(new TensorEntry(name, nameBytes, type, dims, bytes, source));
        } catch (RuntimeException e) {
            tensorNames.remove(name);
            if (e instanceof ArithmeticException) {
                throw new IllegalArgumentException("element count of tensor " + name + " overflows 63 bits");
            }
            throw e;
        }
        return this;
    }

    // ---- output ------------------------------------------------------------------------------

    /** The alignment the file will use: {@code general.alignment} if put, else 32. */
    int alignment() {
        Object value = values.get("general.alignment");
        if (value == null) {
            return GgufFile.DEFAULT_ALIGNMENT;
        }
        if (!(value instanceof Long n) || n < 1 || n > GgufFile.MAX_ALIGNMENT || Long.bitCount(n) != 1) {
            throw new IllegalArgumentException("general.alignment is " + value + " (must be a power of two in 1.."
                    + GgufFile.MAX_ALIGNMENT + ")");
        }
        return (int) (long) n;
    }

    /** Writes the file, replacing any file at {@code path}. */
    void write(Path path) throws IOException {
        try (FileChannel channel = FileChannel.open(path, StandardOpenOption.CREATE, StandardOpenOption.WRITE,
                StandardOpenOption.TRUNCATE_EXISTING)) {
            write(channel);
        }
    }

    /** The whole file in memory (tests and small files). */
    byte[] toBytes() {
        ByteArrayOutputStream bytes = new ByteArrayOutputStream();
        try {
            write(Channels.newChannel(bytes));
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        return bytes.toByteArray();
    }

    void write(WritableByteChannel channel) throws IOException {
        int alignment = alignment();
        Output out = new Output(channel);
        out.i32(GgufFile.MAGIC);
        out.i32(VERSION);
        out.i64(tensors.size());
        out.i64(values.size());
        for (Map.Entry<String, Object> e : values.entrySet()) {
            out.string(GgufFile.rawBytes(e.getKey()));
            TypeTree type = types.get(e.getKey());
            out.i32(type.type().id());
            writeValue(out, e.getValue(), type);
        }
        long offset = 0;
        for (TensorEntry t : tensors) {
            out.string(t.nameBytes());
            out.i32(t.shape().length);
            for (long d : t.shape()) {
                out.i64(d);
            }
            out.i32(t.type().id());
            out.i64(offset);
            offset = GgufFile.alignUp(offset + t.byteSize(), alignment);
        }
        if (!tensors.isEmpty()) {
            out.pad(alignment);
        }
        for (TensorEntry t : tensors) {
            TensorSink sink = new TensorSink(out, t.name(), t.byteSize());
            t.source().writeTo(sink);
            if (sink.written != t.byteSize()) {
                throw new IllegalStateException("tensor " + t.name() + " takes " + t.byteSize() + " bytes but its source wrote "
                        + sink.written);
            }
            out.pad(alignment);
        }
        out.flush();
    }

    private static void writeValue(Output out, Object value, TypeTree type) throws IOException {
        switch (type.type()) {
            case UINT8, INT8, BOOL -> out.u8(value instanceof Boolean b ? (b ? 1 : 0) : (int) (long) (Long) value);
            case UINT16, INT16 -> out.i16((int) (long) (Long) value);
            case UINT32, INT32 -> out.i32((int) (long) (Long) value);
            case UINT64, INT64 -> out.i64((Long) value);
            case FLOAT32 -> out.i32(Float.floatToRawIntBits((Float) value));
            case FLOAT64 -> out.i64(Double.doubleToRawLongBits((Double) value));
            case STRING -> out.string(GgufFile.rawBytes((String) value));
            case ARRAY -> writeArray(out, value, type);
        }
    }

    private static void writeArray(Output out, Object value, TypeTree type) throws IOException {
        out.i32(type.elementType().id());
        switch (type.elementType()) {
            case UINT8, INT8 -> { int[] a = (int[]) value; out.i64(a.length); for (int v : a) out.u8(v); }
            case UINT16, INT16 -> { int[] a = (int[]) value; out.i64(a.length); for (int v : a) out.i16(v); }
            case UINT32, INT32 -> { int[] a = (int[]) value; out.i64(a.length); for (int v : a) out.i32(v); }
            case UINT64, INT64 -> { long[] a = (long[]) value; out.i64(a.length); for (long v : a) out.i64(v); }
            case FLOAT32 -> { float[] a = (float[]) value; out.i64(a.length); for (float v : a) out.i32(Float.floatToRawIntBits(v)); }
            case FLOAT64 -> { double[] a = (double[]) value; out.i64(a.length); for (double v : a) out.i64(Double.doubleToRawLongBits(v)); }
            case BOOL -> { boolean[] a = (boolean[]) value; out.i64(a.length); for (boolean v : a) out.u8(v ? 1 : 0); }
            case STRING -> { String[] a = (String[]) value; out.i64(a.length); for (String v : a) out.string(GgufFile.rawBytes(v)); }
            case ARRAY -> {
                Object[] a = (Object[]) value;
                out.i64(a.length);
                for (int i = 0; i < a.length; i++) {
                    writeArray(out, a[i], type.elements()[i]);
                }
            }
        }
    }

    // ---- validation --------------------------------------------------------------------------

    private static void check(String key, Object value, TypeTree type, int depth) {
        GgufValueType t = type.type();
        if (t != GgufValueType.ARRAY) {
            switch (t) {
                case UINT8 -> range(key, value, 0, 0xFF, t);
                case INT8 -> range(key, value, Byte.MIN_VALUE, Byte.MAX_VALUE, t);
                case UINT16 -> range(key, value, 0, 0xFFFF, t);
                case INT16 -> range(key, value, Short.MIN_VALUE, Short.MAX_VALUE, t);
                case UINT32 -> range(key, value, 0, 0xFFFF_FFFFL, t);
                case INT32 -> range(key, value, Integer.MIN_VALUE, Integer.MAX_VALUE, t);
                case UINT64, INT64 -> range(key, value, Long.MIN_VALUE, Long.MAX_VALUE, t);
                case FLOAT32 -> expect(key, value, Float.class, t);
                case FLOAT64 -> expect(key, value, Double.class, t);
                case BOOL -> expect(key, value, Boolean.class, t);
                case STRING -> encode("metadata " + key, (String) expect(key, value, String.class, t));
                default -> throw new AssertionError(t);
            }
            return;
        }
        if (depth >= GgufFile.MAX_ARRAY_NESTING) {
            throw new IllegalArgumentException("metadata " + key + " nests arrays deeper than " + GgufFile.MAX_ARRAY_NESTING);
        }
        GgufValueType e = type.elementType();
        switch (e) {
            case UINT8, INT8, UINT16, INT16, UINT32, INT32 -> {
                int[] a = (int[]) expect(key, value, int[].class, t);
                long min = switch (e) { case UINT8, UINT16 -> 0; case INT8 -> Byte.MIN_VALUE; case INT16 -> Short.MIN_VALUE; default -> Integer.MIN_VALUE; };
                long max = switch (e) { case UINT8 -> 0xFF; case INT8 -> Byte.MAX_VALUE; case UINT16 -> 0xFFFF; case INT16 -> Short.MAX_VALUE; default -> Integer.MAX_VALUE; };
                for (int i = 0; i < a.length; i++) {
                    if (a[i] < min || a[i] > max) {
                        throw new IllegalArgumentException("metadata " + key + "[" + i + "] is " + a[i] + ", outside the "
                                + e + " range " + min + ".." + max);
                    }
                }
            }
            case UINT64, INT64 -> expect(key, value, long[].class, t);
            case FLOAT32 -> expect(key, value, float[].class, t);
            case FLOAT64 -> expect(key, value, double[].class, t);
            case BOOL -> expect(key, value, boolean[].class, t);
            case STRING -> {
                String[] a = (String[]) expect(key, value, String[].class, t);
                for (int i = 0; i < a.length; i++) {
                    encode("metadata " + key + "[" + i + "]", a[i]);
                }
            }
            case ARRAY -> {
                Object[] a = (Object[]) expect(key, value, Object[].class, t);
                if (type.elements() == null || type.elements().length != a.length) {
                    throw new IllegalArgumentException("metadata " + key + " has " + a.length + " arrays but "
                            + (type.elements() == null ? 0 : type.elements().length) + " element types");
                }
                for (int i = 0; i < a.length; i++) {
                    check(key + "[" + i + "]", a[i], type.elements()[i], depth + 1);
                }
            }
        }
    }

    private static Object expect(String key, Object value, Class<?> javaType, GgufValueType type) {
        if (!javaType.isInstance(value)) {
            throw new IllegalArgumentException("metadata " + key + " of GGUF type " + type + " must be a "
                    + javaType.getSimpleName() + ", not " + (value == null ? "null" : value.getClass().getSimpleName()));
        }
        return value;
    }

    private static void range(String key, Object value, long min, long max, GgufValueType type) {
        long n = (Long) expect(key, value, Long.class, type);
        if (n < min || n > max) {
            throw new IllegalArgumentException("metadata " + key + " is " + n + ", outside the " + type + " range " + min + ".." + max);
        }
    }

    /** UTF-8 bytes of a string, or the raw bytes of a string the reader marked raw; unpaired surrogates are refused. */
    private static byte[] encode(String what, String s) {
        if (s == null) {
            throw new IllegalArgumentException(what + " is null");
        }
        if (s.isEmpty() || s.charAt(0) != GgufFile.RAW_MARK) {
            for (int i = 0; i < s.length(); i++) {
                char c = s.charAt(i);
                if (Character.isHighSurrogate(c) && i + 1 < s.length() && Character.isLowSurrogate(s.charAt(i + 1))) {
                    i++;
                } else if (Character.isSurrogate(c)) {
                    throw new IllegalArgumentException(what + " has an unpaired surrogate at index " + i + ": not encodable as UTF-8");
                }
            }
        } else {
            for (int i = 1; i < s.length(); i++) {
                if (s.charAt(i) > 0xFF) {
                    throw new IllegalArgumentException(what + " is marked raw (starts with U+FFFF) but has char "
                            + (int) s.charAt(i) + " > 0xFF at index " + i);
                }
            }
        }
        return GgufFile.rawBytes(s);
    }

    private static void checkBytes(String what, String s, byte[] bytes, int max) {
        if (bytes.length > max) {
            throw new IllegalArgumentException(what + " " + s + " takes " + bytes.length + " bytes (limit " + max + ")");
        }
    }

    // ---- byte output -------------------------------------------------------------------------

    /** Receives one tensor's bytes from a {@link TensorSource}; refuses more than the tensor's size. */
    static final class TensorSink {
        private final Output out;
        private final String tensor;
        private final long expected;
        private long written;

        private TensorSink(Output out, String tensor, long expected) {
            this.out = out;
            this.tensor = tensor;
            this.expected = expected;
        }

        private void reserve(long bytes) {
            if (bytes > expected - written) {
                throw new IllegalStateException("tensor " + tensor + " takes " + expected + " bytes; the source wrote "
                        + written + " and now " + bytes + " more");
            }
            written += bytes;
        }

        long written() {
            return written;
        }

        void write(byte[] bytes) throws IOException {
            write(bytes, 0, bytes.length);
        }

        void write(byte[] bytes, int offset, int length) throws IOException {
            reserve(length);
            out.bytes(MemorySegment.ofArray(bytes).asSlice(offset, length));
        }

        void write(ByteBuffer buffer) throws IOException {
            reserve(buffer.remaining());
            out.bytes(MemorySegment.ofBuffer(buffer));
            buffer.position(buffer.limit());
        }

        void write(MemorySegment segment) throws IOException {
            reserve(segment.byteSize());
            out.bytes(segment);
        }

        /** Floats as little-endian F32. */
        void writeFloats(float[] values, int offset, int length) throws IOException {
            reserve(4L * length);
            out.bytes(MemorySegment.ofArray(values).asSlice(4L * offset, 4L * length), Float.BYTES);
        }

        /** Shorts (F16/BF16 bits) as little-endian. */
        void writeShorts(short[] values, int offset, int length) throws IOException {
            reserve(2L * length);
            out.bytes(MemorySegment.ofArray(values).asSlice(2L * offset, 2L * length), Short.BYTES);
        }
    }

    /** Little-endian buffered output that counts its position. */
    private static final class Output {
        private final WritableByteChannel channel;
        private final ByteBuffer buffer = ByteBuffer.allocate(BUFFER_BYTES).order(ByteOrder.LITTLE_ENDIAN);
        private final MemorySegment bufferSegment = MemorySegment.ofBuffer(buffer);
        private long position;

        Output(WritableByteChannel channel) {
            this.channel = channel;
        }

        private void room(int bytes) throws IOException {
            if (buffer.remaining() < bytes) {
                flush();
            }
        }

        void flush() throws IOException {
            buffer.flip();
            while (buffer.hasRemaining()) {
                channel.write(buffer);
            }
            buffer.clear();
        }

        void u8(int v) throws IOException { room(1); buffer.put((byte) v); position += 1; }
        void i16(int v) throws IOException { room(2); buffer.putShort((short) v); position += 2; }
        void i32(int v) throws IOException { room(4); buffer.putInt(v); position += 4; }
        void i64(long v) throws IOException { room(8); buffer.putLong(v); position += 8; }

        void string(byte[] bytes) throws IOException {
            i64(bytes.length);
            bytes(MemorySegment.ofArray(bytes));
        }

        void bytes(MemorySegment source) throws IOException {
            bytes(source, 1);
        }

        /** Copies {@code source}, whose elements of {@code elementBytes} are in native order, as little endian. */
        void bytes(MemorySegment source, int elementBytes) throws IOException {
            long done = 0;
            long size = source.byteSize();
            while (done < size) {
                if (buffer.remaining() < elementBytes) {
                    flush();
                }
                long chunk = Math.min(size - done, buffer.remaining() / elementBytes * elementBytes);
                int at = buffer.position();
                if (elementBytes == 1 || ByteOrder.nativeOrder() == ByteOrder.LITTLE_ENDIAN) {
                    MemorySegment.copy(source, done, bufferSegment, at, chunk);
                } else {
                    ValueLayout layout = elementBytes == 4 ? ValueLayout.JAVA_INT_UNALIGNED : ValueLayout.JAVA_SHORT_UNALIGNED;
                    MemorySegment.copy(source, layout, done, bufferSegment,
                            layout.withOrder(ByteOrder.LITTLE_ENDIAN), at, chunk / elementBytes);
                }
                buffer.position(at + (int) chunk);
                done += chunk;
                position += chunk;
            }
        }

        void pad(int alignment) throws IOException {
            while (position % alignment != 0) {
                u8(0);
            }
        }
    }
}
