package ai.sovereign.engine;

import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Optional;

/**
 * The key/value metadata of a GGUF file, in file order. Values are: {@code Long} for every integer
 * type (unsigned values are zero-extended; unsigned 64-bit values keep their bits), {@code Float},
 * {@code Double}, {@code Boolean}, {@code String}; arrays are {@code int[]} (8/16/32-bit integers,
 * unsigned 8/16-bit zero-extended, unsigned 32-bit kept as bits), {@code long[]}, {@code float[]},
 * {@code double[]}, {@code boolean[]}, {@code String[]}, or {@code Object[]} for nested arrays.
 * The GGUF type each value had in the file is kept too ({@link #type}, {@link #elementType}), so a
 * file can be re-written exactly.
 */
public final class GgufMetadata {
    private final Map<String, Object> values;
    private final Map<String, TypeTree> types;

    /**
     * Metadata built in code; GGUF types are inferred from the Java values (see {@link TypeTree#infer});
     * a value of no GGUF representation is kept but has no type.
     */
    GgufMetadata(Map<String, Object> values) {
        LinkedHashMap<String, Object> copy = new LinkedHashMap<>(values);
        LinkedHashMap<String, TypeTree> inferred = new LinkedHashMap<>();
        copy.forEach((k, v) -> {
            try {
                inferred.put(k, TypeTree.infer(k, v));
            } catch (IllegalArgumentException untyped) {
                // kept without a type: such metadata cannot be written, but reads as before
            }
        });
        this.values = Collections.unmodifiableMap(copy);
        this.types = Collections.unmodifiableMap(inferred);
    }

    /** Takes ownership of both maps (the reader's, which holds a type for every key). */
    GgufMetadata(LinkedHashMap<String, Object> values, Map<String, TypeTree> types) {
        this.values = Collections.unmodifiableMap(values);
        this.types = Collections.unmodifiableMap(types);
    }

    public Map<String, Object> asMap() {
        return values;
    }

    public boolean contains(String key) {
        return values.containsKey(key);
    }

    public Object get(String key) {
        return values.get(key);
    }

    /** The GGUF type of {@code key}'s value, or null when absent. */
    public GgufValueType type(String key) {
        TypeTree t = types.get(key);
        return t == null ? null : t.type();
    }

    /** The element type of an array value, or null when {@code key} is absent or not an array. */
    public GgufValueType elementType(String key) {
        TypeTree t = types.get(key);
        return t == null ? null : t.elementType();
    }

    /** The full type of a value, with the element types of nested arrays. */
    TypeTree typeTree(String key) {
        return types.get(key);
    }

    public Optional<String> string(String key) {
        return values.get(key) instanceof String s ? Optional.of(s) : Optional.empty();
    }

    public Optional<Long> integer(String key) {
        return values.get(key) instanceof Long n ? Optional.of(n) : Optional.empty();
    }

    public Optional<Double> real(String key) {
        return switch (values.get(key)) {
            case Float f -> Optional.of(f.doubleValue());
            case Double d -> Optional.of(d);
            case Long n -> Optional.of(n.doubleValue());
            case null, default -> Optional.empty();
        };
    }

    public Optional<Boolean> bool(String key) {
        return values.get(key) instanceof Boolean b ? Optional.of(b) : Optional.empty();
    }

    public Optional<String[]> strings(String key) {
        return values.get(key) instanceof String[] a ? Optional.of(a) : Optional.empty();
    }

    public Optional<float[]> floats(String key) {
        return values.get(key) instanceof float[] a ? Optional.of(a) : Optional.empty();
    }

    public Optional<int[]> ints(String key) {
        return values.get(key) instanceof int[] a ? Optional.of(a) : Optional.empty();
    }

    /** A required integer that must fit an int, with an error naming the key when absent or out of range. */
    public int requireInt(String key) {
        long n = integer(key).orElseThrow(() -> new GgufException("metadata key " + key + " is missing or not an integer"));
        if (n < Integer.MIN_VALUE || n > Integer.MAX_VALUE) {
            throw new GgufException("metadata " + key + " = " + n + " does not fit in 32 bits");
        }
        return (int) n;
    }

    public int intOr(String key, int fallback) {
        return contains(key) ? requireInt(key) : fallback;
    }

    public float floatOr(String key, float fallback) {
        return real(key).map(Double::floatValue).orElse(fallback);
    }

    /**
     * The GGUF type of a value: {@code type}; for arrays also {@code elementType}, and for arrays of
     * arrays one tree per element in {@code elements} (inner arrays may differ in element type).
     * Scalar and flat-array trees are shared constants, so reading them allocates nothing.
     */
    record TypeTree(GgufValueType type, GgufValueType elementType, TypeTree[] elements) {
        private static final TypeTree[] SCALARS = new TypeTree[GgufValueType.values().length];
        private static final TypeTree[] FLAT_ARRAYS = new TypeTree[GgufValueType.values().length];

        static {
            for (GgufValueType t : GgufValueType.values()) {
                SCALARS[t.ordinal()] = new TypeTree(t, null, null);
                FLAT_ARRAYS[t.ordinal()] = new TypeTree(GgufValueType.ARRAY, t, null);
            }
        }

        static TypeTree scalar(GgufValueType type) {
            if (type == GgufValueType.ARRAY) {
                throw new IllegalArgumentException("an array type needs its element type");
            }
            return SCALARS[type.ordinal()];
        }

        /** An array of scalars or strings. */
        static TypeTree array(GgufValueType elementType) {
            if (elementType == GgufValueType.ARRAY) {
                throw new IllegalArgumentException("an array of arrays needs the type of each element: use nested()");
            }
            return FLAT_ARRAYS[elementType.ordinal()];
        }

        /** An array of arrays, one type per element. */
        static TypeTree nested(TypeTree... elements) {
            for (TypeTree e : elements) {
                if (e.type() != GgufValueType.ARRAY) {
                    throw new IllegalArgumentException("element of an array of arrays has type " + e.type());
                }
            }
            return new TypeTree(GgufValueType.ARRAY, GgufValueType.ARRAY, elements);
        }

        /** The natural GGUF type of a Java value: Long is INT64, int[] INT32, Float FLOAT32 and so on. */
        static TypeTree infer(String key, Object value) {
            return switch (value) {
                case Long n -> scalar(GgufValueType.INT64);
                case Float f -> scalar(GgufValueType.FLOAT32);
                case Double d -> scalar(GgufValueType.FLOAT64);
                case Boolean b -> scalar(GgufValueType.BOOL);
                case String s -> scalar(GgufValueType.STRING);
                case int[] a -> array(GgufValueType.INT32);
                case long[] a -> array(GgufValueType.INT64);
                case float[] a -> array(GgufValueType.FLOAT32);
                case double[] a -> array(GgufValueType.FLOAT64);
                case boolean[] a -> array(GgufValueType.BOOL);
                case String[] a -> array(GgufValueType.STRING);
                case Object[] a -> {
                    TypeTree[] inner = new TypeTree[a.length];
                    for (int i = 0; i < a.length; i++) {
                        inner[i] = infer(key + "[" + i + "]", a[i]);
                    }
                    yield nested(inner);
                }
                case null, default -> throw new IllegalArgumentException("metadata " + key + " holds "
                        + (value == null ? "null" : value.getClass().getSimpleName()) + ", which has no GGUF type");
            };
        }
    }
}
