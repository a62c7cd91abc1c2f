package ai.sovereign.server;

/** A function call made by the assistant; {@code arguments} is JSON text, as in the OpenAI API. */
record ToolCall(String id, String name, String arguments) {}
