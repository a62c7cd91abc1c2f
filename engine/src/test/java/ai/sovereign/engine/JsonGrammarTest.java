package ai.sovereign.engine;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotSame;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.charset.StandardCharsets;
import org.junit.jupiter.api.Test;

/** The JSON grammar automaton and the schema compiler on hand-written byte sequences. */
class JsonGrammarTest {
    private static final Grammar ANY = JsonSchemaGrammar.anyValueGrammar();

    /** The state after the bytes, fed one at a time. */
    private static GrammarMatcher.State run(Grammar grammar, byte[] bytes) {
        GrammarMatcher m = new GrammarMatcher(grammar);
        return m.next(m.start, bytes);
    }

    private static boolean complete(Grammar grammar, String text) {
        return run(grammar, text.getBytes(StandardCharsets.UTF_8)).accepting;
    }

    private static boolean prefix(Grammar grammar, String text) {
        return run(grammar, text.getBytes(StandardCharsets.UTF_8)) != GrammarMatcher.DEAD;
    }

    private static void valid(Grammar grammar, String... texts) {
        for (String t : texts) {
            assertTrue(complete(grammar, t), "should accept: " + t);
        }
    }

    private static void invalid(Grammar grammar, String... texts) {
        for (String t : texts) {
            assertFalse(complete(grammar, t), "should reject: " + t);
        }
    }

    private static void deadPrefix(Grammar grammar, String... texts) {
        for (String t : texts) {
            assertFalse(prefix(grammar, t), "should reject as a prefix: " + t);
        }
    }

    @Test
    void acceptsValidJson() {
        valid(ANY, "{}", "[]", "0", "-0", "12", "-0.5e+10", "1E5", "3.25E-7", "true", "false", "null", "\"\"",
                "{\"a\": [1, -0.5e+10, true, null], \"b\": {\"c\": \"d\"}}", " {\"a\":1}", "[\n  1,\n  2\n]",
                "\"esc \\\" \\\\ \\/ \\b \\f \\n \\r \\t \\u00e9 \\uD83D\\uDE00\"", "\"h\u00e9llo \u4e16\u754c \uD83D\uDE00\"",
                "[[[[]]]]", "{\"\":\"\"}");
    }

    @Test
    void rejectsInvalidJson() {
        deadPrefix(ANY, "01", ".5", "+1", "-a", "1.e5", "{\"a\" 1}", "[1,]", "{,}", "\"\\x\"", "tru ", "{} x", "{}{}",
                "[1 2]", "\"a\nb\"", "'a'", "{a:1}", "\"\\u12G4\"", "\"\\ud800\"", "\"\\udc00\"", "\"\\ud800\\u0041\"", "NaN",
                "{\"a\":1,}", "]", "[}");
        // complete prefixes that are not yet documents
        invalid(ANY, "1.", "1e", "-", "1e+", "\"abc", "{\"a\":", "[1,", "tru", "");
        assertTrue(prefix(ANY, "1."));
        assertTrue(prefix(ANY, "{\"a\": [1, {\"b"));
    }

    @Test
    void utf8IsCheckedByteByByteAndMaySplitAnywhere() {
        Grammar g = ANY;
        byte[] text = "\"a\u00e9\u4e16\uD83D\uDE00\"".getBytes(StandardCharsets.UTF_8);
        GrammarMatcher m = new GrammarMatcher(g);
        for (int split = 0; split <= text.length; split++) {
            byte[] left = java.util.Arrays.copyOfRange(text, 0, split);
            byte[] right = java.util.Arrays.copyOfRange(text, split, text.length);
            GrammarMatcher.State s = m.next(m.start, left);
            assertNotSame(GrammarMatcher.DEAD, s, "split at " + split);
            assertTrue(m.next(s, right).finished, "split at " + split);
        }
        // overlong, surrogate, out of range, stray continuation, truncated sequence before the quote
        for (byte[] bad : new byte[][] {
                {'"', (byte) 0xC0, (byte) 0x80}, {'"', (byte) 0xC1, (byte) 0xBF}, {'"', (byte) 0xE0, (byte) 0x80, (byte) 0x80},
                {'"', (byte) 0xED, (byte) 0xA0, (byte) 0x80}, {'"', (byte) 0xF4, (byte) 0x90, (byte) 0x80, (byte) 0x80},
                {'"', (byte) 0xF5}, {'"', (byte) 0x80}, {'"', (byte) 0xE4, (byte) 0xB8, '"'}, {'"', 0x1F}}) {
            assertSame(GrammarMatcher.DEAD, run(g, bad), java.util.Arrays.toString(bad));
        }
    }

    @Test
    void whitespaceIsLimited() {
        valid(ANY, "[ 1]", "[\n" + " ".repeat(20) + "1]", "[\n\t\t1]", " 1");
        deadPrefix(ANY, "[  1]", "[\n" + " ".repeat(21) + "1]", "[\n\n1]", "  1", "\n\n1", "{} ", "1 ");
    }

    @Test
    void completeOnlyWhenNothingMayFollow() {
        assertTrue(run(ANY, "{\"a\":1}".getBytes()).finished);
        assertTrue(run(ANY, "\"x\"".getBytes()).finished);
        assertTrue(run(ANY, "12".getBytes()).accepting);
        assertFalse(run(ANY, "12".getBytes()).finished, "a number may go on");
        assertFalse(run(ANY, "{\"a\":1".getBytes()).accepting);
    }

    @Test
    void anyObjectOnlyTakesObjects() {
        Grammar g = JsonSchemaGrammar.anyObjectGrammar();
        valid(g, "{}", "{\"a\": [1]}");
        deadPrefix(g, "[", "1", "\"a\"", "null");
    }

    private static final String PERSON = """
            {"type": "object",
             "properties": {
               "name": {"type": "string", "minLength": 1, "maxLength": 4},
               "age": {"type": "integer"},
               "kind": {"enum": ["cat", "dog", 3, null]},
               "tags": {"type": "array", "items": {"type": "string"}, "minItems": 1, "maxItems": 2},
               "home": {"type": "object", "properties": {"x": {"type": "number"}}, "required": ["x"], "additionalProperties": false},
               "note": {"type": ["string", "null"]}
             },
             "required": ["name", "age", "kind", "tags"],
             "additionalProperties": false}
            """;

    @Test
    void objectSchema() {
        Grammar g = JsonSchemaGrammar.schemaGrammar(PERSON);
        valid(g, "{\"name\":\"Ann\",\"age\":3,\"kind\":\"cat\",\"tags\":[\"a\"]}",
                "{ \"name\": \"\u00e9\u00e9\u00e9\u00e9\", \"age\": -12, \"kind\": null, \"tags\": [\"a\", \"b\"], \"home\": {\"x\": 1.5}, \"note\": null}",
                "{\"name\":\"A\",\"age\":0,\"kind\":3,\"tags\":[\"\"],\"note\":\"n\"}");
        invalid(g,
                "{\"name\":\"Ann\",\"age\":3,\"kind\":\"cat\"}", // tags missing
                "{\"name\":\"\",\"age\":3,\"kind\":\"cat\",\"tags\":[\"a\"]}", // name too short
                "{\"name\":\"Annie\",\"age\":3,\"kind\":\"cat\",\"tags\":[\"a\"]}", // name too long
                "{\"name\":\"Ann\",\"age\":3.5,\"kind\":\"cat\",\"tags\":[\"a\"]}", // not an integer
                "{\"name\":\"Ann\",\"age\":3,\"kind\":\"cow\",\"tags\":[\"a\"]}", // not in enum
                "{\"name\":\"Ann\",\"age\":3,\"kind\":\"cat\",\"tags\":[]}", // minItems
                "{\"name\":\"Ann\",\"age\":3,\"kind\":\"cat\",\"tags\":[\"a\",\"b\",\"c\"]}", // maxItems
                "{\"name\":\"Ann\",\"age\":3,\"kind\":\"cat\",\"tags\":[\"a\"],\"other\":1}", // additional
                "{\"name\":\"Ann\",\"age\":3,\"kind\":\"cat\",\"tags\":[\"a\"],\"home\":{}}", // nested required
                "{\"age\":3,\"name\":\"Ann\",\"kind\":\"cat\",\"tags\":[\"a\"]}"); // out of schema order
    }

    @Test
    void anyOfAndRefs() {
        Grammar g = JsonSchemaGrammar.schemaGrammar("""
                {"anyOf": [{"$ref": "#/$defs/point"}, {"$ref": "#/definitions/label"}, {"type": "null"}],
                 "$defs": {"point": {"type": "object", "properties": {"x": {"type": "integer"}, "y": {"type": "integer"}},
                                     "required": ["x", "y"], "additionalProperties": false}},
                 "definitions": {"label": {"type": "string", "maxLength": 3}}}
                """);
        valid(g, "{\"x\":1,\"y\":2}", "\"abc\"", "null");
        invalid(g, "{\"x\":1}", "\"abcd\"", "1", "{\"y\":2,\"x\":1}");
    }

    @Test
    void recursiveRefs() {
        Grammar g = JsonSchemaGrammar.schemaGrammar("""
                {"$ref": "#/$defs/node",
                 "$defs": {"node": {"type": "object",
                   "properties": {"v": {"type": "integer"}, "kids": {"type": "array", "items": {"$ref": "#/$defs/node"}}},
                   "required": ["v", "kids"], "additionalProperties": false}}}
                """);
        valid(g, "{\"v\":1,\"kids\":[]}", "{\"v\":1,\"kids\":[{\"v\":2,\"kids\":[{\"v\":3,\"kids\":[]}]}]}");
        invalid(g, "{\"v\":1,\"kids\":[{\"v\":2}]}");
    }

    @Test
    void constTypesAndOptionalProperties() {
        Grammar g = JsonSchemaGrammar.schemaGrammar("""
                {"properties": {"a": {"const": {"k": [1, "x"]}}, "b": {"type": "boolean"}, "c": {}}}
                """);
        valid(g, "{}", "{\"a\":{\"k\":[1,\"x\"]}}", "{\"b\":true}", "{\"a\":{\"k\":[1,\"x\"]},\"c\":[{}]}", "{\"c\":1}");
        invalid(g, "{\"a\":{\"k\":[1, \"x\"]}}", "{\"b\":1}", "{,\"b\":true}", "{\"b\":true,}");
    }

    @Test
    void unsupportedSchemasAreRejectedWithKeywordAndPath() {
        assertMessage("{\"type\":\"object\",\"properties\":{\"id\":{\"type\":\"string\",\"pattern\":\"^a\"}}}",
                "'pattern'", "#/properties/id/pattern");
        assertMessage("{\"type\":\"array\",\"items\":{\"type\":\"integer\",\"minimum\":0}}", "'minimum'", "#/items/minimum");
        assertMessage("{\"not\":{}}", "'not'", "#/not");
        assertMessage("{\"$ref\":\"other.json#/x\"}", "$ref", "#/$ref");
        assertMessage("{\"$ref\":\"#/$defs/missing\"}", "points at nothing", "#/$ref");
        assertMessage("{\"type\":\"decimal\"}", "unsupported type", "#/type");
        assertMessage("{\"type\":\"object\",\"properties\":{},\"required\":[\"a\"]}", "'a'", "#/required");
        assertMessage("{\"type\":\"string\",\"minLength\":3,\"maxLength\":2}", "minLength > maxLength", "#");
        assertMessage("{\"$ref\":\"#\"}", "no finite", "");
        assertMessage("{\"anyOf\":[{\"$ref\":\"#\"},{\"type\":\"null\"}]}", "cycle", "");
        assertMessage("{\"type\":\"object\",\"properties\":{\"a\":{\"$ref\":\"#\"}},\"required\":[\"a\"]}", "no finite", "");
        assertMessage("{\"type\":\"object\",", "not valid JSON", "");
    }

    private static void assertMessage(String schema, String... parts) {
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> JsonConstraint.schema(schema), schema);
        for (String p : parts) {
            assertTrue(e.getMessage().contains(p), "message '" + e.getMessage() + "' lacks '" + p + "'");
        }
    }

    @Test
    void recursionThatCanEndIsKept() {
        // optional self-reference: finite documents exist
        Grammar g = JsonSchemaGrammar.schemaGrammar("{\"type\":\"object\",\"properties\":{\"a\":{\"$ref\":\"#\"}}}");
        valid(g, "{}", "{\"a\":{\"a\":{}}}");
        assertEquals(true, complete(g, "{\"a\":{}}"));
    }

    @Test
    void deepNestingAndCacheTrimmingKeepMatching() {
        GrammarMatcher m = new GrammarMatcher(ANY);
        GrammarMatcher.State s = m.start;
        int depth = 15_000;
        for (int i = 0; i < depth; i++) {
            s = m.next(s, '[');
            m.trimCaches();
            assertTrue(m.stateCount() <= 10_001);
        }
        s = m.next(s, '1');
        for (int i = 0; i < depth; i++) {
            assertFalse(s.accepting);
            s = m.next(s, ']');
            m.trimCaches();
        }
        assertTrue(s.finished);
    }
}
