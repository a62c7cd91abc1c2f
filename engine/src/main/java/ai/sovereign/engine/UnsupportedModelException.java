package ai.sovereign.engine;

/** A well-formed model this engine cannot run (architecture, tensor type, shape); the message says which and what is supported. */
public final class UnsupportedModelException extends RuntimeException {
    public UnsupportedModelException(String message) {
        super(message);
    }
}
