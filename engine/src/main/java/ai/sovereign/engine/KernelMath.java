package ai.sovereign.engine;

import java.lang.foreign.ValueLayout;
import java.nio.ByteOrder;

/**
 * Number formats and rounding rules shared by the kernels and quantizers, each matching the ggml
 * function named beside it bit for bit: fp16 (GGML_FP32_TO_FP16, round to nearest even), bf16
 * (ggml_compute_fp32_to_bf16), nearest_int (ggml-quants.c) and C's roundf. Also the explicit
 * little-endian, unaligned layouts used to read GGUF tensor data.
 */
final class KernelMath {
    private KernelMath() {}

    static final ValueLayout.OfShort SHORT_LE = ValueLayout.JAVA_SHORT_UNALIGNED.withOrder(ByteOrder.LITTLE_ENDIAN);
    static final ValueLayout.OfInt INT_LE = ValueLayout.JAVA_INT_UNALIGNED.withOrder(ByteOrder.LITTLE_ENDIAN);
    static final ValueLayout.OfFloat FLOAT_LE = ValueLayout.JAVA_FLOAT_UNALIGNED.withOrder(ByteOrder.LITTLE_ENDIAN);

    /** The fp16 bits nearest to {@code value} (ties to even). */
    static short toHalf(float value) {
        return Float.floatToFloat16(value);
    }

    static float fromHalf(short bits) {
        return Float.float16ToFloat(bits);
    }

    /** {@code value} rounded through fp16 and back. */
    static float roundToHalf(float value) {
        return Float.float16ToFloat(Float.floatToFloat16(value));
    }

    /** ggml_compute_fp32_to_bf16: round to nearest even; NaN stays a (quiet) NaN. */
    static short toBf16(float value) {
        int bits = Float.floatToRawIntBits(value);
        if ((bits & 0x7fffffff) > 0x7f800000) {
            return (short) ((bits >>> 16) | 64);
        }
        return (short) ((bits + (0x7fff + ((bits >>> 16) & 1))) >>> 16);
    }

    static float fromBf16(short bits) {
        return Float.intBitsToFloat((bits & 0xffff) << 16);
    }

    static float roundToBf16(float value) {
        return fromBf16(toBf16(value));
    }

    /** ggml's nearest_int: adds 1.5·2^23 in float, so ties go to even; valid for |x| ≤ 4194303. */
    static int nearestInt(float value) {
        float shifted = value + 12582912.f;
        return (Float.floatToRawIntBits(shifted) & 0x007fffff) - 0x00400000;
    }

    /** C's roundf: halves round away from zero. */
    static float roundHalfAway(float value) {
        double rounded = Math.floor(Math.abs((double) value) + 0.5);
        return (float) Math.copySign(rounded, value);
    }

    /** The number of {@code type} blocks in n elements; throws unless n is a whole number of them. */
    static int blocks(GgmlType type, int n) {
        if (n < 0 || n % type.blockLength() != 0) {
            throw new IllegalArgumentException(type + " rows hold whole blocks of " + type.blockLength()
                    + " elements; " + n + " is not a multiple");
        }
        return n / type.blockLength();
    }

    static void checkOutput(float[] out, int outOffset, int n) {
        if (outOffset < 0 || outOffset > out.length - n) {
            throw new IndexOutOfBoundsException("output [" + outOffset + ", " + ((long) outOffset + n)
                    + ") lies outside an array of " + out.length);
        }
    }
}
