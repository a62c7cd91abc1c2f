package ai.sovereign.engine;

/**
 * Constraints that make generated text JSON: the engine's side of OpenAI's
 * {@code response_format: {"type": "json_object"}} and {@code {"type": "json_schema", ...}}.
 *
 * <p>Guarantee, for any model and any sampling: the generated text (the concatenation of the tokens'
 * bytes) is always a prefix of a JSON document that the constraint accepts, and when generation ends
 * with finish reason STOP because of the constraint or an end-of-generation token, it is a complete
 * one. Generation may still end mid-document at the token limit (LENGTH), by a stop string, or by
 * cancellation. The document has no trailing whitespace; leading whitespace and whitespace between
 * tokens are limited (see {@link JsonSchemaGrammar}), so a model cannot stall on it.
 *
 * <p>Factories are immutable and thread-safe; each generation gets its own constraint.
 */
public final class JsonConstraint {
    private JsonConstraint() {}

    /** Any JSON value. */
    public static TokenConstraint.Factory anyJson() {
        return factory(JsonSchemaGrammar.anyValueGrammar());
    }

    /** Any JSON object (what {@code json_object} mode is expected to produce). */
    public static TokenConstraint.Factory anyObject() {
        return factory(JsonSchemaGrammar.anyObjectGrammar());
    }

    /**
     * JSON valid under a JSON Schema (the subset described in {@link JsonSchemaGrammar}: type,
     * properties, required, additionalProperties, items, minItems, maxItems, enum, const, anyOf,
     * oneOf, $ref, minLength, maxLength; annotations such as description and format are ignored).
     *
     * @throws IllegalArgumentException when the text is not JSON, or the schema uses a keyword outside
     *     the subset (the message names the keyword and its JSON pointer), or admits no finite value
     */
    public static TokenConstraint.Factory schema(String jsonSchemaText) {
        return factory(JsonSchemaGrammar.schemaGrammar(jsonSchemaText));
    }

    private static TokenConstraint.Factory factory(Grammar grammar) {
        return tokenizer -> new GrammarConstraint(grammar, tokenizer);
    }
}
