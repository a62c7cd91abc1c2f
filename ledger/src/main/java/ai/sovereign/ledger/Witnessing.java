package ai.sovereign.ledger;

import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Base64;
import java.util.List;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;

/**
 * Gets the log's published checkpoints cosigned by its witnesses (C2SP tlog-witness), off the
 * publishing path.
 *
 * <h2>Design</h2>
 * A checkpoint is published the moment the log has signed it; witnessing never holds it back
 * (PRODUCT.md: a new checkpoint within 1 s of an append), nor holds up {@link Ledger#open}. One
 * worker thread per witness asks that witness to cosign the <em>latest</em> published checkpoint
 * it has not cosigned, and sleeps until a newer one is published. Checkpoints published while a
 * request is out are skipped, not queued, so a slow witness costs one request per answer, never a
 * backlog; a witness's requests are sequential because each names the size it cosigned last
 * ({@code old}) and carries the consistency proof from it. A cosignature that verifies is handed to
 * the log, which appends it to the served checkpoint if that is still the one cosigned (a newer one
 * has been published otherwise; the witness's state moved on all the same). A failure (refused,
 * timed out, connection refused, egress denied) is logged once per outage and retried after
 * {@code retry}, or as soon as a newer checkpoint is published. The timeouts (connect 5 s, request
 * 10 s) only bound how long a worker waits.
 */
final class Witnessing {
    private static final System.Logger LOG = System.getLogger(Ledger.class.getName());

    /** A published checkpoint to have cosigned: its log-signed note, its size, the witnesses whose cosignature it already carries. */
    record Target(String signed, long size, Set<Ledger.WitnessEndpoint> cosigned) {}

    /** The log's side. */
    interface Log {
        /** The latest published checkpoint; null before the first. */
        Target target();

        /** The consistency proof from {@code oldSize} to {@code newSize} (both published). */
        List<Hash> consistency(long oldSize, long newSize);

        /** {@code lines} are {@code w}'s verified cosignature of {@code t}: attach them if {@code t} is still published. */
        void cosigned(Ledger.WitnessEndpoint w, Target t, String lines);
    }

    private final List<Ledger.WitnessEndpoint> witnesses;
    private final Ledger.WitnessTransport http;
    private final Duration retry;
    private final Log log;
    private final List<Thread> workers = new ArrayList<>();
    // The size each witness last cosigned (as far as we know), and those failing now.
    private final ConcurrentHashMap<Ledger.WitnessEndpoint, Long> sizes = new ConcurrentHashMap<>();
    private final Set<Ledger.WitnessEndpoint> failing = ConcurrentHashMap.newKeySet();
    private final Object signal = new Object();
    private long generation; // bumped on every publish and cosignature (guarded by signal)
    private volatile boolean stopped;

    Witnessing(List<Ledger.WitnessEndpoint> witnesses, Ledger.WitnessTransport transport, Duration retry, Log log) {
        this.witnesses = List.copyOf(witnesses);
        this.retry = retry;
        this.log = log;
        if (transport != null) {
            this.http = transport;
        } else {
            HttpClient client = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(5)).build();
            this.http = request -> client.send(request, HttpResponse.BodyHandlers.ofString());
        }
    }

    void start() {
        for (int i = 0; i < witnesses.size(); i++) {
            Ledger.WitnessEndpoint w = witnesses.get(i);
            workers.add(Thread.ofPlatform().name("ledger-witness-" + i).daemon().start(() -> work(w)));
        }
    }

    /** A new checkpoint was published (or a cosignature attached): wakes the workers and any {@link #await}. */
    void changed() {
        synchronized (signal) {
            generation++;
            signal.notifyAll();
        }
    }

    private void work(Ledger.WitnessEndpoint w) {
        while (!stopped) {
            long seen;
            synchronized (signal) {
                seen = generation;
            }
            Target t = log.target();
            long wait = 0;
            if (t == null || t.cosigned().contains(w)) {
                wait = Long.MAX_VALUE;
            } else {
                try {
                    String lines = cosign(w, t);
                    log.cosigned(w, t, lines);
                    if (failing.remove(w)) {
                        LOG.log(System.Logger.Level.INFO, "ledger: witness " + w.url() + " cosigns again (checkpoint " + t.size() + ")");
                    }
                } catch (IOException | LedgerException | IllegalArgumentException e) {
                    if (stopped) {
                        return;
                    }
                    if (failing.add(w)) { // once per outage, not on every retry
                        LOG.log(System.Logger.Level.WARNING, "ledger: witness " + w.url() + " did not cosign checkpoint " + t.size() + ": "
                                + e.getMessage() + "; it is served without that cosignature, and asked again every " + retry.toMillis()
                                + " ms or at the next checkpoint");
                    }
                    wait = retry.toMillis();
                }
                synchronized (signal) {
                    signal.notifyAll(); // for await(): this witness has cosigned or failed
                }
            }
            if (wait > 0 && !sleepUntilChanged(seen, wait)) {
                return;
            }
        }
    }

    /** Waits until {@link #changed} after {@code seen}, or {@code millis}; false when stopped. */
    private boolean sleepUntilChanged(long seen, long millis) {
        long deadline = millis == Long.MAX_VALUE ? Long.MAX_VALUE : System.nanoTime() + millis * 1_000_000;
        synchronized (signal) {
            try {
                while (generation == seen && !stopped) {
                    long left = deadline == Long.MAX_VALUE ? 0 : (deadline - System.nanoTime()) / 1_000_000;
                    if (deadline != Long.MAX_VALUE && left <= 0) {
                        break;
                    }
                    signal.wait(left);
                }
            } catch (InterruptedException e) {
                return false;
            }
        }
        return !stopped;
    }

    /** One add-checkpoint exchange (retried once with the size a 409 names); returns the verified cosignature line(s). */
    private String cosign(Ledger.WitnessEndpoint w, Target t) throws IOException {
        String base = w.url().toString().endsWith("/") ? w.url().toString() : w.url() + "/";
        for (int attempt = 0; ; attempt++) {
            long old = sizes.getOrDefault(w, 0L);
            if (old > t.size()) {
                throw new LedgerException("the witness last cosigned size " + old + ", beyond this log's " + t.size());
            }
            StringBuilder body = new StringBuilder("old ").append(old).append('\n');
            if (old > 0 && old < t.size()) {
                log.consistency(old, t.size()).forEach(h -> body.append(h.base64()).append('\n'));
            }
            body.append('\n').append(t.signed());
            HttpResponse<String> r;
            try {
                r = http.send(HttpRequest.newBuilder(URI.create(base + "add-checkpoint")).timeout(Duration.ofSeconds(10))
                        .POST(HttpRequest.BodyPublishers.ofString(body.toString())).build());
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                throw new IOException("interrupted", e);
            }
            if (r.statusCode() == 409 && attempt == 0) {
                try {
                    sizes.put(w, Long.parseLong(r.body().strip()));
                } catch (NumberFormatException e) {
                    throw new LedgerException("HTTP 409 without a size: " + Notes.excerpt(r.body()));
                }
                continue;
            }
            if (r.statusCode() != 200) {
                throw new LedgerException("HTTP " + r.statusCode() + ": " + Notes.excerpt(r.body().strip()));
            }
            if (!(Notes.open(t.signed() + r.body(), List.of(w.verifier())) instanceof Verification.Ok<Notes.Opened>(Notes.Opened opened))) {
                throw new LedgerException("its answer holds no valid cosignature by " + w.verifier().label());
            }
            sizes.put(w, t.size());
            StringBuilder lines = new StringBuilder();
            opened.verified().forEach(sig -> lines.append(Notes.DASH).append(sig.name()).append(' ')
                    .append(Base64.getEncoder().encodeToString(sig.blob())).append('\n'));
            return lines.toString();
        }
    }

    /**
     * Waits up to {@code limit} until the published checkpoint carries every witness's cosignature, or each witness
     * still missing has failed since; used at close so a clean stop leaves its last checkpoint cosigned when it can.
     */
    void await(Duration limit) {
        long deadline = System.nanoTime() + limit.toNanos();
        synchronized (signal) {
            while (true) {
                Target t = log.target();
                if (t == null || witnesses.stream().allMatch(w -> t.cosigned().contains(w) || failing.contains(w))) {
                    return;
                }
                long left = (deadline - System.nanoTime()) / 1_000_000;
                if (left <= 0) {
                    return;
                }
                try {
                    signal.wait(left);
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                    return;
                }
            }
        }
    }

    /** Stops the workers (an exchange in flight is interrupted). */
    void close() {
        stopped = true;
        changed();
        for (Thread t : workers) {
            t.interrupt();
        }
        for (Thread t : workers) {
            try {
                t.join(1000);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                return;
            }
        }
    }
}
