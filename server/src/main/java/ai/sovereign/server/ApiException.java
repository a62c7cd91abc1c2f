package ai.sovereign.server;

/**
 * A request the API refuses, with OpenAI's error shape: HTTP status, {@code type}, {@code code} and
 * the offending {@code param}. Messages name numbers and limits and never echo prompt content.
 */
final class ApiException extends RuntimeException {
    final int status;
    final String type;
    final String code;
    final String param;
    final Integer retryAfterSeconds;
    /** Our facts beside OpenAI's {@code error} (e.g. the types and positions of blocked entities); null when none. */
    final com.fasterxml.jackson.databind.JsonNode sovereign;

    ApiException(int status, String type, String code, String param, String message, Integer retryAfterSeconds) {
        this(status, type, code, param, message, retryAfterSeconds, null);
    }

    ApiException(int status, String type, String code, String param, String message, Integer retryAfterSeconds,
                 com.fasterxml.jackson.databind.JsonNode sovereign) {
        super(message, null, false, false);
        this.sovereign = sovereign;
        this.status = status;
        this.type = type;
        this.code = code;
        this.param = param;
        this.retryAfterSeconds = retryAfterSeconds;
    }

    static ApiException invalid(String param, String message) {
        return new ApiException(400, "invalid_request_error", null, param, message, null);
    }

    static ApiException invalid(String param, String code, String message) {
        return new ApiException(400, "invalid_request_error", code, param, message, null);
    }

    /** 400 {@code pii_blocked}: {@code sovereign.entities} lists types and positions, never values. */
    static ApiException piiBlocked(String message, com.fasterxml.jackson.databind.JsonNode sovereign) {
        return new ApiException(400, "invalid_request_error", "pii_blocked", null, message, null, sovereign);
    }

    static ApiException modelNotFound(String message) {
        return new ApiException(404, "invalid_request_error", "model_not_found", "model", message, null);
    }

    static ApiException notFound(String message) {
        return new ApiException(404, "invalid_request_error", "not_found", null, message, null);
    }

    static ApiException methodNotAllowed(String method, String path) {
        return new ApiException(405, "invalid_request_error", "method_not_allowed", null,
                "method " + method + " is not allowed on " + path, null);
    }

    static ApiException tooLarge(long bytes, long limit) {
        return new ApiException(413, "invalid_request_error", "request_too_large", null,
                "request body exceeds " + limit + " bytes" + (bytes > 0 ? " (" + bytes + ")" : "") + "; limits.max_body_bytes sets the limit", null);
    }

    static ApiException overloaded(String message, int retryAfterSeconds) {
        return new ApiException(429, "rate_limit_error", "rate_limited", null, message, retryAfterSeconds);
    }

    static ApiException unavailable(String code, String message) {
        return new ApiException(503, "server_error", code, null, message, 5);
    }

    static ApiException timeout(int seconds) {
        return new ApiException(504, "server_error", "timeout", null,
                "the request did not finish within " + seconds + " s (limits.request_timeout_seconds)", null);
    }
}
