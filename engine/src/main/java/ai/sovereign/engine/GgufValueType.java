package ai.sovereign.engine;

/** The value types of GGUF metadata, with their ids in the file format (gguf.md, {@code gguf_type}). */
public enum GgufValueType {
    UINT8(0, 1),
    INT8(1, 1),
    UINT16(2, 2),
    INT16(3, 2),
    UINT32(4, 4),
    INT32(5, 4),
    FLOAT32(6, 4),
    BOOL(7, 1),
    STRING(8, 8),
    ARRAY(9, 12),
    UINT64(10, 8),
    INT64(11, 8),
    FLOAT64(12, 8);

    private static final GgufValueType[] BY_ID = values();

    private final int id;
    private final int minBytes;

    GgufValueType(int id, int minBytes) {
        this.id = id;
        this.minBytes = minBytes;
    }

    /** The type with file id {@code id}, or null when there is none. */
    public static GgufValueType byId(int id) {
        return id >= 0 && id < BY_ID.length ? BY_ID[id] : null;
    }

    public int id() {
        return id;
    }

    /** Bytes a value takes in the file: exact for fixed-size types, the minimum for strings (length) and arrays (type, length). */
    int minBytes() {
        return minBytes;
    }

    /** Whether values are integers of at most 32 bits (held in {@code int[]} inside arrays). */
    boolean isSmallInteger() {
        return id <= 5 && this != FLOAT32;
    }

    boolean isInteger() {
        return isSmallInteger() || this == UINT64 || this == INT64;
    }
}
