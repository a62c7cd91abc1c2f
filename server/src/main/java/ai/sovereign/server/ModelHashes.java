package ai.sovereign.server;

import java.io.IOException;
import java.io.InputStream;
import java.net.JarURLConnection;
import java.net.URISyntaxException;
import java.net.URL;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.HexFormat;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.function.LongConsumer;

/**
 * SHA-256 of model files, cached by absolute path, size and modification time in
 * {@code <data>/model-hashes.tsv}, so a restart does not re-read a multi-gigabyte file. A changed
 * size or time means the file is hashed again. Bundled models (class-path resources) are cached by
 * their URL and the size and time of the jar that holds them.
 */
final class ModelHashes {
    private final Path cacheFile;
    private final Map<String, String> cache = new LinkedHashMap<>();

    ModelHashes(Path dataDirectory) {
        this.cacheFile = dataDirectory.resolve("model-hashes.tsv");
        if (Files.isRegularFile(cacheFile)) {
            try {
                for (String line : Files.readAllLines(cacheFile, StandardCharsets.UTF_8)) {
                    int tab = line.lastIndexOf('\t');
                    if (tab > 0) {
                        cache.put(line.substring(0, tab), line.substring(tab + 1));
                    }
                }
            } catch (IOException e) {
                System.err.println("warning: cannot read " + cacheFile + " (" + e.getMessage() + "); hashing models again");
            }
        }
    }

    /** The file's SHA-256 in lower-case hex; {@code progress} receives bytes read when it has to hash. */
    synchronized String sha256(Path file, LongConsumer progress) throws IOException {
        Path absolute = file.toAbsolutePath().normalize();
        String key = absolute + "\t" + Files.size(absolute) + "\t" + Files.getLastModifiedTime(absolute).toMillis();
        String known = cache.get(key);
        if (known != null) {
            return known;
        }
        String hash = hash(absolute, progress);
        cache.put(key, hash);
        save();
        return hash;
    }

    /**
     * The SHA-256 of a class-path resource (a model bundled in a jar, such as the embedding
     * model's ONNX file), cached by the resource's URL and its container's size and modification time.
     */
    synchronized String sha256(URL resource) throws IOException {
        Path container;
        try {
            container = Path.of(resource.getProtocol().equals("jar")
                    ? ((JarURLConnection) resource.openConnection()).getJarFileURL().toURI() : resource.toURI());
        } catch (URISyntaxException | IllegalArgumentException e) {
            throw new IOException("cannot locate " + resource + ": " + e.getMessage(), e);
        }
        String key = resource + "\t" + Files.size(container) + "\t" + Files.getLastModifiedTime(container).toMillis();
        String known = cache.get(key);
        if (known != null) {
            return known;
        }
        String hash;
        try (InputStream in = resource.openStream()) {
            hash = hash(in, n -> { });
        }
        cache.put(key, hash);
        save();
        return hash;
    }

    static String hash(Path file, LongConsumer progress) throws IOException {
        try (InputStream in = Files.newInputStream(file)) {
            return hash(in, progress);
        }
    }

    private static String hash(InputStream in, LongConsumer progress) throws IOException {
        MessageDigest digest;
        try {
            digest = MessageDigest.getInstance("SHA-256");
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException("the JDK has no SHA-256", e);
        }
        byte[] buffer = new byte[1 << 20];
        long total = 0;
        int n;
        while ((n = in.read(buffer)) > 0) {
            digest.update(buffer, 0, n);
            total += n;
            progress.accept(total);
        }
        return HexFormat.of().formatHex(digest.digest());
    }

    private void save() {
        try {
            Files.createDirectories(cacheFile.getParent());
            Path tmp = cacheFile.resolveSibling(cacheFile.getFileName() + ".tmp");
            StringBuilder b = new StringBuilder();
            cache.forEach((k, v) -> b.append(k).append('\t').append(v).append('\n'));
            Files.writeString(tmp, b, StandardCharsets.UTF_8);
            Files.move(tmp, cacheFile, StandardCopyOption.REPLACE_EXISTING, StandardCopyOption.ATOMIC_MOVE);
        } catch (IOException e) {
            System.err.println("warning: cannot write " + cacheFile + " (" + e.getMessage() + "); hashes will be recomputed next start");
        }
    }
}
