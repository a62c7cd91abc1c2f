package ai.sovereign.server;

import ai.sovereign.engine.BatchScheduler;
import ai.sovereign.engine.LanguageModel;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;

/**
 * The registered models and whether each may be served. A local model is served only when its
 * file's SHA-256 equals its registration (guarantee 4); a model registered without a hash is
 * pinned to the hash found at start and flagged {@code unpinned}. Anything else (missing file,
 * mismatch, unreadable GGUF, unsupported architecture) leaves the model registered but
 * unavailable, with the reason shown in {@code /v1/models} and the log.
 */
final class ModelRegistry implements AutoCloseable {

    /** One registered model. {@code engine} is null when unavailable. */
    record Entry(String name, String kind, Path path, String sha256, boolean pinned, String license,
                 String unavailableReason, LanguageModel model, BatchScheduler engine, ChatFormatter formatter) {
        boolean available() {
            return unavailableReason == null;
        }
    }

    private final Map<String, Entry> entries;

    private ModelRegistry(Map<String, Entry> entries) {
        this.entries = Collections.unmodifiableMap(entries);
    }

    static ModelRegistry load(ServerConfig config, ModelHashes hashes) {
        Map<String, Entry> entries = new LinkedHashMap<>();
        ServerConfig.Local local = config.localOrDefault();
        java.util.Set<String> remoteServed = Fleet.remoteModels(config);
        for (ServerConfig.ModelEntry m : config.modelsOrEmpty()) {
            if (m.name() == null || m.name().isBlank()) {
                throw new IllegalArgumentException("models: every entry needs a name");
            }
            if (entries.containsKey(m.name())) {
                throw new IllegalArgumentException("models: " + m.name() + " is registered twice");
            }
            String kind = m.kind() == null ? "chat" : m.kind().toLowerCase(Locale.ROOT);
            if (m.isRemote() || m.path() == null) {
                entries.put(m.name(), new Entry(m.name(), kind, null, m.sha256() == null ? null : m.sha256().toLowerCase(Locale.ROOT),
                        m.sha256() != null, m.license(),
                        remoteServed.contains(m.name()) ? null : "served by remote nodes, and no node serving it is configured", null, null, null));
                continue;
            }
            entries.put(m.name(), loadLocal(m, kind, hashes, local));
        }
        return new ModelRegistry(entries);
    }

    private static Entry loadLocal(ServerConfig.ModelEntry m, String kind, ModelHashes hashes, ServerConfig.Local local) {
        Path path = Path.of(m.path());
        String declared = m.sha256() == null ? null : m.sha256().toLowerCase(Locale.ROOT);
        if (!Files.isRegularFile(path)) {
            return unavailable(m, kind, path, declared, "model file not found: " + path);
        }
        String actual;
        try {
            long size = Files.size(path);
            actual = hashes.sha256(path, new Progress("hashing " + m.name(), size));
        } catch (IOException e) {
            return unavailable(m, kind, path, declared, "cannot read the model file: " + e.getMessage());
        }
        if (declared != null && !declared.equals(actual)) {
            Log.warn("model " + m.name() + " NOT served: its file's sha256 is " + actual + " but it is registered as " + declared);
            return unavailable(m, kind, path, declared, "sha256 mismatch: registered " + declared + ", file has " + actual);
        }
        if (declared == null) {
            Log.warn("model " + m.name() + " has no sha256 in its registration; pinned to " + actual + " for this process (unpinned)");
        }
        try {
            long before = Files.getLastModifiedTime(path).toMillis();
            LanguageModel model = LanguageModel.load(path, new LanguageModel.Options(
                    local.contextLength() == null ? 0 : local.contextLength(),
                    local.threads() == null ? 0 : local.threads(), 0));
            if (Files.getLastModifiedTime(path).toMillis() != before) {
                model.close();
                return unavailable(m, kind, path, declared, "the file changed while it was being loaded; restart to hash it again");
            }
            int maxSequences = local.maxSequences() != null ? local.maxSequences() : defaultSequences(model);
            int maxQueued = local.maxQueued() != null ? local.maxQueued() : 256;
            BatchScheduler engine = new BatchScheduler(model, maxSequences, maxQueued, Math.max(maxSequences, 64));
            ChatFormatter formatter = ChatFormatter.forModel(m.name(), model.file().metadata(), model.tokenizer());
            Log.info("model " + m.name() + " ready: " + model.config().architecture() + ", " + model.config().layers() + " layers, context "
                    + model.contextLength() + ", " + maxSequences + " concurrent sequences, chat format " + formatter.describe()
                    + ", sha256 " + actual);
            return new Entry(m.name(), kind, path, actual, declared != null, m.license(), null, model, engine, formatter);
        } catch (IOException | RuntimeException e) {
            return unavailable(m, kind, path, declared, "cannot load: " + e.getMessage());
        }
    }

    /** As many sequences as half the heap holds KV caches for, between 1 and 256. */
    private static int defaultSequences(LanguageModel model) {
        long budget = Runtime.getRuntime().maxMemory() / 2;
        return (int) Math.max(1, Math.min(256, budget / Math.max(1, model.sessionBytes())));
    }

    private static Entry unavailable(ServerConfig.ModelEntry m, String kind, Path path, String declared, String reason) {
        Log.warn("model " + m.name() + " unavailable: " + reason);
        return new Entry(m.name(), kind, path, declared, declared != null, m.license(), reason, null, null, null);
    }

    List<Entry> all() {
        return new ArrayList<>(entries.values());
    }

    Entry find(String name) {
        return entries.get(name);
    }

    boolean hasAvailableChatModel() {
        return entries.values().stream().anyMatch(e -> e.available() && e.kind().equals("chat"));
    }

    @Override
    public void close() {
        for (Entry e : entries.values()) {
            if (e.engine() != null) {
                e.engine().close();
            }
            if (e.model() != null) {
                e.model().close();
            }
        }
    }

    /** Hashing progress on stderr, at most every 10%. */
    private static final class Progress implements java.util.function.LongConsumer {
        private final String what;
        private final long total;
        private int lastDecile = -1;

        Progress(String what, long total) {
            this.what = what;
            this.total = Math.max(1, total);
        }

        @Override
        public void accept(long done) {
            int decile = (int) (done * 10 / total);
            if (decile != lastDecile && total > (64L << 20)) {
                lastDecile = decile;
                System.err.printf("%s: %d%%%n", what, decile * 10);
            }
        }
    }
}
