package ai.sovereign.engine;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotSame;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

import com.fasterxml.jackson.core.StreamReadFeature;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.json.JsonMapper;
import java.io.ByteArrayOutputStream;
import java.nio.ByteBuffer;
import java.nio.charset.CodingErrorAction;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * Property test: random sampling at temperature 1.5 on real models under JSON constraints. Every
 * output that ends with STOP must parse (Jackson, strict) and validate against the schema; every
 * output cut by the token limit must be a prefix the grammar accepts. Also reports the masking time
 * per step on the 32k Llama 2 vocabulary.
 */
class JsonConstraintGenerationTest {
    private static final ObjectMapper JSON = JsonMapper.builder().enable(StreamReadFeature.STRICT_DUPLICATE_DETECTION)
            .enable(com.fasterxml.jackson.databind.DeserializationFeature.FAIL_ON_TRAILING_TOKENS).build();
    private static final int SEEDS = 12;
    private static final int MAX_TOKENS = 200;

    static final String PERSON = """
            {"type": "object",
             "properties": {
               "name": {"type": "string", "maxLength": 8},
               "age": {"type": "integer"},
               "kind": {"type": "string", "enum": ["cat", "dog", "bird"]},
               "tags": {"type": "array", "items": {"type": "string", "maxLength": 5}, "minItems": 1, "maxItems": 3},
               "home": {"type": "object", "properties": {"city": {"type": "string", "maxLength": 6}, "zip": {"type": ["integer", "null"]}},
                        "required": ["city", "zip"], "additionalProperties": false},
               "nick": {"type": "string", "maxLength": 3}
             },
             "required": ["name", "age", "kind", "tags", "home"],
             "additionalProperties": false}
            """;
    static final String ANY_OF = """
            {"anyOf": [
              {"type": "object", "properties": {"ok": {"type": "boolean"}, "n": {"const": 7}}, "required": ["ok"], "additionalProperties": false},
              {"type": "array", "items": {"enum": [1, "two", null, false]}, "maxItems": 4},
              {"type": "string", "minLength": 2, "maxLength": 6}
            ]}
            """;
    static final String DEFS = """
            {"$ref": "#/$defs/tree",
             "$defs": {
               "tree": {"type": "object", "properties": {"label": {"$ref": "#/$defs/label"},
                        "kids": {"type": "array", "items": {"$ref": "#/$defs/tree"}, "maxItems": 2}},
                        "required": ["label"], "additionalProperties": false},
               "label": {"type": "string", "maxLength": 4}}}
            """;
    static final String STRICT = """
            {"type": "object", "properties": {"answer": {"type": "string", "enum": ["yes", "no", "maybe"]},
              "confidence": {"type": "number"}, "ok": {"type": "boolean"}, "none": {"type": "null"}},
             "required": ["answer", "confidence", "ok", "none"], "additionalProperties": false}
            """;

    private static LanguageModel stories;
    private static LanguageModel llama;

    @BeforeAll
    static void load() throws Exception {
        stories = LanguageModel.load(Fixtures.shared("models/stories260K.gguf"), 512);
        llama = LanguageModel.load(Fixtures.shared("models/llama-2-tiny-random.gguf"), 512);
    }

    @AfterAll
    static void close() {
        if (stories != null) {
            stories.close();
        }
        if (llama != null) {
            llama.close();
        }
    }

    private record Case(String name, String schema) {}

    private static List<Case> cases() {
        return List.of(new Case("anyJson", null), new Case("anyObject", "{\"type\":\"object\"}"), new Case("person", PERSON),
                new Case("anyOf", ANY_OF), new Case("defs", DEFS), new Case("strict", STRICT));
    }

    @Test
    void storiesOutputsAreValid() throws Exception {
        sampleAll(stories, "Once upon a time");
    }

    @Test
    void llamaOutputsAreValid() throws Exception {
        sampleAll(llama, "Reply in JSON:");
    }

    private static void sampleAll(LanguageModel model, String promptText) throws Exception {
        Tokenizer tokenizer = model.tokenizer();
        int[] prompt = tokenizer.encode(promptText, true, false);
        for (Case c : cases()) {
            TokenConstraint.Factory factory = c.schema == null ? JsonConstraint.anyJson() : JsonConstraint.schema(c.schema);
            Grammar grammar = c.schema == null ? JsonSchemaGrammar.anyValueGrammar() : JsonSchemaGrammar.schemaGrammar(c.schema);
            JsonNode schema = c.schema == null ? null : JSON.readTree(c.schema);
            int stopped = 0;
            int cut = 0;
            for (long seed = 0; seed < SEEDS; seed++) {
                GenerationSettings settings = GenerationSettings.of(MAX_TOKENS, SamplingSettings.defaults(seed).withTemperature(1.5f))
                        .withConstraint(factory);
                GenerationResult r = Generator.generate(model.newSession(), tokenizer, prompt, settings, null);
                byte[] bytes = bytesOf(tokenizer, r.tokens());
                String where = c.name + " seed " + seed + ": " + new String(bytes, StandardCharsets.UTF_8);
                GrammarMatcher matcher = new GrammarMatcher(grammar);
                GrammarMatcher.State state = matcher.next(matcher.start, bytes);
                assertNotSame(GrammarMatcher.DEAD, state, "not a valid prefix: " + where);
                if (seed < 2) {
                    System.out.printf("  [%d] %s seed %d %s: %s%n", tokenizer.size(), c.name, seed, r.finishReason(), r.text());
                }
                if (r.finishReason() == GenerationResult.FinishReason.STOP) {
                    stopped++;
                    String text = strictUtf8(bytes, where);
                    assertEquals(text, r.text(), where);
                    JsonNode value;
                    try {
                        value = JSON.readTree(text);
                    } catch (Exception e) {
                        throw new AssertionError("not JSON: " + where, e);
                    }
                    if (schema != null) {
                        List<String> errors = new ArrayList<>();
                        validate(schema, value, schema, "$", errors);
                        assertTrue(errors.isEmpty(), errors + " in " + where);
                    }
                    if (c.name.equals("anyObject")) {
                        assertTrue(value.isObject(), where);
                    }
                } else {
                    assertEquals(GenerationResult.FinishReason.LENGTH, r.finishReason(), where);
                    assertEquals(MAX_TOKENS, r.tokens().length, where);
                    cut++;
                }
            }
            System.out.printf("[%s] %s: %d complete, %d cut at %d tokens%n", tokenizer.size(),
                    c.name, stopped, cut, MAX_TOKENS);
        }
    }

    private static byte[] bytesOf(Tokenizer tokenizer, int[] tokens) {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        for (int t : tokens) {
            if (!tokenizer.isEndOfGeneration(t)) {
                out.writeBytes(tokenizer.tokenBytes(t));
            }
        }
        return out.toByteArray();
    }

    private static String strictUtf8(byte[] bytes, String where) {
        try {
            return StandardCharsets.UTF_8.newDecoder().onMalformedInput(CodingErrorAction.REPORT)
                    .onUnmappableCharacter(CodingErrorAction.REPORT).decode(ByteBuffer.wrap(bytes)).toString();
        } catch (Exception e) {
            throw new AssertionError("malformed UTF-8: " + where, e);
        }
    }

    /** A validator for the schema subset the tests use. */
    static void validate(JsonNode schema, JsonNode value, JsonNode root, String path, List<String> errors) {
        if (schema.has("$ref")) {
            validate(root.at(schema.get("$ref").asText().substring(1)), value, root, path, errors);
            return;
        }
        for (String key : List.of("anyOf", "oneOf")) {
            if (schema.has(key)) {
                int matching = 0;
                for (JsonNode alternative : schema.get(key)) {
                    List<String> sub = new ArrayList<>();
                    validate(alternative, value, root, path, sub);
                    matching += sub.isEmpty() ? 1 : 0;
                }
                if (matching == 0) {
                    errors.add(path + " matches no alternative of " + key);
                }
                return;
            }
        }
        if (schema.has("const") && !schema.get("const").equals(value)) {
            errors.add(path + " is not the const");
        }
        if (schema.has("enum")) {
            boolean found = false;
            for (JsonNode v : schema.get("enum")) {
                found |= v.equals(value);
            }
            if (!found) {
                errors.add(path + " is not in the enum");
            }
        }
        if (schema.has("type")) {
            List<String> types = new ArrayList<>();
            if (schema.get("type").isArray()) {
                schema.get("type").forEach(t -> types.add(t.asText()));
            } else {
                types.add(schema.get("type").asText());
            }
            boolean ok = false;
            for (String t : types) {
                ok |= switch (t) {
                    case "object" -> value.isObject();
                    case "array" -> value.isArray();
                    case "string" -> value.isTextual();
                    case "number" -> value.isNumber();
                    case "integer" -> value.isIntegralNumber();
                    case "boolean" -> value.isBoolean();
                    case "null" -> value.isNull();
                    default -> false;
                };
            }
            if (!ok) {
                errors.add(path + " is not of type " + types);
                return;
            }
        }
        if (value.isObject() && schema.has("properties")) {
            JsonNode properties = schema.get("properties");
            if (schema.has("required")) {
                for (JsonNode r : schema.get("required")) {
                    if (!value.has(r.asText())) {
                        errors.add(path + " lacks " + r.asText());
                    }
                }
            }
            for (Iterator<Map.Entry<String, JsonNode>> it = value.fields(); it.hasNext(); ) {
                Map.Entry<String, JsonNode> e = it.next();
                if (properties.has(e.getKey())) {
                    validate(properties.get(e.getKey()), e.getValue(), root, path + "." + e.getKey(), errors);
                } else if (schema.has("additionalProperties") && schema.get("additionalProperties").isBoolean()
                        && !schema.get("additionalProperties").asBoolean()) {
                    errors.add(path + " has an additional property " + e.getKey());
                }
            }
        }
        if (value.isArray()) {
            if (schema.has("minItems") && value.size() < schema.get("minItems").asInt()) {
                errors.add(path + " has fewer than minItems");
            }
            if (schema.has("maxItems") && value.size() > schema.get("maxItems").asInt()) {
                errors.add(path + " has more than maxItems");
            }
            if (schema.has("items")) {
                for (int i = 0; i < value.size(); i++) {
                    validate(schema.get("items"), value.get(i), root, path + "[" + i + "]", errors);
                }
            }
        }
        if (value.isTextual()) {
            String s = value.asText();
            int length = s.codePointCount(0, s.length());
            if (schema.has("minLength") && length < schema.get("minLength").asInt()) {
                errors.add(path + " is shorter than minLength");
            }
            if (schema.has("maxLength") && length > schema.get("maxLength").asInt()) {
                errors.add(path + " is longer than maxLength");
            }
        }
    }

    @Test
    void theValidatorCatchesViolations() throws Exception {
        JsonNode schema = JSON.readTree(PERSON);
        List<String> errors = new ArrayList<>();
        validate(schema, JSON.readTree("{\"name\":\"toolongname\",\"age\":1.5,\"kind\":\"cow\",\"tags\":[],\"extra\":1}"), schema, "$", errors);
        assertEquals(6, errors.size(), errors.toString());
    }

    @Test
    void trieWalkTimeOn32kVocabulary() {
        Tokenizer tokenizer = llama.tokenizer();
        float[] logits = new float[tokenizer.size()];
        String[][] prefixes = {
                {"anyJson", null, ""},
                {"anyJson", null, "{\"a\": \"x"},
                {"anyJson", null, "{\"a\": [1, 2"},
                {"person", PERSON, "{\"name\": \"ab"},
                {"person", PERSON, "{\"name\": \"ab\", \"age\": 1"},
                {"strict", STRICT, "{\"answer\": \"m"},
        };
        for (String[] p : prefixes) {
            TokenConstraint.Factory factory = p[1] == null ? JsonConstraint.anyJson() : JsonConstraint.schema(p[1]);
            int[] tokens = tokenizer.encode(p[2], false, false);
            GrammarConstraint warm = (GrammarConstraint) factory.create(tokenizer);
            for (int t : tokens) {
                warm.accept(t);
            }
            int allowed = 0;
            for (long w : warm.allowedTokens()) {
                allowed += Long.bitCount(w);
            }
            int rounds = 300;
            long cold = 0;
            long walk = 0;
            long hit = 0;
            for (int round = 0; round < rounds; round++) {
                GrammarConstraint fresh = (GrammarConstraint) factory.create(tokenizer);
                for (int t : tokens) {
                    fresh.accept(t);
                }
                long t0 = System.nanoTime();
                fresh.mask(logits);
                long t1 = System.nanoTime();
                warm.forgetMasks();
                warm.mask(logits);
                long t2 = System.nanoTime();
                warm.mask(logits);
                long t3 = System.nanoTime();
                if (round >= rounds / 2) { // the first half warms up the JIT
                    cold += t1 - t0;
                    walk += t2 - t1;
                    hit += t3 - t2;
                }
            }
            int n = rounds - rounds / 2;
            System.out.printf("%-8s after %-28s %5d allowed: cold %7.1f us, trie walk %7.1f us, cached %5.1f us%n", p[0],
                    "'" + p[2] + "'", allowed, cold / 1e3 / n, walk / 1e3 / n, hit / 1e3 / n);
        }
    }

    /** A constraint that times its own mask calls. */
    private static final class Timed implements TokenConstraint {
        final TokenConstraint inner;
        final List<Long> nanos;

        Timed(TokenConstraint inner, List<Long> nanos) {
            this.inner = inner;
            this.nanos = nanos;
        }

        @Override
        public void mask(float[] logits) {
            long t0 = System.nanoTime();
            inner.mask(logits);
            nanos.add(System.nanoTime() - t0);
        }

        @Override
        public void accept(int token) {
            inner.accept(token);
        }

        @Override
        public boolean complete() {
            return inner.complete();
        }
    }

    @Test
    void maskTimePerStepOn32kVocabulary() throws Exception {
        Tokenizer tokenizer = llama.tokenizer();
        int[] prompt = tokenizer.encode("Reply in JSON:", true, false);
        VocabularyTrie trie = VocabularyTrie.of(tokenizer);
        System.out.printf("vocabulary %d tokens, trie %d nodes, longest token %d bytes%n", tokenizer.size(), trie.nodeCount(), trie.maxDepth);
        for (Case c : cases()) {
            TokenConstraint.Factory inner = c.schema == null ? JsonConstraint.anyJson() : JsonConstraint.schema(c.schema);
            List<Long> all = new ArrayList<>();
            for (int round = 0; round < 3; round++) { // the first rounds warm up the JIT
                all.clear();
                for (long seed = 100; seed < 104; seed++) {
                    TokenConstraint.Factory timed = t -> new Timed(inner.create(t), all);
                    GenerationSettings settings = GenerationSettings.of(MAX_TOKENS, SamplingSettings.defaults(seed).withTemperature(1.5f))
                            .withConstraint(timed);
                    Generator.generate(llama.newSession(), tokenizer, prompt, settings, null);
                }
            }
            long[] sorted = all.stream().mapToLong(Long::longValue).sorted().toArray();
            if (sorted.length == 0) {
                fail("no steps");
            }
            double mean = all.stream().mapToLong(Long::longValue).average().orElse(0) / 1e3;
            System.out.printf("mask %-9s %5d steps: mean %7.1f us, median %7.1f us, p90 %7.1f us, max %8.1f us%n", c.name, sorted.length,
                    mean, sorted[sorted.length / 2] / 1e3, sorted[(int) (sorted.length * 0.9)] / 1e3, sorted[sorted.length - 1] / 1e3);
        }
    }
}
