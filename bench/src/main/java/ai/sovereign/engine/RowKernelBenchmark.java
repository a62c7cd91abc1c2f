package ai.sovereign.engine;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.util.Random;
import java.util.concurrent.TimeUnit;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Fork;
import org.openjdk.jmh.annotations.Level;
import org.openjdk.jmh.annotations.Measurement;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Param;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.TearDown;
import org.openjdk.jmh.annotations.Warmup;

/**
 * One matrix-vector product, {@code rows} × {@code columns} weights of {@code type} (row-major, in an
 * off-heap segment like an mmapped GGUF file) times one prepared activation vector, single-threaded:
 * the scalar reference kernel against the Vector API kernel that {@link RowKernel#fastest} picks.
 * Reported time is per matrix-vector product; weight bandwidth = rows·type.bytesFor(columns) / time.
 * {@code batchedProduct} multiplies the same matrix by {@code inputs} vectors at once through
 * {@link RowKernel#dotRows} (prefill and batched decode), single-threaded; MAC/s = rows·columns·inputs / time.
 * Lives in the engine's package to reach its package-private kernels.
 */
@State(Scope.Thread)
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.MICROSECONDS)
@Warmup(iterations = 3, time = 1)
@Measurement(iterations = 5, time = 1)
@Fork(value = 1, jvmArgsAppend = {"--add-modules", "jdk.incubator.vector", "-Xss4m"})
public class RowKernelBenchmark {
    @Param({"F32", "F16", "BF16", "Q4_0", "Q4_1", "Q5_0", "Q5_1", "Q8_0", "Q4_K", "Q5_K", "Q6_K"})
    public String type;

    @Param({"scalar", "vector"})
    public String kernel;

    /** Vector width of the "vector" kernel: "auto" is what RowKernel.fastest picks, else 128, 256 or 512. */
    @Param({"auto"})
    public String bits;

    @Param({"2048"})
    public int rows;

    @Param({"2048"})
    public int columns;

    /** Inputs of {@code batchedProduct}. */
    @Param({"16"})
    public int inputs;

    private Arena arena;
    private MemorySegment weights;
    private RowKernel rowKernel;
    private PreparedActivations activations;
    private float[] out;
    private PreparedActivations[] batch;
    private float[][] batchOut;
    private long rowBytes;

    @Setup(Level.Trial)
    public void setUp() {
        GgmlType ggmlType = GgmlType.valueOf(type);
        if (kernel.equals("scalar")) {
            rowKernel = RowKernel.of(ggmlType);
        } else if (bits.equals("auto")) {
            rowKernel = RowKernel.fastest(ggmlType);
        } else {
            rowKernel = VectorKernels.forBits(Integer.parseInt(bits), ggmlType).orElseThrow();
        }
        if (kernel.equals("vector") && rowKernel == RowKernel.of(ggmlType)) {
            throw new IllegalStateException("no vector kernel available: " + VectorKernels.choice());
        }
        rowBytes = ggmlType.bytesFor(columns);
        arena = Arena.ofShared();
        weights = arena.allocate(rowBytes * rows, 64);
        Random random = new Random(42);
        float[] row = new float[columns];
        for (int r = 0; r < rows; r++) {
            for (int c = 0; c < columns; c++) {
                row[c] = (float) random.nextGaussian() * 0.02f;
            }
            Quantizer.quantize(ggmlType, row, 0, columns, weights, r * rowBytes);
        }
        float[] x = new float[columns];
        for (int c = 0; c < columns; c++) {
            x[c] = (float) random.nextGaussian();
        }
        activations = new PreparedActivations(columns);
        rowKernel.prepare(x, 0, columns, activations);
        out = new float[rows];
        batch = new PreparedActivations[inputs];
        batchOut = new float[inputs][rows];
        for (int t = 0; t < inputs; t++) {
            for (int c = 0; c < columns; c++) {
                x[c] = (float) random.nextGaussian();
            }
            batch[t] = new PreparedActivations(columns);
            rowKernel.prepare(x, 0, columns, batch[t]);
        }
    }

    @TearDown(Level.Trial)
    public void tearDown() {
        arena.close();
    }

    @Benchmark
    public float[] matVec() {
        for (int r = 0; r < rows; r++) {
            out[r] = rowKernel.dot(weights, r * rowBytes, activations, columns);
        }
        return out;
    }

    @Benchmark
    public float[][] batchedProduct() {
        rowKernel.dotRows(weights, 0, rowBytes, rows, batch, inputs, columns, batchOut, 0);
        return batchOut;
    }
}
