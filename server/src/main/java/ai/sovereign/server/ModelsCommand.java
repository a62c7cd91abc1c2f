package ai.sovereign.server;

import ai.sovereign.engine.GgufFile;
import ai.sovereign.engine.GgufTensor;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

/** {@code sovereign models ...}: look into model files. */
@Command(name = "models", mixinStandardHelpOptions = true, description = "Inspect model files.",
        subcommands = {ModelsCommand.Inspect.class})
final class ModelsCommand implements Runnable {
    @picocli.CommandLine.Spec
    picocli.CommandLine.Model.CommandSpec spec;

    @Override
    public void run() {
        throw new picocli.CommandLine.ParameterException(spec.commandLine(), "a subcommand is required (try --help)");
    }

    @Command(name = "inspect", mixinStandardHelpOptions = true,
            description = "Print a GGUF file's version, metadata and tensors (long arrays are summarized).")
    static final class Inspect implements Callable<Integer> {
        @Parameters(paramLabel = "FILE", description = "GGUF file")
        Path file;

        @Option(names = "--json", description = "one JSON object instead of text")
        boolean json;

        @Override
        public Integer call() throws Exception {
            PrintStream out = new PrintStream(new java.io.FileOutputStream(java.io.FileDescriptor.out), false, StandardCharsets.UTF_8);
            try (GgufFile gguf = GgufFile.open(file)) {
                if (json) {
                    out.println(toJson(gguf));
                } else {
                    printText(gguf, out);
                }
            }
            out.flush();
            return 0;
        }

        private static void printText(GgufFile gguf, PrintStream out) {
            out.printf("file: %s%nGGUF version: %d%nsize: %d bytes%nalignment: %d%ndata offset: %d%n",
                    gguf.path(), gguf.version(), gguf.fileSize(), gguf.alignment(), gguf.dataOffset());
            long parameters = gguf.tensors().stream().mapToLong(GgufTensor::elementCount).sum();
            Map<String, Integer> types = new TreeMap<>();
            gguf.tensors().forEach(t -> types.merge(t.type().name(), 1, Integer::sum));
            out.printf("tensors: %d (%d parameters; types %s)%n", gguf.tensors().size(), parameters, types);
            out.printf("metadata: %d keys%n", gguf.metadata().asMap().size());
            gguf.metadata().asMap().forEach((k, v) -> out.printf("  %s = %s%n", k, describe(v)));
            for (GgufTensor t : gguf.tensors()) {
                out.printf("  %-40s %-5s %-22s offset %d, %d bytes%n", t.name(), t.type(), Arrays.toString(t.shape()), t.offset(), t.byteSize());
            }
        }

        private static String describe(Object v) {
            return switch (v) {
                case String s -> quote(s.length() > 200 ? s.substring(0, 200) + "…" : s);
                case String[] a -> "string[" + a.length + "] " + preview(Arrays.stream(a).limit(8).map(Inspect::quote).toList(), a.length);
                case float[] a -> "float[" + a.length + "] " + preview(boxed(a), a.length);
                case int[] a -> "int[" + a.length + "] " + preview(Arrays.stream(a).limit(8).boxed().toList(), a.length);
                case long[] a -> "long[" + a.length + "] " + preview(Arrays.stream(a).limit(8).boxed().toList(), a.length);
                case double[] a -> "double[" + a.length + "] " + preview(Arrays.stream(a).limit(8).boxed().toList(), a.length);
                case boolean[] a -> "bool[" + a.length + "]";
                case Object[] a -> "array[" + a.length + "]";
                default -> String.valueOf(v);
            };
        }

        private static java.util.List<Float> boxed(float[] a) {
            java.util.List<Float> list = new java.util.ArrayList<>();
            for (int i = 0; i < Math.min(8, a.length); i++) {
                list.add(a[i]);
            }
            return list;
        }

        private static String preview(java.util.List<?> head, int length) {
            String joined = head.stream().map(String::valueOf).reduce((a, b) -> a + ", " + b).orElse("");
            return "[" + joined + (length > head.size() ? ", …" : "") + "]";
        }

        static String quote(String s) {
            StringBuilder b = new StringBuilder("\"");
            for (int i = 0; i < s.length(); i++) {
                char c = s.charAt(i);
                switch (c) {
                    case '"' -> b.append("\\\"");
                    case '\\' -> b.append("\\\\");
                    case '\n' -> b.append("\\n");
                    case '\r' -> b.append("\\r");
                    case '\t' -> b.append("\\t");
                    default -> {
                        if (c < 0x20 || c == '\uFFFF') {
                            b.append(String.format("\\u%04x", (int) c));
                        } else {
                            b.append(c);
                        }
                    }
                }
            }
            return b.append('"').toString();
        }

        private static String toJson(GgufFile gguf) {
            StringBuilder b = new StringBuilder();
            b.append("{\"file\":").append(quote(String.valueOf(gguf.path())))
                    .append(",\"version\":").append(gguf.version())
                    .append(",\"size\":").append(gguf.fileSize())
                    .append(",\"alignment\":").append(gguf.alignment())
                    .append(",\"data_offset\":").append(gguf.dataOffset())
                    .append(",\"metadata\":{");
            boolean first = true;
            for (var e : gguf.metadata().asMap().entrySet()) {
                b.append(first ? "" : ",").append(quote(e.getKey())).append(':').append(jsonValue(e.getValue()));
                first = false;
            }
            b.append("},\"tensors\":[");
            first = true;
            for (GgufTensor t : gguf.tensors()) {
                b.append(first ? "" : ",").append("{\"name\":").append(quote(t.name()))
                        .append(",\"type\":\"").append(t.type()).append("\",\"shape\":").append(Arrays.toString(t.shape()).replace(" ", ""))
                        .append(",\"offset\":").append(t.offset()).append(",\"bytes\":").append(t.byteSize()).append('}');
                first = false;
            }
            return b.append("]}").toString();
        }

        /** Scalars in full; arrays as their element type and length (a vocabulary is 100k+ entries). */
        private static String jsonValue(Object v) {
            return switch (v) {
                case String s -> quote(s);
                case Float f -> Float.isFinite(f) ? f.toString() : quote(f.toString());
                case Double d -> Double.isFinite(d) ? d.toString() : quote(d.toString());
                case Long n -> n.toString();
                case Boolean x -> x.toString();
                case String[] a -> "{\"array\":\"string\",\"length\":" + a.length + "}";
                case float[] a -> "{\"array\":\"float32\",\"length\":" + a.length + "}";
                case int[] a -> "{\"array\":\"int32\",\"length\":" + a.length + "}";
                case long[] a -> "{\"array\":\"int64\",\"length\":" + a.length + "}";
                case double[] a -> "{\"array\":\"float64\",\"length\":" + a.length + "}";
                case boolean[] a -> "{\"array\":\"bool\",\"length\":" + a.length + "}";
                case Object[] a -> "{\"array\":\"array\",\"length\":" + a.length + "}";
                default -> quote(String.valueOf(v));
            };
        }
    }
}
