package ai.sovereign.engine;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;

/**
 * An independent walk over a valid GGUF image that lists every header field with its byte range and
 * the name the reader uses for it in messages. Count fields (tensor_count, metadata_kv_count, array
 * lengths) also carry the extent of the items they count. Tests use it to patch fields by name and
 * to know which field a truncation cuts.
 */
final class GgufLayout {
    record Field(String name, int start, int end, int extentEnd) {
        boolean isCount() {
            return extentEnd > end;
        }
    }

    final List<Field> fields = new ArrayList<>();
    final int headerEnd;
    private final ByteBuffer in;

    GgufLayout(byte[] image) {
        in = ByteBuffer.wrap(image).order(ByteOrder.LITTLE_ENDIAN);
        leaf("magic", 4);
        leaf("version", 4);
        int tensorCountAt = field("tensor_count", 8);
        long tensors = in.getLong(tensorCountAt);
        int kvCountAt = field("metadata_kv_count", 8);
        long kvs = in.getLong(kvCountAt);
        for (int i = 0; i < kvs; i++) {
            String key = string("metadata key #" + i);
            int type = in.getInt(leaf("type of metadata " + key, 4));
            value(key, type);
        }
        countExtent(kvCountAt, in.position());
        for (int i = 0; i < tensors; i++) {
            String name = string("name of tensor #" + i);
            int dims = in.getInt(leaf("n_dims of tensor " + name, 4));
            for (int d = 0; d < dims; d++) {
                leaf("dimension " + d + " of tensor " + name, 8);
            }
            leaf("type of tensor " + name, 4);
            leaf("offset of tensor " + name, 8);
        }
        headerEnd = in.position();
        countExtent(tensorCountAt, headerEnd);
    }

    /** The field named exactly {@code name}. */
    Field get(String name) {
        return fields.stream().filter(f -> f.name().equals(name)).findFirst()
                .orElseThrow(() -> new AssertionError("no field " + name));
    }

    /** The leaf field holding byte {@code offset}, or null beyond the header. */
    Field at(long offset) {
        for (Field f : fields) {
            if (!f.isCount() && offset >= f.start() && offset < f.end()) {
                return f;
            }
        }
        for (Field f : fields) {
            if (offset >= f.start() && offset < f.end()) {
                return f;
            }
        }
        return null;
    }

    /** Count fields whose items include byte {@code offset}. */
    List<Field> countsCovering(long offset) {
        return fields.stream().filter(f -> f.isCount() && offset >= f.start() && offset < f.extentEnd()).toList();
    }

    private void value(String key, int type) {
        switch (type) {
            case 0, 1, 7 -> leaf("metadata " + key, 1);
            case 2, 3 -> leaf("metadata " + key, 2);
            case 4, 5, 6 -> leaf("metadata " + key, 4);
            case 10, 11, 12 -> leaf("metadata " + key, 8);
            case 8 -> string("metadata " + key);
            case 9 -> array(key);
            default -> throw new IllegalStateException("type " + type);
        }
    }

    private void array(String key) {
        int elementType = in.getInt(leaf("element type of metadata " + key, 4));
        int countAt = field("length of array " + key, 8);
        long n = in.getLong(countAt);
        for (int i = 0; i < n; i++) {
            switch (elementType) {
                case 8 -> string("metadata " + key + "[" + i + "]");
                case 9 -> array(key + "[" + i + "]");
                default -> value(key + "[" + i + "]", elementType);
            }
        }
        countExtent(countAt, in.position());
    }

    private String string(String name) {
        long length = in.getLong(leaf("length of " + name, 8));
        int at = leaf(name, (int) length);
        byte[] bytes = new byte[(int) length];
        in.get(at, bytes);
        return new String(bytes, StandardCharsets.UTF_8);
    }

    private int leaf(String name, int bytes) {
        int at = in.position();
        fields.add(new Field(name, at, at + bytes, at + bytes));
        in.position(at + bytes);
        return at;
    }

    private int field(String name, int bytes) {
        return leaf(name, bytes);
    }

    private void countExtent(int countAt, int extentEnd) {
        for (int i = 0; i < fields.size(); i++) {
            Field f = fields.get(i);
            if (f.start() == countAt && f.end() == countAt + 8) {
                fields.set(i, new Field(f.name(), f.start(), f.end(), Math.max(f.end() + 1, extentEnd)));
                return;
            }
        }
    }

    // ---- patching helpers --------------------------------------------------------------------

    static void putU32(byte[] image, int at, long value) {
        ByteBuffer.wrap(image).order(ByteOrder.LITTLE_ENDIAN).putInt(at, (int) value);
    }

    static void putU64(byte[] image, int at, long value) {
        ByteBuffer.wrap(image).order(ByteOrder.LITTLE_ENDIAN).putLong(at, value);
    }
}
