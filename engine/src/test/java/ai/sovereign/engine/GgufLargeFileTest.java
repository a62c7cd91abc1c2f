package ai.sovereign.engine;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.RandomAccessFile;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Files beyond 2 GiB map and read correctly (a sparse file, so the test writes a few KB to disk). */
class GgufLargeFileTest {
    @Test
    void tensorDataBeyondTwoGibibytesIsReadable(@TempDir Path dir) throws Exception {
        long elements = (1L << 31) + 4096; // one I8 tensor of 2 GiB + 4 KiB
        byte[] name = "big".getBytes(StandardCharsets.UTF_8);
        ByteBuffer header = ByteBuffer.allocate(4096).order(ByteOrder.LITTLE_ENDIAN);
        header.putInt(GgufFile.MAGIC).putInt(3).putLong(1).putLong(0);
        header.putLong(name.length).put(name).putInt(1).putLong(elements).putInt(GgmlType.I8.id()).putLong(0);
        long dataOffset = GgufFile.alignUp(header.position(), GgufFile.DEFAULT_ALIGNMENT);
        Path file = dir.resolve("large.gguf");
        try (RandomAccessFile raf = new RandomAccessFile(file.toFile(), "rw")) {
            raf.write(header.array(), 0, header.position());
            raf.setLength(dataOffset + elements);
            raf.seek(dataOffset + elements - 1);
            raf.write(0x5A);
        }
        try (GgufFile gguf = GgufFile.open(file)) {
            GgufTensor big = gguf.tensor("big");
            assertEquals(elements, big.byteSize());
            assertTrue(gguf.fileSize() > Integer.MAX_VALUE);
            MemorySegment data = gguf.data(big);
            assertEquals(0x5A, data.get(ValueLayout.JAVA_BYTE, elements - 1));
            assertEquals(0, data.get(ValueLayout.JAVA_BYTE, 1L << 31));
        }
    }
}
