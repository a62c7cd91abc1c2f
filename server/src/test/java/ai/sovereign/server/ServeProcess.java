package ai.sovereign.server;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;

/**
 * A real {@code sovereign serve} process started from the packaged jar, as a user would run it,
 * with its own working directory. stderr is kept for assertions (e.g. that no prompt leaks).
 */
final class ServeProcess implements AutoCloseable {
    final Process process;
    final String baseUrl;
    final Path workDir;
    private final StringBuffer stderr;

    private ServeProcess(Process process, String baseUrl, Path workDir, StringBuffer stderr) {
        this.process = process;
        this.baseUrl = baseUrl;
        this.workDir = workDir;
        this.stderr = stderr;
    }

    static ServeProcess start(Path workDir, String... args) throws Exception {
        List<String> command = new ArrayList<>(List.of("serve", "--port", "0"));
        command.addAll(List.of(args));
        return launch(workDir, command);
    }

    /** Any long-running {@code sovereign} command that prints its base URL as the first line of stdout (serve, ledger witness). */
    static ServeProcess launch(Path workDir, List<String> sovereignArgs) throws Exception {
        Path jar = Path.of("target", "sovereign.jar").toAbsolutePath();
        if (!Files.isRegularFile(jar)) {
            throw new IllegalStateException(jar + " is missing: integration tests run after package (mvn verify)");
        }
        String java = ProcessHandle.current().info().command().orElse("java");
        List<String> command = new ArrayList<>(List.of(java, "--add-modules", "jdk.incubator.vector",
                "--enable-native-access=ALL-UNNAMED", "-Xmx1g", "-jar", jar.toString()));
        command.addAll(sovereignArgs);
        Process process = new ProcessBuilder(command).directory(workDir.toFile()).start();
        StringBuffer err = new StringBuffer();
        Thread.ofVirtual().start(() -> {
            try (BufferedReader r = new BufferedReader(new InputStreamReader(process.getErrorStream(), StandardCharsets.UTF_8))) {
                String line;
                while ((line = r.readLine()) != null) {
                    err.append(line).append('\n');
                }
            } catch (IOException ignored) {
                // the process ended
            }
        });
        BufferedReader out = new BufferedReader(new InputStreamReader(process.getInputStream(), StandardCharsets.UTF_8));
        CompletableFuture<String> url = CompletableFuture.supplyAsync(() -> {
            try {
                return out.readLine();
            } catch (IOException e) {
                return null;
            }
        });
        String base = url.get(60, TimeUnit.SECONDS);
        if (base == null || !base.startsWith("http://")) {
            process.destroyForcibly();
            throw new IllegalStateException(String.join(" ", sovereignArgs) + " did not start: " + err);
        }
        return new ServeProcess(process, base, workDir, err);
    }

    String stderr() {
        return stderr.toString();
    }

    HttpResponse<String> get(String path) throws Exception {
        return HttpClient.newHttpClient().send(HttpRequest.newBuilder(URI.create(baseUrl + path)).timeout(Duration.ofSeconds(30)).build(),
                HttpResponse.BodyHandlers.ofString());
    }

    HttpResponse<String> post(String path, byte[] body) throws Exception {
        return HttpClient.newHttpClient().send(HttpRequest.newBuilder(URI.create(baseUrl + path)).timeout(Duration.ofSeconds(60))
                .header("Content-Type", "application/json").POST(HttpRequest.BodyPublishers.ofByteArray(body)).build(),
                HttpResponse.BodyHandlers.ofString());
    }

    HttpResponse<String> post(String path, String body) throws Exception {
        return post(path, body.getBytes(StandardCharsets.UTF_8));
    }

    @Override
    public void close() throws Exception {
        process.destroy(); // SIGTERM: graceful shutdown
        if (!process.waitFor(30, TimeUnit.SECONDS)) {
            process.destroyForcibly();
        }
    }
}
