package ai.sovereign.engine;

import static org.junit.jupiter.api.Assertions.fail;

import ai.sovereign.engine.GgufLayout.Field;
import java.io.IOException;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.lang.management.ManagementFactory;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;
import org.junit.jupiter.api.Test;

/**
 * Seeded mutation fuzzing of {@link GgufFile#parse}: bit flips, interesting bytes and words (also
 * aimed at whole header fields found by {@link GgufLayout}), insertions, deletions, truncation and
 * splicing, applied to the small shared models and to writer-generated files. The only acceptable
 * outcomes are a parse or a {@link GgufException}; a parse must also give in-bounds tensor data, a
 * writer round trip to the same content, and heap use under {@link GgufFile#MAX_HEAP_PER_FILE_BYTE}
 * per file byte plus 1 MiB. Any other outcome fails with the seed and iteration that reproduce it.
 *
 * <p>System properties: {@code fuzz.iterations} (mutants of the shared models, default 6000;
 * five times as many of the small writer files), {@code fuzz.seed},
 * {@code fuzz.seconds} (stop early after this long), {@code fuzz.only} (run one iteration, to reproduce).
 */
class GgufFuzzTest {
    private static final int ITERATIONS = Integer.getInteger("fuzz.iterations", 6_000);
    private static final long SEED = Long.decode(System.getProperty("fuzz.seed", "0x5EED6001"));
    private static final long SECONDS = Long.getLong("fuzz.seconds", Long.MAX_VALUE / 1_000_000_000L);
    private static final long ONLY = Long.getLong("fuzz.only", -1L);
    private static final long[] INTERESTING = {0, 1, 2, 3, 4, 5, 8, 9, 12, 13, 31, 32, 63, 64, 127, 128, 255, 256,
            0x7FFF, 0x8000, 0xFFFF, 0x1_0000, 0x7FFF_FFF7L, 0x7FFF_FFFFL, 0x8000_0000L, 0xFFFF_FFFFL, 0x1_0000_0000L,
            1L << 40, (1L << 40) + 1, Long.MAX_VALUE, Long.MIN_VALUE, -1, -2, -32};

    private record Seed(String name, byte[] image, List<Field> fields, int hot, int weight) {}

    @Test
    void writerGeneratedFiles() {
        List<Seed> corpus = new ArrayList<>();
        for (int alignment : new int[] {1, 32, 256}) {
            add(corpus, "everyType(" + alignment + ")", GgufTestSupport.everyType(alignment).toBytes(), 3);
        }
        add(corpus, "metadataOnly", new GgufWriter().putString("general.architecture", "gpt2")
                .putStrings("tokenizer.ggml.tokens", new String[] {"a", "\u0120b", "<s>"})
                .putArray("tokenizer.ggml.token_type", new int[] {1, 1, 3}, GgufValueType.INT32).toBytes(), 1);
        run("writer", corpus, 5L * ITERATIONS); // small files: five times as many mutants in the same time
    }

    @Test
    void sharedModels() throws IOException {
        List<Seed> corpus = new ArrayList<>();
        for (String file : new String[] {"models/stories260K.gguf", "models/derived/stories260K-q4_0-mixed.gguf",
                "models/synthetic/llama-q4_k_m.gguf", "models/synthetic/gemma2-q8_0.gguf"}) {
            add(corpus, file, Files.readAllBytes(Fixtures.shared(file)), 4);
        }
        // A 1.7 MB vocabulary (0 tensors): slow to parse, so fuzzed less often.
        add(corpus, "models/ggml-vocab-gpt-2.gguf", Files.readAllBytes(Fixtures.shared("models/ggml-vocab-gpt-2.gguf")), 1);
        run("models", corpus, ITERATIONS);
    }

    private static void add(List<Seed> corpus, String name, byte[] image, int weight) {
        GgufLayout layout = new GgufLayout(image);
        corpus.add(new Seed(name, image, layout.fields, Math.min(image.length, layout.headerEnd + 64), weight));
    }

    private static void run(String label, List<Seed> corpus, long iterationsWanted) {
        int totalWeight = corpus.stream().mapToInt(Seed::weight).sum();
        com.sun.management.ThreadMXBean threads = (com.sun.management.ThreadMXBean) ManagementFactory.getThreadMXBean();
        long thread = Thread.currentThread().threadId();
        Map<String, String> findings = new LinkedHashMap<>();
        long start = System.nanoTime();
        long deadline = start + Math.min(SECONDS, Long.MAX_VALUE / 2_000_000_000L) * 1_000_000_000L;
        long parsed = 0;
        long rejected = 0;
        long roundTrips = 0;
        long maxParseNanos = 0;
        double maxRatio = 0;
        long maxAllocated = 0;
        long iterations = 0;
        for (long it = ONLY >= 0 ? ONLY : 0; it < (ONLY >= 0 ? ONLY + 1 : iterationsWanted); it++) {
            if (ONLY < 0 && (it & 63) == 0 && System.nanoTime() > deadline) {
                break;
            }
            iterations++;
            Random random = new Random(SEED * 0x9E37_79B9_7F4A_7C15L + it);
            int pick = random.nextInt(totalWeight);
            Seed seed = corpus.getFirst();
            for (Seed s : corpus) {
                if ((pick -= s.weight()) < 0) {
                    seed = s;
                    break;
                }
            }
            List<String> steps = new ArrayList<>();
            byte[] mutant = seed.image();
            try {
                mutant = mutate(seed, corpus, random, steps);
                MemorySegment segment = MemorySegment.ofArray(mutant);
                long allocatedBefore = threads.getThreadAllocatedBytes(thread);
                long t0 = System.nanoTime();
                GgufFile gguf;
                try {
                    gguf = GgufFile.parse(segment);
                } catch (GgufException expected) {
                    rejected++;
                    continue;
                } finally {
                    long nanos = System.nanoTime() - t0;
                    long allocated = threads.getThreadAllocatedBytes(thread) - allocatedBefore;
                    maxParseNanos = Math.max(maxParseNanos, nanos);
                    if (mutant.length >= 64 * 1024) {
                        maxRatio = Math.max(maxRatio, (double) allocated / mutant.length);
                    }
                    maxAllocated = Math.max(maxAllocated, allocated);
                    long limit = (long) GgufFile.MAX_HEAP_PER_FILE_BYTE * mutant.length + (1 << 20);
                    if (allocated > limit) {
                        throw new AssertionError("parsing " + mutant.length + " bytes allocated " + allocated + " (limit " + limit + ")");
                    }
                }
                parsed++;
                exercise(gguf);
                if (mutant.length <= 64 * 1024 || random.nextInt(16) == 0) {
                    GgufFile again = GgufFile.parse(MemorySegment.ofArray(GgufWriter.copyOf(gguf).toBytes()));
                    GgufTestSupport.assertSameContent(gguf, again);
                    roundTrips++;
                }
            } catch (Throwable t) {
                StackTraceElement top = t.getStackTrace().length > 0 ? t.getStackTrace()[0] : null;
                String key = t.getClass().getName() + " at " + top;
                if (!findings.containsKey(key) && findings.size() < 20) {
                    StringWriter trace = new StringWriter();
                    t.printStackTrace(new PrintWriter(trace));
                    findings.put(key, "iteration " + it + " (reproduce: -Dfuzz.seed=" + SEED + " -Dfuzz.only=" + it + ") seed file "
                            + seed.name() + ", mutations " + steps + ", " + mutant.length + " bytes:\n" + trace);
                }
                if (t instanceof OutOfMemoryError) {
                    break;
                }
            }
        }
        double seconds = (System.nanoTime() - start) / 1e9;
        System.out.printf("GgufFuzzTest[%s]: %d mutants in %.1f s (%.0f/s), seed %d: %d parsed, %d GgufException, %d writer"
                        + " round trips, max parse %.1f ms, max allocated %d bytes, max allocated per file byte %.2f (files >= 64 KiB),"
                        + " %d findings%n",
                label, iterations, seconds, iterations / seconds, SEED, parsed, rejected, roundTrips, maxParseNanos / 1e6,
                maxAllocated, maxRatio, findings.size());
        if (!findings.isEmpty()) {
            fail(findings.size() + " distinct findings:\n\n" + String.join("\n\n", findings.values()));
        }
    }

    /** Touches what a parse promises: every tensor's data is in bounds, every metadata accessor answers. */
    private static void exercise(GgufFile gguf) {
        for (GgufTensor t : gguf.tensors()) {
            MemorySegment data = gguf.data(t);
            data.get(ValueLayout.JAVA_BYTE, 0);
            data.get(ValueLayout.JAVA_BYTE, data.byteSize() - 1);
            if (gguf.tensor(t.name()) != t || t.elementCount() < 1 || t.rows() < 1) {
                throw new AssertionError("tensor " + t.name() + " lookup or counts are wrong");
            }
        }
        GgufMetadata m = gguf.metadata();
        for (String key : m.asMap().keySet()) {
            m.string(key);
            m.integer(key);
            m.real(key);
            m.bool(key);
            m.strings(key);
            m.floats(key);
            m.ints(key);
            if (m.type(key) == null) {
                throw new AssertionError("metadata " + key + " has no type");
            }
            try {
                m.requireInt(key);
            } catch (GgufException notAnInt) {
                // fine: the accessor says why
            }
        }
    }

    private static byte[] mutate(Seed seed, List<Seed> corpus, Random random, List<String> steps) {
        byte[] b = seed.image();
        int count = 1 + random.nextInt(random.nextInt(8) == 0 ? 8 : 3);
        boolean copied = false;
        for (int m = 0; m < count; m++) {
            int op = random.nextInt(10);
            if (!copied || op >= 4) {
                b = b.clone();
                copied = true;
            }
            if (b.length == 0) {
                break;
            }
            int pos = random.nextInt(5) > 0 ? random.nextInt(Math.min(b.length, seed.hot())) : random.nextInt(b.length);
            switch (op) {
                case 0 -> {
                    int bit = random.nextInt(8);
                    b[pos] ^= (byte) (1 << bit);
                    steps.add("flip " + pos + "." + bit);
                }
                case 1 -> {
                    int[] values = {0, 0xFF, 0x7F, 0x80, 1, 2, 9, 12, 13, random.nextInt(256)};
                    int v = values[random.nextInt(values.length)];
                    b[pos] = (byte) v;
                    steps.add("byte " + pos + "=" + v);
                }
                case 2, 3 -> {
                    // a whole header field (or, sometimes, any 4/8 bytes) set to an interesting value
                    Field f = seed.fields().get(random.nextInt(seed.fields().size()));
                    int width = f.end() - f.start();
                    int at = f.start();
                    if (width != 4 && width != 8 || random.nextInt(4) == 0) {
                        width = random.nextBoolean() ? 4 : 8;
                        at = pos;
                    }
                    long v = random.nextInt(8) == 0 ? random.nextLong() : INTERESTING[random.nextInt(INTERESTING.length)];
                    if (random.nextInt(6) == 0) {
                        v = b.length + random.nextInt(64) - 32;
                    }
                    for (int i = 0; i < width && at + i < b.length; i++) {
                        b[at + i] = (byte) (v >>> (8 * i));
                    }
                    steps.add("word" + width + " " + at + (at == f.start() ? " (" + f.name() + ")" : "") + "=" + v);
                }
                case 4 -> {
                    int n = 1 + random.nextInt(16);
                    byte[] ins = new byte[n];
                    random.nextBytes(ins);
                    b = splice(b, pos, 0, ins);
                    steps.add("insert " + n + " at " + pos);
                }
                case 5 -> {
                    int n = Math.min(1 + random.nextInt(16), b.length - pos);
                    b = splice(b, pos, n, new byte[0]);
                    steps.add("delete " + n + " at " + pos);
                }
                case 6 -> {
                    b = Arrays.copyOf(b, pos);
                    steps.add("truncate " + pos);
                }
                case 7 -> {
                    Seed other = corpus.get(random.nextInt(corpus.size()));
                    int from = random.nextInt(other.hot());
                    int n = Math.min(Math.min(1 + random.nextInt(64), other.image().length - from), b.length - pos);
                    System.arraycopy(other.image(), from, b, pos, n);
                    steps.add("splice " + n + " from " + other.name() + "@" + from + " to " + pos);
                }
                case 8 -> {
                    int from = random.nextInt(Math.min(b.length, seed.hot()));
                    int n = Math.min(1 + random.nextInt(48), b.length - from);
                    b = splice(b, pos, 0, Arrays.copyOfRange(b, from, from + n));
                    steps.add("duplicate " + n + " from " + from + " to " + pos);
                }
                default -> {
                    Field f = seed.fields().get(random.nextInt(seed.fields().size()));
                    if (f.start() < b.length) {
                        int n = Math.min(f.end() - f.start(), b.length - f.start());
                        b = splice(b, f.start(), n, new byte[0]);
                        steps.add("remove field " + f.name());
                    }
                }
            }
        }
        return b;
    }

    private static byte[] splice(byte[] b, int pos, int remove, byte[] insert) {
        byte[] out = new byte[b.length - remove + insert.length];
        System.arraycopy(b, 0, out, 0, pos);
        System.arraycopy(insert, 0, out, pos, insert.length);
        System.arraycopy(b, pos + remove, out, pos + insert.length, b.length - pos - remove);
        return out;
    }
}
