package ai.sovereign.engine;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

import ai.sovereign.engine.GgufMetadata.TypeTree;
import java.io.IOException;
import java.lang.foreign.MemorySegment;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.stream.Stream;

/** Shared helpers of the GGUF tests: a writer file with every value type, deep comparison, fixture listing. */
final class GgufTestSupport {
    private GgufTestSupport() {}

    /** A writer holding every scalar type, arrays of every type (empty ones too), nested arrays and four tensors. */
    static GgufWriter everyType(int alignment) {
        GgufWriter w = new GgufWriter();
        w.putString("general.architecture", "llama");
        if (alignment != GgufFile.DEFAULT_ALIGNMENT) {
            w.putUint32("general.alignment", alignment);
        }
        w.putUint8("t.u8", 255).putInt8("t.i8", -128).putUint16("t.u16", 65535).putInt16("t.i16", -32768)
                .putUint32("t.u32", 0xFFFF_FFFFL).putInt32("t.i32", Integer.MIN_VALUE)
                .putUint64("t.u64", -1L).putInt64("t.i64", Long.MIN_VALUE)
                .putFloat32("t.f32", Float.intBitsToFloat(0x7FC0_1234)).putFloat32("t.f32neg0", -0.0f)
                .putFloat64("t.f64", Math.PI).putBool("t.true", true).putBool("t.false", false)
                .putString("t.str", "h\u00e9llo \uD83C\uDF0D \uAC00").putString("t.empty", "")
                .putString("t.raw", GgufFile.RAW_MARK + "\u00ff\u00fe\u0080 raw")
                .putString("t.fffe", GgufFile.RAW_MARK + new String(new byte[] {(byte) 0xEF, (byte) 0xBF, (byte) 0xBF, 'x'},
                        StandardCharsets.ISO_8859_1));
        w.putArray("a.u8", new int[] {0, 1, 200, 255}, GgufValueType.UINT8)
                .putArray("a.i8", new int[] {-128, 0, 127}, GgufValueType.INT8)
                .putArray("a.u16", new int[] {0, 65535}, GgufValueType.UINT16)
                .putArray("a.i16", new int[] {-32768, 32767}, GgufValueType.INT16)
                .putArray("a.u32", new int[] {-1, 0, 7}, GgufValueType.UINT32)
                .putArray("a.i32", new int[] {Integer.MIN_VALUE, 5}, GgufValueType.INT32)
                .putArray("a.u64", new long[] {-1L, 3}, GgufValueType.UINT64)
                .putArray("a.i64", new long[] {Long.MIN_VALUE, 9}, GgufValueType.INT64)
                .putFloats("a.f32", new float[] {1.5f, Float.NaN, -0.0f, Float.MIN_VALUE})
                .putDoubles("a.f64", new double[] {2.5, Double.NEGATIVE_INFINITY})
                .putBools("a.bool", new boolean[] {true, false, true})
                .putStrings("a.str", new String[] {"", "a", "\uD83D\uDE00", GgufFile.RAW_MARK + "\u0080"})
                .putStrings("a.empty", new String[0])
                .putArray("a.emptyu8", new int[0], GgufValueType.UINT8);
        w.putArrays("n.two", new Object[] {new int[] {1, 2}, new String[] {"x"}, new float[0]},
                TypeTree.array(GgufValueType.UINT16), TypeTree.array(GgufValueType.STRING), TypeTree.array(GgufValueType.FLOAT32));
        TypeTree inner = TypeTree.nested(TypeTree.array(GgufValueType.BOOL), TypeTree.array(GgufValueType.INT64));
        w.putArrays("n.three", new Object[] {new Object[] {new boolean[] {true}, new long[] {4}}, new Object[0]},
                inner, TypeTree.nested());
        w.putArrays("n.empty", new Object[0]);

        float[] f32 = new float[32 * 3];
        for (int i = 0; i < f32.length; i++) {
            f32[i] = i * 0.25f - 3;
        }
        byte[] f32Bytes = new byte[f32.length * 4];
        java.nio.ByteBuffer.wrap(f32Bytes).order(java.nio.ByteOrder.LITTLE_ENDIAN).asFloatBuffer().put(f32);
        w.addTensor("f32.weight", GgmlType.F32, new long[] {32, 3}, f32Bytes);
        byte[] q8 = new byte[34 * 2 * 2];
        for (int i = 0; i < q8.length; i++) {
            q8[i] = (byte) (i * 7);
        }
        w.addTensor("q8.weight", GgmlType.Q8_0, new long[] {64, 2}, MemorySegment.ofArray(q8));
        short[] halves = new short[5 * 2 * 3 * 1];
        for (int i = 0; i < halves.length; i++) {
            halves[i] = (short) (0x3C00 + i);
        }
        w.addTensor("f16.4d", GgmlType.F16, new long[] {5, 2, 3, 1}, sink -> sink.writeShorts(halves, 0, halves.length));
        w.addTensor("one", GgmlType.F32, new long[] {1}, new byte[] {1, 2, 3, 4});
        return w;
    }

    /** Every GGUF file of the shared fixtures: models/, models/derived/, models/synthetic/. */
    static List<Path> sharedModels() throws IOException {
        Path models = Fixtures.shared("models");
        List<Path> files = new ArrayList<>();
        for (String dir : new String[] {".", "derived", "synthetic"}) {
            Path d = models.resolve(dir);
            if (Files.isDirectory(d)) {
                try (Stream<Path> s = Files.list(d)) {
                    s.filter(p -> p.getFileName().toString().endsWith(".gguf")).sorted().forEach(files::add);
                }
            }
        }
        assertTrue(files.size() >= 3, "expected the shared GGUF fixtures under " + models);
        return files;
    }

    /** Deep, bit-exact equality of two metadata maps and their GGUF types, with a message naming the first difference. */
    static void assertSameMetadata(GgufMetadata expected, GgufMetadata actual) {
        assertEquals(List.copyOf(expected.asMap().keySet()), List.copyOf(actual.asMap().keySet()), "metadata keys and order");
        for (Map.Entry<String, Object> e : expected.asMap().entrySet()) {
            String key = e.getKey();
            if (!sameValue(e.getValue(), actual.get(key))) {
                fail("metadata " + key + ": expected " + show(e.getValue()) + " but was " + show(actual.get(key)));
            }
            assertTrue(sameType(expected.typeTree(key), actual.typeTree(key)),
                    "type of metadata " + key + ": " + expected.typeTree(key) + " vs " + actual.typeTree(key));
        }
    }

    static boolean sameType(TypeTree a, TypeTree b) {
        if (a == null || b == null) {
            return a == b;
        }
        if (a.type() != b.type() || a.elementType() != b.elementType()) {
            return false;
        }
        if (a.elements() == null || b.elements() == null) {
            return a.elements() == b.elements();
        }
        if (a.elements().length != b.elements().length) {
            return false;
        }
        for (int i = 0; i < a.elements().length; i++) {
            if (!sameType(a.elements()[i], b.elements()[i])) {
                return false;
            }
        }
        return true;
    }

    static boolean sameValue(Object a, Object b) {
        return switch (a) {
            case Float f when b instanceof Float g -> Float.floatToRawIntBits(f) == Float.floatToRawIntBits(g);
            case Double d when b instanceof Double g -> Double.doubleToRawLongBits(d) == Double.doubleToRawLongBits(g);
            case float[] f when b instanceof float[] g -> {
                if (f.length != g.length) yield false;
                for (int i = 0; i < f.length; i++) {
                    if (Float.floatToRawIntBits(f[i]) != Float.floatToRawIntBits(g[i])) yield false;
                }
                yield true;
            }
            case double[] f when b instanceof double[] g -> {
                if (f.length != g.length) yield false;
                for (int i = 0; i < f.length; i++) {
                    if (Double.doubleToRawLongBits(f[i]) != Double.doubleToRawLongBits(g[i])) yield false;
                }
                yield true;
            }
            case int[] x when b instanceof int[] y -> Arrays.equals(x, y);
            case long[] x when b instanceof long[] y -> Arrays.equals(x, y);
            case boolean[] x when b instanceof boolean[] y -> Arrays.equals(x, y);
            case String[] x when b instanceof String[] y -> Arrays.equals(x, y);
            case Object[] x when b instanceof Object[] y -> {
                if (x.length != y.length) yield false;
                for (int i = 0; i < x.length; i++) {
                    if (!sameValue(x[i], y[i])) yield false;
                }
                yield true;
            }
            case null -> b == null;
            default -> Objects.equals(a, b);
        };
    }

    private static String show(Object v) {
        return switch (v) {
            case Object[] a -> Arrays.deepToString(a);
            case int[] a -> Arrays.toString(a);
            case long[] a -> Arrays.toString(a);
            case float[] a -> Arrays.toString(a);
            case double[] a -> Arrays.toString(a);
            case boolean[] a -> Arrays.toString(a);
            case null, default -> String.valueOf(v);
        };
    }

    /** Same metadata, same tensors in the same order, same tensor bytes. */
    static void assertSameContent(GgufFile expected, GgufFile actual) {
        assertSameMetadata(expected.metadata(), actual.metadata());
        assertEquals(expected.tensors().size(), actual.tensors().size(), "tensor count");
        for (int i = 0; i < expected.tensors().size(); i++) {
            GgufTensor e = expected.tensors().get(i);
            GgufTensor a = actual.tensors().get(i);
            assertEquals(e.name(), a.name(), "name of tensor #" + i);
            assertEquals(e.type(), a.type(), "type of tensor " + e.name());
            assertTrue(Arrays.equals(e.shape(), a.shape()), "shape of tensor " + e.name());
            assertEquals(-1L, expected.data(e).mismatch(actual.data(a)), "bytes of tensor " + e.name());
        }
    }
}
