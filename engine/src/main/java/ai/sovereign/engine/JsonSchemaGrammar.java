package ai.sovereign.engine;

import java.math.BigDecimal;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * Compiles JSON (any value, or a JSON Schema subset) into a byte {@link Grammar}.
 *
 * <p>The JSON grammar follows RFC 8259: strings hold unescaped characters from U+0020 up, escapes
 * (backslash-u escapes with surrogates only in valid pairs) and well-formed UTF-8 (no overlongs, no
 * surrogates, at most U+10FFFF); numbers are {@code -?(0|[1-9][0-9]*)(\.[0-9]+)?([eE][+-]?[0-9]+)?};
 * literals true, false, null. Whitespace is limited so a model cannot loop on it: before the
 * document and between tokens at most one space, or a newline followed by up to 20 spaces or tabs.
 * Nothing may follow the top-level value.
 *
 * <p>The schema subset (what OpenAI's strict structured outputs use, and a little more):
 * <ul>
 * <li>{@code type}: object, array, string, number, integer, boolean, null, or an array of them;
 * without {@code type} it is inferred from the keywords present (properties: object; items,
 * minItems, maxItems: array; minLength, maxLength: string), else any JSON value.
 * <li>{@code properties} are emitted in schema order; those in {@code required} always, the others
 * may be left out. Additional properties are never generated when properties are declared (whatever
 * {@code additionalProperties} says: generating fewer kinds of documents is always valid). With no
 * properties declared: {@code additionalProperties} absent or true gives any object, a schema gives a
 * map of such values, false only {@code {}}.
 * <li>{@code items}, {@code minItems}, {@code maxItems}; {@code uniqueItems: false}.
 * <li>{@code minLength}, {@code maxLength} (counting code points; an escape counts as one).
 * <li>{@code enum}, {@code const} (values emitted in compact form; filtered by {@code type} if given).
 * <li>{@code anyOf}, {@code oneOf} (as alternatives: exclusivity is not enforced), {@code allOf} with
 * one schema.
 * <li>{@code $ref} to any local JSON pointer ({@code #}, {@code #/$defs/x}, {@code #/definitions/x}),
 * recursion included; a recursion that can never end (a required property requiring itself) or
 * that consumes nothing is rejected.
 * <li>Ignored annotations: {@code $schema $id $comment title description default examples format
 * deprecated readOnly writeOnly $defs definitions contentMediaType contentEncoding} and {@code x-*}.
 * </ul>
 * Any other keyword (pattern, minimum, not, prefixItems, ...) is rejected with an
 * {@link IllegalArgumentException} naming it and its location as a JSON pointer.
 */
final class JsonSchemaGrammar {
    private static final int MAX_EXPANSION = 10_000;
    private static final int MAX_INDENT = 20;
    private static final Set<String> ANNOTATIONS = Set.of("$schema", "$id", "$comment", "title", "description", "default",
            "examples", "format", "deprecated", "readOnly", "writeOnly", "$defs", "definitions", "contentMediaType",
            "contentEncoding");
    private static final Set<String> KEYWORDS = Set.of("type", "properties", "required", "additionalProperties", "items",
            "minItems", "maxItems", "uniqueItems", "enum", "const", "anyOf", "oneOf", "allOf", "$ref", "minLength", "maxLength");
    private static final List<String> TYPES = List.of("object", "array", "string", "number", "integer", "boolean", "null");

    private final Grammar.Builder g = new Grammar.Builder();
    private final Object document;
    private final Map<String, Integer> refRules = new HashMap<>();
    private int ws = Integer.MIN_VALUE;
    private int string = Integer.MIN_VALUE;
    private int stringChar = Integer.MIN_VALUE;
    private int stringRest = Integer.MIN_VALUE;
    private int number = Integer.MIN_VALUE;
    private int integer = Integer.MIN_VALUE;
    private int anyValue = Integer.MIN_VALUE;
    private int anyObjectRule = -1;
    private int anyArrayRule = -1;

    private JsonSchemaGrammar(Object document) {
        this.document = document;
    }

    /** Any JSON value. */
    static Grammar anyValueGrammar() {
        JsonSchemaGrammar c = new JsonSchemaGrammar(Boolean.TRUE);
        return c.finish(c.anyValue());
    }

    /** Any JSON object. */
    static Grammar anyObjectGrammar() {
        JsonSchemaGrammar c = new JsonSchemaGrammar(Boolean.TRUE);
        return c.finish(c.anyObject());
    }

    /** The documents valid under the schema (within the subset described above). */
    static Grammar schemaGrammar(String schemaText) {
        Object schema;
        try {
            schema = JsonText.parse(schemaText);
        } catch (IllegalArgumentException e) {
            throw new IllegalArgumentException("schema is not valid JSON: " + e.getMessage(), e);
        }
        JsonSchemaGrammar c = new JsonSchemaGrammar(schema);
        return c.finish(c.value(schema, ""));
    }

    private Grammar finish(int value) {
        int root = g.rule();
        g.alternative(root, ws(), value);
        return g.build(root);
    }

    // ---- schema ----

    private int value(Object schema, String path) {
        if (schema instanceof Boolean b) {
            if (!b) {
                throw new IllegalArgumentException("schema false at " + where(path) + " admits no value");
            }
            return anyValue();
        }
        if (!(schema instanceof Map<?, ?> raw)) {
            throw new IllegalArgumentException("schema at " + where(path) + " is not an object or boolean");
        }
        @SuppressWarnings("unchecked")
        Map<String, Object> m = (Map<String, Object>) raw;
        Set<String> validation = new LinkedHashSet<>();
        for (String key : m.keySet()) {
            if (ANNOTATIONS.contains(key) || key.startsWith("x-")) {
                continue;
            }
            if (!KEYWORDS.contains(key)) {
                String hint = key.equals("pattern") || key.equals("patternProperties") ? " (regular expressions are not supported)" : "";
                throw new IllegalArgumentException("unsupported schema keyword '" + key + "' at " + where(path + "/" + escape(key)) + hint);
            }
            validation.add(key);
        }
        if (m.containsKey("uniqueItems") && !Boolean.FALSE.equals(m.get("uniqueItems"))) {
            throw new IllegalArgumentException("unsupported schema keyword 'uniqueItems' (only false) at " + where(path + "/uniqueItems"));
        }
        for (String combinator : List.of("$ref", "anyOf", "oneOf", "allOf")) {
            if (validation.contains(combinator) && validation.size() > 1) {
                Set<String> others = new LinkedHashSet<>(validation);
                others.remove(combinator);
                throw new IllegalArgumentException("unsupported schema: '" + combinator + "' combined with "
                        + String.join(", ", others) + " at " + where(path));
            }
        }
        if (m.containsKey("$ref")) {
            return ref(m.get("$ref"), path + "/$ref");
        }
        for (String key : List.of("anyOf", "oneOf")) {
            if (m.containsKey(key)) {
                List<Object> list = list(m.get(key), path + "/" + key);
                if (list.isEmpty()) {
                    throw new IllegalArgumentException("'" + key + "' at " + where(path + "/" + key) + " is empty");
                }
                int[] alternatives = new int[list.size()];
                for (int i = 0; i < list.size(); i++) {
                    alternatives[i] = value(list.get(i), path + "/" + key + "/" + i);
                }
                return g.choice(alternatives);
            }
        }
        if (m.containsKey("allOf")) {
            List<Object> list = list(m.get("allOf"), path + "/allOf");
            if (list.size() != 1) {
                throw new IllegalArgumentException("unsupported schema: 'allOf' with " + list.size() + " schemas (only one) at " + where(path + "/allOf"));
            }
            return value(list.get(0), path + "/allOf/0");
        }
        List<String> types = types(m, path);
        if (m.containsKey("const") || m.containsKey("enum")) {
            for (String key : validation) {
                if (!key.equals("type") && !key.equals("const") && !key.equals("enum")) {
                    throw new IllegalArgumentException("unsupported schema: '" + key + "' combined with enum/const at " + where(path));
                }
            }
            List<Object> values = m.containsKey("const") ? List.of(m.get("const")) : list(m.get("enum"), path + "/enum");
            List<Integer> alternatives = new ArrayList<>();
            for (Object v : values) {
                if (types == null || types.contains(typeOf(v)) || types.contains("number") && typeOf(v).equals("integer")) {
                    alternatives.add(g.literal(JsonText.write(v)));
                }
            }
            if (m.containsKey("const") && m.containsKey("enum")) {
                throw new IllegalArgumentException("unsupported schema: both 'const' and 'enum' at " + where(path));
            }
            if (alternatives.isEmpty()) {
                throw new IllegalArgumentException("no value of 'enum'/'const' fits 'type' at " + where(path));
            }
            return g.choice(alternatives.stream().mapToInt(Integer::intValue).toArray());
        }
        if (types == null) {
            if (m.containsKey("properties") || m.containsKey("additionalProperties") || m.containsKey("required")) {
                types = List.of("object");
            } else if (m.containsKey("items") || m.containsKey("minItems") || m.containsKey("maxItems")) {
                types = List.of("array");
            } else if (m.containsKey("minLength") || m.containsKey("maxLength")) {
                types = List.of("string");
            } else {
                return anyValue();
            }
        }
        int[] alternatives = new int[types.size()];
        for (int i = 0; i < types.size(); i++) {
            alternatives[i] = switch (types.get(i)) {
                case "object" -> object(m, path);
                case "array" -> array(m, path);
                case "string" -> string(m, path);
                case "number" -> number();
                case "integer" -> integer();
                case "boolean" -> g.choice(g.literal("true"), g.literal("false"));
                case "null" -> g.literal("null");
                default -> throw new IllegalStateException();
            };
        }
        return alternatives.length == 1 ? alternatives[0] : g.choice(alternatives);
    }

    private List<String> types(Map<String, Object> m, String path) {
        Object type = m.get("type");
        if (type == null) {
            return null;
        }
        List<Object> raw = type instanceof List<?> l ? list(l, path + "/type") : List.of(type);
        List<String> types = new ArrayList<>();
        for (Object t : raw) {
            if (!(t instanceof String s) || !TYPES.contains(s)) {
                throw new IllegalArgumentException("unsupported type " + JsonText.write(t) + " at " + where(path + "/type"));
            }
            if (!types.contains(s)) {
                types.add(s);
            }
        }
        if (types.isEmpty()) {
            throw new IllegalArgumentException("empty 'type' at " + where(path + "/type"));
        }
        return types;
    }

    private static String typeOf(Object v) {
        if (v instanceof Map<?, ?>) {
            return "object";
        }
        if (v instanceof List<?>) {
            return "array";
        }
        if (v instanceof String) {
            return "string";
        }
        if (v instanceof Boolean) {
            return "boolean";
        }
        if (v instanceof JsonText.Num n) {
            BigDecimal d = n.value();
            return d.signum() == 0 || d.stripTrailingZeros().scale() <= 0 ? "integer" : "number";
        }
        return "null";
    }

    private int ref(Object target, String path) {
        if (!(target instanceof String pointer) || !pointer.startsWith("#")) {
            throw new IllegalArgumentException("unsupported $ref " + JsonText.write(target) + " at " + where(path)
                    + " (only local references such as #/$defs/name)");
        }
        Integer rule = refRules.get(pointer);
        if (rule != null) {
            return Grammar.ref(rule);
        }
        Object schema = resolve(pointer, path);
        rule = g.rule();
        refRules.put(pointer, rule);
        g.alternative(rule, value(schema, pointer.substring(1)));
        return Grammar.ref(rule);
    }

    private Object resolve(String pointer, String path) {
        Object at = document;
        String rest = pointer.substring(1);
        if (rest.isEmpty()) {
            return at;
        }
        if (!rest.startsWith("/")) {
            throw new IllegalArgumentException("unsupported $ref \"" + pointer + "\" at " + where(path) + " (anchors are not supported)");
        }
        for (String part : rest.substring(1).split("/", -1)) {
            String key = part.replace("~1", "/").replace("~0", "~");
            if (at instanceof Map<?, ?> map && map.containsKey(key)) {
                at = map.get(key);
            } else if (at instanceof List<?> list && key.matches("\\d+") && Integer.parseInt(key) < list.size()) {
                at = list.get(Integer.parseInt(key));
            } else {
                throw new IllegalArgumentException("$ref \"" + pointer + "\" at " + where(path) + " points at nothing");
            }
        }
        return at;
    }

    private int object(Map<String, Object> m, String path) {
        Map<String, Object> properties = map(m.getOrDefault("properties", Map.of()), path + "/properties");
        List<Object> requiredList = list(m.getOrDefault("required", List.of()), path + "/required");
        Set<String> required = new LinkedHashSet<>();
        for (Object r : requiredList) {
            if (!(r instanceof String name)) {
                throw new IllegalArgumentException("'required' at " + where(path + "/required") + " must list strings");
            }
            if (!properties.containsKey(name)) {
                throw new IllegalArgumentException("required property '" + name + "' at " + where(path + "/required")
                        + " is not declared in 'properties' (undeclared properties are not supported)");
            }
            required.add(name);
        }
        Object additional = m.get("additionalProperties");
        if (properties.isEmpty()) {
            if (additional == null || Boolean.TRUE.equals(additional)) {
                return anyObject();
            }
            if (Boolean.FALSE.equals(additional)) {
                return g.sequence(g.oneByte('{'), ws(), g.oneByte('}'));
            }
            return map(value(additional, path + "/additionalProperties"));
        }
        if (additional != null && !(additional instanceof Boolean)) {
            value(additional, path + "/additionalProperties"); // validated, never generated
        }
        List<String> names = new ArrayList<>(properties.keySet());
        int n = names.size();
        int[] member = new int[n];
        for (int i = 0; i < n; i++) {
            String name = names.get(i);
            StringBuilder key = new StringBuilder();
            JsonText.writeString(name, key);
            int v = value(properties.get(name), path + "/properties/" + escape(name));
            member[i] = g.sequence(g.literal(key.toString()), ws(), g.oneByte(':'), ws(), v, ws());
        }
        // after[i]: the members from i on when one was already written (each preceded by a comma);
        // first[i]: the same when none was written yet.
        int[] after = new int[n + 1];
        int[] first = new int[n + 1];
        after[n] = g.rule();
        g.alternative(after[n]);
        first[n] = after[n];
        for (int i = n - 1; i >= 0; i--) {
            boolean isRequired = required.contains(names.get(i));
            after[i] = g.rule();
            g.alternative(after[i], g.oneByte(','), ws(), member[i], Grammar.ref(after[i + 1]));
            if (!isRequired) {
                g.alternative(after[i], Grammar.ref(after[i + 1]));
            }
            first[i] = g.rule();
            g.alternative(first[i], member[i], Grammar.ref(after[i + 1]));
            if (!isRequired) {
                g.alternative(first[i], Grammar.ref(first[i + 1]));
            }
        }
        return g.sequence(g.oneByte('{'), ws(), Grammar.ref(first[0]), g.oneByte('}'));
    }

    private int map(int valueElement) {
        int member = g.sequence(string(), ws(), g.oneByte(':'), ws(), valueElement, ws());
        int rest = g.rule();
        g.alternative(rest, g.oneByte('}'));
        g.alternative(rest, g.oneByte(','), ws(), member, Grammar.ref(rest));
        int body = g.choice(g.oneByte('}'), g.sequence(member, Grammar.ref(rest)));
        return g.sequence(g.oneByte('{'), ws(), body);
    }

    private int array(Map<String, Object> m, String path) {
        int item = m.containsKey("items") ? value(m.get("items"), path + "/items") : anyValue();
        int min = count(m, "minItems", 0, path);
        int max = count(m, "maxItems", -1, path);
        if (max >= 0 && min > max) {
            throw new IllegalArgumentException("minItems > maxItems at " + where(path));
        }
        if (Math.max(min, max) > MAX_EXPANSION) {
            throw new IllegalArgumentException("minItems/maxItems above " + MAX_EXPANSION + " at " + where(path));
        }
        int element = g.sequence(item, ws());
        // rest(k): after k items.
        int loop = -1;
        if (max < 0) {
            loop = g.rule();
            g.alternative(loop, g.oneByte(']'));
            g.alternative(loop, g.oneByte(','), ws(), element, Grammar.ref(loop));
        }
        int last = Math.max(min, max);
        int[] rest = new int[last + 1];
        for (int k = last; k >= 1; k--) {
            if (max < 0 && k == min) {
                rest[k] = loop;
                continue;
            }
            rest[k] = g.rule();
            if (k >= min) {
                g.alternative(rest[k], g.oneByte(']'));
            }
            if (max < 0 || k < max) {
                int next = k + 1 <= last ? rest[k + 1] : loop;
                g.alternative(rest[k], g.oneByte(','), ws(), element, Grammar.ref(next));
            }
        }
        int body = g.rule();
        if (min == 0) {
            g.alternative(body, g.oneByte(']'));
        }
        if (max != 0) {
            int next = last >= 1 ? rest[1] : loop;
            g.alternative(body, element, Grammar.ref(next));
        }
        return g.sequence(g.oneByte('['), ws(), Grammar.ref(body));
    }

    private int string(Map<String, Object> m, String path) {
        int min = count(m, "minLength", 0, path);
        int max = count(m, "maxLength", -1, path);
        if (min == 0 && max < 0) {
            return string();
        }
        if (max >= 0 && min > max) {
            throw new IllegalArgumentException("minLength > maxLength at " + where(path));
        }
        if (Math.max(min, max) > MAX_EXPANSION) {
            throw new IllegalArgumentException("minLength/maxLength above " + MAX_EXPANSION + " at " + where(path));
        }
        string(); // makes stringChar and stringRest
        int last = Math.max(min, max);
        int[] rest = new int[last + 1];
        for (int k = last; k >= 0; k--) {
            if (max < 0 && k == min) {
                rest[k] = Grammar.ruleOf(stringRest);
                continue;
            }
            rest[k] = g.rule();
            if (k >= min) {
                g.alternative(rest[k], g.oneByte('"'));
            }
            if (max < 0 || k < max) {
                int next = k + 1 <= last ? Grammar.ref(rest[k + 1]) : stringRest;
                g.alternative(rest[k], stringChar, next);
            }
        }
        return g.sequence(g.oneByte('"'), Grammar.ref(rest[0]));
    }

    private static int count(Map<String, Object> m, String key, int absent, String path) {
        Object v = m.get(key);
        if (v == null) {
            return absent;
        }
        try {
            if (v instanceof JsonText.Num n) {
                int c = n.value().intValueExact();
                if (c >= 0) {
                    return c;
                }
            }
        } catch (ArithmeticException e) {
            // falls through
        }
        throw new IllegalArgumentException("'" + key + "' at " + where(path + "/" + key) + " must be a non-negative integer");
    }

    // ---- plain JSON ----

    private int ws() {
        if (ws == Integer.MIN_VALUE) {
            int indent = g.rule();
            g.alternative(indent);
            int spaceOrTab = g.bytes(' ', ' ', '\t', '\t');
            for (int i = 1; i <= MAX_INDENT; i++) {
                int next = g.rule();
                g.alternative(next);
                g.alternative(next, spaceOrTab, Grammar.ref(indent));
                indent = next;
            }
            int rule = g.rule();
            g.alternative(rule);
            g.alternative(rule, g.oneByte(' '));
            g.alternative(rule, g.oneByte('\n'), Grammar.ref(indent));
            ws = Grammar.ref(rule);
        }
        return ws;
    }

    private int string() {
        if (string == Integer.MIN_VALUE) {
            int hex = g.bytes('0', '9', 'a', 'f', 'A', 'F');
            int u = g.oneByte('u');
            int d = g.bytes('D', 'D', 'd', 'd');
            int escape = g.rule();
            g.alternative(escape, g.bytes('"', '"', '\\', '\\', '/', '/', 'b', 'b', 'f', 'f', 'n', 'n', 'r', 'r', 't', 't'));
            g.alternative(escape, u, g.bytes('0', '9', 'a', 'c', 'A', 'C', 'e', 'f', 'E', 'F'), hex, hex, hex);
            g.alternative(escape, u, d, g.bytes('0', '7'), hex, hex);
            g.alternative(escape, u, d, g.bytes('8', '9', 'a', 'b', 'A', 'B'), hex, hex,
                    g.oneByte('\\'), u, d, g.bytes('c', 'f', 'C', 'F'), hex, hex);
            int cont = g.bytes(0x80, 0xBF);
            int ch = g.rule();
            g.alternative(ch, g.bytes(0x20, 0x21, 0x23, 0x5B, 0x5D, 0x7F));
            g.alternative(ch, g.oneByte('\\'), Grammar.ref(escape));
            g.alternative(ch, g.bytes(0xC2, 0xDF), cont);
            g.alternative(ch, g.oneByte(0xE0), g.bytes(0xA0, 0xBF), cont);
            g.alternative(ch, g.bytes(0xE1, 0xEC), cont, cont);
            g.alternative(ch, g.oneByte(0xED), g.bytes(0x80, 0x9F), cont);
            g.alternative(ch, g.bytes(0xEE, 0xEF), cont, cont);
            g.alternative(ch, g.oneByte(0xF0), g.bytes(0x90, 0xBF), cont, cont);
            g.alternative(ch, g.bytes(0xF1, 0xF3), cont, cont, cont);
            g.alternative(ch, g.oneByte(0xF4), g.bytes(0x80, 0x8F), cont, cont);
            stringChar = Grammar.ref(ch);
            int rest = g.rule();
            g.alternative(rest, g.oneByte('"'));
            g.alternative(rest, stringChar, Grammar.ref(rest));
            stringRest = Grammar.ref(rest);
            string = g.sequence(g.oneByte('"'), stringRest);
        }
        return string;
    }

    private int integer() {
        if (integer == Integer.MIN_VALUE) {
            number();
        }
        return integer;
    }

    private int number() {
        if (number == Integer.MIN_VALUE) {
            int digit = g.bytes('0', '9');
            int digits = g.rule(); // [0-9]*
            g.alternative(digits);
            g.alternative(digits, digit, Grammar.ref(digits));
            int minus = g.choice(g.oneByte('-'));
            g.alternative(Grammar.ruleOf(minus));
            int whole = g.choice(g.oneByte('0'), g.sequence(g.bytes('1', '9'), Grammar.ref(digits)));
            integer = g.sequence(minus, whole);
            int fraction = g.rule();
            g.alternative(fraction);
            g.alternative(fraction, g.oneByte('.'), digit, Grammar.ref(digits));
            int sign = g.choice(g.bytes('+', '+', '-', '-'));
            g.alternative(Grammar.ruleOf(sign));
            int exponent = g.rule();
            g.alternative(exponent);
            g.alternative(exponent, g.bytes('e', 'e', 'E', 'E'), sign, digit, Grammar.ref(digits));
            number = g.sequence(integer, Grammar.ref(fraction), Grammar.ref(exponent));
        }
        return number;
    }

    private int anyValue() {
        if (anyValue == Integer.MIN_VALUE) {
            int rule = g.rule();
            anyValue = Grammar.ref(rule);
            anyObjectRule = Grammar.ruleOf(map(anyValue));
            anyArrayRule = g.rule();
            int rest = g.rule();
            g.alternative(rest, g.oneByte(']'));
            g.alternative(rest, g.oneByte(','), ws(), anyValue, ws(), Grammar.ref(rest));
            int body = g.choice(g.oneByte(']'), g.sequence(anyValue, ws(), Grammar.ref(rest)));
            g.alternative(anyArrayRule, g.oneByte('['), ws(), body);
            g.alternative(rule, Grammar.ref(anyObjectRule));
            g.alternative(rule, Grammar.ref(anyArrayRule));
            g.alternative(rule, string());
            g.alternative(rule, number());
            g.alternative(rule, g.literal("true"));
            g.alternative(rule, g.literal("false"));
            g.alternative(rule, g.literal("null"));
        }
        return anyValue;
    }

    private int anyObject() {
        anyValue();
        return Grammar.ref(anyObjectRule);
    }

    // ---- helpers ----

    @SuppressWarnings("unchecked")
    private static Map<String, Object> map(Object v, String path) {
        if (v instanceof Map<?, ?> m) {
            return (Map<String, Object>) m;
        }
        throw new IllegalArgumentException("expected an object at " + where(path));
    }

    @SuppressWarnings("unchecked")
    private static List<Object> list(Object v, String path) {
        if (v instanceof List<?> l) {
            return (List<Object>) l;
        }
        throw new IllegalArgumentException("expected an array at " + where(path));
    }

    private static String escape(String key) {
        return key.replace("~", "~0").replace("/", "~1");
    }

    private static String where(String pointer) {
        return "#" + pointer;
    }
}
