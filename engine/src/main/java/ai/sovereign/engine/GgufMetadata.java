package ai.sovereign.engine;

import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Optional;

/**
 * The key/value metadata of a GGUF file, in file order. Values are: {@code Long} for every integer
 * type (unsigned 64-bit values keep their bits), {@code Float}, {@code Double}, {@code Boolean},
 * {@code String}; arrays are {@code int[]} (8/16/32-bit integers, unsigned 32-bit kept as bits),
 * {@code long[]}, {@code float[]}, {@code double[]}, {@code boolean[]}, {@code String[]}, or
 * {@code Object[]} for nested arrays.
 */
public final class GgufMetadata {
    private final Map<String, Object> values;

    GgufMetadata(Map<String, Object> values) {
        this.values = Collections.unmodifiableMap(new LinkedHashMap<>(values));
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
}
