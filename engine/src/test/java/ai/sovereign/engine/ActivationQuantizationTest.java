package ai.sovereign.engine;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import org.junit.jupiter.api.Test;

/** Hand-computed checks of the activation rounding each weight type's dot product consumes. */
class ActivationQuantizationTest {

    private static byte[] quants(PreparedActivations x, int from, int count) {
        byte[] out = new byte[count];
        System.arraycopy(x.qs, from, out, 0, count);
        return out;
    }

    @Test
    void q8_0RoundsHalvesToEvenWithScaleFromAbsMax() {
        float[] x = new float[32];
        x[0] = 127f;           // amax 127: d = 1, id = 1, so q = rint(x)
        x[1] = 0.5f;
        x[2] = 1.5f;
        x[3] = 2.5f;
        x[4] = -2.5f;
        x[5] = -0.5f;
        x[6] = 126.5f;
        x[7] = -127f;
        x[8] = 3.49f;
        PreparedActivations p = new PreparedActivations(256);
        RowKernel.of(GgmlType.Q4_0).prepare(x, 0, 32, p);
        assertEquals(PreparedActivations.Format.Q8_0, p.format());
        assertEquals(1f, p.d[0]);
        assertArrayEquals(new byte[] {127, 0, 2, 2, -2, 0, 126, -127, 3}, quants(p, 0, 9));
    }

    @Test
    void q8_0ScaleIsStoredAsHalfButQuantsUseTheFloatInverse() {
        float[] x = new float[96];
        x[0] = 15.875f;          // amax = 127/8: d = 0.125, id = 8 exactly
        x[1] = -7.9375f;         // -63.5 -> -64 (even)
        x[2] = 0.3125f;          // 2.5 -> 2
        x[32] = 0.1f;            // d = fp16(0.1/127), id = 127/0.1 in float
        x[33] = -0.05f;
        // third block all zero: d = 0, q = 0
        PreparedActivations p = new PreparedActivations(96);
        p.prepareQ8_0(x, 0, 96);
        assertEquals(0.125f, p.d[0]);
        assertArrayEquals(new byte[] {127, -64, 2}, quants(p, 0, 3));
        assertEquals(KernelMath.roundToHalf(0.1f / 127f), p.d[1]);
        assertEquals(127, p.qs[32]);
        assertEquals((byte) Math.rint(-0.05f * (127f / 0.1f)), p.qs[33]);
        assertEquals(0f, p.d[2]);
        assertArrayEquals(new byte[32], quants(p, 64, 32));
    }

    @Test
    void q8_1SumUsesTheFloatScaleBeforeHalfRounding() {
        float[] x = new float[32];
        x[0] = 1f;
        x[1] = 0.5f;
        x[2] = -0.25f;
        PreparedActivations p = new PreparedActivations(32);
        RowKernel.of(GgmlType.Q5_1).prepare(x, 0, 32, p);
        assertEquals(PreparedActivations.Format.Q8_1, p.format());
        float d = 1f / 127f;
        // q = 127, rint(63.5) = 64, rint(-31.75) = -32
        assertArrayEquals(new byte[] {127, 64, -32, 0}, quants(p, 0, 4));
        assertEquals(KernelMath.roundToHalf(d), p.d[0]);
        assertEquals(KernelMath.roundToHalf(d * (127 + 64 - 32)), p.s[0]);
    }

    @Test
    void q8_KScaleComesFromTheSignedLargestElement() {
        float[] x = new float[512];
        // block 0: largest magnitude is negative: iscale = -127 / -127 = 1, d = 1
        x[0] = -127f;
        x[1] = 2.5f;   // tie -> 2
        x[2] = 3.5f;   // tie -> 4
        x[3] = -0.5f;  // tie -> 0
        x[4] = 100f;
        // block 1: largest is positive and first on a magnitude tie: iscale = -1, d = -1, signs flip
        x[256] = 127f;
        x[257] = -127f;
        x[258] = 2.5f;
        x[259] = -1.5f;
        PreparedActivations p = new PreparedActivations(512);
        RowKernel.of(GgmlType.Q4_K).prepare(x, 0, 512, p);
        assertEquals(PreparedActivations.Format.Q8_K, p.format());
        assertEquals(1f, p.d[0]);
        assertArrayEquals(new byte[] {-127, 2, 4, 0, 100}, quants(p, 0, 5));
        assertEquals(-127 + 2 + 4 + 100, p.bsums[0]);
        assertEquals(0, p.bsums[1]);
        assertEquals(-1f, p.d[1]);
        assertArrayEquals(new byte[] {-127, 127, -2, 2}, quants(p, 256, 4));
        assertEquals(0, p.bsums[16]);
    }

    @Test
    void q8_KClampsAtPlus127AndZeroBlockIsAllZero() {
        float[] x = new float[512];
        x[0] = -1f;
        x[1] = 1f;         // iscale = 127 → exactly 127
        x[2] = 0.9999999f;
        for (int j = 256; j < 512; j++) {
            x[j] = 0f;
        }
        PreparedActivations p = new PreparedActivations(512);
        p.prepareQ8_K(x, 0, 512);
        assertEquals(1f / 127f, p.d[0]);
        assertEquals(1f / (-127f / -1f), p.d[0]);
        assertArrayEquals(new byte[] {-127, 127, 127}, quants(p, 0, 3));
        assertEquals(0f, p.d[1]);
        assertArrayEquals(new byte[256], quants(p, 256, 256));
        for (int g = 16; g < 32; g++) {
            assertEquals(0, p.bsums[g]);
        }
    }

    @Test
    void q8_KUsesOffsetIntoTheSource() {
        float[] x = new float[300];
        x[44] = -2f;
        x[45] = 1f;
        PreparedActivations p = new PreparedActivations(256);
        p.prepareQ8_K(x, 44, 256);
        assertEquals(1f / 63.5f, p.d[0]);
        assertArrayEquals(new byte[] {-127, 64}, quants(p, 0, 2)); // 63.5 -> 64 (even)
    }

    @Test
    void halfAndBf16RoundToNearestEven() {
        float[] x = {
            1f + 0x1p-11f,          // half-way between fp16 1 and 1+2^-10 -> 1
            1f + 3 * 0x1p-11f,      // half-way -> 1 + 2^-9 (even)
            1f + 0x1p-8f,           // bf16: half-way -> 1
            1f + 3 * 0x1p-8f,       // bf16: -> 1 + 2^-6
            -65504f,
            70000f,                 // beyond fp16 range -> infinity
        };
        PreparedActivations p = new PreparedActivations(8);
        p.prepareF16(x, 0, 6);
        assertEquals(PreparedActivations.Format.F16, p.format());
        assertEquals(1f, p.values[0]);
        assertEquals(1f + 0x1p-9f, p.values[1]);
        assertEquals(-65504f, p.values[4]);
        assertEquals(Float.POSITIVE_INFINITY, p.values[5]);

        RowKernel.of(GgmlType.BF16).prepare(x, 0, 6, p);
        assertEquals(PreparedActivations.Format.BF16, p.format());
        assertEquals(1f, p.values[2]);
        assertEquals(1f + 0x1p-6f, p.values[3]);
        assertEquals((short) 0x3f80, KernelMath.toBf16(1f + 0x1p-8f));
        assertEquals((short) 0x3f81, KernelMath.toBf16(1f + 0x1.8p-8f));

        RowKernel.of(GgmlType.F32).prepare(x, 0, 6, p);
        assertEquals(PreparedActivations.Format.F32, p.format());
        assertEquals(x[0], p.values[0]);
    }

    @Test
    void roundingHelpersMatchC() {
        assertEquals(2, KernelMath.nearestInt(2.5f));
        assertEquals(4, KernelMath.nearestInt(3.5f));
        assertEquals(-2, KernelMath.nearestInt(-2.5f));
        assertEquals(-3, KernelMath.nearestInt(-2.6f));
        assertEquals(3f, KernelMath.roundHalfAway(2.5f));
        assertEquals(-3f, KernelMath.roundHalfAway(-2.5f));
        assertEquals(0f, KernelMath.roundHalfAway(0.49999997f));
    }

    @Test
    void rejectsBadSizesAndMismatchedFormats() {
        PreparedActivations p = new PreparedActivations(256);
        float[] x = new float[512];
        assertThrows(IllegalArgumentException.class, () -> p.prepareQ8_0(x, 0, 48));
        assertThrows(IllegalArgumentException.class, () -> p.prepareQ8_K(x, 0, 512));
        assertThrows(IndexOutOfBoundsException.class, () -> p.prepareQ8_K(x, 300, 256));
        p.prepareQ8_0(x, 0, 64);
        var segment = java.lang.foreign.MemorySegment.ofArray(new byte[1024]);
        var error = assertThrows(IllegalArgumentException.class,
                () -> RowKernel.of(GgmlType.Q4_K).dot(segment, 0, p, 256));
        assertEquals("dot of 256 elements needs Q8_K activations; prepared are 64 in Q8_0", error.getMessage());
        var unsupported = assertThrows(IllegalArgumentException.class, () -> RowKernel.of(GgmlType.Q2_K));
        assertEquals("no row kernel for tensor type Q2_K (id 10)", unsupported.getMessage());
    }
}
