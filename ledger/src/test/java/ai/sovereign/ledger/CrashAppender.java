package ai.sovereign.ledger;

import java.io.FileDescriptor;
import java.io.FileOutputStream;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Base64;
import java.util.List;

/**
 * The child process of {@link LedgerCrashTest}: opens the ledger in {@code args[0]} (key {@code args[1]},
 * origin {@code args[2]}), then appends forever from {@code args[4]} threads, entries
 * {@code r<round>-t<thread>-<seq>} ({@code args[3]} is the round). It reports on stdout, one line per
 * event, each written with one unbuffered write, so the parent sees a line only once it happened:
 * <pre>
 * OPENING                      the JVM is up; Ledger.open (recovery, journal reset, first publish) starts now
 * READY                        the ledger is open (recovery done)
 * ACK &lt;index&gt; &lt;payload&gt;        append returned (the entry is durable)
 * CP &lt;base64(note)&gt;             Ledger.checkpoint() returned a new published checkpoint
 * </pre>
 * It never exits by itself: the parent kills it with SIGKILL.
 */
public final class CrashAppender {
    private static final FileOutputStream OUT = new FileOutputStream(FileDescriptor.out);

    private CrashAppender() {}

    private static synchronized void line(String s) {
        try {
            OUT.write((s + "\n").getBytes(StandardCharsets.UTF_8));
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    public static void main(String[] args) throws Exception {
        Path dir = Path.of(args[0]);
        Path key = Path.of(args[1]);
        String origin = args[2];
        String round = args[3];
        int threads = Integer.parseInt(args[4]);
        line("OPENING");
        Ledger ledger = Ledger.open(dir, key, origin, new Ledger.Options(4096, Duration.ofMillis(20), Duration.ofMillis(1)));
        line("READY");
        List<Thread> ts = new ArrayList<>();
        for (int t = 0; t < threads; t++) {
            int id = t;
            ts.add(Thread.ofPlatform().name("append-" + t).start(() -> {
                for (long seq = 0; ; seq++) {
                    String payload = "r" + round + "-t" + id + "-" + seq;
                    long index = ledger.append(payload.getBytes(StandardCharsets.UTF_8));
                    line("ACK " + index + " " + payload);
                }
            }));
        }
        Thread.ofPlatform().name("checkpoints").start(() -> {
            String last = null;
            while (true) {
                String cp = ledger.checkpoint();
                if (cp != null && !cp.equals(last)) {
                    line("CP " + Base64.getEncoder().encodeToString(cp.getBytes(StandardCharsets.UTF_8)));
                    last = cp;
                }
                try {
                    Thread.sleep(10);
                } catch (InterruptedException e) {
                    return;
                }
            }
        });
        for (Thread t : ts) {
            t.join();
        }
    }
}
