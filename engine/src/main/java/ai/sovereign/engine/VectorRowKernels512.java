package ai.sovereign.engine;

import java.lang.foreign.MemorySegment;
import java.nio.ByteOrder;
import jdk.incubator.vector.ByteVector;
import jdk.incubator.vector.DoubleVector;
import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.IntVector;
import jdk.incubator.vector.ShortVector;
import jdk.incubator.vector.VectorMask;
import jdk.incubator.vector.VectorOperators;
import jdk.incubator.vector.VectorShape;
import jdk.incubator.vector.VectorSpecies;

// GENERATED from engine/src/template/VectorRowKernels.java.template by scripts/generate-vector-kernels.
// Do not edit; edit the template and regenerate (VectorKernelSourcesTest fails when they drift).

/**
 * Vector API row kernels, {@value #BITS}-bit vectors. They agree with the scalar reference kernels
 * ({@link FloatRowKernels}, {@link BlockRowKernels}, {@link KQuantRowKernels}):
 *
 * <p><b>Design.</b> The Vector API only compiles to SIMD code when every species is a compile-time
 * constant, so the species live in {@code static final} fields of this class and one class exists per
 * vector width (128, 256, 512), generated from a single template that differs only in {@link #BITS}.
 * Branches on {@code BITS}/lane counts fold away in C2.
 *
 * <p><b>Integer dots (Q4_0 … Q6_K).</b> Quants and int8 activations are widened to shorts
 * (B2S / ZERO_EXTEND_B2S), multiplied with 16-bit lane products (every single product fits: |q·a| ≤
 * 128·128), and split into sign-extended int lanes by reinterpreting pairs of shorts as ints and
 * shifting ({@code x<<16>>16}: even elements, {@code x>>16}: odd elements). Integer sums are exact.
 * <ul>
 *   <li>32-element block types reduce each block's int vector to the scalar {@code sumi} and then apply
 *       exactly the reference's float expression in block order: <b>bit-identical</b> to the scalar kernel.
 *       The 4/5-bit types work on at most 256-bit short vectors (16 nibble bytes per block).</li>
 *   <li>K types keep ggml's structure of 8 integer lanes (element index mod 8): even/odd int lanes
 *       are folded to 128-bit vectors whose lane r holds residue 2r (even) or 2r+1 (odd), then the
 *       per-super-block float step {@code sum_k += d·lane_k} runs lane-wise on two 4-lane float vectors
 *       and the 8 sums are added in lane order at the end: <b>bit-identical</b>. At 256/512 bits the
 *       K types' {@code dot} instead runs on float lanes holding exact integers (floatDotQ45K,
 *       floatDotQ6K: quant·scale decoded once to floats, FMA with the input quants as floats, every
 *       sum below 2^24), folded per block to the same 8 residue lanes: also bit-identical, ~1.8x faster.</li>
 *   <li>At 256/512 bits the 32-element block types' {@code dot} also runs on exact float lanes
 *       (floatDotQ8_0, floatDotQ4_0, …: weights decoded to floats, FMA with the input quants as floats, the block's
 *       lanes folded to its exact sumi, then the reference's float term): bit-identical.</li>
 *   <li>Batched products ({@link RowKernel#dotRows}) of the K and 32-element block types use 4-input tiles on the same
 *       exact float scheme; see "batched dots" below.</li>
 * </ul>
 * <b>Float dots (F32, F16, BF16).</b> Products are rounded to float exactly as in the reference, then
 * accumulated in double vectors (F2D); only the order of the double additions differs, so results
 * equal the reference except in rare last-bit cases (bound: 1 float ulp of the result plus 2^-45·Σ|w·a|).
 * fp16 is decoded with integer ops (normal, subnormal, inf/NaN), exactly like {@link Float#float16ToFloat}.
 *
 * <p><b>Dequantization</b> uses the same lane-wise float expressions as the reference (no FMA
 * contraction), so it is bit-identical.
 */
enum VectorRowKernels512 implements RowKernel {
    F32(GgmlType.F32, PreparedActivations.Format.F32) {
        @Override
        public float dot(MemorySegment w, long row, PreparedActivations x, int n) {
            return dotFloat(w, row, x, n, FLOAT_WEIGHTS);
        }

        @Override
        public void dequantize(MemorySegment w, long offset, float[] out, int outOffset, int n) {
            dequantizeFloat(w, offset, out, outOffset, n, FLOAT_WEIGHTS);
        }
    },
    F16(GgmlType.F16, PreparedActivations.Format.F32) {
        @Override
        public float dot(MemorySegment w, long row, PreparedActivations x, int n) {
            return dotFloat(w, row, x, n, HALF_WEIGHTS);
        }

        @Override
        public void dequantize(MemorySegment w, long offset, float[] out, int outOffset, int n) {
            dequantizeFloat(w, offset, out, outOffset, n, HALF_WEIGHTS);
        }
    },
    BF16(GgmlType.BF16, PreparedActivations.Format.BF16) {
        @Override
        public float dot(MemorySegment w, long row, PreparedActivations x, int n) {
            return dotFloat(w, row, x, n, BF16_WEIGHTS);
        }

        @Override
        public void dequantize(MemorySegment w, long offset, float[] out, int outOffset, int n) {
            dequantizeFloat(w, offset, out, outOffset, n, BF16_WEIGHTS);
        }
    },
    Q4_0(GgmlType.Q4_0, PreparedActivations.Format.Q8_0) {
        @Override
        public float dot(MemorySegment w, long row, PreparedActivations x, int n) {
            if (L >= 8) {
                return floatDotQ4_0(w, row, x, n);
            }
            int blocks = KernelMath.blocks(GgmlType.Q4_0, n);
            x.require(PreparedActivations.Format.Q8_0, n);
            float sum = 0f;
            for (int b = 0; b < blocks; b++) {
                long block = row + (long) b * 18;
                int sumi = nibbleBlockDot(w, block + 2, x.qs, b * 32, 0, false, 8);
                sum += sumi * half(w, block) * x.d[b];
            }
            return sum;
        }

        @Override
        public void dequantize(MemorySegment w, long offset, float[] out, int outOffset, int n) {
            int blocks = KernelMath.blocks(GgmlType.Q4_0, n);
            KernelMath.checkOutput(out, outOffset, n);
            for (int b = 0; b < blocks; b++) {
                long block = offset + (long) b * 18;
                nibbleBlockDequantize(w, block + 2, 0, false, 8, half(w, block), 0f, false, out, outOffset + b * 32);
            }
        }
    },
    Q4_1(GgmlType.Q4_1, PreparedActivations.Format.Q8_1) {
        @Override
        public float dot(MemorySegment w, long row, PreparedActivations x, int n) {
            if (L >= 8) {
                return floatDotAffine(w, row, x, n, false);
            }
            int blocks = KernelMath.blocks(GgmlType.Q4_1, n);
            x.require(PreparedActivations.Format.Q8_1, n);
            float sum = 0f;
            for (int b = 0; b < blocks; b++) {
                long block = row + (long) b * 20;
                int sumi = nibbleBlockDot(w, block + 4, x.qs, b * 32, 0, false, 0);
                sum += (half(w, block) * x.d[b]) * sumi + half(w, block + 2) * x.s[b];
            }
            return sum;
        }

        @Override
        public void dequantize(MemorySegment w, long offset, float[] out, int outOffset, int n) {
            int blocks = KernelMath.blocks(GgmlType.Q4_1, n);
            KernelMath.checkOutput(out, outOffset, n);
            for (int b = 0; b < blocks; b++) {
                long block = offset + (long) b * 20;
                nibbleBlockDequantize(w, block + 4, 0, false, 0, half(w, block), half(w, block + 2), true,
                        out, outOffset + b * 32);
            }
        }
    },
    Q5_0(GgmlType.Q5_0, PreparedActivations.Format.Q8_0) {
        @Override
        public float dot(MemorySegment w, long row, PreparedActivations x, int n) {
            if (L >= 8) {
                return floatDotQ5_0(w, row, x, n);
            }
            int blocks = KernelMath.blocks(GgmlType.Q5_0, n);
            x.require(PreparedActivations.Format.Q8_0, n);
            float sum = 0f;
            for (int b = 0; b < blocks; b++) {
                long block = row + (long) b * 22;
                int qh = w.get(KernelMath.INT_LE, block + 2);
                int sumi = nibbleBlockDot(w, block + 6, x.qs, b * 32, qh, true, 16);
                sum += (half(w, block) * x.d[b]) * sumi;
            }
            return sum;
        }

        @Override
        public void dequantize(MemorySegment w, long offset, float[] out, int outOffset, int n) {
            int blocks = KernelMath.blocks(GgmlType.Q5_0, n);
            KernelMath.checkOutput(out, outOffset, n);
            for (int b = 0; b < blocks; b++) {
                long block = offset + (long) b * 22;
                int qh = w.get(KernelMath.INT_LE, block + 2);
                nibbleBlockDequantize(w, block + 6, qh, true, 16, half(w, block), 0f, false, out, outOffset + b * 32);
            }
        }
    },
    Q5_1(GgmlType.Q5_1, PreparedActivations.Format.Q8_1) {
        @Override
        public float dot(MemorySegment w, long row, PreparedActivations x, int n) {
            if (L >= 8) {
                return floatDotAffine(w, row, x, n, true);
            }
            int blocks = KernelMath.blocks(GgmlType.Q5_1, n);
            x.require(PreparedActivations.Format.Q8_1, n);
            float sum = 0f;
            for (int b = 0; b < blocks; b++) {
                long block = row + (long) b * 24;
                int qh = w.get(KernelMath.INT_LE, block + 4);
                int sumi = nibbleBlockDot(w, block + 8, x.qs, b * 32, qh, true, 0);
                sum += (half(w, block) * x.d[b]) * sumi + half(w, block + 2) * x.s[b];
            }
            return sum;
        }

        @Override
        public void dequantize(MemorySegment w, long offset, float[] out, int outOffset, int n) {
            int blocks = KernelMath.blocks(GgmlType.Q5_1, n);
            KernelMath.checkOutput(out, outOffset, n);
            for (int b = 0; b < blocks; b++) {
                long block = offset + (long) b * 24;
                int qh = w.get(KernelMath.INT_LE, block + 4);
                nibbleBlockDequantize(w, block + 8, qh, true, 0, half(w, block), half(w, block + 2), true,
                        out, outOffset + b * 32);
            }
        }
    },
    Q8_0(GgmlType.Q8_0, PreparedActivations.Format.Q8_0) {
        @Override
        public float dot(MemorySegment w, long row, PreparedActivations x, int n) {
            if (L >= 8) {
                return floatDotQ8_0(w, row, x, n);
            }
            int blocks = KernelMath.blocks(GgmlType.Q8_0, n);
            x.require(PreparedActivations.Format.Q8_0, n);
            byte[] qs = x.qs;
            float sum = 0f;
            for (int b = 0; b < blocks; b++) {
                long block = row + (long) b * 34;
                IntVector acc = IntVector.zero(I);
                for (int j = 0; j < 32; j += SL) {
                    ShortVector q = (ShortVector) ByteVector.fromMemorySegment(B_FOR_S, w, block + 2 + j, LE)
                            .convertShape(VectorOperators.B2S, S, 0);
                    ShortVector a = (ShortVector) ByteVector.fromArray(B_FOR_S, qs, b * 32 + j)
                            .convertShape(VectorOperators.B2S, S, 0);
                    ShortVector p = q.mul(a);
                    acc = acc.add(evenLanes(p)).add(oddLanes(p));
                }
                int sumi = acc.reduceLanes(VectorOperators.ADD);
                sum += sumi * (half(w, block) * x.d[b]);
            }
            return sum;
        }

        @Override
        public void dequantize(MemorySegment w, long offset, float[] out, int outOffset, int n) {
            int blocks = KernelMath.blocks(GgmlType.Q8_0, n);
            KernelMath.checkOutput(out, outOffset, n);
            for (int b = 0; b < blocks; b++) {
                long block = offset + (long) b * 34;
                float d = half(w, block);
                for (int j = 0; j < 32; j += SL) {
                    ShortVector q = (ShortVector) ByteVector.fromMemorySegment(B_FOR_S, w, block + 2 + j, LE)
                            .convertShape(VectorOperators.B2S, S, 0);
                    storeScaled(q, S, d, out, outOffset + b * 32 + j);
                }
            }
        }
    },
    Q4_K(GgmlType.Q4_K, PreparedActivations.Format.Q8_K) {
        @Override
        public float dot(MemorySegment w, long row, PreparedActivations x, int n) {
            return L >= 8 ? floatDotQ45K(w, row, x, n, false) : dotQ45K(w, row, x, n, false);
        }

        @Override
        public void dequantize(MemorySegment w, long offset, float[] out, int outOffset, int n) {
            dequantizeQ45K(w, offset, out, outOffset, n, false);
        }
    },
    Q5_K(GgmlType.Q5_K, PreparedActivations.Format.Q8_K) {
        @Override
        public float dot(MemorySegment w, long row, PreparedActivations x, int n) {
            return L >= 8 ? floatDotQ45K(w, row, x, n, true) : dotQ45K(w, row, x, n, true);
        }

        @Override
        public void dequantize(MemorySegment w, long offset, float[] out, int outOffset, int n) {
            dequantizeQ45K(w, offset, out, outOffset, n, true);
        }
    },
    Q6_K(GgmlType.Q6_K, PreparedActivations.Format.Q8_K) {
        @Override
        public float dot(MemorySegment w, long row, PreparedActivations x, int n) {
            return L >= 8 ? floatDotQ6K(w, row, x, n) : dotQ6K(w, row, x, n);
        }

        @Override
        public void dequantize(MemorySegment w, long offset, float[] out, int outOffset, int n) {
            dequantizeQ6K(w, offset, out, outOffset, n);
        }
    };

    /** The vector width in bits this class is specialised for (the only line differing between the generated classes). */
    static final int BITS = 512;

    static final ByteOrder LE = ByteOrder.LITTLE_ENDIAN;
    static final VectorShape SHAPE = VectorShape.forBitSize(BITS);
    static final VectorShape HALF_SHAPE = VectorShape.forBitSize(BITS / 2);
    static final VectorSpecies<Float> F = VectorSpecies.of(float.class, SHAPE);
    static final VectorSpecies<Double> D = VectorSpecies.of(double.class, SHAPE);
    static final VectorSpecies<Integer> I = VectorSpecies.of(int.class, SHAPE);
    static final VectorSpecies<Short> S = VectorSpecies.of(short.class, SHAPE);
    /** Int (and float) lanes per vector: 4, 8 or 16. */
    static final int L = I.length();
    /** Short lanes per vector: 8, 16 or 32. */
    static final int SL = S.length();
    /** SL bytes, widened to one short vector. */
    static final VectorSpecies<Byte> B_FOR_S = VectorSpecies.of(byte.class, HALF_SHAPE);
    /** L shorts (fp16/bf16 weights), widened to one int vector. */
    static final VectorSpecies<Short> S_FOR_I = VectorSpecies.of(short.class, HALF_SHAPE);

    /** 32-element block types hold 16 nibble bytes per block: short vectors of at most 16 lanes. */
    static final VectorShape NIBBLE_SHAPE = VectorShape.forBitSize(Math.min(BITS, 256));
    static final VectorSpecies<Short> SN = VectorSpecies.of(short.class, NIBBLE_SHAPE);
    static final VectorSpecies<Integer> IN = VectorSpecies.of(int.class, NIBBLE_SHAPE);
    static final VectorSpecies<Byte> BN = VectorSpecies.of(byte.class, VectorShape.forBitSize(Math.min(BITS, 256) / 2));
    static final int SNL = SN.length();

    /** 1 << lane, for testing the fifth bits of Q5_0/Q5_1 (short lanes, then SNL-lane windows). */
    private static final short[] LANE_BITS = {
        1, 2, 4, 8, 16, 32, 64, 128, 256, 512, 1024, 2048, 4096, 8192, 16384, (short) 32768
    };

    private final GgmlType type;
    private final PreparedActivations.Format format;

    VectorRowKernels512(GgmlType type, PreparedActivations.Format format) {
        this.type = type;
        this.format = format;
    }

    @Override
    public GgmlType type() {
        return type;
    }

    @Override
    public PreparedActivations.Format activationFormat() {
        return format;
    }

    @Override
    public String toString() {
        return name() + "/vector" + BITS;
    }

    static float half(MemorySegment w, long address) {
        return KernelMath.fromHalf(w.get(KernelMath.SHORT_LE, address));
    }

    /** Sign-extended int lanes of the even-indexed shorts of p (int lane m ← short 2m). */
    static IntVector evenLanes(ShortVector p) {
        return p.reinterpretAsInts().lanewise(VectorOperators.LSHL, 16).lanewise(VectorOperators.ASHR, 16);
    }

    /** Sign-extended int lanes of the odd-indexed shorts of p (int lane m ← short 2m+1). */
    static IntVector oddLanes(ShortVector p) {
        return p.reinterpretAsInts().lanewise(VectorOperators.ASHR, 16);
    }

    // ---------------------------------------------------------------- float types

    private static final int FLOAT_WEIGHTS = 0;
    private static final int HALF_WEIGHTS = 1;
    private static final int BF16_WEIGHTS = 2;

    /** L weights at {@code address} as floats; {@code kind} is a constant at every call site. */
    private static FloatVector floatWeights(MemorySegment w, long address, int kind) {
        if (kind == FLOAT_WEIGHTS) {
            return FloatVector.fromMemorySegment(F, w, address, LE);
        }
        IntVector bits = (IntVector) ShortVector.fromMemorySegment(S_FOR_I, w, address, LE)
                .convertShape(VectorOperators.ZERO_EXTEND_S2I, I, 0);
        if (kind == BF16_WEIGHTS) {
            return bits.lanewise(VectorOperators.LSHL, 16).reinterpretAsFloats();
        }
        return halfToFloat(bits);
    }

    /** fp16 bits (0..0xFFFF per lane) to float, exactly as {@link Float#float16ToFloat}. */
    static FloatVector halfToFloat(IntVector h) {
        IntVector sign = h.and(0x8000).lanewise(VectorOperators.LSHL, 16);
        IntVector magnitude = h.and(0x7FFF);
        IntVector exponent = h.and(0x7C00);
        // normal: rebias the exponent by 127 - 15 = 112; inf/NaN: rebias once more to reach 255
        IntVector normal = magnitude.lanewise(VectorOperators.LSHL, 13).add(112 << 23);
        normal = normal.lanewise(VectorOperators.ADD, 112 << 23, exponent.eq(0x7C00));
        // zero and subnormal: magnitude · 2^-24, exact in float
        IntVector small = ((FloatVector) magnitude.convert(VectorOperators.I2F, 0)).mul(0x1p-24f).reinterpretAsInts();
        IntVector bits = normal.blend(small, exponent.eq(0));
        return bits.or(sign).reinterpretAsFloats();
    }

    private static float scalarWeight(MemorySegment w, long address, int kind) {
        return switch (kind) {
            case FLOAT_WEIGHTS -> w.get(KernelMath.FLOAT_LE, address);
            case HALF_WEIGHTS -> half(w, address);
            default -> KernelMath.fromBf16(w.get(KernelMath.SHORT_LE, address));
        };
    }

    private static float dotFloat(MemorySegment w, long row, PreparedActivations x, int n, int kind) {
        PreparedActivations.Format format = kind == BF16_WEIGHTS ? PreparedActivations.Format.BF16 : PreparedActivations.Format.F32;
        x.require(format, n);
        int width = kind == FLOAT_WEIGHTS ? 4 : 2;
        float[] values = x.values;
        DoubleVector acc0 = DoubleVector.zero(D);
        DoubleVector acc1 = DoubleVector.zero(D);
        DoubleVector acc2 = DoubleVector.zero(D);
        DoubleVector acc3 = DoubleVector.zero(D);
        int i = 0;
        for (; i <= n - 2 * L; i += 2 * L) {
            FloatVector p = floatWeights(w, row + (long) i * width, kind).mul(FloatVector.fromArray(F, values, i));
            FloatVector r = floatWeights(w, row + (long) (i + L) * width, kind).mul(FloatVector.fromArray(F, values, i + L));
            acc0 = acc0.add((DoubleVector) p.convertShape(VectorOperators.F2D, D, 0));
            acc1 = acc1.add((DoubleVector) p.convertShape(VectorOperators.F2D, D, 1));
            acc2 = acc2.add((DoubleVector) r.convertShape(VectorOperators.F2D, D, 0));
            acc3 = acc3.add((DoubleVector) r.convertShape(VectorOperators.F2D, D, 1));
        }
        for (; i <= n - L; i += L) {
            FloatVector p = floatWeights(w, row + (long) i * width, kind).mul(FloatVector.fromArray(F, values, i));
            acc0 = acc0.add((DoubleVector) p.convertShape(VectorOperators.F2D, D, 0));
            acc1 = acc1.add((DoubleVector) p.convertShape(VectorOperators.F2D, D, 1));
        }
        double sum = acc0.add(acc1).add(acc2.add(acc3)).reduceLanes(VectorOperators.ADD);
        for (; i < n; i++) {
            sum += scalarWeight(w, row + (long) i * width, kind) * values[i];
        }
        return (float) sum;
    }

    private static void dequantizeFloat(MemorySegment w, long offset, float[] out, int outOffset, int n, int kind) {
        KernelMath.checkOutput(out, outOffset, n);
        int width = kind == FLOAT_WEIGHTS ? 4 : 2;
        int i = 0;
        for (; i <= n - L; i += L) {
            floatWeights(w, offset + (long) i * width, kind).intoArray(out, outOffset + i);
        }
        for (; i < n; i++) {
            out[outOffset + i] = scalarWeight(w, offset + (long) i * width, kind);
        }
    }

    // ---------------------------------------------------------------- 32-element block types

    /**
     * The 32 quants of a Q4_0/Q4_1/Q5_0/Q5_1 block as two short vectors per SNL-lane window: element
     * j (low nibble of byte j, plus bit j of qh for 5-bit types) and element j+16 (high nibble, bit
     * j+16), minus {@code bias}. Returns Σ q·a over the block, exact.
     */
    private static int nibbleBlockDot(MemorySegment w, long qsAddress, byte[] qs, int a, int qh, boolean fiveBit, int bias) {
        IntVector acc = IntVector.zero(IN);
        for (int j = 0; j < 16; j += SNL) {
            ShortVector packed = (ShortVector) ByteVector.fromMemorySegment(BN, w, qsAddress + j, LE)
                    .convertShape(VectorOperators.ZERO_EXTEND_B2S, SN, 0);
            ShortVector low = packed.and((short) 0x0F);
            ShortVector high = packed.lanewise(VectorOperators.LSHR, 4);
            if (fiveBit) {
                ShortVector laneBits = ShortVector.fromArray(SN, LANE_BITS, j);
                VectorMask<Short> lowTop = ShortVector.broadcast(SN, (short) qh).and(laneBits).compare(VectorOperators.NE, 0);
                VectorMask<Short> highTop = ShortVector.broadcast(SN, (short) (qh >>> 16)).and(laneBits).compare(VectorOperators.NE, 0);
                low = low.lanewise(VectorOperators.OR, (short) 16, lowTop);
                high = high.lanewise(VectorOperators.OR, (short) 16, highTop);
            }
            if (bias != 0) {
                low = low.sub((short) bias);
                high = high.sub((short) bias);
            }
            ShortVector aLow = (ShortVector) ByteVector.fromArray(BN, qs, a + j).convertShape(VectorOperators.B2S, SN, 0);
            ShortVector aHigh = (ShortVector) ByteVector.fromArray(BN, qs, a + 16 + j).convertShape(VectorOperators.B2S, SN, 0);
            // |low·aLow + high·aHigh| ≤ 2·31·128 fits a short
            ShortVector p = low.mul(aLow).add(high.mul(aHigh));
            acc = acc.add(evenLanes(p)).add(oddLanes(p));
        }
        return acc.reduceLanes(VectorOperators.ADD);
    }

    private static void nibbleBlockDequantize(MemorySegment w, long qsAddress, int qh, boolean fiveBit, int bias,
            float d, float m, boolean affine, float[] out, int at) {
        for (int j = 0; j < 16; j += SNL) {
            ShortVector packed = (ShortVector) ByteVector.fromMemorySegment(BN, w, qsAddress + j, LE)
                    .convertShape(VectorOperators.ZERO_EXTEND_B2S, SN, 0);
            ShortVector low = packed.and((short) 0x0F);
            ShortVector high = packed.lanewise(VectorOperators.LSHR, 4);
            if (fiveBit) {
                ShortVector laneBits = ShortVector.fromArray(SN, LANE_BITS, j);
                VectorMask<Short> lowTop = ShortVector.broadcast(SN, (short) qh).and(laneBits).compare(VectorOperators.NE, 0);
                VectorMask<Short> highTop = ShortVector.broadcast(SN, (short) (qh >>> 16)).and(laneBits).compare(VectorOperators.NE, 0);
                low = low.lanewise(VectorOperators.OR, (short) 16, lowTop);
                high = high.lanewise(VectorOperators.OR, (short) 16, highTop);
            }
            if (bias != 0) {
                low = low.sub((short) bias);
                high = high.sub((short) bias);
            }
            if (affine) {
                storeAffine(low, SN, d, m, out, at + j);
                storeAffine(high, SN, d, m, out, at + 16 + j);
            } else {
                storeScaled(low, SN, d, out, at + j);
                storeScaled(high, SN, d, out, at + 16 + j);
            }
        }
    }

    /** out[at …] = float(q) · d, lane by lane, for the short vector q of species {@code species}. */
    private static void storeScaled(ShortVector q, VectorSpecies<Short> species, float d, float[] out, int at) {
        for (int part = 0; part < species.length() / L; part++) {
            ((FloatVector) q.convertShape(VectorOperators.S2F, F, part)).mul(d).intoArray(out, at + part * L);
        }
    }

    /** out[at …] = float(q) · d + m, lane by lane (a multiply, then an add: never fused). */
    private static void storeAffine(ShortVector q, VectorSpecies<Short> species, float d, float m, float[] out, int at) {
        for (int part = 0; part < species.length() / L; part++) {
            ((FloatVector) q.convertShape(VectorOperators.S2F, F, part)).mul(d).add(m).intoArray(out, at + part * L);
        }
    }

    // ---------------------------------------------------------------- K types

    /** 128-bit int vector whose lane r is the sum of v's lanes m ≡ r (mod 4). */
    private static IntVector foldToFour(IntVector v) {
        if (L == 4) {
            return v;
        }
        IntVector folded = (IntVector) v.reinterpretShape(IntVector.SPECIES_128, 0);
        for (int part = 1; part < L / 4; part++) {
            folded = folded.add((IntVector) v.reinterpretShape(IntVector.SPECIES_128, part));
        }
        return folded;
    }

    /** The reference's final step: start from {@code sum}, add the 8 lane sums in lane order (even lane r is 2r). */
    private static float addLaneSums(float sum, FloatVector even, FloatVector odd) {
        for (int r = 0; r < 4; r++) {
            sum += even.lane(r);
            sum += odd.lane(r);
        }
        return sum;
    }

    static final java.lang.foreign.ValueLayout.OfLong LONG_LE =
            java.lang.foreign.ValueLayout.JAVA_LONG_UNALIGNED.withOrder(LE);

    /** Byte k (0..11) of a Q4_K/Q5_K scales field read as a long (bytes 0..7) and an int (8..11). */
    private static int scaleByte(long low, int high, int k) {
        return k < 8 ? (int) (low >>> (8 * k)) & 0xFF : (high >>> (8 * (k - 8))) & 0xFF;
    }

    /** get_scale_min_k4's scale of sub-block j, from the packed field. */
    private static int kScale(long low, int high, int j) {
        return j < 4 ? scaleByte(low, high, j) & 63
                : (scaleByte(low, high, j + 4) & 0x0F) | ((scaleByte(low, high, j - 4) >>> 6) << 4);
    }

    /** get_scale_min_k4's min of sub-block j, from the packed field. */
    private static int kMin(long low, int high, int j) {
        return j < 4 ? scaleByte(low, high, j + 4) & 63
                : (scaleByte(low, high, j + 4) >>> 4) | ((scaleByte(low, high, j) >>> 6) << 4);
    }

    private static int sixBits(long packed, int j) {
        return (int) (packed >>> (6 * j)) & 63;
    }

    private static float dotQ45K(MemorySegment w, long row, PreparedActivations x, int n, boolean fiveBit) {
        GgmlType type = fiveBit ? GgmlType.Q5_K : GgmlType.Q4_K;
        int blocks = KernelMath.blocks(type, n);
        x.require(PreparedActivations.Format.Q8_K, n);
        int blockBytes = fiveBit ? 176 : 144;
        int qsOffset = fiveBit ? 48 : 16;
        byte[] qs = x.qs;
        float sum = 0f;
        FloatVector laneSumsEven = FloatVector.zero(FloatVector.SPECIES_128);
        FloatVector laneSumsOdd = FloatVector.zero(FloatVector.SPECIES_128);
        for (int b = 0; b < blocks; b++) {
            long block = row + (long) b * blockBytes;
            long packedLow = w.get(LONG_LE, block + 4);
            int packedHigh = w.get(KernelMath.INT_LE, block + 12);
            // Σ_j bsums[j]·min(j/2), regrouped per sub-block (exact integers)
            short[] bsums = x.bsums;
            int minSum = 0;
            for (int sub = 0; sub < 8; sub++) {
                minSum += (bsums[b * 16 + 2 * sub] + bsums[b * 16 + 2 * sub + 1]) * kMin(packedLow, packedHigh, sub);
            }
            int q8 = b * 256;
            IntVector even = IntVector.zero(I);
            IntVector odd = IntVector.zero(I);
            for (int chunk = 0; chunk < 4; chunk++) {
                int lowScale = kScale(packedLow, packedHigh, 2 * chunk);
                int highScale = kScale(packedLow, packedHigh, 2 * chunk + 1);
                for (int j = 0; j < 32; j += SL) {
                    ShortVector packed = (ShortVector) ByteVector.fromMemorySegment(B_FOR_S, w, block + qsOffset + 32 * chunk + j, LE)
                            .convertShape(VectorOperators.ZERO_EXTEND_B2S, S, 0);
                    ShortVector low = packed.and((short) 0x0F);
                    ShortVector high = packed.lanewise(VectorOperators.LSHR, 4);
                    if (fiveBit) {
                        ShortVector qh = (ShortVector) ByteVector.fromMemorySegment(B_FOR_S, w, block + 16 + j, LE)
                                .convertShape(VectorOperators.ZERO_EXTEND_B2S, S, 0);
                        low = low.or(qh.lanewise(VectorOperators.LSHR, 2 * chunk).and((short) 1).lanewise(VectorOperators.LSHL, 4));
                        high = high.or(qh.lanewise(VectorOperators.LSHR, 2 * chunk + 1).and((short) 1).lanewise(VectorOperators.LSHL, 4));
                    }
                    ShortVector aLow = (ShortVector) ByteVector.fromArray(B_FOR_S, qs, q8 + 64 * chunk + j)
                            .convertShape(VectorOperators.B2S, S, 0);
                    ShortVector aHigh = (ShortVector) ByteVector.fromArray(B_FOR_S, qs, q8 + 64 * chunk + 32 + j)
                            .convertShape(VectorOperators.B2S, S, 0);
                    ShortVector pLow = low.mul(aLow);
                    ShortVector pHigh = high.mul(aHigh);
                    even = even.add(evenLanes(pLow).mul(lowScale)).add(evenLanes(pHigh).mul(highScale));
                    odd = odd.add(oddLanes(pLow).mul(lowScale)).add(oddLanes(pHigh).mul(highScale));
                }
            }
            float d = half(w, block) * x.d[b];
            laneSumsEven = laneSumsEven.add(((FloatVector) foldToFour(even).convert(VectorOperators.I2F, 0)).mul(d));
            laneSumsOdd = laneSumsOdd.add(((FloatVector) foldToFour(odd).convert(VectorOperators.I2F, 0)).mul(d));
            float dmin = half(w, block + 2) * x.d[b];
            sum -= dmin * minSum;
        }
        return addLaneSums(sum, laneSumsEven, laneSumsOdd);
    }

    private static void dequantizeQ45K(MemorySegment w, long offset, float[] out, int outOffset, int n, boolean fiveBit) {
        GgmlType type = fiveBit ? GgmlType.Q5_K : GgmlType.Q4_K;
        int blocks = KernelMath.blocks(type, n);
        KernelMath.checkOutput(out, outOffset, n);
        int blockBytes = fiveBit ? 176 : 144;
        int qsOffset = fiveBit ? 48 : 16;
        for (int b = 0; b < blocks; b++) {
            long block = offset + (long) b * blockBytes;
            float d = half(w, block);
            float min = half(w, block + 2);
            long scales = KQuantRowKernels.scalesOf(w, block);
            long mins = KQuantRowKernels.minsOf(w, block);
            int at = outOffset + b * 256;
            for (int chunk = 0; chunk < 4; chunk++) {
                float lowScaled = d * sixBits(scales, 2 * chunk);
                float lowOffset = min * sixBits(mins, 2 * chunk);
                float highScaled = d * sixBits(scales, 2 * chunk + 1);
                float highOffset = min * sixBits(mins, 2 * chunk + 1);
                for (int j = 0; j < 32; j += SL) {
                    ShortVector packed = (ShortVector) ByteVector.fromMemorySegment(B_FOR_S, w, block + qsOffset + 32 * chunk + j, LE)
                            .convertShape(VectorOperators.ZERO_EXTEND_B2S, S, 0);
                    ShortVector low = packed.and((short) 0x0F);
                    ShortVector high = packed.lanewise(VectorOperators.LSHR, 4);
                    if (fiveBit) {
                        ShortVector qh = (ShortVector) ByteVector.fromMemorySegment(B_FOR_S, w, block + 16 + j, LE)
                                .convertShape(VectorOperators.ZERO_EXTEND_B2S, S, 0);
                        low = low.or(qh.lanewise(VectorOperators.LSHR, 2 * chunk).and((short) 1).lanewise(VectorOperators.LSHL, 4));
                        high = high.or(qh.lanewise(VectorOperators.LSHR, 2 * chunk + 1).and((short) 1).lanewise(VectorOperators.LSHL, 4));
                    }
                    // x − offset ≡ x + (−offset) in IEEE arithmetic
                    storeAffine(low, S, lowScaled, -lowOffset, out, at + 64 * chunk + j);
                    storeAffine(high, S, highScaled, -highOffset, out, at + 64 * chunk + 32 + j);
                }
            }
        }
    }

    /**
     * Q6_K quants of quarter {@code quarter} (0..3) of half {@code half}, elements l = j … j+SL−1:
     * the low or high nibble of ql[64·half + l (+32 for odd quarters)] with bits 2·quarter of
     * qh[32·half + l] above them, minus 32.
     */
    private static ShortVector q6Quants(MemorySegment w, long block, int half, int quarter, int j) {
        ShortVector ql = (ShortVector) ByteVector.fromMemorySegment(B_FOR_S, w, block + 64 * half + ((quarter & 1) << 5) + j, LE)
                .convertShape(VectorOperators.ZERO_EXTEND_B2S, S, 0);
        ShortVector qh = (ShortVector) ByteVector.fromMemorySegment(B_FOR_S, w, block + 128 + 32 * half + j, LE)
                .convertShape(VectorOperators.ZERO_EXTEND_B2S, S, 0);
        ShortVector low = quarter < 2 ? ql.and((short) 0x0F) : ql.lanewise(VectorOperators.LSHR, 4);
        ShortVector top = qh.lanewise(VectorOperators.LSHR, 2 * quarter).and((short) 3).lanewise(VectorOperators.LSHL, 4);
        return low.or(top).sub((short) 32);
    }

    /** Per-int-lane scale for a window of SL elements starting at element e (16-element scale groups). */
    private static IntVector q6Scales(MemorySegment w, long block, int e) {
        int first = w.get(java.lang.foreign.ValueLayout.JAVA_BYTE, block + 192 + (e >>> 4));
        if (SL <= 16) {
            return IntVector.broadcast(I, first);
        }
        // 32 shorts → even/odd int lanes m = 0..15 cover elements 2m, 2m+1: lanes 8..15 are the second group
        int second = w.get(java.lang.foreign.ValueLayout.JAVA_BYTE, block + 192 + (e >>> 4) + 1);
        return IntVector.broadcast(I, first).blend(second, SECOND_GROUP_LANES);
    }

    /** Int lanes 8..15, fed by the second 16-element scale group of a 32-element window (512-bit only). */
    private static final VectorMask<Integer> SECOND_GROUP_LANES = VectorMask.fromLong(I, L == 16 ? 0xFF00L : 0L);

    private static float dotQ6K(MemorySegment w, long row, PreparedActivations x, int n) {
        int blocks = KernelMath.blocks(GgmlType.Q6_K, n);
        x.require(PreparedActivations.Format.Q8_K, n);
        byte[] qs = x.qs;
        FloatVector laneSumsEven = FloatVector.zero(FloatVector.SPECIES_128);
        FloatVector laneSumsOdd = FloatVector.zero(FloatVector.SPECIES_128);
        for (int b = 0; b < blocks; b++) {
            long block = row + (long) b * 210;
            int q8 = b * 256;
            IntVector even = IntVector.zero(I);
            IntVector odd = IntVector.zero(I);
            for (int half = 0; half < 2; half++) {
                for (int quarter = 0; quarter < 4; quarter++) {
                    for (int j = 0; j < 32; j += SL) {
                        int e = 128 * half + 32 * quarter + j;
                        ShortVector q = q6Quants(w, block, half, quarter, j);
                        ShortVector a = (ShortVector) ByteVector.fromArray(B_FOR_S, qs, q8 + e)
                                .convertShape(VectorOperators.B2S, S, 0);
                        ShortVector p = q.mul(a);
                        IntVector scale = q6Scales(w, block, e);
                        even = even.add(evenLanes(p).mul(scale));
                        odd = odd.add(oddLanes(p).mul(scale));
                    }
                }
            }
            float d = half(w, block + 208) * x.d[b];
            laneSumsEven = laneSumsEven.add(((FloatVector) foldToFour(even).convert(VectorOperators.I2F, 0)).mul(d));
            laneSumsOdd = laneSumsOdd.add(((FloatVector) foldToFour(odd).convert(VectorOperators.I2F, 0)).mul(d));
        }
        return addLaneSums(0f, laneSumsEven, laneSumsOdd);
    }

    private static void dequantizeQ6K(MemorySegment w, long offset, float[] out, int outOffset, int n) {
        int blocks = KernelMath.blocks(GgmlType.Q6_K, n);
        KernelMath.checkOutput(out, outOffset, n);
        for (int b = 0; b < blocks; b++) {
            long block = offset + (long) b * 210;
            float d = half(w, block + 208);
            int at = outOffset + b * 256;
            for (int half = 0; half < 2; half++) {
                for (int quarter = 0; quarter < 4; quarter++) {
                    for (int j = 0; j < 32; j += SL) {
                        int e = 128 * half + 32 * quarter + j;
                        ShortVector q = q6Quants(w, block, half, quarter, j);
                        for (int part = 0; part < SL / L; part++) {
                            int element = e + part * L;
                            float scaled = d * w.get(java.lang.foreign.ValueLayout.JAVA_BYTE, block + 192 + (element >>> 4));
                            ((FloatVector) q.convertShape(VectorOperators.S2F, F, part)).mul(scaled).intoArray(out, at + element);
                        }
                    }
                }
            }
        }
    }

    // ---------------------------------------------------------------- batched dots (dotRows)
    //
    // Design. A batched product (prefill, batched decode) multiplies each weight row by `count`
    // inputs. The K-type tile kernels below take TILE = 4 inputs at a time: each weight chunk of 8
    // elements is loaded and decoded once into a float vector of integer values (quant·sub-block
    // scale) and multiply-added (FMA) into one float accumulator per input, against the input's int8
    // quants as floats (PreparedActivations.quantFloats). Every product and partial sum is an integer
    // below 2^24 in magnitude, so the float arithmetic is exact and lane k's sum over a super-block
    // equals dot()'s integer lane k (elements e ≡ k mod 8); the float steps after it (d·lane into 8
    // float lane sums, − dmin·minSum, lanes added in order) are written exactly as in dot(): results
    // are bit-identical. Bounds: Q6_K |q·sc·a| <= 32·128·128 = 2^19, 32 elements per lane -> <= 2^24;
    // Q4_K/Q5_K 31·63·128·32 < 2^23.
    // The 32-element block types (Q4_0 … Q8_0) are tiled the same way since their float-lane rewrite
    // (tileQ8_0, tileNibbles; see "32-element block types on exact float lanes" below); the earlier short-lane
    // integer tiles, with a full int reduction per block and input, were slower than dot().
    // Rows are walked in blocks of ROW_BLOCK so that a block's weights stay in L2 while every input
    // tile passes over them; a last tile of 1..3 inputs repeats its last input (equal results, written
    // twice). The float types, single inputs and the 128-bit class (4 float lanes cannot hold the K
    // types' 8 residue lanes; the 32-element types keep their short-lane dot there) use dot(). Vector values never cross a call that C2 might not inline
    // inside the block loops (that would box them): the tile methods stay under C2's inlining budget.

    /** Inputs per tile of the batched kernels. */
    static final int TILE = 4;
    /** Rows per block of the batched kernels. */
    static final int ROW_BLOCK = 16;

    private static final int NO_TILE = -1;
    private static final int TILE_Q4_0 = 0;
    private static final int TILE_Q4_1 = 1;
    private static final int TILE_Q5_0 = 2;
    private static final int TILE_Q5_1 = 3;
    private static final int TILE_Q8_0 = 4;
    private static final int TILE_Q4_K = 5;
    private static final int TILE_Q5_K = 6;
    private static final int TILE_Q6_K = 7;

    private static int tileKindOf(GgmlType type) {
        return switch (type) {
            case Q4_0 -> TILE_Q4_0;
            case Q4_1 -> TILE_Q4_1;
            case Q5_0 -> TILE_Q5_0;
            case Q5_1 -> TILE_Q5_1;
            case Q8_0 -> TILE_Q8_0;
            case Q4_K -> TILE_Q4_K;
            case Q5_K -> TILE_Q5_K;
            case Q6_K -> TILE_Q6_K;
            default -> NO_TILE;
        };
    }

    /**
     * The K-type tiles work on 8 float lanes (256 bits) at every width >= 256: lane k of an
     * accumulator then sums exactly the block's elements e ≡ k (mod 8), dot()'s integer lanes, with no
     * folding per block (folding 16 lanes per block and input made the tile methods exceed C2's
     * inlining budget, which boxes vectors). On CPUs that split 512-bit operations in two halves this
     * costs nothing; elsewhere it halves the peak, still far above the single dot.
     */
    static final VectorSpecies<Float> KF = FloatVector.SPECIES_256;
    static final VectorSpecies<Integer> KI = IntVector.SPECIES_256;
    static final VectorSpecies<Byte> KB = ByteVector.SPECIES_64;

    /** L bytes, widened to one int vector (only used where L >= 8). */
    static final VectorSpecies<Byte> B_FOR_I = VectorSpecies.of(byte.class, VectorShape.forBitSize(Math.max(64, BITS / 4)));

    /** The L bytes at {@code address}, zero-extended to L int lanes (L >= 8). */
    private static IntVector unsignedBytes(MemorySegment w, long address) {
        return (IntVector) ByteVector.fromMemorySegment(B_FOR_I, w, address, LE).convertShape(VectorOperators.ZERO_EXTEND_B2I, I, 0);
    }

    /** The 8 bytes at {@code address}, zero-extended to 8 int lanes. */
    private static IntVector unsignedBytes8(MemorySegment w, long address) {
        return (IntVector) ByteVector.fromMemorySegment(KB, w, address, LE).convertShape(VectorOperators.ZERO_EXTEND_B2I, KI, 0);
    }

    private static FloatVector toFloats(IntVector v) {
        return (FloatVector) v.convert(VectorOperators.I2F, 0);
    }

    /** dot()'s last step for the K types: start from {@code sum}, add the 8 lane sums in lane order. */
    private static float addResidueSums(float sum, FloatVector sums) {
        for (int k = 0; k < 8; k++) {
            sum += sums.lane(k);
        }
        return sum;
    }

    @Override
    public void dotRows(MemorySegment w, long rowOffset, long rowBytes, int rows,
            PreparedActivations[] xs, int count, int n, float[][] outs, int outRow) {
        int kind = tileKindOf(type);
        // 128-bit vectors: 4 float lanes do not hold the 8 residues of the K types; not tiled (yet)
        if (kind == NO_TILE || count < 2 || L < 8) {
            RowKernel.super.dotRows(w, rowOffset, rowBytes, rows, xs, count, n, outs, outRow);
            return;
        }
        int blocks = KernelMath.blocks(type, n);
        for (int t = 0; t < count; t++) {
            xs[t].require(format, n);
        }
        for (int r0 = 0; r0 < rows; r0 += ROW_BLOCK) {
            int r1 = Math.min(rows, r0 + ROW_BLOCK);
            for (int t = 0; t < count; t += TILE) {
                int t1 = Math.min(t + 1, count - 1);
                int t2 = Math.min(t + 2, count - 1);
                int t3 = Math.min(t + 3, count - 1);
                if (t1 == t) {
                    for (int r = r0; r < r1; r++) {
                        outs[t][outRow + r] = dot(w, rowOffset + r * rowBytes, xs[t], n);
                    }
                    continue;
                }
                PreparedActivations x0 = xs[t], x1 = xs[t1], x2 = xs[t2], x3 = xs[t3];
                float[] o0 = outs[t], o1 = outs[t1], o2 = outs[t2], o3 = outs[t3];
                for (int r = r0; r < r1; r++) {
                    long row = rowOffset + r * rowBytes;
                    int at = outRow + r;
                    switch (kind) {
                        case TILE_Q4_0 -> tileNibbles(TILE_Q4_0, w, row, blocks, x0, x1, x2, x3, o0, o1, o2, o3, at);
                        case TILE_Q4_1 -> tileNibbles(TILE_Q4_1, w, row, blocks, x0, x1, x2, x3, o0, o1, o2, o3, at);
                        case TILE_Q5_0 -> tileNibbles(TILE_Q5_0, w, row, blocks, x0, x1, x2, x3, o0, o1, o2, o3, at);
                        case TILE_Q5_1 -> tileNibbles(TILE_Q5_1, w, row, blocks, x0, x1, x2, x3, o0, o1, o2, o3, at);
                        case TILE_Q8_0 -> tileQ8_0(w, row, blocks, x0, x1, x2, x3, o0, o1, o2, o3, at);
                        case TILE_Q4_K -> tileQ45K(w, row, blocks, false, x0, x1, x2, x3, o0, o1, o2, o3, at);
                        case TILE_Q5_K -> tileQ45K(w, row, blocks, true, x0, x1, x2, x3, o0, o1, o2, o3, at);
                        default -> tileQ6K(w, row, blocks, x0, x1, x2, x3, o0, o1, o2, o3, at);
                    }
                }
            }
        }
    }

    /** Four inputs × one Q4_K/Q5_K row; see the design note above. Lane structure as dotQ45K. */
    private static void tileQ45K(MemorySegment w, long row, int blocks, boolean fiveBit,
            PreparedActivations x0, PreparedActivations x1, PreparedActivations x2, PreparedActivations x3,
            float[] o0, float[] o1, float[] o2, float[] o3, int at) {
        int blockBytes = fiveBit ? 176 : 144;
        int qsOffset = fiveBit ? 48 : 16;
        float[] a0 = x0.quantFloats, a1 = x1.quantFloats, a2 = x2.quantFloats, a3 = x3.quantFloats;
        float s0 = 0f, s1 = 0f, s2 = 0f, s3 = 0f;
        FloatVector sums0 = FloatVector.zero(KF), sums1 = sums0, sums2 = sums0, sums3 = sums0;
        for (int b = 0; b < blocks; b++) {
            long block = row + (long) b * blockBytes;
            long packedLow = w.get(LONG_LE, block + 4);
            int packedHigh = w.get(KernelMath.INT_LE, block + 12);
            int q8 = b * 256;
            FloatVector p0 = FloatVector.zero(KF), p1 = p0, p2 = p0, p3 = p0;
            FloatVector r0 = p0, r1 = p0, r2 = p0, r3 = p0;
            for (int chunk = 0; chunk < 4; chunk++) {
                float lowScale = kScale(packedLow, packedHigh, 2 * chunk);
                float highScale = kScale(packedLow, packedHigh, 2 * chunk + 1);
                for (int j = 0; j < 32; j += 8) {
                    IntVector packed = unsignedBytes8(w, block + qsOffset + 32 * chunk + j);
                    IntVector low = packed.and(0x0F);
                    IntVector high = packed.lanewise(VectorOperators.LSHR, 4);
                    if (fiveBit) {
                        IntVector qh = unsignedBytes8(w, block + 16 + j);
                        low = low.or(qh.lanewise(VectorOperators.LSHR, 2 * chunk).and(1).lanewise(VectorOperators.LSHL, 4));
                        high = high.or(qh.lanewise(VectorOperators.LSHR, 2 * chunk + 1).and(1).lanewise(VectorOperators.LSHL, 4));
                    }
                    FloatVector wl = toFloats(low).mul(lowScale);
                    FloatVector wh = toFloats(high).mul(highScale);
                    int el = q8 + 64 * chunk + j;
                    int eh = el + 32;
                    // low nibbles into p, high into r: independent chains
                    p0 = wl.fma(FloatVector.fromArray(KF, a0, el), p0);
                    p1 = wl.fma(FloatVector.fromArray(KF, a1, el), p1);
                    p2 = wl.fma(FloatVector.fromArray(KF, a2, el), p2);
                    p3 = wl.fma(FloatVector.fromArray(KF, a3, el), p3);
                    r0 = wh.fma(FloatVector.fromArray(KF, a0, eh), r0);
                    r1 = wh.fma(FloatVector.fromArray(KF, a1, eh), r1);
                    r2 = wh.fma(FloatVector.fromArray(KF, a2, eh), r2);
                    r3 = wh.fma(FloatVector.fromArray(KF, a3, eh), r3);
                }
            }
            int m0 = kMin(packedLow, packedHigh, 0), m1 = kMin(packedLow, packedHigh, 1);
            int m2 = kMin(packedLow, packedHigh, 2), m3 = kMin(packedLow, packedHigh, 3);
            int m4 = kMin(packedLow, packedHigh, 4), m5 = kMin(packedLow, packedHigh, 5);
            int m6 = kMin(packedLow, packedHigh, 6), m7 = kMin(packedLow, packedHigh, 7);
            float d = half(w, block);
            float dmin = half(w, block + 2);
            int sub = b * 8;
            float d0 = d * x0.d[b], d1 = d * x1.d[b], d2 = d * x2.d[b], d3 = d * x3.d[b];
            sums0 = sums0.add(p0.add(r0).mul(d0));
            sums1 = sums1.add(p1.add(r1).mul(d1));
            sums2 = sums2.add(p2.add(r2).mul(d2));
            sums3 = sums3.add(p3.add(r3).mul(d3));
            s0 -= (dmin * x0.d[b]) * minSum(x0.subBlockSums, sub, m0, m1, m2, m3, m4, m5, m6, m7);
            s1 -= (dmin * x1.d[b]) * minSum(x1.subBlockSums, sub, m0, m1, m2, m3, m4, m5, m6, m7);
            s2 -= (dmin * x2.d[b]) * minSum(x2.subBlockSums, sub, m0, m1, m2, m3, m4, m5, m6, m7);
            s3 -= (dmin * x3.d[b]) * minSum(x3.subBlockSums, sub, m0, m1, m2, m3, m4, m5, m6, m7);
        }
        o0[at] = addResidueSums(s0, sums0);
        o1[at] = addResidueSums(s1, sums1);
        o2[at] = addResidueSums(s2, sums2);
        o3[at] = addResidueSums(s3, sums3);
    }

    /**
     * Single-input Q4_K/Q5_K dot on float lanes (the tiles' exact-integer scheme, full vector width):
     * accumulator lane j holds element e ≡ j (mod L); per block the L lanes are folded to the 8
     * residues mod 8 (exact) and then take dot()'s float steps. Bit-identical to dotQ45K.
     */
    private static float floatDotQ45K(MemorySegment w, long row, PreparedActivations x, int n, boolean fiveBit) {
        GgmlType type = fiveBit ? GgmlType.Q5_K : GgmlType.Q4_K;
        int blocks = KernelMath.blocks(type, n);
        x.require(PreparedActivations.Format.Q8_K, n);
        int blockBytes = fiveBit ? 176 : 144;
        int qsOffset = fiveBit ? 48 : 16;
        float[] a = x.quantFloats;
        float s = 0f;
        FloatVector sums = FloatVector.zero(KF);
        for (int b = 0; b < blocks; b++) {
            long block = row + (long) b * blockBytes;
            long packedLow = w.get(LONG_LE, block + 4);
            int packedHigh = w.get(KernelMath.INT_LE, block + 12);
            int q8 = b * 256;
            FloatVector p = FloatVector.zero(F), r = p;
            for (int chunk = 0; chunk < 4; chunk++) {
                float lowScale = kScale(packedLow, packedHigh, 2 * chunk);
                float highScale = kScale(packedLow, packedHigh, 2 * chunk + 1);
                for (int j = 0; j < 32; j += L) {
                    IntVector packed = unsignedBytes(w, block + qsOffset + 32 * chunk + j);
                    IntVector low = packed.and(0x0F);
                    IntVector high = packed.lanewise(VectorOperators.LSHR, 4);
                    if (fiveBit) {
                        IntVector qh = unsignedBytes(w, block + 16 + j);
                        low = low.or(qh.lanewise(VectorOperators.LSHR, 2 * chunk).and(1).lanewise(VectorOperators.LSHL, 4));
                        high = high.or(qh.lanewise(VectorOperators.LSHR, 2 * chunk + 1).and(1).lanewise(VectorOperators.LSHL, 4));
                    }
                    int el = q8 + 64 * chunk + j;
                    p = toFloats(low).mul(lowScale).fma(FloatVector.fromArray(F, a, el), p);
                    r = toFloats(high).mul(highScale).fma(FloatVector.fromArray(F, a, el + 32), r);
                }
            }
            FloatVector v = p.add(r);
            FloatVector lanes = L == 8 ? v : ((FloatVector) v.reinterpretShape(KF, 0)).add((FloatVector) v.reinterpretShape(KF, 1));
            sums = sums.add(lanes.mul(half(w, block) * x.d[b]));
            int minSum = 0;
            for (int sub = 0; sub < 8; sub++) {
                minSum += x.subBlockSums[b * 8 + sub] * kMin(packedLow, packedHigh, sub);
            }
            float dmin = half(w, block + 2) * x.d[b];
            s -= dmin * minSum;
        }
        return addResidueSums(s, sums);
    }

    /** Single-input Q6_K dot on float lanes, like {@link #floatDotQ45K}. Bit-identical to dotQ6K. */
    private static float floatDotQ6K(MemorySegment w, long row, PreparedActivations x, int n) {
        int blocks = KernelMath.blocks(GgmlType.Q6_K, n);
        x.require(PreparedActivations.Format.Q8_K, n);
        float[] a = x.quantFloats;
        FloatVector sums = FloatVector.zero(KF);
        for (int b = 0; b < blocks; b++) {
            long block = row + (long) b * 210;
            int q8 = b * 256;
            FloatVector p = FloatVector.zero(F), r = p;
            for (int half = 0; half < 2; half++) {
                for (int j = 0; j < 32; j += L) {
                    IntVector ql0 = unsignedBytes(w, block + 64 * half + j);
                    IntVector ql1 = unsignedBytes(w, block + 64 * half + 32 + j);
                    IntVector qh = unsignedBytes(w, block + 128 + 32 * half + j);
                    for (int quarter = 0; quarter < 4; quarter++) {
                        IntVector ql = (quarter & 1) == 0 ? ql0 : ql1;
                        IntVector bits = quarter < 2 ? ql.and(0x0F) : ql.lanewise(VectorOperators.LSHR, 4);
                        IntVector q = bits.or(qh.lanewise(VectorOperators.LSHR, 2 * quarter).and(3).lanewise(VectorOperators.LSHL, 4)).sub(32);
                        int e = 128 * half + 32 * quarter + j;
                        // L = 16 covers one 16-element scale group exactly; L = 8 half of one
                        float scale = w.get(java.lang.foreign.ValueLayout.JAVA_BYTE, block + 192 + (e >>> 4));
                        FloatVector wq = toFloats(q).mul(scale);
                        if ((quarter & 1) != 0) {
                            r = wq.fma(FloatVector.fromArray(F, a, q8 + e), r);
                        } else {
                            p = wq.fma(FloatVector.fromArray(F, a, q8 + e), p);
                        }
                    }
                }
            }
            FloatVector v = p.add(r);
            FloatVector lanes = L == 8 ? v : ((FloatVector) v.reinterpretShape(KF, 0)).add((FloatVector) v.reinterpretShape(KF, 1));
            sums = sums.add(lanes.mul(half(w, block + 208) * x.d[b]));
        }
        return addResidueSums(0f, sums);
    }

    /** Σ_sub subBlockSums[sub]·min(sub): dotQ45K's minSum (exact integers). */
    private static int minSum(int[] sums, int at, int m0, int m1, int m2, int m3, int m4, int m5, int m6, int m7) {
        return sums[at] * m0 + sums[at + 1] * m1 + sums[at + 2] * m2 + sums[at + 3] * m3
                + sums[at + 4] * m4 + sums[at + 5] * m5 + sums[at + 6] * m6 + sums[at + 7] * m7;
    }

    /** Four inputs × one Q6_K row; see the design note above. Lane structure as dotQ6K. */
    private static void tileQ6K(MemorySegment w, long row, int blocks,
            PreparedActivations x0, PreparedActivations x1, PreparedActivations x2, PreparedActivations x3,
            float[] o0, float[] o1, float[] o2, float[] o3, int at) {
        float[] a0 = x0.quantFloats, a1 = x1.quantFloats, a2 = x2.quantFloats, a3 = x3.quantFloats;
        FloatVector sums0 = FloatVector.zero(KF), sums1 = sums0, sums2 = sums0, sums3 = sums0;
        for (int b = 0; b < blocks; b++) {
            long block = row + (long) b * 210;
            int q8 = b * 256;
            FloatVector p0 = FloatVector.zero(KF), p1 = p0, p2 = p0, p3 = p0;
            FloatVector r0 = p0, r1 = p0, r2 = p0, r3 = p0;
            for (int half = 0; half < 2; half++) {
                for (int j = 0; j < 32; j += 8) {
                    IntVector ql0 = unsignedBytes8(w, block + 64 * half + j);
                    IntVector ql1 = unsignedBytes8(w, block + 64 * half + 32 + j);
                    IntVector qh = unsignedBytes8(w, block + 128 + 32 * half + j);
                    for (int quarter = 0; quarter < 4; quarter++) {
                        IntVector ql = (quarter & 1) == 0 ? ql0 : ql1;
                        IntVector bits = quarter < 2 ? ql.and(0x0F) : ql.lanewise(VectorOperators.LSHR, 4);
                        IntVector q = bits.or(qh.lanewise(VectorOperators.LSHR, 2 * quarter).and(3).lanewise(VectorOperators.LSHL, 4)).sub(32);
                        int e = 128 * half + 32 * quarter + j;
                        float scale = w.get(java.lang.foreign.ValueLayout.JAVA_BYTE, block + 192 + (e >>> 4));
                        FloatVector wq = toFloats(q).mul(scale);
                        int ea = q8 + e;
                        if ((quarter & 1) != 0) { // alternate quarters between p and r: independent chains
                            r0 = wq.fma(FloatVector.fromArray(KF, a0, ea), r0);
                            r1 = wq.fma(FloatVector.fromArray(KF, a1, ea), r1);
                            r2 = wq.fma(FloatVector.fromArray(KF, a2, ea), r2);
                            r3 = wq.fma(FloatVector.fromArray(KF, a3, ea), r3);
                        } else {
                            p0 = wq.fma(FloatVector.fromArray(KF, a0, ea), p0);
                            p1 = wq.fma(FloatVector.fromArray(KF, a1, ea), p1);
                            p2 = wq.fma(FloatVector.fromArray(KF, a2, ea), p2);
                            p3 = wq.fma(FloatVector.fromArray(KF, a3, ea), p3);
                        }
                    }
                }
            }
            float d = half(w, block + 208);
            float d0 = d * x0.d[b], d1 = d * x1.d[b], d2 = d * x2.d[b], d3 = d * x3.d[b];
            sums0 = sums0.add(p0.add(r0).mul(d0));
            sums1 = sums1.add(p1.add(r1).mul(d1));
            sums2 = sums2.add(p2.add(r2).mul(d2));
            sums3 = sums3.add(p3.add(r3).mul(d3));
        }
        o0[at] = addResidueSums(0f, sums0);
        o1[at] = addResidueSums(0f, sums1);
        o2[at] = addResidueSums(0f, sums2);
        o3[at] = addResidueSums(0f, sums3);
    }

    // ---------------------------------------------------------------- 32-element block types on exact float lanes
    //
    // Design. At 256 and 512 bits, dot() and the 4-input tiles of Q4_0, Q4_1, Q5_0, Q5_1 and Q8_0 run on
    // float lanes holding exact integers, like the K types above: the weights of elements j … j+L−1 of
    // a block are decoded once to L int lanes (sign-extended bytes; nibbles, the fifth bit from qh by
    // a per-lane shift to bit 31 and a sign fill, the bias subtracted) and converted to floats, then
    // multiply-added into one float accumulator per input against PreparedActivations.quantFloats. Every product and partial sum is an integer of magnitude
    // at most 32·128·128 = 2^19 < 2^24 (Q8_0; the nibble types are smaller), so every float step is
    // exact in any order and the folded lane sum of a block (blockLaneSum) equals the reference's int
    // sumi. The block's float term is then written exactly as in BlockRowKernels /
    // ggml_vec_dot_*_generic — operand order per type — and added to the row sum in block order:
    // bit-identical to the scalar kernel. This replaces the short-lane integer path (B2S, 16-bit
    // products, even/odd splitting) with one conversion and one FMA per L elements.
    // C2's node budget (NodeCountInliningCutoff) is the constraint that shaped this code; past it,
    // helpers in the block loop stay calls (vector registers spilled or vectors boxed):
    //  - lanes are summed with one reduceLanes (exact in any order); an explicit 512 → 256 → 128 fold
    //    made batched prefill 5x slower (the tiles, measured end to end) and the single dot 15% slower;
    //  - each type has its own short method; one generic method switching on the type in every helper
    //    ran 3x slower for the nibble types (PrintInlining: NodeCountInliningCutoff);
    //  - Q5_0/Q4_1/Q5_1 read d, m and qh with one long, and the fifth bits use shifts, not
    //    VectorMask.fromLong + masked OR (Q5_1 1.27 ms → 0.55 ms per 2048×2048);
    //  - taking Q4_0's bias out of the loop (Σ(q−8)a = Σqa − 8Σa) was slower than subtracting it in
    //    the int lanes (450 vs 345 µs).
    // tileNibbles' kind argument is a constant at every call site.

    /** The L bytes at {@code address}, sign-extended, as floats (L >= 8): Q8_0 quants. */
    private static FloatVector signedFloats(MemorySegment w, long address) {
        return toFloats((IntVector) ByteVector.fromMemorySegment(B_FOR_I, w, address, LE).convertShape(VectorOperators.B2I, I, 0));
    }

    /** 31, 30, …, 0: left shifts moving bit j of qh to bit 31 in lane j (of a window starting at element 0 or 16). */
    private static final int[] TOP_SHIFTS = {
        31, 30, 29, 28, 27, 26, 25, 24, 23, 22, 21, 20, 19, 18, 17, 16,
        15, 14, 13, 12, 11, 10, 9, 8, 7, 6, 5, 4, 3, 2, 1, 0
    };

    /** 16 in the lanes of elements j … j+L−1 whose bit of qh is set, else 0: the fifth bits (shift, sign-fill, mask). */
    private static IntVector fifthBits(int qh, int j) {
        return IntVector.broadcast(I, qh).lanewise(VectorOperators.LSHL, IntVector.fromArray(I, TOP_SHIFTS, j))
                .lanewise(VectorOperators.ASHR, 31).and(16);
    }

    /** Σ of p's lanes, exact in any order (integer-valued lanes, |sum| < 2^24). */
    private static float blockLaneSum(FloatVector p) {
        return p.reduceLanes(VectorOperators.ADD);
    }

    /** q − bias (bias a constant at every call site; 0 emits nothing). */
    private static IntVector biased(IntVector q, int bias) {
        return bias == 0 ? q : q.sub(bias);
    }

    /** Single-input Q8_0 dot on exact float lanes (L >= 8); term sumi·(d·xd) as in the reference. */
    private static float floatDotQ8_0(MemorySegment w, long row, PreparedActivations x, int n) {
        int blocks = KernelMath.blocks(GgmlType.Q8_0, n);
        x.require(PreparedActivations.Format.Q8_0, n);
        float[] a = x.quantFloats;
        float[] xd = x.d;
        float sum = 0f;
        for (int b = 0; b < blocks; b++) {
            long block = row + (long) b * 34;
            int e = b * 32;
            FloatVector p = signedFloats(w, block + 2).mul(FloatVector.fromArray(F, a, e));
            p = signedFloats(w, block + 2 + L).fma(FloatVector.fromArray(F, a, e + L), p);
            if (L == 8) {
                p = signedFloats(w, block + 18).fma(FloatVector.fromArray(F, a, e + 16), p);
                p = signedFloats(w, block + 26).fma(FloatVector.fromArray(F, a, e + 24), p);
            }
            sum += blockLaneSum(p) * (half(w, block) * xd[b]);
        }
        return sum;
    }

    /**
     * Σ (q−bias)·a over one Q4_0/Q4_1/Q5_0/Q5_1 block as L float lanes (exact): byte j's low nibble is
     * element j, its high nibble element j+16, bit j of qh the fifth bit (16) of element j.
     */
    private static FloatVector nibbleProducts(MemorySegment w, long qsAddress, int qh, boolean fiveBit, int bias, float[] a, int e) {
        FloatVector p = FloatVector.zero(F);
        for (int j = 0; j < 16; j += L) {
            IntVector packed = unsignedBytes(w, qsAddress + j);
            IntVector low = packed.and(0x0F);
            IntVector high = packed.lanewise(VectorOperators.LSHR, 4);
            if (fiveBit) {
                low = low.or(fifthBits(qh, j));
                high = high.or(fifthBits(qh, j + 16));
            }
            p = toFloats(biased(low, bias)).fma(FloatVector.fromArray(F, a, e + j), p);
            p = toFloats(biased(high, bias)).fma(FloatVector.fromArray(F, a, e + 16 + j), p);
        }
        return p;
    }

    /**
     * Single-input Q4_0 dot on exact float lanes (L >= 8): the reference's term sumi·d·xd.
     */
    private static float floatDotQ4_0(MemorySegment w, long row, PreparedActivations x, int n) {
        int blocks = KernelMath.blocks(GgmlType.Q4_0, n);
        x.require(PreparedActivations.Format.Q8_0, n);
        float[] a = x.quantFloats;
        float[] xd = x.d;
        float sum = 0f;
        for (int b = 0; b < blocks; b++) {
            long block = row + (long) b * 18;
            float d = KernelMath.fromHalf(w.get(KernelMath.SHORT_LE, block)); // before the vector code (see note)
            float sumi = blockLaneSum(nibbleProducts(w, block + 2, 0, false, 8, a, b * 32));
            sum += sumi * d * xd[b];
        }
        return sum;
    }

    /** Single-input Q5_0 dot on exact float lanes (L >= 8): term (d·xd)·sumi as in the reference. */
    private static float floatDotQ5_0(MemorySegment w, long row, PreparedActivations x, int n) {
        int blocks = KernelMath.blocks(GgmlType.Q5_0, n);
        x.require(PreparedActivations.Format.Q8_0, n);
        float[] a = x.quantFloats;
        float sum = 0f;
        for (int b = 0; b < blocks; b++) {
            long block = row + (long) b * 22;
            long head = w.get(LONG_LE, block); // d, qh and two quant bytes: one read (fewer C2 nodes)
            int qh = (int) (head >>> 16);
            float sumi = blockLaneSum(nibbleProducts(w, block + 6, qh, true, 16, a, b * 32));
            sum += (Float.float16ToFloat((short) head) * x.d[b]) * sumi;
        }
        return sum;
    }

    /** Single-input Q4_1/Q5_1 dot on exact float lanes (L >= 8); term (d·xd)·sumi + m·xs as in the reference. */
    private static float floatDotAffine(MemorySegment w, long row, PreparedActivations x, int n, boolean fiveBit) {
        int blocks = KernelMath.blocks(fiveBit ? GgmlType.Q5_1 : GgmlType.Q4_1, n);
        x.require(PreparedActivations.Format.Q8_1, n);
        int blockBytes = fiveBit ? 24 : 20;
        float[] a = x.quantFloats;
        float sum = 0f;
        for (int b = 0; b < blocks; b++) {
            long block = row + (long) b * blockBytes;
            long head = w.get(LONG_LE, block); // d, m and qh (or 4 quant bytes): one read (fewer C2 nodes)
            int qh = (int) (head >>> 32);
            float sumi = blockLaneSum(nibbleProducts(w, block + (fiveBit ? 8 : 4), qh, fiveBit, 0, a, b * 32));
            float d = Float.float16ToFloat((short) head);
            float m = Float.float16ToFloat((short) (head >>> 16));
            sum += (d * x.d[b]) * sumi + m * x.s[b];
        }
        return sum;
    }

    /** Four inputs × one Q8_0 row: each weight vector decoded once; per input exactly floatDotQ8_0. */
    private static void tileQ8_0(MemorySegment w, long row, int blocks,
            PreparedActivations x0, PreparedActivations x1, PreparedActivations x2, PreparedActivations x3,
            float[] o0, float[] o1, float[] o2, float[] o3, int at) {
        float[] a0 = x0.quantFloats, a1 = x1.quantFloats, a2 = x2.quantFloats, a3 = x3.quantFloats;
        float s0 = 0f, s1 = 0f, s2 = 0f, s3 = 0f;
        for (int b = 0; b < blocks; b++) {
            long block = row + (long) b * 34;
            int e = b * 32;
            FloatVector p0 = FloatVector.zero(F), p1 = p0, p2 = p0, p3 = p0;
            for (int j = 0; j < 32; j += L) {
                FloatVector q = signedFloats(w, block + 2 + j);
                p0 = q.fma(FloatVector.fromArray(F, a0, e + j), p0);
                p1 = q.fma(FloatVector.fromArray(F, a1, e + j), p1);
                p2 = q.fma(FloatVector.fromArray(F, a2, e + j), p2);
                p3 = q.fma(FloatVector.fromArray(F, a3, e + j), p3);
            }
            float d = half(w, block);
            s0 += blockLaneSum(p0) * (d * x0.d[b]);
            s1 += blockLaneSum(p1) * (d * x1.d[b]);
            s2 += blockLaneSum(p2) * (d * x2.d[b]);
            s3 += blockLaneSum(p3) * (d * x3.d[b]);
        }
        o0[at] = s0;
        o1[at] = s1;
        o2[at] = s2;
        o3[at] = s3;
    }

    /**
     * Four inputs × one Q4_0/Q4_1/Q5_0/Q5_1 row ({@code kind}, a constant at the call site): each
     * nibble vector decoded once; per input exactly the single dot's block term, in block order.
     */
    private static void tileNibbles(int kind, MemorySegment w, long row, int blocks,
            PreparedActivations x0, PreparedActivations x1, PreparedActivations x2, PreparedActivations x3,
            float[] o0, float[] o1, float[] o2, float[] o3, int at) {
        boolean fiveBit = kind == TILE_Q5_0 || kind == TILE_Q5_1;
        boolean affine = kind == TILE_Q4_1 || kind == TILE_Q5_1;
        int bias = kind == TILE_Q4_0 ? 8 : kind == TILE_Q5_0 ? 16 : 0;
        int blockBytes = kind == TILE_Q4_0 ? 18 : kind == TILE_Q4_1 ? 20 : kind == TILE_Q5_0 ? 22 : 24;
        int qsOffset = blockBytes - 16;
        float[] a0 = x0.quantFloats, a1 = x1.quantFloats, a2 = x2.quantFloats, a3 = x3.quantFloats;
        float s0 = 0f, s1 = 0f, s2 = 0f, s3 = 0f;
        for (int b = 0; b < blocks; b++) {
            long block = row + (long) b * blockBytes;
            int qh = fiveBit ? w.get(KernelMath.INT_LE, block + qsOffset - 4) : 0;
            int e = b * 32;
            FloatVector p0 = FloatVector.zero(F), p1 = p0, p2 = p0, p3 = p0;
            for (int j = 0; j < 16; j += L) {
                IntVector packed = unsignedBytes(w, block + qsOffset + j);
                IntVector low = packed.and(0x0F);
                IntVector high = packed.lanewise(VectorOperators.LSHR, 4);
                if (fiveBit) {
                    low = low.or(fifthBits(qh, j));
                    high = high.or(fifthBits(qh, j + 16));
                }
                FloatVector ql = toFloats(biased(low, bias));
                FloatVector qu = toFloats(biased(high, bias));
                p0 = qu.fma(FloatVector.fromArray(F, a0, e + 16 + j), ql.fma(FloatVector.fromArray(F, a0, e + j), p0));
                p1 = qu.fma(FloatVector.fromArray(F, a1, e + 16 + j), ql.fma(FloatVector.fromArray(F, a1, e + j), p1));
                p2 = qu.fma(FloatVector.fromArray(F, a2, e + 16 + j), ql.fma(FloatVector.fromArray(F, a2, e + j), p2));
                p3 = qu.fma(FloatVector.fromArray(F, a3, e + 16 + j), ql.fma(FloatVector.fromArray(F, a3, e + j), p3));
            }
            float d = half(w, block);
            if (kind == TILE_Q4_0) {
                s0 += blockLaneSum(p0) * d * x0.d[b];
                s1 += blockLaneSum(p1) * d * x1.d[b];
                s2 += blockLaneSum(p2) * d * x2.d[b];
                s3 += blockLaneSum(p3) * d * x3.d[b];
            } else if (!affine) {
                s0 += (d * x0.d[b]) * blockLaneSum(p0);
                s1 += (d * x1.d[b]) * blockLaneSum(p1);
                s2 += (d * x2.d[b]) * blockLaneSum(p2);
                s3 += (d * x3.d[b]) * blockLaneSum(p3);
            } else {
                float m = half(w, block + 2);
                s0 += (d * x0.d[b]) * blockLaneSum(p0) + m * x0.s[b];
                s1 += (d * x1.d[b]) * blockLaneSum(p1) + m * x1.s[b];
                s2 += (d * x2.d[b]) * blockLaneSum(p2) + m * x2.s[b];
                s3 += (d * x3.d[b]) * blockLaneSum(p3) + m * x3.s[b];
            }
        }
        o0[at] = s0;
        o1[at] = s1;
        o2[at] = s2;
        o3[at] = s3;
    }
}
