package ai.sovereign.engine;

import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;

/**
 * Reference quantizers float → tensor type, for tests, the GGUF writer and the model synthesizer.
 * Every type follows ggml's own reference quantizer (ggml-quants.c) operation for operation, so files
 * written here match what llama.cpp's quantize tool writes without an importance matrix:
 * quantize_row_{q4_0,q4_1,q5_0,q5_1,q8_0}_ref; for Q4_K / Q5_K quantize_row_q{4,5}_K_ref
 * (make_qkx2_quants per sub-block, 6-bit scales and mins); for Q6_K quantize_row_q6_K_ref
 * (make_qx_quants with x² weights, int8 scales). F16 and BF16 round to nearest even.
 * Note Q8_0 here is the weight quantizer (id = 1/d, roundf); activations use {@link PreparedActivations}.
 */
final class Quantizer {
    private Quantizer() {}

    private static final float GROUP_MAX_EPS = 1e-15f;

    static void quantize(GgmlType type, float[] src, int offset, int n, MemorySegment dst, long dstOffset) {
        int blocks = KernelMath.blocks(type, n);
        if (offset < 0 || offset > src.length - n) {
            throw new IndexOutOfBoundsException("source [" + offset + ", " + ((long) offset + n)
                    + ") lies outside an array of " + src.length);
        }
        long bytes = type.bytesFor(n);
        if (dstOffset < 0 || dstOffset > dst.byteSize() - bytes) {
            throw new IndexOutOfBoundsException(n + " " + type + " elements need " + bytes + " bytes at "
                    + dstOffset + "; the segment holds " + dst.byteSize());
        }
        switch (type) {
            case F32 -> {
                for (int i = 0; i < n; i++) {
                    dst.set(KernelMath.FLOAT_LE, dstOffset + 4L * i, src[offset + i]);
                }
            }
            case F16 -> {
                for (int i = 0; i < n; i++) {
                    dst.set(KernelMath.SHORT_LE, dstOffset + 2L * i, KernelMath.toHalf(src[offset + i]));
                }
            }
            case BF16 -> {
                for (int i = 0; i < n; i++) {
                    dst.set(KernelMath.SHORT_LE, dstOffset + 2L * i, KernelMath.toBf16(src[offset + i]));
                }
            }
            case Q4_0 -> {
                for (int b = 0; b < blocks; b++) {
                    q4_0(src, offset + 32 * b, dst, dstOffset + 18L * b);
                }
            }
            case Q4_1 -> {
                for (int b = 0; b < blocks; b++) {
                    q4_1(src, offset + 32 * b, dst, dstOffset + 20L * b);
                }
            }
            case Q5_0 -> {
                for (int b = 0; b < blocks; b++) {
                    q5_0(src, offset + 32 * b, dst, dstOffset + 22L * b);
                }
            }
            case Q5_1 -> {
                for (int b = 0; b < blocks; b++) {
                    q5_1(src, offset + 32 * b, dst, dstOffset + 24L * b);
                }
            }
            case Q8_0 -> {
                for (int b = 0; b < blocks; b++) {
                    q8_0(src, offset + 32 * b, dst, dstOffset + 34L * b);
                }
            }
            case Q4_K, Q5_K -> {
                KScratch scratch = new KScratch();
                for (int b = 0; b < blocks; b++) {
                    q45_K(type == GgmlType.Q5_K, src, offset + 256 * b, dst, dstOffset + (long) type.blockBytes() * b, scratch);
                }
            }
            case Q6_K -> {
                KScratch scratch = new KScratch();
                for (int b = 0; b < blocks; b++) {
                    q6_K(src, offset + 256 * b, dst, dstOffset + 210L * b, scratch);
                }
            }
            default -> throw new IllegalArgumentException("no quantizer for tensor type " + type + " (id " + type.id() + ")");
        }
    }

    private static void putByte(MemorySegment dst, long at, int value) {
        dst.set(ValueLayout.JAVA_BYTE, at, (byte) value);
    }

    private static void putHalf(MemorySegment dst, long at, float value) {
        dst.set(KernelMath.SHORT_LE, at, KernelMath.toHalf(value));
    }

    /** The element of largest magnitude in x[start, start+n), the first on ties; 0 when all are 0. */
    private static float signedMax(float[] x, int start, int n) {
        float amax = 0f;
        float max = 0f;
        for (int j = 0; j < n; j++) {
            float v = x[start + j];
            if (amax < Math.abs(v)) {
                amax = Math.abs(v);
                max = v;
            }
        }
        return max;
    }

    private static void q4_0(float[] x, int start, MemorySegment dst, long at) {
        float d = signedMax(x, start, 32) / -8;
        float id = d != 0f ? 1.0f / d : 0f;
        putHalf(dst, at, d);
        for (int j = 0; j < 16; j++) {
            int low = Math.min(15, (int) (x[start + j] * id + 8.5f));
            int high = Math.min(15, (int) (x[start + 16 + j] * id + 8.5f));
            putByte(dst, at + 2 + j, low | (high << 4));
        }
    }

    private static void q5_0(float[] x, int start, MemorySegment dst, long at) {
        float d = signedMax(x, start, 32) / -16;
        float id = d != 0f ? 1.0f / d : 0f;
        putHalf(dst, at, d);
        int qh = 0;
        for (int j = 0; j < 16; j++) {
            int low = Math.min(31, (int) (x[start + j] * id + 16.5f));
            int high = Math.min(31, (int) (x[start + 16 + j] * id + 16.5f));
            putByte(dst, at + 6 + j, (low & 0x0F) | ((high & 0x0F) << 4));
            qh |= ((low & 0x10) >>> 4) << j;
            qh |= ((high & 0x10) >>> 4) << (j + 16);
        }
        dst.set(KernelMath.INT_LE, at + 2, qh);
    }

    private static void q4_1(float[] x, int start, MemorySegment dst, long at) {
        float min = Float.MAX_VALUE;
        float max = -Float.MAX_VALUE;
        for (int j = 0; j < 32; j++) {
            float v = x[start + j];
            if (v < min) {
                min = v;
            }
            if (v > max) {
                max = v;
            }
        }
        float d = (max - min) / 15;
        float id = d != 0f ? 1.0f / d : 0f;
        putHalf(dst, at, d);
        putHalf(dst, at + 2, min);
        for (int j = 0; j < 16; j++) {
            int low = Math.min(15, (int) ((x[start + j] - min) * id + 0.5f));
            int high = Math.min(15, (int) ((x[start + 16 + j] - min) * id + 0.5f));
            putByte(dst, at + 4 + j, low | (high << 4));
        }
    }

    private static void q5_1(float[] x, int start, MemorySegment dst, long at) {
        float min = Float.MAX_VALUE;
        float max = -Float.MAX_VALUE;
        for (int j = 0; j < 32; j++) {
            float v = x[start + j];
            if (v < min) {
                min = v;
            }
            if (v > max) {
                max = v;
            }
        }
        float d = (max - min) / 31;
        float id = d != 0f ? 1.0f / d : 0f;
        putHalf(dst, at, d);
        putHalf(dst, at + 2, min);
        int qh = 0;
        for (int j = 0; j < 16; j++) {
            int low = (int) ((x[start + j] - min) * id + 0.5f);
            int high = (int) ((x[start + 16 + j] - min) * id + 0.5f);
            putByte(dst, at + 8 + j, (low & 0x0F) | ((high & 0x0F) << 4));
            qh |= ((low & 0x10) >>> 4) << j;
            qh |= ((high & 0x10) >>> 4) << (j + 16);
        }
        dst.set(KernelMath.INT_LE, at + 4, qh);
    }

    private static void q8_0(float[] x, int start, MemorySegment dst, long at) {
        float amax = 0f;
        for (int j = 0; j < 32; j++) {
            amax = Math.max(amax, Math.abs(x[start + j]));
        }
        float d = amax / 127;
        float id = d != 0f ? 1.0f / d : 0f;
        putHalf(dst, at, d);
        for (int j = 0; j < 32; j++) {
            putByte(dst, at + 2 + j, (int) KernelMath.roundHalfAway(x[start + j] * id));
        }
    }

    /** Per-call work arrays of the K-quantizers (the C code's stack arrays). */
    private static final class KScratch {
        final int[] levels = new int[256];
        final int[] trial = new int[32];
        final float[] weights = new float[32];
        final float[] scales = new float[16];
        final float[] mins = new float[8];
        final float[] theMin = new float[1];
        final byte[] packedScales = new byte[12];
    }

    /** quantize_row_q4_K_ref (nmax 15) and quantize_row_q5_K_ref (nmax 31) for one super-block. */
    private static void q45_K(boolean five, float[] x, int start, MemorySegment dst, long at, KScratch s) {
        int nmax = five ? 31 : 15;
        int[] levels = s.levels;
        float maxScale = 0f;
        float maxMin = 0f;
        for (int j = 0; j < 8; j++) {
            float sumX2 = 0f;
            for (int l = 0; l < 32; l++) {
                sumX2 += x[start + 32 * j + l] * x[start + 32 * j + l];
            }
            float avX = (float) Math.sqrt(sumX2 / 32);
            for (int l = 0; l < 32; l++) {
                s.weights[l] = avX + Math.abs(x[start + 32 * j + l]);
            }
            s.scales[j] = five
                    ? makeQkx2Quants(32, nmax, x, start + 32 * j, s.weights, levels, 32 * j, s.theMin, s.trial, -0.5f, 0.1f, 15)
                    : makeQkx2Quants(32, nmax, x, start + 32 * j, s.weights, levels, 32 * j, s.theMin, s.trial, -1.f, 0.1f, 20);
            s.mins[j] = s.theMin[0];
            if (s.scales[j] > maxScale) {
                maxScale = s.scales[j];
            }
            if (s.mins[j] > maxMin) {
                maxMin = s.mins[j];
            }
        }
        float invScale = maxScale > 0 ? 63.f / maxScale : 0.f;
        float invMin = maxMin > 0 ? 63.f / maxMin : 0.f;
        byte[] packed = s.packedScales;
        for (int j = 0; j < 8; j++) {
            int ls = Math.min(63, KernelMath.nearestInt(invScale * s.scales[j]) & 0xFF);
            int lm = Math.min(63, KernelMath.nearestInt(invMin * s.mins[j]) & 0xFF);
            if (j < 4) {
                packed[j] = (byte) ls;
                packed[j + 4] = (byte) lm;
            } else {
                packed[j + 4] = (byte) ((ls & 0xF) | ((lm & 0xF) << 4));
                packed[j - 4] |= (byte) ((ls >>> 4) << 6);
                packed[j] |= (byte) ((lm >>> 4) << 6);
            }
        }
        short dBits = KernelMath.toHalf(maxScale / 63.f);
        short dminBits = KernelMath.toHalf(maxMin / 63.f);
        dst.set(KernelMath.SHORT_LE, at, dBits);
        dst.set(KernelMath.SHORT_LE, at + 2, dminBits);
        MemorySegment.copy(packed, 0, dst, ValueLayout.JAVA_BYTE, at + 4, 12);

        for (int j = 0; j < 8; j++) {
            int sc = KQuantRowKernels.scaleMin(dst, at + 4, j, false);
            int m = KQuantRowKernels.scaleMin(dst, at + 4, j, true);
            float d = KernelMath.fromHalf(dBits) * sc;
            if (d == 0f) {
                continue;
            }
            float dm = KernelMath.fromHalf(dminBits) * m;
            for (int ii = 0; ii < 32; ii++) {
                int l = KernelMath.nearestInt((x[start + 32 * j + ii] + dm) / d);
                levels[32 * j + ii] = Math.max(0, Math.min(nmax, l));
            }
        }

        if (five) {
            long qh = at + 16;
            long ql = at + 48;
            for (int j = 0; j < 32; j++) {
                putByte(dst, qh + j, 0);
            }
            int m1 = 1;
            int m2 = 2;
            for (int n = 0; n < 256; n += 64) {
                for (int j = 0; j < 32; j++) {
                    int l1 = levels[n + j];
                    int l2 = levels[n + j + 32];
                    int high = dst.get(ValueLayout.JAVA_BYTE, qh + j) & 0xFF;
                    if (l1 > 15) {
                        l1 -= 16;
                        high |= m1;
                    }
                    if (l2 > 15) {
                        l2 -= 16;
                        high |= m2;
                    }
                    putByte(dst, qh + j, high);
                    putByte(dst, ql + j, l1 | (l2 << 4));
                }
                m1 <<= 2;
                m2 <<= 2;
                ql += 32;
            }
        } else {
            long q = at + 16;
            for (int j = 0; j < 256; j += 64) {
                for (int l = 0; l < 32; l++) {
                    putByte(dst, q + l, levels[j + l] | (levels[j + l + 32] << 4));
                }
                q += 32;
            }
        }
    }

    /** quantize_row_q6_K_ref for one super-block. */
    private static void q6_K(float[] x, int start, MemorySegment dst, long at, KScratch s) {
        int[] levels = s.levels;
        float maxScale = 0f;
        float maxAbsScale = 0f;
        for (int ib = 0; ib < 16; ib++) {
            float scale = makeQxQuants(16, 32, x, start + 16 * ib, levels, 16 * ib);
            s.scales[ib] = scale;
            if (Math.abs(scale) > maxAbsScale) {
                maxAbsScale = Math.abs(scale);
                maxScale = scale;
            }
        }
        if (maxAbsScale < GROUP_MAX_EPS) {
            dst.asSlice(at, 210).fill((byte) 0);
            return;
        }
        float iscale = -128.f / maxScale;
        short dBits = KernelMath.toHalf(1 / iscale);
        dst.set(KernelMath.SHORT_LE, at + 208, dBits);
        for (int ib = 0; ib < 16; ib++) {
            putByte(dst, at + 192 + ib, Math.min(127, KernelMath.nearestInt(iscale * s.scales[ib])));
        }
        for (int j = 0; j < 16; j++) {
            float d = KernelMath.fromHalf(dBits) * dst.get(ValueLayout.JAVA_BYTE, at + 192 + j);
            if (d == 0f) {
                continue;
            }
            for (int ii = 0; ii < 16; ii++) {
                int l = KernelMath.nearestInt(x[start + 16 * j + ii] / d);
                levels[16 * j + ii] = Math.max(-32, Math.min(31, l)) + 32;
            }
        }
        long ql = at;
        long qh = at + 128;
        for (int j = 0; j < 256; j += 128) {
            for (int l = 0; l < 32; l++) {
                int q1 = levels[j + l] & 0xF;
                int q2 = levels[j + l + 32] & 0xF;
                int q3 = levels[j + l + 64] & 0xF;
                int q4 = levels[j + l + 96] & 0xF;
                putByte(dst, ql + l, q1 | (q3 << 4));
                putByte(dst, ql + l + 32, q2 | (q4 << 4));
                putByte(dst, qh + l, (levels[j + l] >>> 4) | ((levels[j + l + 32] >>> 4) << 2)
                        | ((levels[j + l + 64] >>> 4) << 4) | ((levels[j + l + 96] >>> 4) << 6));
            }
            ql += 64;
            qh += 32;
        }
    }

    /** make_qkx2_quants: levels in [0, nmax] with a scale and a (returned negated) non-positive min. */
    private static float makeQkx2Quants(int n, int nmax, float[] x, int xAt, float[] weights, int[] levels, int lAt,
            float[] theMin, int[] trial, float rmin, float rdelta, int nstep) {
        float min = x[xAt];
        float max = x[xAt];
        float sumW = weights[0];
        float sumX = sumW * x[xAt];
        for (int i = 1; i < n; i++) {
            if (x[xAt + i] < min) {
                min = x[xAt + i];
            }
            if (x[xAt + i] > max) {
                max = x[xAt + i];
            }
            float w = weights[i];
            sumW += w;
            sumX += w * x[xAt + i];
        }
        if (min > 0) {
            min = 0;
        }
        if (max == min) {
            for (int i = 0; i < n; i++) {
                levels[lAt + i] = 0;
            }
            theMin[0] = -min;
            return 0.f;
        }
        float iscale = nmax / (max - min);
        float scale = 1 / iscale;
        float bestError = 0;
        for (int i = 0; i < n; i++) {
            int l = KernelMath.nearestInt(iscale * (x[xAt + i] - min));
            levels[lAt + i] = Math.max(0, Math.min(nmax, l));
            float diff = scale * levels[lAt + i] + min - x[xAt + i];
            bestError += weights[i] * (diff * diff);
        }
        for (int is = 0; is <= nstep; is++) {
            iscale = (rmin + rdelta * is + nmax) / (max - min);
            float sumL = 0;
            float sumL2 = 0;
            float sumXL = 0;
            for (int i = 0; i < n; i++) {
                int l = Math.max(0, Math.min(nmax, KernelMath.nearestInt(iscale * (x[xAt + i] - min))));
                trial[i] = l;
                float w = weights[i];
                sumL += w * l;
                sumL2 += w * l * l;
                sumXL += w * l * x[xAt + i];
            }
            float det = sumW * sumL2 - sumL * sumL;
            if (det > 0) {
                float thisScale = (sumW * sumXL - sumX * sumL) / det;
                float thisMin = (sumL2 * sumX - sumL * sumXL) / det;
                if (thisMin > 0) {
                    thisMin = 0;
                    thisScale = sumXL / sumL2;
                }
                float error = 0;
                for (int i = 0; i < n; i++) {
                    float diff = thisScale * trial[i] + thisMin - x[xAt + i];
                    error += weights[i] * (diff * diff);
                }
                if (error < bestError) {
                    System.arraycopy(trial, 0, levels, lAt, n);
                    bestError = error;
                    scale = thisScale;
                    min = thisMin;
                }
            }
        }
        theMin[0] = -min;
        return scale;
    }

    /** make_qx_quants with rmse_type 1 and no importance weights (w = x²): levels in [0, 2·nmax). */
    private static float makeQxQuants(int n, int nmax, float[] x, int xAt, int[] levels, int lAt) {
        float max = 0;
        float amax = 0;
        for (int i = 0; i < n; i++) {
            float ax = Math.abs(x[xAt + i]);
            if (ax > amax) {
                amax = ax;
                max = x[xAt + i];
            }
        }
        if (amax < GROUP_MAX_EPS) {
            for (int i = 0; i < n; i++) {
                levels[lAt + i] = 0;
            }
            return 0.f;
        }
        float iscale = -nmax / max;
        float sumLX = 0;
        float sumL2 = 0;
        for (int i = 0; i < n; i++) {
            int l = Math.max(-nmax, Math.min(nmax - 1, KernelMath.nearestInt(iscale * x[xAt + i])));
            levels[lAt + i] = l + nmax;
            float w = x[xAt + i] * x[xAt + i];
            sumLX += w * x[xAt + i] * l;
            sumL2 += w * l * l;
        }
        float scale = sumL2 != 0 ? sumLX / sumL2 : 0.0f;
        float best = scale * sumLX;
        for (int is = -9; is <= 9; is++) {
            if (is == 0) {
                continue;
            }
            iscale = -(nmax + 0.1f * is) / max;
            sumLX = 0;
            sumL2 = 0;
            for (int i = 0; i < n; i++) {
                int l = Math.max(-nmax, Math.min(nmax - 1, KernelMath.nearestInt(iscale * x[xAt + i])));
                float w = x[xAt + i] * x[xAt + i];
                sumLX += w * x[xAt + i] * l;
                sumL2 += w * l * l;
            }
            if (sumL2 > 0 && sumLX * sumLX > best * sumL2) {
                for (int i = 0; i < n; i++) {
                    int l = KernelMath.nearestInt(iscale * x[xAt + i]);
                    levels[lAt + i] = nmax + Math.max(-nmax, Math.min(nmax - 1, l));
                }
                scale = sumLX / sumL2;
                best = scale * sumLX;
            }
        }
        return scale;
    }
}
