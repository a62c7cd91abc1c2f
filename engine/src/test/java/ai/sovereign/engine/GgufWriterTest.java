package ai.sovereign.engine;

import static ai.sovereign.engine.GgufTestSupport.assertSameContent;
import static ai.sovereign.engine.GgufTestSupport.assertSameMetadata;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.sovereign.engine.GgufMetadata.TypeTree;
import java.io.IOException;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

class GgufWriterTest {
    @TempDir
    Path dir;

    @ParameterizedTest
    @ValueSource(ints = {1, 32, 64, 4096})
    void everyValueTypeAndTensorRoundTripsThroughAFile(int alignment) throws IOException {
        GgufWriter writer = GgufTestSupport.everyType(alignment);
        Path file = dir.resolve("every-type.gguf");
        writer.write(file);
        try (GgufFile gguf = GgufFile.open(file)) {
            assertEquals(3, gguf.version());
            assertEquals(alignment, gguf.alignment());
            assertSameMetadata(writer.metadata(), gguf.metadata());
            assertEquals(255L, gguf.metadata().get("t.u8"));
            assertEquals(-128L, gguf.metadata().get("t.i8"));
            assertEquals(0xFFFF_FFFFL, gguf.metadata().get("t.u32"));
            assertEquals(GgufValueType.UINT16, gguf.metadata().type("t.u16"));
            assertEquals(GgufValueType.STRING, gguf.metadata().elementType("a.str"));
            assertArrayEquals(new int[] {0, 1, 200, 255}, (int[]) gguf.metadata().get("a.u8"));
            assertArrayEquals(new byte[] {(byte) 0xEF, (byte) 0xBF, (byte) 0xBF, 'x'},
                    GgufFile.rawBytes(gguf.metadata().string("t.fffe").orElseThrow()));
            assertArrayEquals(new byte[] {(byte) 0xFF, (byte) 0xFE, (byte) 0x80, ' ', 'r', 'a', 'w'},
                    GgufFile.rawBytes(gguf.metadata().string("t.raw").orElseThrow()));
            assertEquals(4, gguf.tensors().size());
            assertEquals(0, gguf.dataOffset() % alignment);
            for (GgufTensor t : gguf.tensors()) {
                assertEquals(0, t.offset() % alignment, "offset of " + t.name());
            }
            assertEquals(0, gguf.fileSize() % alignment, "the last tensor is padded too");
            MemorySegment f16 = gguf.data(gguf.tensor("f16.4d"));
            assertEquals(60, f16.byteSize());
            assertEquals((short) 0x3C01, f16.get(ValueLayout.JAVA_SHORT_UNALIGNED.withOrder(java.nio.ByteOrder.LITTLE_ENDIAN), 2));
            assertArrayEquals(new long[] {5, 2, 3, 1}, gguf.tensor("f16.4d").shape());
            assertArrayEquals(new byte[] {1, 2, 3, 4}, gguf.data(gguf.tensor("one")).toArray(ValueLayout.JAVA_BYTE));
            assertArrayEquals(Files.readAllBytes(file), writer.toBytes(), "toBytes() equals the written file");

            Path again = dir.resolve("again.gguf");
            GgufWriter.copyOf(gguf).write(again);
            assertEquals(-1L, Files.mismatch(file, again), "a file written by GgufWriter re-writes byte for byte");
        }
    }

    @Test
    void everySharedModelRewritesByteForByte() throws IOException {
        List<String> report = new ArrayList<>();
        for (Path model : GgufTestSupport.sharedModels()) {
            Path copy = dir.resolve(model.getFileName());
            try (GgufFile original = GgufFile.open(model)) {
                GgufWriter.copyOf(original).write(copy);
                try (GgufFile rewritten = GgufFile.open(copy)) {
                    assertSameContent(original, rewritten);
                    assertEquals(original.dataOffset(), rewritten.dataOffset(), model.getFileName() + " data offset");
                }
            }
            long mismatch = Files.mismatch(model, copy);
            if (mismatch != -1) {
                report.add(model.getFileName() + " differs at byte " + mismatch + " (sizes " + Files.size(model) + ", " + Files.size(copy) + ")");
            }
            Files.delete(copy);
        }
        assertTrue(report.isEmpty(), String.join("\n", report));
    }

    @Test
    void aFileWithoutTensorsEndsAfterItsHeader() {
        byte[] image = new GgufWriter().putString("general.architecture", "gpt2").toBytes();
        assertEquals(4 + 4 + 8 + 8 + 8 + "general.architecture".length() + 4 + 8 + 4, image.length);
        GgufFile gguf = GgufFile.parse(MemorySegment.ofArray(image));
        assertEquals(image.length, gguf.dataOffset());
        assertEquals(0, gguf.tensors().size());
    }

    @Test
    void streamsLargeTensorsFromCallbacksInChunks() throws IOException {
        long rows = 1024;
        long rowLength = 16 * 1024; // 64 MiB of F32, written 64 KiB at a time
        float[] row = new float[(int) rowLength];
        GgufWriter writer = new GgufWriter().putString("general.architecture", "llama");
        writer.addTensor("big", GgmlType.F32, new long[] {rowLength, rows}, sink -> {
            for (int r = 0; r < rows; r++) {
                java.util.Arrays.fill(row, r);
                sink.writeFloats(row, 0, row.length);
            }
        });
        writer.addTensor("tail", GgmlType.Q8_0, new long[] {32}, sink -> sink.write(java.nio.ByteBuffer.allocate(34)));
        Path file = dir.resolve("big.gguf");
        writer.write(file);
        try (GgufFile gguf = GgufFile.open(file)) {
            MemorySegment big = gguf.data(gguf.tensor("big"));
            assertEquals(rows * rowLength * 4, big.byteSize());
            ValueLayout.OfFloat f = ValueLayout.JAVA_FLOAT_UNALIGNED.withOrder(java.nio.ByteOrder.LITTLE_ENDIAN);
            assertEquals(0f, big.get(f, 0));
            assertEquals(517f, big.get(f, 517 * rowLength * 4 + 12));
            assertEquals(1023f, big.get(f, big.byteSize() - 4));
            assertEquals(34, gguf.data(gguf.tensor("tail")).byteSize());
        }
    }

    @Test
    void refusesDataOfTheWrongSize() {
        GgufWriter w = new GgufWriter();
        assertThrows(IllegalArgumentException.class, () -> w.addTensor("t", GgmlType.F32, new long[] {4}, new byte[15]));
        w.addTensor("short", GgmlType.F32, new long[] {4}, sink -> sink.write(new byte[12]));
        IllegalStateException shortSource = assertThrows(IllegalStateException.class, w::toBytes);
        assertTrue(shortSource.getMessage().contains("short"), shortSource.getMessage());
        GgufWriter w2 = new GgufWriter().addTensor("long", GgmlType.F32, new long[] {1}, sink -> sink.write(new byte[8]));
        assertThrows(IllegalStateException.class, w2::toBytes);
    }

    @Test
    void refusesInvalidMetadataAndTensors() {
        GgufWriter w = new GgufWriter();
        assertThrows(IllegalArgumentException.class, () -> w.putUint8("k", 256));
        assertThrows(IllegalArgumentException.class, () -> w.putUint8("k", -1));
        assertThrows(IllegalArgumentException.class, () -> w.putUint32("k", -1));
        assertThrows(IllegalArgumentException.class, () -> w.putArray("k", new int[] {70000}, GgufValueType.INT16));
        assertThrows(IllegalArgumentException.class, () -> w.putString("k", "\uD800 lone surrogate"));
        assertThrows(IllegalArgumentException.class, () -> w.put("k", 5, TypeTree.scalar(GgufValueType.INT32)));
        assertThrows(IllegalArgumentException.class, () -> w.putArrays("k", new Object[] {new int[0]}));
        assertThrows(IllegalArgumentException.class, () -> w.putString("x".repeat(70_000), "v"));
        assertThrows(IllegalArgumentException.class, () -> w.addTensor("n".repeat(64), GgmlType.F32, new long[] {1}, new byte[4]));
        assertThrows(IllegalArgumentException.class, () -> w.addTensor("t", GgmlType.Q4_0, new long[] {16}, new byte[9]));
        assertThrows(IllegalArgumentException.class, () -> w.addTensor("t", GgmlType.F32, new long[] {1, 1, 1, 1, 1}, new byte[4]));
        assertThrows(IllegalArgumentException.class, () -> w.addTensor("t", GgmlType.F32, new long[] {0}, new byte[0]));
        w.addTensor("t", GgmlType.F32, new long[] {1}, new byte[4]);
        assertThrows(IllegalArgumentException.class, () -> w.addTensor("t", GgmlType.F32, new long[] {1}, new byte[4]));
        w.putUint32("general.alignment", 48);
        assertThrows(IllegalArgumentException.class, w::toBytes);
    }

    @Test
    void putReplacesAValueInPlace() {
        GgufWriter w = new GgufWriter().putString("a", "1").putUint32("b", 2).putString("a", "3");
        GgufFile gguf = GgufFile.parse(MemorySegment.ofArray(w.toBytes()));
        assertEquals(List.of("a", "b"), List.copyOf(gguf.metadata().asMap().keySet()));
        assertEquals("3", gguf.metadata().get("a"));
    }
}
