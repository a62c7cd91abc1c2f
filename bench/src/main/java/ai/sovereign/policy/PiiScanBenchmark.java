package ai.sovereign.policy;

import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Fork;
import org.openjdk.jmh.annotations.Measurement;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.Warmup;
import org.openjdk.jmh.infra.Blackhole;

/**
 * The personal-data scanner's hot path: one op scans 4 MiB of generated mixed Korean/English text
 * (about one identifier per 2 KB of UTF-8, lines of ~2,000 chars, the corpus of {@code PiiThroughput}).
 * MB/s of UTF-8 = 4.19 / (seconds per op).
 */
@State(Scope.Benchmark)
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.MILLISECONDS)
@Fork(value = 1)
@Warmup(iterations = 3, time = 2)
@Measurement(iterations = 5, time = 2)
public class PiiScanBenchmark {
    private List<String> lines;
    private char[][] chars;
    private PiiScanner scanner;

    @Setup
    public void setUp() {
        lines = PiiThroughput.corpus(4, 2000);
        chars = lines.stream().map(String::toCharArray).toArray(char[][]::new);
        scanner = new PiiScanner();
        long bytes = lines.stream().mapToLong(l -> l.getBytes(StandardCharsets.UTF_8).length).sum();
        System.out.println("corpus bytes per op: " + bytes);
    }

    /** The String entry point (the guard's): one copy of each line into a char[], then the scan. */
    @Benchmark
    public void scan(Blackhole hole) {
        for (String line : lines) {
            hole.consume(scanner.scan(line, PiiScanner.DEFAULT_MIN_SCORE));
        }
    }

    /** The in-place entry point ({@code sovereign pii scan} decodes into a reused buffer): the scan alone. */
    @Benchmark
    public void scanInPlace(Blackhole hole) {
        for (char[] line : chars) {
            hole.consume(scanner.scan(line, line.length, PiiScanner.DEFAULT_MIN_SCORE));
        }
    }
}
