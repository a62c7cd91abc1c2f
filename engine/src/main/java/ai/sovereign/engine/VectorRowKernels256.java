package ai.sovereign.engine;

import java.lang.foreign.MemorySegment;
import java.nio.ByteOrder;
import jdk.incubator.vector.ByteVector;
import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.IntVector;
import jdk.incubator.vector.ShortVector;
import jdk.incubator.vector.VectorMask;
import jdk.incubator.vector.VectorOperators;
import jdk.incubator.vector.VectorShape;
import jdk.incubator.vector.VectorSpecies;

import static jdk.incubator.vector.VectorOperators.ASHR;
import static jdk.incubator.vector.VectorOperators.B2I;
import static jdk.incubator.vector.VectorOperators.I2F;
import static jdk.incubator.vector.VectorOperators.LSHL;
import static jdk.incubator.vector.VectorOperators.LSHR;
import static jdk.incubator.vector.VectorOperators.ZERO_EXTEND_B2I;

// GENERATED from engine/src/template/VectorRowKernels.java.template by scripts/generate-vector-kernels.
// Do not edit; edit the template and regenerate (VectorKernelSourcesTest fails when they drift).

/**
 * Vector API row kernels, {@value #BITS}-bit vectors, one class per width (the Vector API compiles to
 * SIMD code only when every species is a compile-time constant, so the species live in
 * {@code static final} fields and the three classes are generated from one template that differs
 * only in {@link #BITS}; branches on {@code L} and {@code BL} fold away in C2).
 *
 * <p><b>Dots: dequantize in registers, accumulate in lanes.</b> Every dot product of a quantized type
 * decodes L weights at a time to floats exactly as {@code dequantize} does — one FMA per vector, e.g.
 * Q4_0 {@code q·d + (−8d)}, Q4_K {@code q·(d·sc) + (−dmin·m)}, Q6_K {@code q·(d·sc) + (−32·d·sc)} — and
 * multiply-adds them into float lane accumulators against {@link PreparedActivations#values}, the
 * activations as ggml rounds them for this type (Q8_0, Q8_1, Q8_K quants times their scale). Lanes
 * are reduced once per row. Nothing is reduced per block and no integer sum is formed, so a block
 * costs a load, a few integer ops, and per L weights one conversion and two FMAs.
 *
 * <p><b>Agreement.</b> The scalar reference ({@link BlockRowKernels}, {@link KQuantRowKernels},
 * {@link FloatRowKernels}) follows ggml's generic C code to the bit; these kernels compute the same
 * sum of the same products in another order and with one rounding per decoded weight, so they agree
 * with it to within a few float ulps per term: |vector − scalar| ≤ (n/8 + 16)·2⁻²⁴·Σ|w·a|, the bound
 * {@code VectorRowKernelsTest} checks (ggml's own AVX kernels differ from its generic code the same
 * way). Non-finite results (inf/NaN scales) are non-finite in both. Dequantization uses the reference's
 * lane-wise expressions and is bit-identical.
 *
 * <p><b>Batched dots</b> ({@link RowKernel#dotRows}: prefill and batched decode) decode each weight
 * vector once for a tile of {@value #TILE} inputs and run, per input, exactly the single dot's
 * operations in the same order, so {@code dotRows} is bit-identical to {@code dot}: a sequence's
 * logits never depend on what it is batched with.
 *
 * <p><b>What shaped the code</b> (C2, JDK 25): a hot loop must be a plain counted {@code int} loop with
 * offsets linear in its index, or range checks of the segment and the arrays stay in the loop
 * (a {@code b += 2} loop or offsets computed from {@code s >> 1} kept them, 35 instructions per
 * Q8_0 block instead of 12); and a method's vector code must stay under C2's parse-time node budget
 * (NodeCountInliningCutoff, not settable in product builds), or helper calls stay calls and their
 * vectors are boxed (Q6_K with four quarters written out boxed, 25× slower). Inner loops over
 * repeated structure (Q6_K's quarter pairs, K chunks) keep one copy of the body in the parse.
 */
enum VectorRowKernels256 implements RowKernel {
    F32(GgmlType.F32, PreparedActivations.Format.F32) {
        @Override
        public float dot(MemorySegment w, long row, PreparedActivations x, int n) {
            x.require(PreparedActivations.Format.F32, n);
            return dotFloat(w, row, x.values, n, FLOAT_WEIGHTS);
        }

        @Override
        public void dequantize(MemorySegment w, long offset, float[] out, int outOffset, int n) {
            dequantizeFloat(w, offset, out, outOffset, n, FLOAT_WEIGHTS);
        }
    },
    F16(GgmlType.F16, PreparedActivations.Format.F32) {
        @Override
        public float dot(MemorySegment w, long row, PreparedActivations x, int n) {
            x.require(PreparedActivations.Format.F32, n);
            return dotFloat(w, row, x.values, n, HALF_WEIGHTS);
        }

        @Override
        public void dequantize(MemorySegment w, long offset, float[] out, int outOffset, int n) {
            dequantizeFloat(w, offset, out, outOffset, n, HALF_WEIGHTS);
        }
    },
    BF16(GgmlType.BF16, PreparedActivations.Format.BF16) {
        @Override
        public float dot(MemorySegment w, long row, PreparedActivations x, int n) {
            x.require(PreparedActivations.Format.BF16, n);
            return dotFloat(w, row, x.values, n, BF16_WEIGHTS);
        }

        @Override
        public void dequantize(MemorySegment w, long offset, float[] out, int outOffset, int n) {
            dequantizeFloat(w, offset, out, outOffset, n, BF16_WEIGHTS);
        }
    },
    Q4_0(GgmlType.Q4_0, PreparedActivations.Format.Q8_0) {
        @Override
        public float dot(MemorySegment w, long row, PreparedActivations x, int n) {
            int blocks = KernelMath.blocks(GgmlType.Q4_0, n);
            x.require(PreparedActivations.Format.Q8_0, n);
            return dotNibbles(NIBBLE_Q4_0, w, row, x, blocks);
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
            int blocks = KernelMath.blocks(GgmlType.Q4_1, n);
            x.require(PreparedActivations.Format.Q8_1, n);
            return dotNibbles(NIBBLE_Q4_1, w, row, x, blocks);
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
            int blocks = KernelMath.blocks(GgmlType.Q5_0, n);
            x.require(PreparedActivations.Format.Q8_0, n);
            return dotNibbles(NIBBLE_Q5_0, w, row, x, blocks);
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
            int blocks = KernelMath.blocks(GgmlType.Q5_1, n);
            x.require(PreparedActivations.Format.Q8_1, n);
            return dotNibbles(NIBBLE_Q5_1, w, row, x, blocks);
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
            int blocks = KernelMath.blocks(GgmlType.Q8_0, n);
            x.require(PreparedActivations.Format.Q8_0, n);
            return dotQ8_0(w, row, x.values, blocks);
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
            int blocks = KernelMath.blocks(GgmlType.Q4_K, n);
            x.require(PreparedActivations.Format.Q8_K, n);
            return dotQ45K(w, row, x.values, blocks, false);
        }

        @Override
        public void dequantize(MemorySegment w, long offset, float[] out, int outOffset, int n) {
            dequantizeQ45K(w, offset, out, outOffset, n, false);
        }
    },
    Q5_K(GgmlType.Q5_K, PreparedActivations.Format.Q8_K) {
        @Override
        public float dot(MemorySegment w, long row, PreparedActivations x, int n) {
            int blocks = KernelMath.blocks(GgmlType.Q5_K, n);
            x.require(PreparedActivations.Format.Q8_K, n);
            return dotQ45K(w, row, x.values, blocks, true);
        }

        @Override
        public void dequantize(MemorySegment w, long offset, float[] out, int outOffset, int n) {
            dequantizeQ45K(w, offset, out, outOffset, n, true);
        }
    },
    Q6_K(GgmlType.Q6_K, PreparedActivations.Format.Q8_K) {
        @Override
        public float dot(MemorySegment w, long row, PreparedActivations x, int n) {
            int blocks = KernelMath.blocks(GgmlType.Q6_K, n);
            x.require(PreparedActivations.Format.Q8_K, n);
            return dotQ6K(w, row, x.values, blocks);
        }

        @Override
        public void dequantize(MemorySegment w, long offset, float[] out, int outOffset, int n) {
            dequantizeQ6K(w, offset, out, outOffset, n);
        }
    };

    /** The vector width in bits this class is specialised for (the only line differing between the generated classes). */
    static final int BITS = 256;

    static final ByteOrder LE = ByteOrder.LITTLE_ENDIAN;
    static final VectorShape SHAPE = VectorShape.forBitSize(BITS);
    static final VectorShape HALF_SHAPE = VectorShape.forBitSize(BITS / 2);
    static final VectorSpecies<Float> F = VectorSpecies.of(float.class, SHAPE);
    static final VectorSpecies<Integer> I = VectorSpecies.of(int.class, SHAPE);
    static final VectorSpecies<Short> S = VectorSpecies.of(short.class, SHAPE);
    /** Int (and float) lanes per vector: 4, 8 or 16. */
    static final int L = I.length();
    /** Short lanes per vector: 8, 16 or 32. */
    static final int SL = S.length();
    /** SL bytes, widened to one short vector (dequantization). */
    static final VectorSpecies<Byte> B_FOR_S = VectorSpecies.of(byte.class, HALF_SHAPE);
    /** L shorts (fp16/bf16 weights), widened to one int vector. */
    static final VectorSpecies<Short> S_FOR_I = VectorSpecies.of(short.class, HALF_SHAPE);
    /** Bytes per quant load: L, but at least 8 (the narrowest byte vector); 128-bit classes widen each load in two parts. */
    static final int BL = Math.max(8, L);
    static final VectorSpecies<Byte> B_FOR_I = VectorSpecies.of(byte.class, VectorShape.forBitSize(8 * BL));

    /** 32-element block types hold 16 nibble bytes per block: short vectors of at most 16 lanes (dequantization). */
    static final VectorShape NIBBLE_SHAPE = VectorShape.forBitSize(Math.min(BITS, 256));
    static final VectorSpecies<Short> SN = VectorSpecies.of(short.class, NIBBLE_SHAPE);
    static final VectorSpecies<Byte> BN = VectorSpecies.of(byte.class, VectorShape.forBitSize(Math.min(BITS, 256) / 2));
    static final int SNL = SN.length();

    /** 1 << lane, for testing the fifth bits of Q5_0/Q5_1 (short lanes, then SNL-lane windows). */
    private static final short[] LANE_BITS = {
        1, 2, 4, 8, 16, 32, 64, 128, 256, 512, 1024, 2048, 4096, 8192, 16384, (short) 32768
    };

    private final GgmlType type;
    private final PreparedActivations.Format format;

    VectorRowKernels256(GgmlType type, PreparedActivations.Format format) {
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





    static final VectorSpecies<Float> F256 = FloatVector.SPECIES_256;
    static final VectorSpecies<Float> F128 = FloatVector.SPECIES_128;

    /**
     * Σ of v's lanes in a fixed order: halves folded (512 → 256 → 128 bits), then the four lanes
     * pairwise. reduceLanes(ADD) is not used because its order differs between C2's code and the
     * Vector API's Java fallback (interpreter, C1), and a dot's value must not depend on whether
     * its kernel has been compiled yet.
     */
    private static float laneSum(FloatVector v) {
        FloatVector quad;
        if (L == 16) {
            FloatVector eight = ((FloatVector) v.reinterpretShape(F256, 0)).add((FloatVector) v.reinterpretShape(F256, 1));
            quad = ((FloatVector) eight.reinterpretShape(F128, 0)).add((FloatVector) eight.reinterpretShape(F128, 1));
        } else if (L == 8) {
            quad = ((FloatVector) v.reinterpretShape(F128, 0)).add((FloatVector) v.reinterpretShape(F128, 1));
        } else {
            quad = v;
        }
        return (quad.lane(0) + quad.lane(1)) + (quad.lane(2) + quad.lane(3));
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

    /** Σ w·v over n elements: four float lane accumulators, then a scalar tail (n need not be a multiple of L). */
    private static float dotFloat(MemorySegment w, long row, float[] v, int n, int kind) {
        int width = kind == FLOAT_WEIGHTS ? 4 : 2;
        FloatVector acc0 = FloatVector.zero(F), acc1 = acc0, acc2 = acc0, acc3 = acc0;
        int groups = n / (4 * L);
        for (int g = 0; g < groups; g++) {
            int i = g * 4 * L;
            long at = row + (long) i * width;
            acc0 = floatWeights(w, at, kind).fma(FloatVector.fromArray(F, v, i), acc0);
            acc1 = floatWeights(w, at + (long) L * width, kind).fma(FloatVector.fromArray(F, v, i + L), acc1);
            acc2 = floatWeights(w, at + 2L * L * width, kind).fma(FloatVector.fromArray(F, v, i + 2 * L), acc2);
            acc3 = floatWeights(w, at + 3L * L * width, kind).fma(FloatVector.fromArray(F, v, i + 3 * L), acc3);
        }
        int i = groups * 4 * L;
        for (; i <= n - L; i += L) {
            acc0 = floatWeights(w, row + (long) i * width, kind).fma(FloatVector.fromArray(F, v, i), acc0);
        }
        float sum = laneSum(acc0.add(acc1).add(acc2.add(acc3)));
        for (; i < n; i++) {
            sum += scalarWeight(w, row + (long) i * width, kind) * v[i];
        }
        return sum;
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
    //
    // A block of 32: elements 0..15 and 16..31 go to two accumulators (lo, hi), each fed one vector
    // per L elements, so two FMA chains run side by side. Nibble types: byte j holds element j (low
    // nibble) and j+16 (high); the fifth bit of element j is bit j of qh.

    static final int NIBBLE_Q4_0 = 0;
    static final int NIBBLE_Q4_1 = 1;
    static final int NIBBLE_Q5_0 = 2;
    static final int NIBBLE_Q5_1 = 3;

    /** 31, 30, …, 0: left shifts moving bit j of qh to bit 31 in lane j (of a window starting at element 0 or 16). */
    private static final int[] TOP_SHIFTS = {
        31, 30, 29, 28, 27, 26, 25, 24, 23, 22, 21, 20, 19, 18, 17, 16,
        15, 14, 13, 12, 11, 10, 9, 8, 7, 6, 5, 4, 3, 2, 1, 0
    };


    private static int nibbleBlockBytes(int kind) {
        return kind == NIBBLE_Q4_0 ? 18 : kind == NIBBLE_Q4_1 ? 20 : kind == NIBBLE_Q5_0 ? 22 : 24;
    }

    private static boolean affine(int kind) {
        return kind == NIBBLE_Q4_1 || kind == NIBBLE_Q5_1;
    }

    /**
     * The block's weight offset in the vector part: −8d (Q4_0), −16d (Q5_0); 0 for Q4_1/Q5_1, whose
     * m·Σa is added per block as ggml does, m times the activations' fp16 block sum s ({@link #affineTerm}).
     */
    private static float nibbleOffset(int kind, float d) {
        return kind == NIBBLE_Q4_0 ? -8 * d : kind == NIBBLE_Q5_0 ? -16 * d : 0f;
    }

    /** Σ_b m_b·s_b of a Q4_1/Q5_1 row, in block order. */
    private static float affineTerm(int kind, MemorySegment w, long row, float[] s, int blocks) {
        int blockBytes = nibbleBlockBytes(kind);
        float sum = 0f;
        for (int b = 0; b < blocks; b++) {
            sum += half(w, row + (long) b * blockBytes + 2) * s[b];
        }
        return sum;
    }

    /** One Q4_0/Q4_1/Q5_0/Q5_1 row ({@code kind} is a constant at every call site). */
    private static float dotNibbles(int kind, MemorySegment w, long row, PreparedActivations x, int blocks) {
        float[] v = x.values;
        boolean fiveBit = kind == NIBBLE_Q5_0 || kind == NIBBLE_Q5_1;
        int blockBytes = nibbleBlockBytes(kind);
        int qsOffset = blockBytes - 16;
        FloatVector lo = FloatVector.zero(F), hi = lo;
        for (int b = 0; b < blocks; b++) {
            long block = row + (long) b * blockBytes;
            int e = b * 32;
            float d = half(w, block);
            FloatVector scale = FloatVector.broadcast(F, d);
            FloatVector offset = FloatVector.broadcast(F, nibbleOffset(kind, d));
            // Q5_0/Q5_1: bit j of qh is the fifth bit of element j; a per-lane shift moves it to bit 31, a sign fill to a mask
            IntVector fifth = IntVector.broadcast(I, fiveBit ? w.get(KernelMath.INT_LE, block + qsOffset - 4) : 0);
            if (L == 16) {
                ByteVector bytes = ByteVector.fromMemorySegment(B_FOR_I, w, block + qsOffset, LE);
                IntVector packed = (IntVector) bytes.convertShape(ZERO_EXTEND_B2I, I, 0);
                IntVector low = packed.and(0x0F);
                IntVector high = packed.lanewise(LSHR, 4);
                if (fiveBit) {
                    low = low.or(fifth.lanewise(LSHL, IntVector.fromArray(I, TOP_SHIFTS, 0)).lanewise(ASHR, 31).and(16));
                    high = high.or(fifth.lanewise(LSHL, IntVector.fromArray(I, TOP_SHIFTS, 16)).lanewise(ASHR, 31).and(16));
                }
                lo = ((FloatVector) low.convert(I2F, 0)).fma(scale, offset).fma(FloatVector.fromArray(F, v, e), lo);
                hi = ((FloatVector) high.convert(I2F, 0)).fma(scale, offset).fma(FloatVector.fromArray(F, v, e + 16), hi);
                continue;
            }
            for (int part = 0; part < 2; part++) { // low nibbles (elements 0..15), then high (16..31)
                for (int j = 0; j < 16; j += BL) {
                    ByteVector raw = ByteVector.fromMemorySegment(B_FOR_I, w, block + qsOffset + j, LE);
                    for (int p = 0; p < BL; p += L) {
                        IntVector packed = ((IntVector) raw.convertShape(ZERO_EXTEND_B2I, I, p / L));
                        IntVector q = part == 0 ? packed.and(0x0F) : packed.lanewise(LSHR, 4);
                        if (fiveBit) {
                            IntVector toTop = IntVector.fromArray(I, TOP_SHIFTS, 16 * part + j + p);
                            q = q.or(fifth.lanewise(LSHL, toTop).lanewise(ASHR, 31).and(16));
                        }
                        int at = e + 16 * part + j + p;
                        FloatVector term = ((FloatVector) q.convert(I2F, 0)).fma(scale, offset);
                        if (((at / L) & 1) == 0) {
                            lo = term.fma(FloatVector.fromArray(F, v, at), lo);
                        } else {
                            hi = term.fma(FloatVector.fromArray(F, v, at), hi);
                        }
                    }
                }
            }
        }
        float sum = laneSum(lo.add(hi));
        return affine(kind) ? sum + affineTerm(kind, w, row, x.s, blocks) : sum;
    }

    private static float dotQ8_0(MemorySegment w, long row, float[] v, int blocks) {
        FloatVector lo = FloatVector.zero(F), hi = lo;
        for (int b = 0; b < blocks; b++) {
            long block = row + (long) b * 34;
            int e = b * 32;
            FloatVector scale = FloatVector.broadcast(F, half(w, block));
            for (int j = 0; j < 32; j += BL) {
                ByteVector raw = ByteVector.fromMemorySegment(B_FOR_I, w, block + 2 + j, LE);
                for (int p = 0; p < BL; p += L) {
                    int at = e + j + p;
                    FloatVector term = ((FloatVector) ((IntVector) raw.convertShape(B2I, I, p / L)).convert(I2F, 0)).mul(scale);
                    if (((at / L) & 1) == 0) {
                        lo = term.fma(FloatVector.fromArray(F, v, at), lo);
                    } else {
                        hi = term.fma(FloatVector.fromArray(F, v, at), hi);
                    }
                }
            }
        }
        return laneSum(lo.add(hi));
    }

    private static void nibbleBlockDequantize(MemorySegment w, long qsAddress, int qh, boolean fiveBit, int bias,
            float d, float m, boolean affine, float[] out, int at) {
        for (int j = 0; j < 16; j += SNL) {
            ShortVector packed = (ShortVector) ByteVector.fromMemorySegment(BN, w, qsAddress + j, LE)
                    .convertShape(VectorOperators.ZERO_EXTEND_B2S, SN, 0);
            ShortVector low = packed.and((short) 0x0F);
            ShortVector high = packed.lanewise(LSHR, 4);
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
    //
    // Q4_K/Q5_K: chunk c (0..3) of a super-block holds 32 bytes: low nibbles are elements 64c + l
    // (sub-block 2c), high nibbles 64c + 32 + l (sub-block 2c+1); weight = q·(d·sc) − dmin·m, Q5_K's fifth
    // bit of element e is bit e/32 of qh[e % 32]. Q6_K: half h, quarter pair k: ql[64h + 32k + l] holds
    // elements 128h + 32k + l (low nibble) and 128h + 64 + 32k + l (high), with bits 2k (and 2k+4) of
    // qh[32h + l] above them; weight = (q − 32)·d·sc, sc per 16 elements.

    private static float dotQ45K(MemorySegment w, long row, float[] v, int blocks, boolean fiveBit) {
        int blockBytes = fiveBit ? 176 : 144;
        int qsOffset = fiveBit ? 48 : 16;
        FloatVector lo = FloatVector.zero(F), hi = lo;
        for (int b = 0; b < blocks; b++) {
            long block = row + (long) b * blockBytes;
            float d = half(w, block);
            float dmin = half(w, block + 2);
            long packedLow = w.get(LONG_LE, block + 4);
            int packedHigh = w.get(KernelMath.INT_LE, block + 12);
            long scales = kScales(packedLow, packedHigh);
            long mins = kMins(packedLow, packedHigh);
            for (int c = 0; c < 4; c++) {
                int e = b * 256 + 64 * c;
                if (L == 16 && !fiveBit) {
                    // vectors 4c, 4c+1 (low nibbles of bytes 0..15, 16..31), 4c+2, 4c+3 (high nibbles)
                    FloatVector lowScale = FloatVector.broadcast(F, d * (int) ((scales >>> (16 * c)) & 0xFF));
                    FloatVector lowOffset = FloatVector.broadcast(F, -(dmin * (int) ((mins >>> (16 * c)) & 0xFF)));
                    FloatVector highScale = FloatVector.broadcast(F, d * (int) ((scales >>> (16 * c + 8)) & 0xFF));
                    FloatVector highOffset = FloatVector.broadcast(F, -(dmin * (int) ((mins >>> (16 * c + 8)) & 0xFF)));
                    long qs = block + qsOffset + 32 * c;
                    IntVector first = (IntVector) ByteVector.fromMemorySegment(B_FOR_I, w, qs, LE).convertShape(ZERO_EXTEND_B2I, I, 0);
                    IntVector second = (IntVector) ByteVector.fromMemorySegment(B_FOR_I, w, qs + 16, LE).convertShape(ZERO_EXTEND_B2I, I, 0);
                    FloatVector lowFirst = ((FloatVector) first.and(0x0F).convert(I2F, 0)).fma(lowScale, lowOffset);
                    FloatVector lowSecond = ((FloatVector) second.and(0x0F).convert(I2F, 0)).fma(lowScale, lowOffset);
                    FloatVector highFirst = ((FloatVector) first.lanewise(LSHR, 4).convert(I2F, 0)).fma(highScale, highOffset);
                    FloatVector highSecond = ((FloatVector) second.lanewise(LSHR, 4).convert(I2F, 0)).fma(highScale, highOffset);
                    lo = lowFirst.fma(FloatVector.fromArray(F, v, e), lo);
                    hi = lowSecond.fma(FloatVector.fromArray(F, v, e + 16), hi);
                    lo = highFirst.fma(FloatVector.fromArray(F, v, e + 32), lo);
                    hi = highSecond.fma(FloatVector.fromArray(F, v, e + 48), hi);
                    continue;
                }
                for (int part = 0; part < 2; part++) { // low nibbles (sub-block 2c), then high (2c+1)
                    int sub = 2 * c + part;
                    FloatVector scale = FloatVector.broadcast(F, d * kScale(packedLow, packedHigh, sub));
                    FloatVector offset = FloatVector.broadcast(F, -(dmin * kMin(packedLow, packedHigh, sub)));
                    for (int j = 0; j < 32; j += BL) {
                        ByteVector raw = ByteVector.fromMemorySegment(B_FOR_I, w, block + qsOffset + 32 * c + j, LE);
                        ByteVector rawHigh = fiveBit ? ByteVector.fromMemorySegment(B_FOR_I, w, block + 16 + j, LE) : raw;
                        for (int p = 0; p < BL; p += L) {
                            IntVector packed = ((IntVector) raw.convertShape(ZERO_EXTEND_B2I, I, p / L));
                            IntVector q = part == 0 ? packed.and(0x0F) : packed.lanewise(LSHR, 4);
                            if (fiveBit) {
                                IntVector qh = (IntVector) rawHigh.convertShape(ZERO_EXTEND_B2I, I, p / L);
                                q = q.or(qh.lanewise(LSHR, sub).and(1).lanewise(LSHL, 4));
                            }
                            int at = e + 32 * part + j + p;
                            FloatVector term = ((FloatVector) q.convert(I2F, 0)).fma(scale, offset);
                            if (((at / L) & 1) == 0) {
                                lo = term.fma(FloatVector.fromArray(F, v, at), lo);
                            } else {
                                hi = term.fma(FloatVector.fromArray(F, v, at), hi);
                            }
                        }
                    }
                }
            }
        }
        return laneSum(lo.add(hi));
    }






    private static float dotQ6K(MemorySegment w, long row, float[] v, int blocks) {
        FloatVector lo = FloatVector.zero(F), hi = lo;
        for (int b = 0; b < blocks; b++) {
            long block = row + (long) b * 210;
            float d = half(w, block + 208);
            for (int h = 0; h < 2; h++) {
                if (L == 16) {
                    // quarter q: vector 8h+2q (bytes 0..15 of its ql run) to lo, 8h+2q+1 (bytes 16..31) to hi
                    long scales = w.get(LONG_LE, block + 192 + 8 * h);
                    // qh bits above each quant, pre-shifted so quarter q takes bits 2q+4 .. 2q+5 with one shift and mask
                    IntVector qhFirst = ((IntVector) ByteVector.fromMemorySegment(B_FOR_I, w, block + 128 + 32 * h, LE)
                            .convertShape(ZERO_EXTEND_B2I, I, 0)).lanewise(LSHL, 4);
                    IntVector qhSecond = ((IntVector) ByteVector.fromMemorySegment(B_FOR_I, w, block + 128 + 32 * h + 16, LE)
                            .convertShape(ZERO_EXTEND_B2I, I, 0)).lanewise(LSHL, 4);
                    for (int q = 0; q < 4; q++) {
                        long ql = block + 64 * h + 32 * (q & 1);
                        int e = b * 256 + 128 * h + 32 * q;
                        float firstScale = d * (byte) (scales >>> (16 * q));
                        float secondScale = d * (byte) (scales >>> (16 * q + 8));
                        IntVector lowFirst = (IntVector) ByteVector.fromMemorySegment(B_FOR_I, w, ql, LE).convertShape(ZERO_EXTEND_B2I, I, 0);
                        IntVector lowSecond = (IntVector) ByteVector.fromMemorySegment(B_FOR_I, w, ql + 16, LE).convertShape(ZERO_EXTEND_B2I, I, 0);
                        IntVector first = lowFirst.lanewise(LSHR, 4 * (q >> 1)).and(0x0F).or(qhFirst.lanewise(LSHR, 2 * q).and(0x30));
                        IntVector second = lowSecond.lanewise(LSHR, 4 * (q >> 1)).and(0x0F).or(qhSecond.lanewise(LSHR, 2 * q).and(0x30));
                        FloatVector firstWeights = ((FloatVector) first.convert(I2F, 0))
                                .fma(FloatVector.broadcast(F, firstScale), FloatVector.broadcast(F, -32 * firstScale));
                        FloatVector secondWeights = ((FloatVector) second.convert(I2F, 0))
                                .fma(FloatVector.broadcast(F, secondScale), FloatVector.broadcast(F, -32 * secondScale));
                        lo = firstWeights.fma(FloatVector.fromArray(F, v, e), lo);
                        hi = secondWeights.fma(FloatVector.fromArray(F, v, e + 16), hi);
                    }
                    continue;
                }
                for (int q = 0; q < 4; q++) {
                    int e = b * 256 + 128 * h + 32 * q;
                    for (int j = 0; j < 32; j += BL) {
                        ByteVector rawLow = ByteVector.fromMemorySegment(B_FOR_I, w, block + 64 * h + 32 * (q & 1) + j, LE);
                        ByteVector rawHigh = ByteVector.fromMemorySegment(B_FOR_I, w, block + 128 + 32 * h + j, LE);
                        for (int p = 0; p < BL; p += L) {
                            int at = e + j + p;
                            float scale = d * w.get(java.lang.foreign.ValueLayout.JAVA_BYTE, block + 192 + ((at - b * 256) >>> 4));
                            IntVector low = (IntVector) rawLow.convertShape(ZERO_EXTEND_B2I, I, p / L);
                            IntVector high = (IntVector) rawHigh.convertShape(ZERO_EXTEND_B2I, I, p / L);
                            IntVector quant = low.lanewise(LSHR, 4 * (q >> 1)).and(0x0F)
                                    .or(high.lanewise(LSHR, 2 * q).and(3).lanewise(LSHL, 4));
                            FloatVector term = ((FloatVector) quant.convert(I2F, 0))
                                    .fma(FloatVector.broadcast(F, scale), FloatVector.broadcast(F, -32 * scale));
                            if (((at / L) & 1) == 0) {
                                lo = term.fma(FloatVector.fromArray(F, v, at), lo);
                            } else {
                                hi = term.fma(FloatVector.fromArray(F, v, at), hi);
                            }
                        }
                    }
                }
            }
        }
        return laneSum(lo.add(hi));
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

    /** The 8 sub-block scales of a Q4_K/Q5_K block, byte j = scale j (get_scale_min_k4, all at once, no branches). */
    private static long kScales(long low, int high) {
        long first = low & 0x3F3F3F3FL;
        long second = (high & 0x0F0F0F0FL) | (((low >>> 6) & 0x03030303L) << 4);
        return first | (second << 32);
    }

    /** The 8 sub-block mins, byte j = min j. */
    private static long kMins(long low, int high) {
        long first = (low >>> 32) & 0x3F3F3F3FL;
        long second = ((high >>> 4) & 0x0F0F0F0FL) | (((low >>> 38) & 0x03030303L) << 4);
        return first | (second << 32);
    }

    private static int sixBits(long packed, int j) {
        return (int) (packed >>> (6 * j)) & 63;
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
                    ShortVector high = packed.lanewise(LSHR, 4);
                    if (fiveBit) {
                        ShortVector qh = (ShortVector) ByteVector.fromMemorySegment(B_FOR_S, w, block + 16 + j, LE)
                                .convertShape(VectorOperators.ZERO_EXTEND_B2S, S, 0);
                        low = low.or(qh.lanewise(LSHR, 2 * chunk).and((short) 1).lanewise(LSHL, 4));
                        high = high.or(qh.lanewise(LSHR, 2 * chunk + 1).and((short) 1).lanewise(LSHL, 4));
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
        ShortVector low = quarter < 2 ? ql.and((short) 0x0F) : ql.lanewise(LSHR, 4);
        ShortVector top = qh.lanewise(LSHR, 2 * quarter).and((short) 3).lanewise(LSHL, 4);
        return low.or(top).sub((short) 32);
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
    // Every dot above follows one accumulation order: vector k of the row (elements kL … kL+L−1)
    // goes to accumulator k & 1 (lo, hi), and each accumulator takes its vectors in increasing k;
    // the row's value is laneSum(lo + hi). dotRows decodes ROW_BLOCK rows at a time into a per-thread
    // scratch block with exactly the dots' decode expressions, then runs that same order over the
    // decoded floats for 3 rows × 4 inputs at a time (24 accumulators: each activation vector is loaded
    // once for three rows, each weight vector once for four inputs), so every output is bit-identical
    // to dot(): a sequence's logits never depend on what it is batched with. The micro-kernels are flat
    // counted loops (C2 unrolls them and removes the range checks) and store their accumulators for a
    // scalar fold that equals laneSum; a laneSum per accumulator inside them would exceed C2's node
    // budget. Float types keep the default loop over dot().

    /** Inputs per tile of the batched kernels. */
    static final int TILE = 4;
    /** Rows per micro-kernel call. */
    static final int TILE_ROWS = 3;
    /** Rows decoded per block: the block stays in L2 while every input tile passes over it. */
    static final int ROW_BLOCK = 6;

    /** Per-thread scratch: [0] decoded rows, [1] accumulator lanes of one micro-kernel call. */
    private static final ThreadLocal<float[][]> SCRATCH =
            ThreadLocal.withInitial(() -> new float[][] {new float[0], new float[TILE * TILE_ROWS * L]});

    private static boolean tiled(GgmlType type) {
        return switch (type) {
            case Q4_0, Q4_1, Q5_0, Q5_1, Q8_0, Q4_K, Q5_K, Q6_K -> true;
            default -> false;
        };
    }

    @Override
    public void dotRows(MemorySegment w, long rowOffset, long rowBytes, int rows,
            PreparedActivations[] xs, int count, int n, float[][] outs, int outRow) {
        if (!tiled(type) || count < 2) {
            RowKernel.super.dotRows(w, rowOffset, rowBytes, rows, xs, count, n, outs, outRow);
            return;
        }
        int blocks = KernelMath.blocks(type, n);
        for (int t = 0; t < count; t++) {
            xs[t].require(format, n);
        }
        float[][] scratch = SCRATCH.get();
        if (scratch[0].length < ROW_BLOCK * n) {
            scratch[0] = new float[ROW_BLOCK * n];
        }
        float[] decodedRows = scratch[0];
        float[] lanes = scratch[1];
        for (int r0 = 0; r0 < rows; r0 += ROW_BLOCK) {
            int block = Math.min(ROW_BLOCK, rows - r0);
            for (int r = 0; r < block; r++) {
                decodeRow(w, rowOffset + (r0 + r) * rowBytes, blocks, decodedRows, r * n);
            }
            int t = 0;
            for (; t + TILE <= count; t += TILE) {
                float[] v0 = xs[t].values, v1 = xs[t + 1].values, v2 = xs[t + 2].values, v3 = xs[t + 3].values;
                int r = 0;
                for (; r + TILE_ROWS <= block; r += TILE_ROWS) {
                    tile3x4(decodedRows, r * n, n, v0, v1, v2, v3, lanes);
                    for (int k = 0; k < TILE_ROWS; k++) {
                        for (int i = 0; i < TILE; i++) {
                            outs[t + i][outRow + r0 + r + k] = foldedSum(lanes, (k * TILE + i) * L);
                        }
                    }
                }
                for (; r < block; r++) {
                    tile1x4(decodedRows, r * n, n, v0, v1, v2, v3, lanes);
                    for (int i = 0; i < TILE; i++) {
                        outs[t + i][outRow + r0 + r] = foldedSum(lanes, i * L);
                    }
                }
            }
            for (; t < count; t++) {
                for (int r = 0; r < block; r++) {
                    outs[t][outRow + r0 + r] = single(decodedRows, r * n, n, xs[t].values);
                }
            }
            if (this == Q4_1 || this == Q5_1) {
                int kind = this == Q4_1 ? NIBBLE_Q4_1 : NIBBLE_Q5_1;
                for (int r = 0; r < block; r++) {
                    long row = rowOffset + (r0 + r) * rowBytes;
                    for (t = 0; t < count; t++) {
                        outs[t][outRow + r0 + r] += affineTerm(kind, w, row, xs[t].s, blocks);
                    }
                }
            }
        }
    }

    private void decodeRow(MemorySegment w, long row, int blocks, float[] out, int at) {
        switch (this) {
            case Q4_0 -> decodeNibbles(NIBBLE_Q4_0, w, row, blocks, out, at);
            case Q4_1 -> decodeNibbles(NIBBLE_Q4_1, w, row, blocks, out, at);
            case Q5_0 -> decodeNibbles(NIBBLE_Q5_0, w, row, blocks, out, at);
            case Q5_1 -> decodeNibbles(NIBBLE_Q5_1, w, row, blocks, out, at);
            case Q8_0 -> decodeQ8_0(w, row, blocks, out, at);
            case Q4_K -> decodeQ45K(w, row, blocks, false, out, at);
            case Q5_K -> decodeQ45K(w, row, blocks, true, out, at);
            default -> decodeQ6K(w, row, blocks, out, at);
        }
    }

    /** laneSum of the L lanes stored at buf[at …], computed in scalar code in laneSum's exact order. */
    private static float foldedSum(float[] buf, int at) {
        float y0, y1, y2, y3;
        if (L == 16) {
            y0 = (buf[at] + buf[at + 8]) + (buf[at + 4] + buf[at + 12]);
            y1 = (buf[at + 1] + buf[at + 9]) + (buf[at + 5] + buf[at + 13]);
            y2 = (buf[at + 2] + buf[at + 10]) + (buf[at + 6] + buf[at + 14]);
            y3 = (buf[at + 3] + buf[at + 11]) + (buf[at + 7] + buf[at + 15]);
        } else if (L == 8) {
            y0 = buf[at] + buf[at + 4];
            y1 = buf[at + 1] + buf[at + 5];
            y2 = buf[at + 2] + buf[at + 6];
            y3 = buf[at + 3] + buf[at + 7];
        } else {
            y0 = buf[at];
            y1 = buf[at + 1];
            y2 = buf[at + 2];
            y3 = buf[at + 3];
        }
        return (y0 + y1) + (y2 + y3);
    }

    /** dot() of a decoded row (at w0) with one input, in dot()'s order. */
    private static float single(float[] wd, int w0, int n, float[] v) {
        FloatVector lo = FloatVector.zero(F), hi = lo;
        int pairs = n / (2 * L);
        for (int k = 0; k < pairs; k++) {
            int a = 2 * k * L;
            lo = FloatVector.fromArray(F, wd, w0 + a).fma(FloatVector.fromArray(F, v, a), lo);
            hi = FloatVector.fromArray(F, wd, w0 + a + L).fma(FloatVector.fromArray(F, v, a + L), hi);
        }
        return laneSum(lo.add(hi));
    }

    /** One decoded row × four inputs; lanes[iL …] receive input i's lo + hi. */
    private static void tile1x4(float[] wd, int w0, int n, float[] v0, float[] v1, float[] v2, float[] v3, float[] lanes) {
        FloatVector lo0 = FloatVector.zero(F), hi0 = lo0, lo1 = lo0, hi1 = lo0, lo2 = lo0, hi2 = lo0, lo3 = lo0, hi3 = lo0;
        int pairs = n / (2 * L);
        for (int k = 0; k < pairs; k++) {
            int a = 2 * k * L;
            int c = a + L;
            FloatVector wl = FloatVector.fromArray(F, wd, w0 + a);
            FloatVector wh = FloatVector.fromArray(F, wd, w0 + c);
            lo0 = wl.fma(FloatVector.fromArray(F, v0, a), lo0);
            hi0 = wh.fma(FloatVector.fromArray(F, v0, c), hi0);
            lo1 = wl.fma(FloatVector.fromArray(F, v1, a), lo1);
            hi1 = wh.fma(FloatVector.fromArray(F, v1, c), hi1);
            lo2 = wl.fma(FloatVector.fromArray(F, v2, a), lo2);
            hi2 = wh.fma(FloatVector.fromArray(F, v2, c), hi2);
            lo3 = wl.fma(FloatVector.fromArray(F, v3, a), lo3);
            hi3 = wh.fma(FloatVector.fromArray(F, v3, c), hi3);
        }
        lo0.add(hi0).intoArray(lanes, 0);
        lo1.add(hi1).intoArray(lanes, L);
        lo2.add(hi2).intoArray(lanes, 2 * L);
        lo3.add(hi3).intoArray(lanes, 3 * L);
    }

    /** Three decoded rows (w0, w0 + n, w0 + 2n) × four inputs; lanes[(4·row + i)·L …] receive lo + hi. */
    private static void tile3x4(float[] wd, int w0, int n, float[] v0, float[] v1, float[] v2, float[] v3, float[] lanes) {
        FloatVector a0 = FloatVector.zero(F), b0 = a0, a1 = a0, b1 = a0, a2 = a0, b2 = a0, a3 = a0, b3 = a0;
        FloatVector c0 = a0, d0 = a0, c1 = a0, d1 = a0, c2 = a0, d2 = a0, c3 = a0, d3 = a0;
        FloatVector e0 = a0, f0 = a0, e1 = a0, f1 = a0, e2 = a0, f2 = a0, e3 = a0, f3 = a0;
        int w1 = w0 + n;
        int w2 = w1 + n;
        int pairs = n / (2 * L);
        for (int k = 0; k < pairs; k++) {
            int lo = 2 * k * L;
            int hi = lo + L;
            FloatVector p = FloatVector.fromArray(F, wd, w0 + lo), q = FloatVector.fromArray(F, wd, w0 + hi);
            FloatVector r = FloatVector.fromArray(F, wd, w1 + lo), u = FloatVector.fromArray(F, wd, w1 + hi);
            FloatVector s = FloatVector.fromArray(F, wd, w2 + lo), z = FloatVector.fromArray(F, wd, w2 + hi);
            FloatVector x = FloatVector.fromArray(F, v0, lo), y = FloatVector.fromArray(F, v0, hi);
            a0 = p.fma(x, a0);
            b0 = q.fma(y, b0);
            c0 = r.fma(x, c0);
            d0 = u.fma(y, d0);
            e0 = s.fma(x, e0);
            f0 = z.fma(y, f0);
            x = FloatVector.fromArray(F, v1, lo);
            y = FloatVector.fromArray(F, v1, hi);
            a1 = p.fma(x, a1);
            b1 = q.fma(y, b1);
            c1 = r.fma(x, c1);
            d1 = u.fma(y, d1);
            e1 = s.fma(x, e1);
            f1 = z.fma(y, f1);
            x = FloatVector.fromArray(F, v2, lo);
            y = FloatVector.fromArray(F, v2, hi);
            a2 = p.fma(x, a2);
            b2 = q.fma(y, b2);
            c2 = r.fma(x, c2);
            d2 = u.fma(y, d2);
            e2 = s.fma(x, e2);
            f2 = z.fma(y, f2);
            x = FloatVector.fromArray(F, v3, lo);
            y = FloatVector.fromArray(F, v3, hi);
            a3 = p.fma(x, a3);
            b3 = q.fma(y, b3);
            c3 = r.fma(x, c3);
            d3 = u.fma(y, d3);
            e3 = s.fma(x, e3);
            f3 = z.fma(y, f3);
        }
        a0.add(b0).intoArray(lanes, 0);
        a1.add(b1).intoArray(lanes, L);
        a2.add(b2).intoArray(lanes, 2 * L);
        a3.add(b3).intoArray(lanes, 3 * L);
        c0.add(d0).intoArray(lanes, 4 * L);
        c1.add(d1).intoArray(lanes, 5 * L);
        c2.add(d2).intoArray(lanes, 6 * L);
        c3.add(d3).intoArray(lanes, 7 * L);
        e0.add(f0).intoArray(lanes, 8 * L);
        e1.add(f1).intoArray(lanes, 9 * L);
        e2.add(f2).intoArray(lanes, 10 * L);
        e3.add(f3).intoArray(lanes, 11 * L);
    }

    // Row decoders: the single dots' decode steps, stored instead of multiply-added.

    private static void decodeNibbles(int kind, MemorySegment w, long row, int blocks, float[] out, int at) {
        boolean fiveBit = kind == NIBBLE_Q5_0 || kind == NIBBLE_Q5_1;
        int blockBytes = nibbleBlockBytes(kind);
        int qsOffset = blockBytes - 16;
        for (int b = 0; b < blocks; b++) {
            long block = row + (long) b * blockBytes;
            int e = b * 32;
            float d = half(w, block);
            FloatVector scale = FloatVector.broadcast(F, d);
            FloatVector offset = FloatVector.broadcast(F, nibbleOffset(kind, d));
            // Q5_0/Q5_1: bit j of qh is the fifth bit of element j; a per-lane shift moves it to bit 31, a sign fill to a mask
            IntVector fifth = IntVector.broadcast(I, fiveBit ? w.get(KernelMath.INT_LE, block + qsOffset - 4) : 0);
            for (int j = 0; j < 16; j += BL) {
                ByteVector raw = ByteVector.fromMemorySegment(B_FOR_I, w, block + qsOffset + j, LE);
                for (int p = 0; p < BL; p += L) {
                    IntVector packed = ((IntVector) raw.convertShape(ZERO_EXTEND_B2I, I, p / L));
                    IntVector low = packed.and(0x0F);
                    IntVector high = packed.lanewise(LSHR, 4);
                    if (fiveBit) {
                        low = low.or(fifth.lanewise(LSHL, IntVector.fromArray(I, TOP_SHIFTS, j + p)).lanewise(ASHR, 31).and(16));
                        high = high.or(fifth.lanewise(LSHL, IntVector.fromArray(I, TOP_SHIFTS, j + p + 16)).lanewise(ASHR, 31).and(16));
                    }
                    ((FloatVector) low.convert(I2F, 0)).fma(scale, offset).intoArray(out, at + e + j + p);
                    ((FloatVector) high.convert(I2F, 0)).fma(scale, offset).intoArray(out, at + e + 16 + j + p);
                }
            }
        }
    }

    private static void decodeQ8_0(MemorySegment w, long row, int blocks, float[] out, int at) {
        for (int b = 0; b < blocks; b++) {
            long block = row + (long) b * 34;
            int e = b * 32;
            FloatVector scale = FloatVector.broadcast(F, half(w, block));
            for (int j = 0; j < 16; j += BL) {
                ByteVector first = ByteVector.fromMemorySegment(B_FOR_I, w, block + 2 + j, LE);
                ByteVector second = ByteVector.fromMemorySegment(B_FOR_I, w, block + 18 + j, LE);
                for (int p = 0; p < BL; p += L) {
                    IntVector q0 = (IntVector) first.convertShape(B2I, I, p / L);
                    IntVector q1 = (IntVector) second.convertShape(B2I, I, p / L);
                    ((FloatVector) q0.convert(I2F, 0)).mul(scale).intoArray(out, at + e + j + p);
                    ((FloatVector) q1.convert(I2F, 0)).mul(scale).intoArray(out, at + e + 16 + j + p);
                }
            }
        }
    }

    private static void decodeQ45K(MemorySegment w, long row, int blocks, boolean fiveBit, float[] out, int at) {
        int blockBytes = fiveBit ? 176 : 144;
        int qsOffset = fiveBit ? 48 : 16;
        for (int b = 0; b < blocks; b++) {
            long block = row + (long) b * blockBytes;
            float d = half(w, block);
            float dmin = half(w, block + 2);
            long packedLow = w.get(LONG_LE, block + 4);
            int packedHigh = w.get(KernelMath.INT_LE, block + 12);
            for (int c = 0; c < 4; c++) {
                FloatVector lowScale = FloatVector.broadcast(F, d * kScale(packedLow, packedHigh, 2 * c));
                FloatVector lowOffset = FloatVector.broadcast(F, -(dmin * kMin(packedLow, packedHigh, 2 * c)));
                FloatVector highScale = FloatVector.broadcast(F, d * kScale(packedLow, packedHigh, 2 * c + 1));
                FloatVector highOffset = FloatVector.broadcast(F, -(dmin * kMin(packedLow, packedHigh, 2 * c + 1)));
                int e = b * 256 + 64 * c;
                for (int j = 0; j < 32; j += BL) {
                    ByteVector raw = ByteVector.fromMemorySegment(B_FOR_I, w, block + qsOffset + 32 * c + j, LE);
                    ByteVector rawHigh = fiveBit ? ByteVector.fromMemorySegment(B_FOR_I, w, block + 16 + j, LE) : raw;
                    for (int p = 0; p < BL; p += L) {
                        IntVector packed = ((IntVector) raw.convertShape(ZERO_EXTEND_B2I, I, p / L));
                        IntVector low = packed.and(0x0F);
                        IntVector high = packed.lanewise(LSHR, 4);
                        if (fiveBit) {
                            IntVector qh = ((IntVector) rawHigh.convertShape(ZERO_EXTEND_B2I, I, p / L));
                            low = low.or(qh.lanewise(LSHR, 2 * c).and(1).lanewise(LSHL, 4));
                            high = high.or(qh.lanewise(LSHR, 2 * c + 1).and(1).lanewise(LSHL, 4));
                        }
                        ((FloatVector) low.convert(I2F, 0)).fma(lowScale, lowOffset).intoArray(out, at + e + j + p);
                        ((FloatVector) high.convert(I2F, 0)).fma(highScale, highOffset).intoArray(out, at + e + 32 + j + p);
                    }
                }
            }
        }
    }

    private static void decodeQ6K(MemorySegment w, long row, int blocks, float[] out, int at) {
        for (int b = 0; b < blocks; b++) {
            long block = row + (long) b * 210;
            float d = half(w, block + 208);
            for (int h = 0; h < 2; h++) {
                for (int q = 0; q < 4; q++) {
                    int e = b * 256 + 128 * h + 32 * q;
                    for (int j = 0; j < 32; j += BL) {
                        ByteVector rawLow = ByteVector.fromMemorySegment(B_FOR_I, w, block + 64 * h + 32 * (q & 1) + j, LE);
                        ByteVector rawHigh = ByteVector.fromMemorySegment(B_FOR_I, w, block + 128 + 32 * h + j, LE);
                        for (int p = 0; p < BL; p += L) {
                            int element = e + j + p;
                            float scale = d * w.get(java.lang.foreign.ValueLayout.JAVA_BYTE, block + 192 + ((element - b * 256) >>> 4));
                            IntVector low = (IntVector) rawLow.convertShape(ZERO_EXTEND_B2I, I, p / L);
                            IntVector high = (IntVector) rawHigh.convertShape(ZERO_EXTEND_B2I, I, p / L);
                            IntVector quant = low.lanewise(LSHR, 4 * (q >> 1)).and(0x0F)
                                    .or(high.lanewise(LSHR, 2 * q).and(3).lanewise(LSHL, 4));
                            ((FloatVector) quant.convert(I2F, 0)).fma(FloatVector.broadcast(F, scale), FloatVector.broadcast(F, -32 * scale))
                                    .intoArray(out, at + element);
                        }
                    }
                }
            }
        }
    }
}
