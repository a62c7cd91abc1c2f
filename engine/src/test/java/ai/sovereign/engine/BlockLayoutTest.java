package ai.sovereign.engine;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;

import java.lang.foreign.MemorySegment;
import org.junit.jupiter.api.Test;

/**
 * Blocks written byte by byte from the published ggml layouts decode to the values ggml produces;
 * every block sits at an odd offset to exercise unaligned reads.
 */
class BlockLayoutTest {
    private static final int AT = 3;

    private static MemorySegment segment(int... bytes) {
        byte[] data = new byte[AT + bytes.length + 5];
        for (int i = 0; i < bytes.length; i++) {
            data[AT + i] = (byte) bytes[i];
        }
        return MemorySegment.ofArray(data);
    }

    private static float[] decode(GgmlType type, MemorySegment segment, int n) {
        float[] out = new float[n + 2];
        RowKernel.of(type).dequantize(segment, AT, out, 1, n);
        float[] values = new float[n];
        System.arraycopy(out, 1, values, 0, n);
        assertEquals(0f, out[0]);
        assertEquals(0f, out[n + 1]);
        return values;
    }

    @Test
    void q4_0LowNibblesAreTheFirstSixteen() {
        int[] bytes = new int[18];
        bytes[0] = 0x00;
        bytes[1] = 0x38; // d = 0.5
        for (int j = 0; j < 16; j++) {
            bytes[2 + j] = j | ((15 - j) << 4);
        }
        float[] v = decode(GgmlType.Q4_0, segment(bytes), 32);
        for (int j = 0; j < 16; j++) {
            assertEquals((j - 8) * 0.5f, v[j], "element " + j);
            assertEquals((7 - j) * 0.5f, v[j + 16], "element " + (j + 16));
        }
    }

    @Test
    void q4_1AddsTheMin() {
        int[] bytes = new int[20];
        bytes[1] = 0x3C;  // d = 1
        bytes[3] = 0xC0;  // m = -2
        for (int j = 0; j < 16; j++) {
            bytes[4 + j] = j | ((15 - j) << 4);
        }
        float[] v = decode(GgmlType.Q4_1, segment(bytes), 32);
        for (int j = 0; j < 16; j++) {
            assertEquals(j - 2f, v[j]);
            assertEquals(13f - j, v[j + 16]);
        }
    }

    @Test
    void q5_0FifthBitComesFromTheLittleEndianQh() {
        int[] bytes = new int[22];
        bytes[1] = 0x3C;                 // d = 1
        bytes[2] = 0x01;                 // qh = 0x80010001: bits 0, 16, 31
        bytes[4] = 0x01;
        bytes[5] = 0x80;
        bytes[6] = 0x21;                 // element 0 low 1, element 16 high 2
        bytes[6 + 15] = 0xF3;            // element 15 low 3, element 31 high 15
        float[] v = decode(GgmlType.Q5_0, segment(bytes), 32);
        assertEquals(1f, v[0]);
        assertEquals(2f, v[16]);
        assertEquals(-13f, v[15]);
        assertEquals(15f, v[31]);
        for (int j : new int[] {1, 2, 14, 17, 30}) {
            assertEquals(-16f, v[j]);
        }
    }

    @Test
    void q5_1ScalesAndOffsets() {
        int[] bytes = new int[24];
        bytes[1] = 0x38;                 // d = 0.5
        bytes[3] = 0x3C;                 // m = 1
        bytes[4] = 0x01;                 // qh = 0x80010001
        bytes[6] = 0x01;
        bytes[7] = 0x80;
        bytes[8] = 0x21;
        bytes[8 + 15] = 0xF3;
        float[] v = decode(GgmlType.Q5_1, segment(bytes), 32);
        assertEquals(9.5f, v[0]);
        assertEquals(10f, v[16]);
        assertEquals(2.5f, v[15]);
        assertEquals(16.5f, v[31]);
        assertEquals(1f, v[1]);
    }

    @Test
    void q8_0IsSignedBytes() {
        int[] bytes = new int[34];
        bytes[1] = 0x34;                 // d = 0.25
        bytes[2] = 0x80;                 // -128
        bytes[3] = 0x7F;                 // 127
        bytes[4] = 0xFF;                 // -1
        float[] v = decode(GgmlType.Q8_0, segment(bytes), 32);
        assertEquals(-32f, v[0]);
        assertEquals(31.75f, v[1]);
        assertEquals(-0.25f, v[2]);
        assertEquals(0f, v[3]);
    }

    /** Sub-block scales 1,2,3,4,33,34,62,63 and mins 5,6,7,8,40,41,50,60, packed by hand. */
    private static final int[] K_SCALES = {0x81, 0x82, 0xC3, 0xC4, 0x85, 0x86, 0xC7, 0xC8, 0x81, 0x92, 0x2E, 0xCF};
    private static final int[] SC = {1, 2, 3, 4, 33, 34, 62, 63};
    private static final int[] MIN = {5, 6, 7, 8, 40, 41, 50, 60};

    @Test
    void kQuantScalePackingFollowsGetScaleMinK4() {
        int[] bytes = new int[144];
        System.arraycopy(K_SCALES, 0, bytes, 4, 12);
        MemorySegment segment = segment(bytes);
        for (int j = 0; j < 8; j++) {
            assertEquals(SC[j], KQuantRowKernels.scaleMin(segment, AT + 4, j, false), "scale " + j);
            assertEquals(MIN[j], KQuantRowKernels.scaleMin(segment, AT + 4, j, true), "min " + j);
        }
    }

    @Test
    void q4_KChunksOf64TakeLowThenHighNibbles() {
        int[] bytes = new int[144];
        bytes[1] = 0x3C; // d = 1
        bytes[3] = 0x38; // dmin = 0.5
        System.arraycopy(K_SCALES, 0, bytes, 4, 12);
        for (int c = 0; c < 4; c++) {
            for (int l = 0; l < 32; l++) {
                bytes[16 + 32 * c + l] = (l & 0xF) | (((l + c) & 0xF) << 4);
            }
        }
        float[] v = decode(GgmlType.Q4_K, segment(bytes), 256);
        for (int c = 0; c < 4; c++) {
            for (int l = 0; l < 32; l++) {
                assertEquals(SC[2 * c] * (l & 0xF) - 0.5f * MIN[2 * c], v[64 * c + l], "element " + (64 * c + l));
                assertEquals(SC[2 * c + 1] * ((l + c) & 0xF) - 0.5f * MIN[2 * c + 1], v[64 * c + 32 + l]);
            }
        }
        assertEquals(-2.5f, v[0]);
        assertEquals(96f, v[255]); // chunk 3, high nibble of byte 31 is (31 + 3) & 15 = 2: 63 * 2 - 0.5 * 60
    }

    @Test
    void q5_KHighBitIsBitChunkOfQh() {
        int[] bytes = new int[176];
        bytes[1] = 0x3C; // d = 1
        bytes[3] = 0x38; // dmin = 0.5
        System.arraycopy(K_SCALES, 0, bytes, 4, 12);
        for (int l = 0; l < 32; l++) {
            bytes[16 + l] = (l * 37) & 0xFF;
        }
        for (int c = 0; c < 4; c++) {
            for (int l = 0; l < 32; l++) {
                bytes[48 + 32 * c + l] = (l & 0xF) | (((l + c) & 0xF) << 4);
            }
        }
        float[] v = decode(GgmlType.Q5_K, segment(bytes), 256);
        for (int e = 0; e < 256; e++) {
            int c = e / 64;
            int l = e % 32;
            int sub = e / 32;
            int low = e % 64 < 32 ? l & 0xF : (l + c) & 0xF;
            int high = (((l * 37) & 0xFF) >> sub) & 1;
            assertEquals(SC[sub] * (low + 16 * high) - 0.5f * MIN[sub], v[e], "element " + e);
        }
        // element 33: l = 1, qh[1] = 37 = 0b100101, bit 1 = 0; high nibble (1 + 0) = 1 -> 2 * 1 - 3
        assertEquals(-1f, v[33]);
        // element 64: l = 0, qh[0] = 0 -> 3 * 0 - 3.5
        assertEquals(-3.5f, v[64]);
    }

    @Test
    void q6_KQuartersAndSignedScales() {
        int[] bytes = new int[210];
        bytes[0] = 0x21;          // element 0: low 1; element 64: high 2
        bytes[32 + 5] = 0x43;     // element 37: low 3; element 101: high 4
        bytes[128 + 5] = 0xE4;    // element 5: +0, 37: +16, 69: +32, 101: +48
        bytes[64] = 0x0F;         // element 128: low 15
        bytes[128 + 32] = 0x03;   // element 128: +48
        for (int i = 0; i < 16; i++) {
            bytes[192 + i] = (i - 7) & 0xFF;
        }
        bytes[209] = 0x38;        // d = 0.5
        float[] v = decode(GgmlType.Q6_K, segment(bytes), 256);
        assertEquals(108.5f, v[0]);     // 0.5 * -7 * (1 - 32)
        assertEquals(32.5f, v[37]);     // 0.5 * -5 * (19 - 32)
        assertEquals(45f, v[64]);       // 0.5 * -3 * (2 - 32)
        assertEquals(-0f, v[69]);       // q = 32, negative scale: -0 as in C
        assertEquals(-10f, v[101]);     // 0.5 * -1 * (52 - 32)
        assertEquals(15.5f, v[128]);    // 0.5 * 1 * (63 - 32)
        java.util.Set<Integer> special = java.util.Set.of(0, 37, 64, 69, 101, 128);
        for (int e = 0; e < 256; e++) {
            if (!special.contains(e)) {
                assertEquals(0.5f * (e / 16 - 7) * -32, v[e], "element " + e);
            }
        }
    }

    @Test
    void q4_0QuantizerWritesGgmlBytes() {
        float[] x = new float[32];
        for (int j = 0; j < 16; j++) {
            x[j] = j - 8;              // largest magnitude -8 -> d = 1, id = 1
            x[16 + j] = 7 - 0.5f * j;  // q = (int)(x + 8.5), capped at 15
        }
        MemorySegment out = MemorySegment.ofArray(new byte[18 + AT]);
        Quantizer.quantize(GgmlType.Q4_0, x, 0, 32, out, AT);
        byte[] expected = {0x00, 0x3C,
            (byte) 0xF0, (byte) 0xF1, (byte) 0xE2, (byte) 0xE3, (byte) 0xD4, (byte) 0xD5, (byte) 0xC6, (byte) 0xC7,
            (byte) 0xB8, (byte) 0xB9, (byte) 0xAA, (byte) 0xAB, (byte) 0x9C, (byte) 0x9D, (byte) 0x8E, (byte) 0x8F};
        assertArrayEquals(expected, out.asSlice(AT).toArray(java.lang.foreign.ValueLayout.JAVA_BYTE));
    }

    @Test
    void q4_0QuantizerTakesTheSignOfTheLargestElement() {
        float[] x = new float[32];
        x[3] = 4f;   // d = 4 / -8 = -0.5, id = -2
        x[4] = -1f;  // -1 * -2 + 8.5 = 10.5 -> 10
        MemorySegment out = MemorySegment.ofArray(new byte[18]);
        Quantizer.quantize(GgmlType.Q4_0, x, 0, 32, out, 0);
        float[] v = new float[32];
        RowKernel.of(GgmlType.Q4_0).dequantize(out, 0, v, 0, 32);
        assertEquals(4f, v[3]);
        assertEquals(-1f, v[4]);
        assertEquals((byte) 0x88, out.get(java.lang.foreign.ValueLayout.JAVA_BYTE, 2)); // elements 0 and 16: 0 -> 8
        assertEquals((short) 0xB800, out.get(KernelMath.SHORT_LE, 0)); // -0.5
    }
}
