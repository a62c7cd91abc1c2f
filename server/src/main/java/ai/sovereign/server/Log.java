package ai.sovereign.server;

import java.time.Instant;

/** Operational log lines on stderr. Never pass prompt or response text here. */
final class Log {
    private Log() {}

    static void info(String message) {
        System.err.println(Instant.now() + " INFO  " + message);
    }

    static void warn(String message) {
        System.err.println(Instant.now() + " WARN  " + message);
    }

    static void error(String message) {
        System.err.println(Instant.now() + " ERROR " + message);
    }
}
