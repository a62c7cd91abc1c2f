package ai.sovereign.engine;

/** A GGUF file that is malformed, hostile or unsupported; the message names the field, the value and the limit. */
public final class GgufException extends RuntimeException {
    private static final long serialVersionUID = 1L;

    public GgufException(String message) {
        super(message);
    }
}
