package ai.sovereign.ledger;

/** A fault of the ledger (I/O, a damaged store, a bad key file); the message names the file and numbers. */
public class LedgerException extends RuntimeException {
    private static final long serialVersionUID = 1L;

    public LedgerException(String message) {
        super(message);
    }

    public LedgerException(String message, Throwable cause) {
        super(message, cause);
    }
}
