package ai.sovereign.engine;

import static ai.sovereign.engine.GgufLayout.putU32;
import static ai.sovereign.engine.GgufLayout.putU64;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

import ai.sovereign.engine.GgufLayout.Field;
import java.io.IOException;
import java.lang.foreign.MemorySegment;
import java.lang.management.ManagementFactory;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.List;
import java.util.function.Consumer;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/** Malformed, truncated and hostile GGUF images: each must fail with a GgufException naming the field at fault. */
class GgufHostileTest {
    private static final long[] HUGE = {1L << 63, -1L, 1L << 32, (1L << 31) - 8, Long.MAX_VALUE};

    private static GgufException rejects(byte[] image, String... expectedInMessage) {
        GgufException e;
        try {
            GgufFile.parse(MemorySegment.ofArray(image));
            throw new AssertionError("parsed a hostile image; expected a GgufException mentioning " + Arrays.toString(expectedInMessage));
        } catch (GgufException g) {
            e = g;
        } catch (Throwable t) {
            throw new AssertionError("expected a GgufException, got " + t, t);
        }
        for (String s : expectedInMessage) {
            assertTrue(e.getMessage().contains(s), "message \"" + e.getMessage() + "\" should mention \"" + s + "\"");
        }
        return e;
    }

    /** A small valid image: two tensors, a few keys of different types, alignment 32. */
    private static byte[] small(Consumer<GgufWriter> extra) {
        GgufWriter w = new GgufWriter().putString("general.architecture", "llama").putUint32("general.alignment", 32);
        w.putBool("flag", true).putBools("flags", new boolean[] {true, false}).putString("name", "abc")
                .putStrings("tokens", new String[] {"a", "bb", "ccc"}).putUint32("dup.aa", 1).putUint32("dup.ab", 2);
        extra.accept(w);
        w.addTensor("t.aa", GgmlType.F32, new long[] {8, 1, 1, 1}, new byte[32]);
        w.addTensor("t.ab", GgmlType.F32, new long[] {8}, new byte[32]);
        return w.toBytes();
    }

    private static byte[] small() {
        return small(w -> {});
    }

    private static byte[] stories() throws IOException {
        return Files.readAllBytes(Fixtures.shared("models/stories260K.gguf"));
    }

    // ---- truncation ----------------------------------------------------------------------------

    @Test
    void everyTruncationOfTheStoriesHeaderNamesTheFieldItCuts() throws IOException {
        byte[] full = stories();
        GgufLayout layout = new GgufLayout(full);
        int checked = 0;
        for (int n = 0; n <= layout.headerEnd + 64; n++) {
            byte[] cut = Arrays.copyOf(full, n);
            GgufException e = rejects(cut);
            assertNamesCutField(layout, n, e.getMessage());
            checked++;
        }
        for (long n : new long[] {layout.headerEnd + 100, full.length / 2, full.length - 33, full.length - 1}) {
            rejects(Arrays.copyOf(full, (int) n), "data of tensor", "beyond the end");
            checked++;
        }
        assertTrue(checked > 14_000, "checked " + checked);
    }

    @Test
    void everyTruncationOfAWriterFileNamesTheFieldItCuts() {
        byte[] full = GgufTestSupport.everyType(32).toBytes();
        GgufLayout layout = new GgufLayout(full);
        GgufFile parsed = GgufFile.parse(MemorySegment.ofArray(full));
        GgufTensor last = parsed.tensors().getLast();
        long dataEnd = parsed.dataOffset() + last.offset() + last.byteSize();
        assertTrue(dataEnd < full.length, "the last tensor is followed by padding");
        GgufFile.parse(MemorySegment.ofArray(Arrays.copyOf(full, (int) dataEnd))); // padding after the last tensor is optional
        for (int n = 0; n < dataEnd; n++) {
            GgufException e = rejects(Arrays.copyOf(full, n));
            assertNamesCutField(layout, n, e.getMessage());
        }
    }

    /** The message names the field holding byte n (the first missing byte) or a count whose items include it. */
    private static void assertNamesCutField(GgufLayout layout, int n, String message) {
        Field cut = layout.at(n);
        if (cut == null) {
            assertTrue(message.contains("data of tensor") && message.contains("beyond the end"), "cut at " + n + ": " + message);
            return;
        }
        if (message.contains(cut.name())) {
            return;
        }
        List<Field> counts = layout.countsCovering(n);
        for (Field count : counts) {
            if (message.contains(count.name() + " is ")) {
                return;
            }
        }
        fail("cut at byte " + n + " inside " + cut.name() + " (counts " + counts.stream().map(Field::name).toList()
                + "): message \"" + message + "\" names none of them");
    }

    // ---- header fields ---------------------------------------------------------------------------

    @Test
    void badMagic() {
        byte[] image = small();
        image[0] = 'X';
        rejects(image, "magic", "not a GGUF file");
        rejects(new byte[] {'G', 'G', 'U'}, "magic", "truncated");
    }

    @ParameterizedTest
    @ValueSource(ints = {0, 1, 4, -1})
    void unsupportedVersions(int version) {
        byte[] image = small();
        putU32(image, 4, version);
        rejects(image, "version is " + Integer.toUnsignedString(version));
    }

    @Test
    void version2IsAccepted() {
        byte[] image = small();
        putU32(image, 4, 2);
        assertEquals(2, GgufFile.parse(MemorySegment.ofArray(image)).version());
    }

    @Test
    void hugeCounts() {
        for (long huge : HUGE) {
            byte[] image = small();
            putU64(image, 8, huge);
            rejects(image, "tensor_count is " + Long.toUnsignedString(huge));
            image = small();
            putU64(image, 16, huge);
            rejects(image, "metadata_kv_count is " + Long.toUnsignedString(huge));
        }
    }

    @Test
    void hugeArrayAndStringLengths() {
        byte[] base = small();
        GgufLayout layout = new GgufLayout(base);
        for (long huge : HUGE) {
            for (String field : List.of("length of array tokens", "length of array flags", "length of metadata name",
                    "length of metadata tokens[1]", "length of metadata key #2", "length of name of tensor #1")) {
                byte[] image = base.clone();
                putU64(image, layout.get(field).start(), huge);
                rejects(image, field + " is " + Long.toUnsignedString(huge));
            }
        }
    }

    @Test
    void aMillionEmptyStringsClaimedByASmallFileAreRefusedBeforeAllocating() {
        // 2^31-8 empty strings would take 16 GiB of lengths; the file has a few hundred bytes.
        byte[] image = small(w -> w.putStrings("many", new String[] {""}));
        GgufLayout layout = new GgufLayout(image);
        putU64(image, layout.get("length of array many").start(), GgufFile.MAX_ARRAY_LENGTH);
        rejects(image, "length of array many is 2147483639 but only");
    }

    @Test
    void arraysOfArraysWithLargeCounts() {
        byte[] image = small(w -> w.putArrays("nested", new Object[] {new int[] {1}},
                GgufMetadata.TypeTree.array(GgufValueType.INT32)));
        GgufLayout layout = new GgufLayout(image);
        putU64(image, layout.get("length of array nested").start(), 1L << 30);
        rejects(image, "length of array nested is 1073741824 but only");
        image = small(w -> w.putArrays("nested", new Object[] {new int[] {1}}, GgufMetadata.TypeTree.array(GgufValueType.INT32)));
        putU64(image, layout.get("length of array nested[0]").start(), 1L << 30);
        rejects(image, "length of array nested[0] is 1073741824 but only");
    }

    @Test
    void keyAndTensorNameLimits() {
        byte[] image = small();
        GgufLayout layout = new GgufLayout(image);
        putU64(image, layout.get("length of metadata key #0").start(), GgufFile.MAX_KEY_BYTES + 1);
        rejects(image, "length of metadata key #0 is 65536 (limit 65535)");
        image = small();
        putU64(image, layout.get("length of name of tensor #0").start(), 64);
        rejects(image, "length of name of tensor #0 is 64 (limit 63)");
    }

    @ParameterizedTest
    @ValueSource(ints = {13, 100, -1})
    void unknownValueTypes(int type) {
        byte[] image = small();
        GgufLayout layout = new GgufLayout(image);
        putU32(image, layout.get("type of metadata name").start(), type);
        rejects(image, "type of metadata name is " + Integer.toUnsignedString(type));
        image = small();
        putU32(image, layout.get("element type of metadata tokens").start(), type);
        rejects(image, "element type of metadata tokens is " + Integer.toUnsignedString(type));
    }

    @ParameterizedTest
    @ValueSource(ints = {2, 0x80, 0xFF})
    void boolBytesOtherThanZeroAndOne(int value) {
        byte[] image = small();
        GgufLayout layout = new GgufLayout(image);
        image[layout.get("metadata flag").start()] = (byte) value;
        rejects(image, "metadata flag is a bool with byte value " + value);
        image = small();
        image[layout.get("metadata flags[1]").start()] = (byte) value;
        rejects(image, "metadata flags[1] is a bool with byte value " + value);
    }

    @Test
    void duplicateKeysAndTensorNames() {
        byte[] image = small();
        GgufLayout layout = new GgufLayout(image);
        image[layout.get("metadata key #7").end() - 1] = 'a'; // dup.ab -> dup.aa
        rejects(image, "metadata key dup.aa appears twice");
        image = small();
        image[layout.get("name of tensor #1").end() - 1] = 'a'; // t.ab -> t.aa
        rejects(image, "name of tensor #1 is t.aa, which appears twice");
    }

    @ParameterizedTest
    @ValueSource(longs = {0, 3, 48, 1L << 17, 1L << 31, 0xFFFF_FFFFL})
    void badAlignments(long alignment) {
        byte[] image = small();
        putU32(image, new GgufLayout(image).get("metadata general.alignment").start(), alignment);
        rejects(image, "general.alignment is " + alignment);
    }

    @Test
    void alignmentOfTheWrongType() {
        byte[] image = new GgufWriter().putString("general.alignmenX", "32").toBytes();
        image[new GgufLayout(image).get("metadata key #0").end() - 1] = 't';
        rejects(image, "general.alignment is String");
    }

    // ---- tensor infos ----------------------------------------------------------------------------

    @ParameterizedTest
    @ValueSource(ints = {0, 5, -1})
    void badDimensionCounts(int dims) {
        byte[] image = small();
        putU32(image, new GgufLayout(image).get("n_dims of tensor t.aa").start(), dims);
        rejects(image, "n_dims of tensor t.aa is " + Integer.toUnsignedString(dims));
    }

    @ParameterizedTest
    @ValueSource(longs = {0, -1, Long.MIN_VALUE, (1L << 40) + 1})
    void badDimensions(long dimension) {
        byte[] image = small();
        putU64(image, new GgufLayout(image).get("dimension 2 of tensor t.aa").start(), dimension);
        rejects(image, "dimension 2 of tensor t.aa is " + dimension);
    }

    @Test
    void elementAndByteCountOverflow() {
        byte[] image = small();
        GgufLayout layout = new GgufLayout(image);
        for (int d = 1; d < 4; d++) {
            putU64(image, layout.get("dimension " + d + " of tensor t.aa").start(), 1L << 40);
        }
        rejects(image, "element count of tensor t.aa overflows");
        image = small();
        putU64(image, layout.get("dimension 1 of tensor t.aa").start(), 1L << 40);
        putU64(image, layout.get("dimension 2 of tensor t.aa").start(), 1L << 18);
        rejects(image, "byte size of tensor t.aa overflows"); // 8 * 2^58 = 2^61 elements fit, 2^63 bytes do not
        image = small();
        putU64(image, layout.get("dimension 1 of tensor t.aa").start(), 1L << 40);
        rejects(image, "data of tensor t.aa", "beyond the end");
    }

    @ParameterizedTest
    @ValueSource(ints = {99, 4, 5, 31, -1})
    void unknownTensorTypes(int type) {
        byte[] image = small();
        putU32(image, new GgufLayout(image).get("type of tensor t.ab").start(), type);
        rejects(image, "type of tensor t.ab is " + Integer.toUnsignedString(type) + ", not a known ggml type");
    }

    @Test
    void rowLengthNotAWholeNumberOfBlocks() {
        byte[] image = small();
        putU32(image, new GgufLayout(image).get("type of tensor t.ab").start(), GgmlType.Q8_0.id());
        rejects(image, "dimension 0 of tensor t.ab is 8, not a multiple of the Q8_0 block length 32");
    }

    @Test
    void badOffsets() {
        byte[] base = small();
        GgufLayout layout = new GgufLayout(base);
        int at = layout.get("offset of tensor t.ab").start();
        byte[] image = base.clone();
        putU64(image, at, 4);
        rejects(image, "offset of tensor t.ab is 4, not a non-negative multiple of the alignment 32");
        image = base.clone();
        putU64(image, at, -32);
        rejects(image, "offset of tensor t.ab is " + Long.toUnsignedString(-32));
        image = base.clone();
        putU64(image, at, 64);
        rejects(image, "data of tensor t.ab at offset 64", "beyond the end");
        image = base.clone();
        putU64(image, at, 1L << 62);
        rejects(image, "data of tensor t.ab", "beyond the end");
        image = base.clone();
        putU64(image, at, 0);
        rejects(image, "offset of tensor t.ab is 0, inside the data of tensor t.aa", "overlap");
    }

    @Test
    void deeplyNestedArrays() {
        for (int depth : new int[] {5, 64, 100_000}) {
            ByteBuffer b = ByteBuffer.allocate(64 + 12 * depth).order(ByteOrder.LITTLE_ENDIAN);
            b.putInt(GgufFile.MAGIC).putInt(3).putLong(0).putLong(1);
            b.putLong(4).put("deep".getBytes(StandardCharsets.US_ASCII)).putInt(9);
            for (int i = 0; i < depth; i++) {
                b.putInt(9).putLong(1);
            }
            b.putInt(5).putLong(0);
            byte[] image = Arrays.copyOf(b.array(), b.position());
            rejects(image, "metadata deep[0][0][0]", "nests arrays deeper than " + GgufFile.MAX_ARRAY_NESTING);
        }
        byte[] ok = new GgufWriter().putArrays("deep", new Object[] {new Object[] {new Object[] {new int[] {7}}}},
                GgufMetadata.TypeTree.nested(GgufMetadata.TypeTree.nested(
                        GgufMetadata.TypeTree.array(GgufValueType.INT32)))).toBytes();
        Object[] deep = (Object[]) GgufFile.parse(MemorySegment.ofArray(ok)).metadata().get("deep");
        assertEquals(7, ((int[]) ((Object[]) ((Object[]) deep[0])[0])[0])[0]);
    }

    // ---- regressions -----------------------------------------------------------------------------

    @Test
    void uint8ValuesAreZeroExtended() {
        byte[] image = new GgufWriter().putUint8("u", 200).putArray("a", new int[] {200}, GgufValueType.UINT8)
                .putArray("b", new int[] {-56}, GgufValueType.INT8).toBytes();
        GgufMetadata m = GgufFile.parse(MemorySegment.ofArray(image)).metadata();
        assertEquals(200L, m.get("u"));
        assertEquals(200, ((int[]) m.get("a"))[0]);
        assertEquals(-56, ((int[]) m.get("b"))[0]);
    }

    @Test
    void validUtf8StartingWithUFFFFKeepsItsExactBytes() {
        ByteBuffer b = ByteBuffer.allocate(64).order(ByteOrder.LITTLE_ENDIAN);
        b.putInt(GgufFile.MAGIC).putInt(3).putLong(0).putLong(1);
        b.putLong(1).put((byte) 'k').putInt(8).putLong(4).put(new byte[] {(byte) 0xEF, (byte) 0xBF, (byte) 0xBF, 'x'});
        byte[] image = Arrays.copyOf(b.array(), b.position());
        String value = GgufFile.parse(MemorySegment.ofArray(image)).metadata().string("k").orElseThrow();
        assertEquals(List.of((byte) 0xEF, (byte) 0xBF, (byte) 0xBF, (byte) 'x'), boxed(GgufFile.rawBytes(value)));
    }

    @Test
    void invalidUtf8IsKeptRaw() {
        for (byte[] bad : new byte[][] {{(byte) 0xC0, (byte) 0x80}, {(byte) 0xED, (byte) 0xA0, (byte) 0x80},
                {(byte) 0xF4, (byte) 0x90, (byte) 0x80, (byte) 0x80}, {(byte) 0xE2, (byte) 0x82}, {(byte) 0xFF}}) {
            ByteBuffer b = ByteBuffer.allocate(64).order(ByteOrder.LITTLE_ENDIAN);
            b.putInt(GgufFile.MAGIC).putInt(3).putLong(0).putLong(1);
            b.putLong(1).put((byte) 'k').putInt(8).putLong(bad.length).put(bad);
            String value = GgufFile.parse(MemorySegment.ofArray(Arrays.copyOf(b.array(), b.position())))
                    .metadata().string("k").orElseThrow();
            assertEquals(GgufFile.RAW_MARK, value.charAt(0));
            assertEquals(boxed(bad), boxed(GgufFile.rawBytes(value)));
        }
    }

    private static List<Byte> boxed(byte[] bytes) {
        Byte[] out = new Byte[bytes.length];
        for (int i = 0; i < bytes.length; i++) {
            out[i] = bytes[i];
        }
        return List.of(out);
    }

    // ---- memory --------------------------------------------------------------------------------

    /** Worst cases for heap per file byte: the reader must stay under MAX_HEAP_PER_FILE_BYTE x size + 1 MiB. */
    @Test
    void heapStaysWithinASmallMultipleOfTheFileSize() {
        int n = 100_000;
        String[] oneByte = new String[n];
        Arrays.fill(oneByte, "a");
        String[] distinct = new String[n];
        for (int i = 0; i < n; i++) {
            distinct[i] = Integer.toString(i, 36);
        }
        Object[] emptyArrays = new Object[n];
        GgufMetadata.TypeTree[] emptyTypes = new GgufMetadata.TypeTree[n];
        Arrays.fill(emptyArrays, new int[0]);
        Arrays.fill(emptyTypes, GgufMetadata.TypeTree.array(GgufValueType.UINT8));
        Object[] emptyNested = new Object[n];
        GgufMetadata.TypeTree[] emptyNestedTypes = new GgufMetadata.TypeTree[n];
        Arrays.fill(emptyNested, new Object[0]);
        Arrays.fill(emptyNestedTypes, GgufMetadata.TypeTree.nested());
        GgufWriter manyKeys = new GgufWriter();
        for (int i = 0; i < n; i++) {
            manyKeys.putUint8(Integer.toString(i, 36), 200);
        }
        GgufWriter manyTensors = new GgufWriter();
        for (int i = 0; i < 30_000; i++) {
            manyTensors.addTensor(Integer.toString(i, 36), GgmlType.I8, new long[] {1}, new byte[1]);
        }
        manyTensors.putUint32("general.alignment", 1);
        List<byte[]> images = List.of(
                new GgufWriter().putStrings("s", oneByte).toBytes(),
                new GgufWriter().putStrings("s", distinct).toBytes(),
                new GgufWriter().putArrays("a", emptyArrays, emptyTypes).toBytes(),
                new GgufWriter().putArrays("a", emptyNested, emptyNestedTypes).toBytes(),
                new GgufWriter().putArray("u8", new int[n], GgufValueType.UINT8).toBytes(),
                manyKeys.toBytes(),
                manyTensors.toBytes());
        com.sun.management.ThreadMXBean threads = (com.sun.management.ThreadMXBean) ManagementFactory.getThreadMXBean();
        long thread = Thread.currentThread().threadId();
        for (byte[] image : images) {
            if (image.length == 0) {
                continue;
            }
            MemorySegment segment = MemorySegment.ofArray(image);
            GgufFile.parse(segment); // warm up
            long before = threads.getThreadAllocatedBytes(thread);
            GgufFile.parse(segment);
            long allocated = threads.getThreadAllocatedBytes(thread) - before;
            long limit = (long) GgufFile.MAX_HEAP_PER_FILE_BYTE * image.length + (1 << 20);
            assertTrue(allocated <= limit, "parsing " + image.length + " bytes allocated " + allocated + " (limit " + limit + ")");
        }
    }

    @Test
    void openReportsTheFileName(@TempDir Path dir) throws IOException {
        Path file = dir.resolve("bad.gguf");
        Files.write(file, new byte[] {'G', 'G', 'U', 'F', 9, 0, 0, 0});
        GgufException e = assertThrows(GgufException.class, () -> GgufFile.open(file));
        assertTrue(e.getMessage().startsWith("bad.gguf: version is 9"), e.getMessage());
        Files.write(file, new byte[0]);
        assertTrue(assertThrows(GgufException.class, () -> GgufFile.open(file)).getMessage().contains("magic"));
    }
}
