package ai.sovereign.ledger;

import java.util.function.Function;

/**
 * The outcome of checking something an outsider handed us (a proof, a note, a checkpoint, a log):
 * either {@link Ok} with the verified value, or {@link Failed} with a one-line reason that names
 * what was wrong (sizes, indices, hashes, key names), never a stack trace. A bad proof is an
 * expected outcome, not a fault, so it is a value; faults (I/O, a broken JDK) stay exceptions.
 */
public sealed interface Verification<T> {

    record Ok<T>(T value) implements Verification<T> {}

    record Failed<T>(String reason) implements Verification<T> {
        /** The same failure, typed for a caller that expected another value. */
        public <U> Failed<U> cast() {
            return new Failed<>(reason);
        }
    }

    static Verification<Void> ok() {
        return new Ok<>(null);
    }

    static <T> Verification<T> ok(T value) {
        return new Ok<>(value);
    }

    static <T> Verification<T> failed(String reason) {
        return new Failed<>(reason);
    }

    default boolean isOk() {
        return this instanceof Ok<T>;
    }

    /** The verified value; throws {@link LedgerException} with the reason when it failed. */
    default T orThrow() {
        return switch (this) {
            case Ok<T> ok -> ok.value();
            case Failed<T> f -> throw new LedgerException(f.reason());
        };
    }

    /** The reason, or null when it verified. */
    default String reason() {
        return this instanceof Failed<T> f ? f.reason() : null;
    }

    /** Chains a check that needs this one's value. */
    default <U> Verification<U> then(Function<? super T, Verification<U>> next) {
        return switch (this) {
            case Ok<T> ok -> next.apply(ok.value());
            case Failed<T> f -> f.cast();
        };
    }

    /** Prefixes a failure's reason with where it happened (e.g. a file name). */
    default Verification<T> context(String where) {
        return this instanceof Failed<T> f ? new Failed<>(where + ": " + f.reason()) : this;
    }
}
