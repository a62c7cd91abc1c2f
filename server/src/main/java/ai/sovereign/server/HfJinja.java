package ai.sovereign.server;

import com.fasterxml.jackson.databind.JsonNode;
import com.hubspot.jinjava.Jinjava;
import com.hubspot.jinjava.JinjavaConfig;
import com.hubspot.jinjava.LegacyOverrides;
import com.hubspot.jinjava.el.JinjavaInterpreterResolver;
import com.hubspot.jinjava.interpret.JinjavaInterpreter;
import com.hubspot.jinjava.lib.exptest.ExpTest;
import com.hubspot.jinjava.lib.filter.Filter;
import com.hubspot.jinjava.lib.fn.ELFunctionDefinition;
import com.hubspot.jinjava.objects.collections.PyList;
import com.hubspot.jinjava.objects.collections.PyMap;
import com.hubspot.jinjava.objects.date.StrftimeFormatter;
import java.beans.FeatureDescriptor;
import java.lang.reflect.Method;
import java.time.ZonedDateTime;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Collection;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import jinjava.javax.el.CompositeELResolver;
import jinjava.javax.el.ELContext;
import jinjava.javax.el.ELResolver;

/**
 * Jinjava set up as Hugging Face transformers renders chat templates ({@code apply_chat_template}):
 * trim_blocks and lstrip_blocks, the globals {@code raise_exception(msg)} and
 * {@code strftime_now(fmt)}, a {@code tojson} filter with Python's {@code json.dumps} output
 * ({@code ensure_ascii=False}, separators {@code ", "}/{@code ": "}, {@code indent}), and the Python
 * string methods templates call ({@code .startswith}, {@code .endswith}, {@code .strip},
 * {@code .lstrip}, {@code .rstrip}, {@code .split}, {@code .upper}, {@code .lower},
 * {@code .replace}, {@code .title}). Jinjava already has {@code namespace}, slices, {@code .items()},
 * loop controls and the tests templates use.
 *
 * <p>Measured on Llama 3/3.2, Qwen 2.5/3, EXAONE 3.5 and Mistral Nemo (ChatFormatterTest, against
 * Python jinja2 with the transformers environment). What stays unsupported: Python string methods
 * beyond the list above, {@code .format()}, and generation tags ({@code {% generation %}}); a template
 * that uses them fails to render and its model falls back to the built-in format.
 */
final class HfJinja {
    /** Context key holding the render's time for strftime_now (a Clock, so tests are deterministic). */
    static final String NOW = "__sovereign_now";

    private HfJinja() {}

    static Jinjava create() {
        CompositeELResolver resolver = new CompositeELResolver();
        resolver.add(new PythonStringMethods());
        resolver.add(JinjavaInterpreterResolver.DEFAULT_RESOLVER_READ_WRITE);
        JinjavaConfig config = JinjavaConfig.newBuilder()
                .withTrimBlocks(true)
                .withLstripBlocks(true)
                // Jinja semantics where Jinjava keeps its own by default: {{- -}} trimming, Python
                // operator precedence, iterating a dict gives its keys, strict whitespace control.
                // (Not whitespaceRequiredWithinTokens: with it, "{{- x }}" no longer parses.)
                .withLegacyOverrides(LegacyOverrides.newBuilder()
                        .withUseTrimmingForNotesAndExpressions(true)
                        .withUseNaturalOperatorPrecedence(true)
                        .withIterateOverMapKeys(true)
                        .withEvaluateMapKeys(true)
                        .withKeepNullableLoopValues(true)
                        .withParseWhitespaceControlStrictly(true)
                        .withAllowAdjacentTextNodes(true)
                        .build())
                .withElResolver(resolver)
                // Never re-render output: message text such as "{{ 7 * 7 }}" stays text.
                .withNestedInterpretationEnabled(false)
                .withMaxOutputSize(16L << 20)
                .withMaxRenderDepth(32)
                .build();
        Jinjava jinjava = new Jinjava(config);
        try {
            Method raise = HfJinja.class.getDeclaredMethod("raiseException", String.class);
            Method strftime = HfJinja.class.getDeclaredMethod("strftimeNow", String.class);
            raise.setAccessible(true);
            strftime.setAccessible(true);
            jinjava.registerFunction(new ELFunctionDefinition("", "raise_exception", raise));
            jinjava.registerFunction(new ELFunctionDefinition("", "strftime_now", strftime));
        } catch (NoSuchMethodException e) {
            throw new IllegalStateException(e);
        }
        jinjava.registerFilter(new ToJson());
        jinjava.registerExpTest(new Iterable());
        return jinjava;
    }

    private static final Pattern NOT_TEST = Pattern.compile("\\bnot\\s+([A-Za-z_][\\w.]*(?:\\[[^\\]]*\\])*)\\s+is\\s+(not\\s+)?([a-z_]+)\\b");
    /** A quoted literal on one line holding "{{" and then "}}" (so never the text between two tags). */
    private static final Pattern STRING_WITH_DELIMITER = Pattern.compile(
            "\"(?:[^\"\\\\\\n}]|\\\\.)*\\{\\{(?:[^\"\\\\\\n]|\\\\.)*}}(?:[^\"\\\\\\n]|\\\\.)*\""
            + "|'(?:[^'\\\\\\n}]|\\\\.)*\\{\\{(?:[^'\\\\\\n]|\\\\.)*}}(?:[^'\\\\\\n]|\\\\.)*'");
    private static final Pattern REVERSED = Pattern.compile("([A-Za-z_][\\w.]*)\\[\\s*:\\s*:\\s*-1\\s*\\]");

    /**
     * Rewrites the few Jinja constructs Jinjava parses differently, into equivalents it parses as
     * Jinja does (measured on the templates in ChatFormatterTest):
     * <ul>
     *   <li>{@code not x is defined} is {@code not (x is defined)} in Jinja; Jinjava reads {@code (not x) is defined}.</li>
     *   <li>A string literal holding {@code {{...}}} (Qwen 2.5's tool instructions) ends the tag early in
     *       Jinjava's scanner: the literal is split there into two concatenated literals.</li>
     *   <li>Jinja's {@code is iterable} holds for strings; Jinjava's does not (a test of our own replaces it).</li>
     *   <li>{@code xs[::-1]} (a slice with a step) does not parse: it becomes {@code (xs|reverse|list)}.</li>
     *   <li>{@code namespace(k=a|length - 1)}: Jinjava ends a keyword argument at the filter, so each value is parenthesized.</li>
     * </ul>
     */
    static String adapt(String template) {
        String out = NOT_TEST.matcher(template).replaceAll(m -> Matcher.quoteReplacement(
                "not (" + m.group(1) + " is " + (m.group(2) == null ? "" : "not ") + m.group(3) + ")"));
        out = STRING_WITH_DELIMITER.matcher(out).replaceAll(m -> {
            String literal = m.group();
            char quote = literal.charAt(0);
            String split = quote + " + " + quote;
            return Matcher.quoteReplacement(literal.replace("{{", "{" + split + "{").replace("}}", "}" + split + "}"));
        });
        out = REVERSED.matcher(out).replaceAll(m -> Matcher.quoteReplacement("(" + m.group(1) + "|reverse|list)"));
        return parenthesizeNamespaceArguments(out);
    }

    private static String parenthesizeNamespaceArguments(String template) {
        StringBuilder out = new StringBuilder(template.length());
        int from = 0;
        int at;
        while ((at = template.indexOf("namespace(", from)) >= 0) {
            int open = at + "namespace(".length();
            int depth = 1;
            int close = open;
            char quote = 0;
            List<Integer> commas = new ArrayList<>();
            for (; close < template.length() && depth > 0; close++) {
                char c = template.charAt(close);
                if (quote != 0) {
                    quote = c == quote ? 0 : quote;
                } else if (c == '\'' || c == '"') {
                    quote = c;
                } else if (c == '(' || c == '[' || c == '{') {
                    depth++;
                } else if (c == ')' || c == ']' || c == '}') {
                    depth--;
                } else if (c == ',' && depth == 1) {
                    commas.add(close);
                }
            }
            if (depth != 0) {
                break;
            }
            int end = close - 1;
            out.append(template, from, open);
            int start = open;
            commas.add(end);
            for (int i = 0; i < commas.size(); i++) {
                String argument = template.substring(start, commas.get(i));
                Matcher keyword = Pattern.compile("^(\\s*[A-Za-z_]\\w*\\s*=)(?!=)(.*)$", Pattern.DOTALL).matcher(argument);
                out.append(keyword.matches() ? keyword.group(1) + "(" + keyword.group(2) + ")" : argument);
                if (i < commas.size() - 1) {
                    out.append(',');
                }
                start = commas.get(i) + 1;
            }
            from = end;
        }
        out.append(template.substring(from));
        return out.toString();
    }

    /** Thrown by a template's raise_exception(msg); the message is the template's, never the conversation. */
    static final class TemplateRaised extends RuntimeException {
        TemplateRaised(String message) {
            super(message);
        }
    }

    public static String raiseException(String message) {
        throw new TemplateRaised(message);
    }

    public static String strftimeNow(String format) {
        Object now = JinjavaInterpreter.getCurrentMaybe().map(i -> i.getContext().get(NOW)).orElse(null);
        ZonedDateTime time = now instanceof ZonedDateTime z ? z : ZonedDateTime.now();
        return StrftimeFormatter.format(time, format, Locale.ROOT);
    }

    /** A JSON value (from a request) as template values: maps, lists, strings, numbers, booleans, null. */
    static Object value(JsonNode node) {
        if (node == null || node.isNull() || node.isMissingNode()) {
            return null;
        }
        if (node.isObject()) {
            Map<String, Object> map = new LinkedHashMap<>();
            node.properties().forEach(e -> map.put(e.getKey(), value(e.getValue())));
            return new PyMap(map);
        }
        if (node.isArray()) {
            List<Object> list = new ArrayList<>(node.size());
            node.forEach(v -> list.add(value(v)));
            return new PyList(list);
        }
        if (node.isTextual()) {
            return node.asText();
        }
        if (node.isBoolean()) {
            return node.asBoolean();
        }
        if (node.isIntegralNumber()) {
            return node.canConvertToLong() ? node.asLong() : node.bigIntegerValue();
        }
        return node.asDouble();
    }

    /** Jinja's "is iterable": strings, lists and mappings are (Jinjava's own test leaves out strings). */
    static final class Iterable implements ExpTest {
        @Override
        public String getName() {
            return "iterable";
        }

        @Override
        public boolean evaluate(Object var, JinjavaInterpreter interpreter, Object... args) {
            return var instanceof CharSequence || var instanceof java.lang.Iterable<?> || var instanceof Map<?, ?> || var instanceof Object[];
        }
    }

    /** HF's tojson: Python json.dumps(x, ensure_ascii=False, indent=indent). */
    static final class ToJson implements Filter {
        @Override
        public String getName() {
            return "tojson";
        }

        @Override
        public Object filter(Object var, JinjavaInterpreter interpreter, String... args) {
            return filter(var, interpreter, args, Map.of());
        }

        @Override
        public Object filter(Object var, JinjavaInterpreter interpreter, Object[] args, Map<String, Object> kwargs) {
            Object indent = kwargs.containsKey("indent") ? kwargs.get("indent") : args.length > 0 ? args[0] : null;
            int spaces = indent instanceof Number n ? n.intValue() : indent instanceof String s && !s.isBlank() ? Integer.parseInt(s.strip()) : -1;
            StringBuilder out = new StringBuilder();
            write(out, var, spaces, 0);
            return out.toString();
        }

        static void write(StringBuilder out, Object v, int indent, int depth) {
            switch (v) {
                case null -> out.append("null");
                case String s -> string(out, s);
                case Boolean b -> out.append(b ? "true" : "false");
                case Double d -> out.append(pythonFloat(d));
                case Float f -> out.append(pythonFloat(f.doubleValue()));
                case Number n -> out.append(n);
                case Map<?, ?> map -> {
                    if (map.isEmpty()) {
                        out.append("{}");
                        return;
                    }
                    out.append('{');
                    boolean first = true;
                    for (Map.Entry<?, ?> e : map.entrySet()) {
                        separator(out, first, indent, depth + 1);
                        first = false;
                        string(out, String.valueOf(e.getKey()));
                        out.append(": ");
                        write(out, e.getValue(), indent, depth + 1);
                    }
                    close(out, indent, depth);
                    out.append('}');
                }
                case Collection<?> list -> {
                    if (list.isEmpty()) {
                        out.append("[]");
                        return;
                    }
                    out.append('[');
                    boolean first = true;
                    for (Object item : list) {
                        separator(out, first, indent, depth + 1);
                        first = false;
                        write(out, item, indent, depth + 1);
                    }
                    close(out, indent, depth);
                    out.append(']');
                }
                case Object[] array -> write(out, Arrays.asList(array), indent, depth);
                default -> string(out, v.toString());
            }
        }

        private static void separator(StringBuilder out, boolean first, int indent, int depth) {
            if (indent >= 0) {
                out.append(first ? "\n" : ",\n").append(" ".repeat(indent * depth));
            } else if (!first) {
                out.append(", ");
            }
        }

        private static void close(StringBuilder out, int indent, int depth) {
            if (indent >= 0) {
                out.append('\n').append(" ".repeat(indent * depth));
            }
        }

        private static String pythonFloat(double d) {
            if (Double.isNaN(d)) {
                return "NaN";
            }
            if (Double.isInfinite(d)) {
                return d > 0 ? "Infinity" : "-Infinity";
            }
            String s = Double.toString(d);
            int e = s.indexOf('E');
            if (e < 0) {
                return s;
            }
            String mantissa = s.substring(0, e).replaceAll("\\.0$", "");
            int exponent = Integer.parseInt(s.substring(e + 1));
            return mantissa + "e" + (exponent < 0 ? "-" : "+") + String.format(Locale.ROOT, "%02d", Math.abs(exponent));
        }

        static void string(StringBuilder out, String s) {
            out.append('"');
            for (int i = 0; i < s.length(); i++) {
                char c = s.charAt(i);
                switch (c) {
                    case '"' -> out.append("\\\"");
                    case '\\' -> out.append("\\\\");
                    case '\n' -> out.append("\\n");
                    case '\r' -> out.append("\\r");
                    case '\t' -> out.append("\\t");
                    case '\b' -> out.append("\\b");
                    case '\f' -> out.append("\\f");
                    default -> {
                        if (c < 0x20) {
                            out.append(String.format(Locale.ROOT, "\\u%04x", (int) c));
                        } else {
                            out.append(c);
                        }
                    }
                }
            }
            out.append('"');
        }
    }

    /** Python's str methods on Java strings, for calls such as {@code message.content.startswith('x')}. */
    static final class PythonStringMethods extends ELResolver {
        private static final Set<String> METHODS = Set.of("startswith", "endswith", "strip", "lstrip", "rstrip", "split",
                "upper", "lower", "replace", "title", "capitalize", "find", "count", "isdigit", "isspace");

        @Override
        public Object invoke(ELContext context, Object base, Object method, Class<?>[] paramTypes, Object[] params) {
            if (!(base instanceof String s) || !(method instanceof String name) || !METHODS.contains(name)) {
                return null;
            }
            Object[] p = params == null ? new Object[0] : params;
            Object result = switch (name) {
                case "startswith" -> anyMatch(p[0], s::startsWith);
                case "endswith" -> anyMatch(p[0], s::endsWith);
                case "strip" -> rstrip(lstrip(s, chars(p)), chars(p));
                case "lstrip" -> lstrip(s, chars(p));
                case "rstrip" -> rstrip(s, chars(p));
                case "split" -> split(s, p.length > 0 && p[0] != null ? p[0].toString() : null, p.length > 1 ? ((Number) p[1]).intValue() : -1);
                case "upper" -> s.toUpperCase(Locale.ROOT);
                case "lower" -> s.toLowerCase(Locale.ROOT);
                case "replace" -> s.replace(p[0].toString(), p[1].toString());
                case "title" -> title(s);
                case "capitalize" -> s.isEmpty() ? s : s.substring(0, 1).toUpperCase(Locale.ROOT) + s.substring(1).toLowerCase(Locale.ROOT);
                case "find" -> (long) s.indexOf(p[0].toString());
                case "count" -> (long) count(s, p[0].toString());
                case "isdigit" -> !s.isEmpty() && s.chars().allMatch(Character::isDigit);
                case "isspace" -> !s.isEmpty() && s.chars().allMatch(Character::isWhitespace);
                default -> throw new IllegalStateException(name);
            };
            context.setPropertyResolved(true);
            return result;
        }

        private static boolean anyMatch(Object prefixes, java.util.function.Predicate<String> test) {
            if (prefixes instanceof Collection<?> c) {
                return c.stream().anyMatch(x -> test.test(String.valueOf(x)));
            }
            return test.test(String.valueOf(prefixes));
        }

        private static String chars(Object[] p) {
            return p.length > 0 && p[0] != null ? p[0].toString() : null;
        }

        private static boolean strippable(char c, String chars) {
            return chars == null ? Character.isWhitespace(c) : chars.indexOf(c) >= 0;
        }

        static String lstrip(String s, String chars) {
            int i = 0;
            while (i < s.length() && strippable(s.charAt(i), chars)) {
                i++;
            }
            return s.substring(i);
        }

        static String rstrip(String s, String chars) {
            int j = s.length();
            while (j > 0 && strippable(s.charAt(j - 1), chars)) {
                j--;
            }
            return s.substring(0, j);
        }

        static PyList split(String s, String separator, int maxSplit) {
            List<Object> parts = new ArrayList<>();
            if (separator == null) {
                for (String part : s.strip().split("\\s+", maxSplit < 0 ? 0 : maxSplit + 1)) {
                    if (!part.isEmpty()) {
                        parts.add(part);
                    }
                }
                return new PyList(parts);
            }
            if (separator.isEmpty()) {
                throw new IllegalArgumentException("empty separator");
            }
            int from = 0;
            int at;
            while ((maxSplit < 0 || parts.size() < maxSplit) && (at = s.indexOf(separator, from)) >= 0) {
                parts.add(s.substring(from, at));
                from = at + separator.length();
            }
            parts.add(s.substring(from));
            return new PyList(parts);
        }

        private static String title(String s) {
            StringBuilder b = new StringBuilder(s.length());
            boolean start = true;
            for (char c : s.toCharArray()) {
                b.append(start ? Character.toUpperCase(c) : Character.toLowerCase(c));
                start = !Character.isLetter(c);
            }
            return b.toString();
        }

        private static int count(String s, String sub) {
            if (sub.isEmpty()) {
                return s.length() + 1;
            }
            int n = 0;
            for (int i = s.indexOf(sub); i >= 0; i = s.indexOf(sub, i + sub.length())) {
                n++;
            }
            return n;
        }

        @Override
        public Object getValue(ELContext context, Object base, Object property) {
            return null;
        }

        @Override
        public Class<?> getType(ELContext context, Object base, Object property) {
            return null;
        }

        @Override
        public void setValue(ELContext context, Object base, Object property, Object value) {
        }

        @Override
        public boolean isReadOnly(ELContext context, Object base, Object property) {
            return true;
        }

        @Override
        public Iterator<FeatureDescriptor> getFeatureDescriptors(ELContext context, Object base) {
            return null;
        }

        @Override
        public Class<?> getCommonPropertyType(ELContext context, Object base) {
            return null;
        }
    }
}
