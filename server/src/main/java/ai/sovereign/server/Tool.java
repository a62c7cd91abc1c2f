package ai.sovereign.server;

import com.fasterxml.jackson.databind.JsonNode;

/**
 * A function the model may call, from a request's {@code tools}. {@code definition} is the client's
 * whole {@code {"type":"function","function":{...}}} object, passed to chat templates as given.
 */
record Tool(String name, JsonNode definition) {}
