package ai.sovereign.server;

import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.concurrent.TimeUnit;

/**
 * Active health checks: every interval, {@code GET <url><health>} on each remote node through {@link Egress}; a 2xx
 * within the probe timeout marks it healthy, anything else unhealthy (routing then sets it aside as {@code unhealthy}).
 * Passive ejection is the node's {@link Circuit}, fed by real requests. An interval of 0 turns probes off.
 */
final class HealthProbes implements AutoCloseable {
    private final Fleet fleet;
    private final Egress egress;
    private final Duration interval;
    private final Duration timeout;
    private volatile boolean running = true;
    private final Thread thread;

    HealthProbes(Fleet fleet, Egress egress, Duration interval, Duration timeout) {
        this.fleet = fleet;
        this.egress = egress;
        this.interval = interval;
        this.timeout = timeout;
        this.thread = Thread.ofVirtual().name("sovereign-health").unstarted(this::loop);
    }

    void start() {
        if (!running) {
            return;
        }
        if (!fleet.remote().isEmpty() && interval.toMillis() > 0) {
            thread.start();
        }
    }

    private void loop() {
        while (running) {
            probeAll();
            try {
                Thread.sleep(interval);
            } catch (InterruptedException e) {
                return;
            }
        }
    }

    /** One round over every remote node (in parallel, each bounded by the probe timeout). */
    void probeAll() {
        var probes = fleet.remote().stream().map(node -> {
            HttpRequest.Builder builder = HttpRequest.newBuilder(node.resolve(node.healthPath)).timeout(timeout).GET();
            if (node.apiKey != null) {
                builder.header("Authorization", "Bearer " + node.apiKey);
            }
            HttpRequest request = builder.build();
            try {
                return egress.send(request, HttpResponse.BodyHandlers.discarding(), node.timeouts.connect())
                        .orTimeout(timeout.toMillis(), TimeUnit.MILLISECONDS)
                        .handle((r, t) -> {
                            node.healthy(t == null && r.statusCode() / 100 == 2);
                            return null;
                        });
            } catch (Egress.RefusedException e) {
                node.healthy(false);
                return java.util.concurrent.CompletableFuture.completedFuture(null);
            }
        }).toList();
        probes.forEach(java.util.concurrent.CompletableFuture::join);
    }

    @Override
    public void close() {
        running = false;
        thread.interrupt();
    }
}
