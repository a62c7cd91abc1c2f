package ai.sovereign.server;

import ai.sovereign.engine.GgufFile;
import ai.sovereign.engine.GgufTensor;
import ai.sovereign.engine.ModelSynthesizer;
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

/** {@code sovereign models ...}: look into model files, or synthesize random-weight ones. */
@Command(name = "models", mixinStandardHelpOptions = true, description = "Inspect model files; synthesize random-weight ones.",
        subcommands = {ModelsCommand.Inspect.class, ModelsCommand.Synth.class})
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

    @Command(name = "synth", mixinStandardHelpOptions = true,
            description = "Write a GGUF file with random weights and the exact tensor shapes of a real model, for benchmarks "
                    + "and tests (its output is gibberish). Presets: llama-3.2-1b, qwen2.5-0.5b, qwen2.5-1.5b, qwen3-0.6b, "
                    + "exaone-3.5-2.4b, and tiny (per --arch).")
    static final class Synth implements Callable<Integer> {
        @Option(names = "--arch", paramLabel = "ARCH", description = "llama, qwen2, qwen3 or exaone; must match the preset (required for tiny)")
        String arch;

        @Option(names = "--preset", required = true, paramLabel = "NAME", description = "model shape, e.g. llama-3.2-1b or tiny")
        String preset;

        @Option(names = "--type", paramLabel = "TYPE", defaultValue = "Q4_K_M",
                description = "F32, F16, Q8_0, Q4_0 or Q4_K_M (llama-quantize's mix) (default ${DEFAULT-VALUE})")
        String type;

        @Option(names = "--tokenizer", paramLabel = "FILE",
                description = "a Hugging Face tokenizer.json to embed (tokenizer_config.json beside it is read too); default: a synthetic vocabulary")
        Path tokenizer;

        @Option(names = "--tokenizer-pre", paramLabel = "NAME", description = "llama.cpp pre-tokenizer name for --tokenizer (default: the architecture's)")
        String tokenizerPre;

        @Option(names = "--seed", paramLabel = "N", defaultValue = "0", description = "random seed; same seed, same bytes (default ${DEFAULT-VALUE})")
        long seed;

        @Option(names = "--threads", paramLabel = "N", defaultValue = "0", description = "worker threads (default: all cores)")
        int threads;

        @Option(names = "--plan", description = "print the tensor plan (names, types, shapes, bytes) and write nothing")
        boolean planOnly;

        @Option(names = "--out", paramLabel = "FILE", description = "output GGUF file (required unless --plan)")
        Path out;

        @picocli.CommandLine.Spec
        picocli.CommandLine.Model.CommandSpec spec;

        @Override
        public Integer call() throws Exception {
            ModelSynthesizer.Spec request;
            try {
                request = new ModelSynthesizer.Spec(arch, preset, ModelSynthesizer.FileType.parse(type), tokenizer, tokenizerPre, seed);
                ModelSynthesizer.architectureOf(arch, preset);
            } catch (IllegalArgumentException e) {
                throw new picocli.CommandLine.ParameterException(spec.commandLine(), e.getMessage());
            }
            PrintStream stdout = new PrintStream(new java.io.FileOutputStream(java.io.FileDescriptor.out), true, StandardCharsets.UTF_8);
            if (planOnly) {
                ModelSynthesizer.Plan plan = ModelSynthesizer.plan(request);
                for (ModelSynthesizer.TensorPlan t : plan.tensors()) {
                    stdout.printf("%-32s %-5s %-16s %d bytes%n", t.name(), t.type(), Arrays.toString(t.shape()), t.bytes());
                }
                stdout.printf("%s %s %s: %d tensors, %d parameters, %d bytes of tensor data, vocabulary %d%n", plan.preset(),
                        plan.architecture(), plan.type(), plan.tensors().size(), plan.parameters(), plan.tensorBytes(), plan.vocabularySize());
                return 0;
            }
            if (out == null) {
                throw new picocli.CommandLine.ParameterException(spec.commandLine(), "--out is required (or --plan)");
            }
            ModelSynthesizer.Result r = threads > 0 ? ModelSynthesizer.write(request, out, threads) : ModelSynthesizer.write(request, out);
            ModelSynthesizer.Plan plan = r.plan();
            System.err.printf("synth: wrote %d bytes in %.1f s (%.0f MB/s)%n", r.fileBytes(), r.seconds(), r.fileBytes() / 1e6 / r.seconds());
            stdout.printf("%s: %s %s %s, %d tensors, %d parameters, vocabulary %d, %d bytes%n", r.path(), plan.preset(),
                    plan.architecture(), plan.type(), plan.tensors().size(), plan.parameters(), plan.vocabularySize(), r.fileBytes());
            return 0;
        }
    }
}
