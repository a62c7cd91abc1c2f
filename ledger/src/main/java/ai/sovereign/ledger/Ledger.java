package ai.sovereign.ledger;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.nio.file.FileAlreadyExistsException;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.locks.ReentrantLock;

/**
 * The transparency ledger: an append-only RFC 9162 Merkle log stored as C2SP tlog-tiles under a
 * directory, with checkpoints signed as C2SP signed notes (Ed25519).
 *
 * <h2>What it guarantees</h2>
 * <ul>
 *   <li><b>Durable before acknowledged.</b> {@link #append} returns an index only after the entry
 *       is in the journal and the journal is fsynced. Appends are group-committed: one committer
 *       thread writes everything queued (up to {@code maxBatch}, waiting up to {@code commitDelay}
 *       for more while appenders are busy) with one write and one fsync.</li>
 *   <li><b>History is never rewritten.</b> Full tiles and bundles are written once, by a tile
 *       writer thread off the append path (until then, reads are served from memory): each is
 *       written to a temporary file and renamed into place at once, <em>without</em> an fsync, and
 *       fsynced later in groups (file by file, then each directory once) when {@code JOURNAL_SPAN}
 *       entries' worth is pending or the writer has been idle 50 ms. That is safe because the
 *       committer replaces the journal only with one that starts at or below {@code syncedTo}, the
 *       point up to which the group fsync has returned: the journal always holds every entry whose
 *       tiles a power loss could leave empty or torn, and recovery rewrites those tiles from it
 *       (a SIGKILL loses nothing: renamed files are in the page cache). Recovery replays the
 *       journal's intact records and cuts off only a torn tail (a bad final record), which holds
 *       no acknowledged entry; a bad record with intact ones after it stops recovery instead. It
 *       refuses to start if the last published checkpoint is larger than what it recovered, or its
 *       root differs from the stored tree.</li>
 *   <li><b>Checkpoints only cover durable entries</b>, are published within
 *       {@code checkpointInterval} of the first append they cover (at three quarters of it, so
 *       signing and writing fit in the rest), and each extends the previous one. With witnesses
 *       configured, a checkpoint is published as soon as the log signed it and sent to them
 *       afterwards ({@link Witnessing}, C2SP tlog-witness); cosignatures that verify are appended
 *       to the served checkpoint when they arrive. A slow, hanging or failing witness delays
 *       neither appends nor checkpoints nor {@link #open}.</li>
 * </ul>
 *
 * <h2>On disk</h2>
 * <pre>
 * journal                        entries since the last full bundle (see Journal)
 * checkpoint                     the latest signed checkpoint
 * vkey                           the log's verifier key (name+id+key)
 * tile/&lt;L&gt;/&lt;N&gt;[.p/&lt;W&gt;]            hash tiles; partial ones as of published checkpoints
 * tile/entries/&lt;N&gt;[.p/&lt;W&gt;]      entry bundles: u16 big-endian length || entry, repeated
 * </pre>
 * The signing key is a Go-format signer key file ({@code PRIVATE+KEY+origin+id+base64}), created
 * with mode 0600 on first start; a key file others can read is refused.
 */
public final class Ledger implements AutoCloseable {
    /** The largest entry (C2SP entry bundles prefix each entry with a u16 length). */
    public static final int MAX_ENTRY_BYTES = 65_535;
    /** Entries per entry bundle (C2SP tlog-tiles): {@link #readEntries} reads whole bundles, so readers group by them. */
    public static final int BUNDLE_ENTRIES = TilePath.WIDTH;

    private static final System.Logger LOG = System.getLogger(Ledger.class.getName());
    private static final int LEVELS = 8;
    private static final Pending STOP = new Pending(null, null);

    /**
     * Tuning. {@code maxBatch}: the most appends one fsync covers. {@code commitDelay}: how long
     * the committer may wait for more appends after the first of a batch arrives, while the
     * previous batch held more than one (so a lone appender is never held back); zero commits as
     * soon as the previous fsync ends. {@code checkpointInterval}: how soon a checkpoint follows an append.
     * {@code witnessTransport}: how requests to the witnesses leave the process (null: a JDK HTTP client of the ledger's).
     * {@code observer}: instrumentation of the commit path (null: none).
     */
    public record Options(int maxBatch, Duration checkpointInterval, Duration commitDelay, List<WitnessEndpoint> witnesses,
                          WitnessTransport witnessTransport, CommitObserver observer) {
        public static final Options DEFAULT = new Options(4096, Duration.ofSeconds(1), Duration.ZERO);

        public Options {
            if (maxBatch < 1 || checkpointInterval.isNegative() || checkpointInterval.isZero()) {
                throw new IllegalArgumentException("maxBatch must be positive and checkpointInterval above zero");
            }
            if (commitDelay.isNegative() || commitDelay.compareTo(Duration.ofSeconds(1)) > 0) {
                throw new IllegalArgumentException("commitDelay must be between 0 and 1 s, not " + commitDelay);
            }
            witnesses = List.copyOf(witnesses);
        }

        public Options(int maxBatch, Duration checkpointInterval, Duration commitDelay, List<WitnessEndpoint> witnesses,
                       WitnessTransport witnessTransport) {
            this(maxBatch, checkpointInterval, commitDelay, witnesses, witnessTransport, null);
        }

        public Options(int maxBatch, Duration checkpointInterval, Duration commitDelay, List<WitnessEndpoint> witnesses) {
            this(maxBatch, checkpointInterval, commitDelay, witnesses, null);
        }

        public Options(int maxBatch, Duration checkpointInterval, Duration commitDelay) {
            this(maxBatch, checkpointInterval, commitDelay, List.of());
        }

        public Options(int maxBatch, Duration checkpointInterval) {
            this(maxBatch, checkpointInterval, Duration.ZERO);
        }

        /** The same options with {@code observer} watching commits. */
        public Options withObserver(CommitObserver observer) {
            return new Options(maxBatch, checkpointInterval, commitDelay, witnesses, witnessTransport, observer);
        }
    }

    /**
     * Watches the commit path, on the committer thread (for metrics, and for tests that must see durability happen:
     * a slow observer is a slow disk). An exception it throws is a write failure: the batch fails and the ledger stops
     * acknowledging until reopened, as after a failed fsync.
     */
    public interface CommitObserver {
        /** A batch of {@code count} entries from index {@code first} is about to be written and fsynced. */
        default void syncing(long first, int count) throws IOException {}

        /** The first {@code size} entries are durable (fsynced); the batch's appends complete once this returns. */
        default void durable(long size) {}
    }

    /**
     * A witness this log asks to cosign every checkpoint it publishes (C2SP tlog-witness): the
     * witness's submission prefix ({@code add-checkpoint} is POSTed under it) and its cosigner
     * verifier key. Cosignatures that verify are appended to the published checkpoint.
     */
    public record WitnessEndpoint(URI url, String vkey) {
        public WitnessEndpoint {
            if (!(NoteVerifier.parse(vkey) instanceof Verification.Ok<NoteVerifier>(NoteVerifier v)) || v.type() != NoteVerifier.COSIGNATURE_V1) {
                throw new IllegalArgumentException("witness key " + Notes.excerpt(vkey) + " is not a cosignature/v1 verifier key (name+id+base64(0x04||key))");
            }
        }

        NoteVerifier verifier() {
            return NoteVerifier.parse(vkey).orThrow();
        }
    }

    /**
     * Sends one request to a witness and returns its answer. The server routes these through its egress allowlist; a
     * refusal is an {@link IOException}, and the checkpoint is published without that witness's cosignature.
     */
    @FunctionalInterface
    public interface WitnessTransport {
        HttpResponse<String> send(HttpRequest request) throws IOException, InterruptedException;
    }

    private record Pending(byte[] entry, CompletableFuture<Long> done) {}

    private record TileWrite(TilePath tile, byte[] bytes) {}

    /** Full tiles to write; once written, every full tile of the entries below {@code upTo} is on disk. */
    private record TileJob(List<TileWrite> writes, long upTo) {}

    private static final TileJob TILER_STOP = new TileJob(List.of(), -1);
    /** How long {@link #close} waits for the witnesses to cosign the last checkpoint (one that fails is not waited for). */
    private static final Duration WITNESS_GRACE = Duration.ofSeconds(2);
    /** The journal is replaced once it holds this many entries before the current bundle and their tiles are on disk. */
    private static final long JOURNAL_SPAN = 8L * TilePath.WIDTH;
    /** The tile writer fsyncs what it wrote once it has had no new work for this long. */
    private static final Duration TILE_SYNC_IDLE = Duration.ofMillis(50);
    /**
     * Past this many, the committer waits for the tile writer rather than let the journal (and the
     * tiles held in memory, about 90 KB per 256 entries of 300 bytes) grow: room for a disk stall of
     * a second or two at 40,000 appends/s.
     */
    private static final long JOURNAL_MAX_SPAN = 256L * TilePath.WIDTH;

    private final Path dir;
    private final Path journalPath;
    private final NoteSigner signer;
    private final String origin;
    private final Options options;

    // The tree's right edge. Mutated only by the committer thread (or recovery), always under `state`.
    private final ReentrantLock state = new ReentrantLock();
    private long size;
    private final byte[][] edge = new byte[LEVELS][TilePath.WIDTH * Hash.SIZE];
    private final int[] edgeCount = new int[LEVELS];
    private byte[] bundle = new byte[4096];
    private int bundleBytes;
    private int bundleCount;

    private long journalStart;
    private Journal journal;
    private long tornBytes;

    private final LinkedBlockingQueue<Pending> queue = new LinkedBlockingQueue<>();
    private Thread committer;
    private final AtomicLong commits = new AtomicLong();

    // Full tiles the committer produced and the tile writer has not yet made durable, by path; read() serves them from here.
    private final ConcurrentHashMap<String, byte[]> unwritten = new ConcurrentHashMap<>();
    private final LinkedBlockingQueue<TileJob> tileJobs = new LinkedBlockingQueue<>();
    private final Object tiled = new Object();
    private volatile long tiledTo;   // full tiles below this are in their files (maybe not yet fsynced)
    private volatile long syncedTo;  // ... and fsynced: the journal may start here
    private Thread tiler;
    private Thread publisher;
    private volatile boolean closed;
    private volatile Throwable broken;

    private final Object publishLock = new Object();

    /**
     * The latest published checkpoint: the note the log signed ({@code signed}, as read back at recovery it may
     * already carry cosignatures), its tree size, the witnesses whose cosignature it carries, and the note served
     * ({@code signed} plus the cosignature lines attached since). Swapped whole.
     */
    private record Published(String signed, long size, Set<WitnessEndpoint> cosigned, String note) {
        Published(String signed, long size, Set<WitnessEndpoint> cosigned) {
            this(signed, size, Set.copyOf(cosigned), signed);
        }

        Published with(WitnessEndpoint w, String lines) {
            Set<WitnessEndpoint> more = new java.util.HashSet<>(cosigned);
            more.add(w);
            return new Published(signed, size, Set.copyOf(more), note + lines);
        }
    }

    private volatile Published published = new Published(null, -1, Set.of());
    /** System.nanoTime of the first append no published checkpoint covers yet; 0 when none (guarded by publishSignal). */
    private long unpublishedSince;
    private final Object publishSignal = new Object();
    private final Witnessing witnessing;

    private Ledger(Path dir, NoteSigner signer, String origin, Options options) {
        this.dir = dir.toAbsolutePath();
        this.journalPath = this.dir.resolve("journal");
        this.signer = signer;
        this.origin = origin;
        this.options = options;
        this.witnessing = options.witnesses().isEmpty() ? null
                : new Witnessing(options.witnesses(), options.witnessTransport(), options.checkpointInterval(), new Witnessing.Log() {
                    @Override
                    public Witnessing.Target target() {
                        Published p = published;
                        return p.signed() == null ? null : new Witnessing.Target(p.signed(), p.size(), p.cosigned());
                    }

                    @Override
                    public List<Hash> consistency(long oldSize, long newSize) {
                        return consistencyProof(oldSize, newSize).hashes();
                    }

                    @Override
                    public void cosigned(WitnessEndpoint w, Witnessing.Target t, String lines) {
                        attach(w, t, lines);
                    }
                });
    }

    // ================================================================ opening and recovery

    public static Ledger open(Path dir, Path keyFile, String origin) {
        return open(dir, keyFile, origin, Options.DEFAULT);
    }

    /**
     * Opens (or creates) the log in {@code dir}, signing as {@code origin} with the key in
     * {@code keyFile} (created on first start). Recovers from a crash first; throws
     * {@link LedgerException} when the store is damaged beyond a torn tail.
     */
    public static Ledger open(Path dir, Path keyFile, String origin, Options options) {
        if (!Notes.validName(origin)) {
            throw new LedgerException("origin " + Notes.excerpt(origin) + " must be non-empty with no spaces and no '+'");
        }
        Ledger l = new Ledger(dir, loadOrCreateKey(keyFile, origin), origin, options);
        try {
            l.recover();
        } catch (IOException e) {
            throw new LedgerException("cannot open the ledger in " + dir + ": " + e.getMessage(), e);
        }
        l.start();
        return l;
    }

    static NoteSigner loadOrCreateKey(Path keyFile, String origin) {
        return loadOrCreateKey(keyFile, origin, NoteVerifier.ED25519);
    }

    /** Loads the signer key of {@code type} (0x01 log, 0x04 witness) named {@code origin}, or creates it (mode 0600). */
    static NoteSigner loadOrCreateKey(Path keyFile, String origin, int type) {
        try {
            if (Files.exists(keyFile)) {
                Durable.requirePrivate(keyFile, "key file");
                Verification<NoteSigner> s = NoteSigner.parse(Files.readString(keyFile, StandardCharsets.UTF_8).strip());
                if (!(s instanceof Verification.Ok<NoteSigner>(NoteSigner signer))) {
                    throw new LedgerException("key file " + keyFile + ": " + s.reason());
                }
                if (!signer.name().equals(origin)) {
                    throw new LedgerException("key file " + keyFile + " holds the key of " + Notes.excerpt(signer.name())
                            + ", not of origin " + Notes.excerpt(origin));
                }
                if (signer.verifier().type() != type) {
                    throw new LedgerException("key file " + keyFile + " holds a key of type 0x" + Integer.toHexString(signer.verifier().type())
                            + ", not 0x0" + type + (type == NoteVerifier.COSIGNATURE_V1 ? " (a witness key)" : " (a log key)"));
                }
                return signer;
            }
            NoteSigner signer = NoteSigner.generate(origin, type);
            Durable.createPrivate(keyFile, signer.skey() + "\n");
            LOG.log(System.Logger.Level.INFO, "ledger: created signing key " + keyFile + " for " + signer.verifier().vkey());
            return signer;
        } catch (FileAlreadyExistsException e) {
            throw new LedgerException("key file " + keyFile + " appeared while it was being created; start again", e);
        } catch (IOException e) {
            throw new LedgerException("key file " + keyFile + ": " + e.getMessage(), e);
        }
    }

    private void recover() throws IOException {
        Durable.createDirectories(dir);
        if (!Files.exists(journalPath)) {
            if (Files.exists(dir.resolve("checkpoint")) || Files.exists(dir.resolve("tile"))) {
                throw new LedgerException(dir + " holds a checkpoint or tiles but no journal; refusing to start a new log over them");
            }
            Journal.create(journalPath, 0, List.of());
        }
        Journal.Contents contents = Journal.read(journalPath);
        journalStart = contents.start();
        state.lock();
        try {
            size = contents.start();
            loadEdge(contents.start());
            List<TileWrite> writes = new ArrayList<>();
            for (byte[] e : contents.entries()) {
                addLeaf(e, writes);
            }
            for (TileWrite w : writes) {
                Durable.write(dir.resolve(w.tile().path()), w.bytes());
            }
        } finally {
            state.unlock();
        }
        tornBytes = contents.tornBytes();
        if (tornBytes > 0) {
            LOG.log(System.Logger.Level.WARNING, "ledger: cut a torn journal tail of " + tornBytes + " bytes after entry " + (size - 1)
                    + " (never acknowledged)");
        }
        journal = Journal.openForAppend(journalPath, contents.validBytes(), contents.tornBytes());
        tiledTo = size - bundleCount;
        syncedTo = tiledTo;
        if (size - journalStart >= TilePath.WIDTH) {
            resetJournal();
        }
        Path cpPath = dir.resolve("checkpoint");
        if (Files.exists(cpPath)) {
            String note = Files.readString(cpPath, StandardCharsets.UTF_8);
            Verification<Checkpoint> v = Checkpoint.open(note, signer.verifier(), origin);
            if (!(v instanceof Verification.Ok<Checkpoint>(Checkpoint cp))) {
                throw new LedgerException(cpPath + ": " + v.reason());
            }
            if (cp.size() > size) {
                throw new LedgerException(cpPath + " covers " + cp.size() + " entries, but only " + size
                        + " were recovered; refusing to start (acknowledged entries are missing)");
            }
            Hash root = root(cp.size());
            if (!root.equals(cp.root())) {
                throw new LedgerException(cpPath + " has root " + cp.root() + " at size " + cp.size() + ", but the stored tree has "
                        + root + "; refusing to start (the store was altered)");
            }
            Set<WitnessEndpoint> cosigned = new java.util.HashSet<>();
            for (WitnessEndpoint w : options.witnesses()) {
                if (Notes.open(note, List.of(w.verifier())).isOk()) {
                    cosigned.add(w);
                }
            }
            published = new Published(note, cp.size(), cosigned);
        }
        Path vkeyPath = dir.resolve("vkey");
        String vkey = signer.verifier().vkey() + "\n";
        if (!Files.exists(vkeyPath) || !Files.readString(vkeyPath, StandardCharsets.UTF_8).equals(vkey)) {
            Durable.write(vkeyPath, vkey.getBytes(StandardCharsets.UTF_8));
        }
        publish();
    }

    /** Rebuilds the right edge of levels 1.. for a size that is a multiple of 256, from the full tiles below. */
    private void loadEdge(long start) throws IOException {
        for (int l = 1; l < LEVELS; l++) {
            long atLevel = start >>> (8 * l);
            int c = (int) (atLevel % TilePath.WIDTH);
            long first = atLevel - c;
            for (int i = 0; i < c; i++) {
                TilePath below = new TilePath(l - 1, first + i, TilePath.WIDTH);
                byte[] t = readFile(below);
                if (t == null || t.length != TilePath.WIDTH * Hash.SIZE) {
                    throw new LedgerException(dir.resolve(below.path()) + " is missing or not 8,192 bytes; the journal starts at " + start);
                }
                System.arraycopy(Merkle.perfectRoot(t, 0, TilePath.WIDTH), 0, edge[l], i * Hash.SIZE, Hash.SIZE);
            }
            edgeCount[l] = c;
        }
        if (start > 0 && readFile(new TilePath(TilePath.ENTRIES, start / TilePath.WIDTH - 1, TilePath.WIDTH)) == null) {
            throw new LedgerException("entry bundle " + new TilePath(TilePath.ENTRIES, start / TilePath.WIDTH - 1, TilePath.WIDTH).path()
                    + " is missing; the journal starts at " + start);
        }
    }

    private void start() {
        committer = Thread.ofPlatform().name("ledger-commit").daemon().start(this::commitLoop);
        tiler = Thread.ofPlatform().name("ledger-tiles").daemon().start(this::tileLoop);
        publisher = Thread.ofPlatform().name("ledger-publish").daemon().start(this::publishLoop);
        if (witnessing != null) {
            witnessing.start();
        }
    }

    // ================================================================ appending

    /**
     * Appends {@code entry} and returns its index once it is durable (fsynced). Throws
     * {@link LedgerException} if the ledger is closed or a write failed (then nothing more is
     * acknowledged until the ledger is reopened, which recovers).
     */
    public long append(byte[] entry) {
        try {
            return appendAsync(entry).join();
        } catch (CompletionException e) {
            throw e.getCause() instanceof LedgerException le ? le : new LedgerException("append failed: " + e.getCause(), e.getCause());
        }
    }

    /** Like {@link #append}, completing with the index once the entry is durable. */
    public CompletableFuture<Long> appendAsync(byte[] entry) {
        if (entry.length > MAX_ENTRY_BYTES) {
            throw new IllegalArgumentException("a ledger entry is at most 65,535 bytes, not " + entry.length);
        }
        LedgerException unusable = unusable();
        if (unusable != null) {
            return CompletableFuture.failedFuture(unusable);
        }
        Pending p = new Pending(entry.clone(), new CompletableFuture<>());
        queue.add(p);
        if (closed) {
            failQueued();
        }
        return p.done();
    }

    private LedgerException unusable() {
        if (broken != null) {
            return new LedgerException("the ledger stopped after a write failure (" + broken.getMessage() + "); reopen it to recover", broken);
        }
        return closed ? new LedgerException("the ledger is closed") : null;
    }

    private void commitLoop() {
        List<Pending> batch = new ArrayList<>();
        List<byte[]> entries = new ArrayList<>();
        long delay = options.commitDelay().toNanos();
        int previousBatch = 0;
        while (true) {
            batch.clear();
            entries.clear();
            try {
                batch.add(queue.take());
                queue.drainTo(batch, options.maxBatch() - 1);
                if (delay > 0 && previousBatch > 1) {
                    gather(batch, System.nanoTime() + delay);
                }
            } catch (InterruptedException e) {
                break;
            }
            previousBatch = batch.size();
            boolean stop = batch.removeIf(p -> p == STOP);
            if (!batch.isEmpty()) {
                batch.forEach(p -> entries.add(p.entry()));
                long first = size;
                try {
                    if (options.observer() != null) {
                        options.observer().syncing(first, entries.size());
                    }
                    journal.append(first, entries);
                    commits.incrementAndGet();
                    List<TileWrite> writes = new ArrayList<>();
                    state.lock();
                    try {
                        for (byte[] e : entries) {
                            addLeaf(e, writes);
                        }
                        for (TileWrite w : writes) {
                            unwritten.put(w.tile().path(), w.bytes());
                        }
                    } finally {
                        state.unlock();
                    }
                    long bundleStart = size - bundleCount;
                    if (!writes.isEmpty()) {
                        tileJobs.add(new TileJob(writes, bundleStart));
                    }
                    if (options.observer() != null) {
                        options.observer().durable(first + batch.size());
                    }
                    for (int i = 0; i < batch.size(); i++) {
                        batch.get(i).done().complete(first + i);
                    }
                    synchronized (publishSignal) {
                        if (unpublishedSince == 0) {
                            unpublishedSince = System.nanoTime();
                            publishSignal.notifyAll();
                        }
                    }
                    if (bundleStart - journalStart >= JOURNAL_MAX_SPAN) {
                        awaitTiles(bundleStart, true);
                    }
                    if (bundleStart - journalStart >= JOURNAL_SPAN && syncedTo >= bundleStart) {
                        resetJournal();
                    }
                } catch (IOException | RuntimeException e) {
                    broken = e;
                    LOG.log(System.Logger.Level.ERROR, "ledger: write failed; no further appends until reopened", e);
                    LedgerException failure = unusable();
                    batch.forEach(p -> p.done().completeExceptionally(failure));
                    failQueued();
                    return;
                }
            }
            if (stop) {
                break;
            }
        }
        failQueued();
    }

    /** Adds appends arriving before {@code deadline} (System.nanoTime) to the batch, up to maxBatch or a STOP. */
    private void gather(List<Pending> batch, long deadline) throws InterruptedException {
        if (batch.contains(STOP)) {
            return;
        }
        while (batch.size() < options.maxBatch()) {
            long left = deadline - System.nanoTime();
            Pending p = left > 0 ? queue.poll(left, TimeUnit.NANOSECONDS) : null;
            if (p == null) {
                return;
            }
            int from = batch.size();
            batch.add(p);
            queue.drainTo(batch, options.maxBatch() - batch.size());
            if (batch.subList(from, batch.size()).contains(STOP)) {
                return;
            }
        }
    }

    /**
     * Writes full tiles, in order, off the append path; jobs queued meanwhile are written together.
     * Each file is written and renamed into place at once (readers see it), but fsynced later, in
     * groups: once {@link #JOURNAL_SPAN} entries' worth is pending, or after {@link #TILE_SYNC_IDLE}
     * with no new work (a light load would otherwise pay a file-system journal commit per bundle,
     * and the committer's fdatasync waits behind each).
     * Until then the journal still holds those entries (it is replaced only up to {@code
     * syncedTo}), and recovery rewrites their tiles, so a power loss cannot leave a torn tile behind.
     * One fsync per group commits the file system's journal once instead of once per file.
     */
    private void tileLoop() {
        List<TileJob> jobs = new ArrayList<>();
        List<Path> unsynced = new ArrayList<>();
        while (true) {
            jobs.clear();
            try {
                TileJob next = unsynced.isEmpty() ? tileJobs.take() : tileJobs.poll(TILE_SYNC_IDLE.toNanos(), TimeUnit.NANOSECONDS);
                if (next == null) {
                    syncTiles(unsynced, tiledTo);
                    continue;
                }
                jobs.add(next);
            } catch (InterruptedException e) {
                return;
            } catch (IOException | RuntimeException e) {
                tilesFailed(e);
                return;
            }
            tileJobs.drainTo(jobs);
            boolean stop = jobs.remove(TILER_STOP);
            if (jobs.isEmpty()) {
                try {
                    syncTiles(unsynced, tiledTo);
                } catch (IOException | RuntimeException e) {
                    tilesFailed(e);
                }
                return;
            }
            TileJob job = jobs.getLast();
            try {
                Map<Path, byte[]> files = new LinkedHashMap<>();
                jobs.forEach(j -> j.writes().forEach(w -> files.put(dir.resolve(w.tile().path()), w.bytes())));
                Durable.writeAllUnsynced(files);
                jobs.forEach(j -> j.writes().forEach(w -> unwritten.remove(w.tile().path())));
                unsynced.addAll(files.keySet());
                synchronized (tiled) {
                    tiledTo = job.upTo();
                    tiled.notifyAll();
                }
                if (job.upTo() - syncedTo >= JOURNAL_SPAN || stop || closed) {
                    syncTiles(unsynced, job.upTo());
                }
            } catch (IOException | RuntimeException e) {
                tilesFailed(e);
                return;
            }
            if (stop) {
                return;
            }
        }
    }

    private void syncTiles(List<Path> unsynced, long upTo) throws IOException {
        Durable.sync(unsynced);
        unsynced.clear();
        synchronized (tiled) {
            syncedTo = upTo;
            tiled.notifyAll();
        }
    }

    private void tilesFailed(Exception e) {
        broken = e;
        LOG.log(System.Logger.Level.ERROR, "ledger: writing tiles failed; no further appends until reopened", e);
        synchronized (tiled) {
            tiled.notifyAll();
        }
    }

    /** Waits until every full tile of the entries below {@code upTo} is in its file ({@code synced}: and fsynced). */
    private void awaitTiles(long upTo, boolean synced) {
        synchronized (tiled) {
            while ((synced ? syncedTo : tiledTo) < upTo && broken == null) {
                try {
                    tiled.wait();
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                    throw new LedgerException("interrupted while waiting for tiles to be written");
                }
            }
        }
        LedgerException unusable = broken == null ? null : unusable();
        if (unusable != null) {
            throw unusable;
        }
    }

    private void failQueued() {
        LedgerException failure = unusable();
        for (Pending p; (p = queue.poll()) != null; ) {
            if (p != STOP) {
                p.done().completeExceptionally(failure == null ? new LedgerException("the ledger is closed") : failure);
            }
        }
    }

    /** Adds one entry to the bundle and the tree's right edge, collecting tiles that became full. */
    private void addLeaf(byte[] entry, List<TileWrite> writes) {
        if (bundleBytes + 2 + entry.length > bundle.length) {
            bundle = Arrays.copyOf(bundle, Math.max(bundle.length * 2, bundleBytes + 2 + entry.length));
        }
        bundle[bundleBytes] = (byte) (entry.length >>> 8);
        bundle[bundleBytes + 1] = (byte) entry.length;
        System.arraycopy(entry, 0, bundle, bundleBytes + 2, entry.length);
        bundleBytes += 2 + entry.length;
        if (++bundleCount == TilePath.WIDTH) {
            writes.add(new TileWrite(new TilePath(TilePath.ENTRIES, size / TilePath.WIDTH, TilePath.WIDTH), Arrays.copyOf(bundle, bundleBytes)));
            bundleBytes = 0;
            bundleCount = 0;
        }
        byte[] h = Merkle.leafHash(entry);
        long next = size + 1;
        for (int l = 0; l < LEVELS; l++) {
            System.arraycopy(h, 0, edge[l], edgeCount[l] * Hash.SIZE, Hash.SIZE);
            if (++edgeCount[l] < TilePath.WIDTH) {
                break;
            }
            writes.add(new TileWrite(new TilePath(l, (next >>> (8 * (l + 1))) - 1, TilePath.WIDTH), edge[l].clone()));
            h = Merkle.perfectRoot(edge[l], 0, TilePath.WIDTH);
            edgeCount[l] = 0;
        }
        size = next;
    }

    /** Replaces the journal with one that starts at the current bundle (its earlier entries are in full bundles). */
    private void resetJournal() throws IOException {
        long start;
        List<byte[]> rest = new ArrayList<>();
        state.lock();
        try {
            start = size - bundleCount;
            ByteBuffer b = ByteBuffer.wrap(bundle, 0, bundleBytes);
            while (b.hasRemaining()) {
                byte[] e = new byte[b.getShort() & 0xffff];
                b.get(e);
                rest.add(e);
            }
        } finally {
            state.unlock();
        }
        journal.close();
        long valid = Journal.create(journalPath, start, rest);
        journal = Journal.openForAppend(journalPath, valid, 0);
        journalStart = start;
    }

    // ================================================================ checkpoints

    /**
     * Publishes a checkpoint three quarters of {@code checkpointInterval} after the first append that no published
     * checkpoint covers, so it is out within the interval of that append (signing and writing take the rest).
     */
    private void publishLoop() {
        long due = options.checkpointInterval().toNanos() * 3 / 4;
        while (!closed) {
            try {
                synchronized (publishSignal) {
                    while (unpublishedSince == 0 && !closed) {
                        publishSignal.wait();
                    }
                    for (long left; !closed && (left = unpublishedSince + due - System.nanoTime()) > 0; ) {
                        TimeUnit.NANOSECONDS.timedWait(publishSignal, left);
                    }
                    unpublishedSince = 0; // appends from now on set it again; publish() below may cover them already
                }
            } catch (InterruptedException e) {
                return;
            }
            if (broken == null && !closed) {
                try {
                    publish();
                } catch (RuntimeException e) {
                    LOG.log(System.Logger.Level.ERROR, "ledger: publishing a checkpoint failed", e);
                }
            }
        }
    }

    /**
     * Signs and publishes a checkpoint of everything durable now (writing the partial tiles it implies first),
     * unless that size is already published, and hands it to the witnesses, whose cosignatures are attached when
     * they come ({@link Witnessing}). Returns the checkpoint as published now (log-signed).
     */
    public String publish() {
        synchronized (publishLock) {
            long s;
            List<TileWrite> partials = new ArrayList<>();
            state.lock();
            try {
                s = size;
                Published p = published;
                if (s == p.size() && p.note() != null) {
                    return p.note();
                }
                for (int l = 0; l < LEVELS; l++) {
                    if (edgeCount[l] > 0) {
                        partials.add(new TileWrite(new TilePath(l, (s >>> (8 * l)) / TilePath.WIDTH, edgeCount[l]),
                                Arrays.copyOf(edge[l], edgeCount[l] * Hash.SIZE)));
                    }
                }
                if (bundleCount > 0) {
                    partials.add(new TileWrite(new TilePath(TilePath.ENTRIES, s / TilePath.WIDTH, bundleCount), Arrays.copyOf(bundle, bundleBytes)));
                }
            } finally {
                state.unlock();
            }
            awaitTiles(s - s % TilePath.WIDTH, false);
            try {
                for (TileWrite w : partials) {
                    Durable.write(dir.resolve(w.tile().path()), w.bytes());
                }
                HashSource src = TileMath.source(path -> partials.stream().filter(w -> w.tile().path().equals(path)).findFirst()
                        .map(TileWrite::bytes).orElseThrow(() -> new IllegalStateException("root needs " + path)), s);
                Hash root = Hash.wrap(Proofs.root(src, s));
                String note = signer.signNote(new Checkpoint(origin, s, root).body());
                Durable.write(dir.resolve("checkpoint"), note.getBytes(StandardCharsets.UTF_8));
                published = new Published(note, s, Set.of());
            } catch (IOException e) {
                throw new LedgerException("cannot publish a checkpoint in " + dir + ": " + e.getMessage(), e);
            }
        }
        if (witnessing != null) {
            witnessing.changed();
        }
        return published.note();
    }

    /** A witness's verified cosignature of {@code t}: appended to the served checkpoint (and its file) if {@code t} is still the one published. */
    private void attach(WitnessEndpoint w, Witnessing.Target t, String lines) {
        synchronized (publishLock) {
            Published p = published;
            if (p.size() != t.size() || !p.signed().equals(t.signed()) || p.cosigned().contains(w)) {
                return; // superseded by a newer checkpoint, which the witness is asked about next
            }
            Published q = p.with(w, lines);
            try {
                Durable.write(dir.resolve("checkpoint"), q.note().getBytes(StandardCharsets.UTF_8));
            } catch (IOException e) {
                LOG.log(System.Logger.Level.WARNING, "ledger: cannot write the cosigned checkpoint in " + dir + ": " + e.getMessage()
                        + "; serving it from memory");
            }
            published = q;
        }
        witnessing.changed();
    }

    /** The latest published signed checkpoint (C2SP tlog-checkpoint as a signed note). */
    public String checkpoint() {
        return published.note();
    }

    /** The number of durable entries. */
    public long size() {
        state.lock();
        try {
            return size;
        } finally {
            state.unlock();
        }
    }

    public String origin() {
        return origin;
    }

    /** The log's verifier key in signed-note form ({@code name+id+base64(0x01||key)}). */
    public String verifierKey() {
        return signer.verifier().vkey();
    }

    /** How many group commits (journal write + fsync) this ledger has made since it was opened. */
    public long commits() {
        return commits.get();
    }

    /** Bytes of the torn journal tail cut off when this ledger was opened (0 after a clean shutdown). */
    public long repairedBytes() {
        return tornBytes;
    }

    // ================================================================ reading: tiles and proofs

    /**
     * A C2SP resource by its path under the log's prefix ({@code tile/<L>/<N>[.p/<W>]} or
     * {@code tile/entries/<N>[.p/<W>]}), for serving. Empty when the path is malformed or lies
     * beyond the durable size. Returned tiles are immutable: the same path always gives the same bytes.
     */
    public Optional<byte[]> tile(String path) {
        if (!(TilePath.parse(path) instanceof Verification.Ok<TilePath>(TilePath t))) {
            return Optional.empty();
        }
        try {
            return Optional.ofNullable(read(t, size()));
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    /** Receives entries in log order from {@link #readEntries}. */
    @FunctionalInterface
    public interface EntryReader {
        void entry(long index, byte[] entry);
    }

    /**
     * Hands entries {@code from} (inclusive) to {@code to} (exclusive; at most {@link #size()}) to {@code reader} in
     * order, one entry bundle read at a time, so a server can keep a derived view (an index) of its own log.
     */
    public void readEntries(long from, long to, EntryReader reader) {
        checkSize(to);
        if (from < 0 || from > to) {
            throw new IllegalArgumentException("entries from " + from + " to " + to + " are not a range of the log");
        }
        try {
            for (long b = from / TilePath.WIDTH; b * TilePath.WIDTH < to; b++) {
                int width = (int) Math.min(TilePath.WIDTH, to - b * TilePath.WIDTH);
                byte[] data = read(new TilePath(TilePath.ENTRIES, b, width), to);
                if (data == null) {
                    throw new LedgerException("entry bundle " + b + " (width " + width + ") is missing below the durable size " + to);
                }
                int off = 0;
                for (int i = 0; i < width; i++) {
                    int len = ((data[off] & 0xff) << 8) | (data[off + 1] & 0xff);
                    long index = b * TilePath.WIDTH + i;
                    if (index >= from) {
                        reader.entry(index, Arrays.copyOfRange(data, off + 2, off + 2 + len));
                    }
                    off += 2 + len;
                }
            }
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    /** The tree head of the first {@code treeSize} entries ({@code treeSize <= size()}). */
    public Hash root(long treeSize) {
        checkSize(treeSize);
        return Hash.wrap(Proofs.root(source(treeSize), treeSize));
    }

    public InclusionProof inclusionProof(long index, long treeSize) {
        checkSize(treeSize);
        if (index < 0 || index >= treeSize) {
            throw new IllegalArgumentException("index " + index + " is not below tree size " + treeSize);
        }
        HashSource src = source(treeSize);
        return new InclusionProof(index, treeSize, Hash.wrap(src.node(0, index)),
                Proofs.inclusion(src, index, treeSize).stream().map(Hash::wrap).toList());
    }

    public ConsistencyProof consistencyProof(long oldSize, long newSize) {
        checkSize(newSize);
        if (oldSize < 0 || oldSize > newSize) {
            throw new IllegalArgumentException("old size " + oldSize + " must be between 0 and the new size " + newSize);
        }
        return new ConsistencyProof(oldSize, newSize, Proofs.consistency(source(newSize), oldSize, newSize).stream().map(Hash::wrap).toList());
    }

    /**
     * A C2SP tlog-proof for entry {@code index} against the published checkpoint (verbatim, with
     * any cosignatures), carrying the entry as its {@code extra} data ({@link TlogProof}). Throws
     * {@link IllegalArgumentException} when the index is not below the checkpoint's size.
     */
    public String tlogProof(long index) {
        Published p = published;
        InclusionProof proof = inclusionProof(index, p.size());
        byte[][] entry = new byte[1][];
        readEntries(index, index + 1, (i, e) -> entry[0] = e);
        return proof.toTlogProof(p.note(), entry[0]);
    }

    private void checkSize(long treeSize) {
        long s = size();
        if (treeSize < 0 || treeSize > s) {
            throw new IllegalArgumentException("tree size " + treeSize + " is beyond the log's " + s + " durable entries");
        }
    }

    private HashSource source(long treeSize) {
        return TileMath.source(path -> {
            try {
                byte[] b = read(TilePath.parse(path).orThrow(), treeSize);
                if (b == null) {
                    throw new LedgerException(path + " is missing from " + dir);
                }
                return b;
            } catch (IOException e) {
                throw new UncheckedIOException(e);
            }
        }, treeSize);
    }

    /** Reads tile {@code t} if a tree of {@code limit} entries contains it: a full tile's file, or a prefix of a full tile or of the edge. */
    private byte[] read(TilePath t, long limit) throws IOException {
        long available = t.entries() ? limit : limit >>> (8 * t.level());
        if (t.index() * TilePath.WIDTH + t.width() > available) {
            return null;
        }
        if (!t.partial()) {
            byte[] pending = unwritten.get(t.path());
            return pending != null ? pending.clone() : readFile(t);
        }
        state.lock();
        try {
            long edgeTile = t.entries() ? size / TilePath.WIDTH : (size >>> (8 * t.level())) / TilePath.WIDTH;
            if (t.index() == edgeTile) {
                return t.entries() ? Arrays.copyOf(bundle, prefixLength(bundle, t.width())) : Arrays.copyOf(edge[t.level()], t.width() * Hash.SIZE);
            }
        } finally {
            state.unlock();
        }
        byte[] full = unwritten.get(t.full().path());
        if (full == null) {
            full = readFile(t.full());
        }
        if (full == null) {
            return null;
        }
        return Arrays.copyOf(full, t.entries() ? prefixLength(full, t.width()) : t.width() * Hash.SIZE);
    }

    /** Byte length of the first {@code count} entries of a bundle. */
    private static int prefixLength(byte[] bundle, int count) {
        int off = 0;
        for (int i = 0; i < count; i++) {
            off += 2 + (((bundle[off] & 0xff) << 8) | (bundle[off + 1] & 0xff));
        }
        return off;
    }

    private byte[] readFile(TilePath t) throws IOException {
        try {
            return Files.readAllBytes(dir.resolve(t.path()));
        } catch (NoSuchFileException e) {
            return null;
        }
    }

    // ================================================================ verifying a published log

    /**
     * Verifies the log published in {@code dir}: signature (with {@code vkey}, or the directory's
     * own {@code vkey} file when null), every entry bundle, every tile, the root, and consistency
     * with {@code trustedCheckpoint} (a signed checkpoint seen earlier) when given.
     */
    public static Verification<Checkpoint> verify(Path dir, String vkey, String trustedCheckpoint) {
        return verify(dir, vkey, trustedCheckpoint, false);
    }

    /** The same, and with {@code decodeEntries} every entry must decode as a canonical {@link AuditEntry}. */
    public static Verification<Checkpoint> verify(Path dir, String vkey, String trustedCheckpoint, boolean decodeEntries) {
        return verify(dir, vkey, trustedCheckpoint, decodeEntries, List.of());
    }

    /** The same, and the checkpoint must be cosigned by each of {@code witnesses} (cosigner verifier keys). */
    public static Verification<Checkpoint> verify(Path dir, String vkey, String trustedCheckpoint, boolean decodeEntries, List<String> witnesses) {
        try {
            return LogVerifier.verify(path -> {
                try {
                    return Files.readAllBytes(dir.resolve(path));
                } catch (NoSuchFileException e) {
                    return null;
                }
            }, vkey, trustedCheckpoint, decodeEntries, witnesses);
        } catch (IOException | LedgerException e) {
            return Verification.failed(e.getMessage());
        }
    }

    /** The same, over HTTP: {@code prefix} is the log's URL prefix ({@code .../ledger/}). */
    public static Verification<Checkpoint> verify(URI prefix, String vkey, String trustedCheckpoint) {
        return verify(prefix, vkey, trustedCheckpoint, false);
    }

    /** The same, over HTTP, optionally decoding every entry as an {@link AuditEntry}. */
    public static Verification<Checkpoint> verify(URI prefix, String vkey, String trustedCheckpoint, boolean decodeEntries) {
        return verify(prefix, vkey, trustedCheckpoint, decodeEntries, List.of());
    }

    /** The same, over HTTP, and the checkpoint must be cosigned by each of {@code witnesses}. */
    public static Verification<Checkpoint> verify(URI prefix, String vkey, String trustedCheckpoint, boolean decodeEntries, List<String> witnesses) {
        try (HttpClient http = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(10)).build()) {
            return LogVerifier.verify(fetcher(http, prefix), vkey, trustedCheckpoint, decodeEntries, witnesses);
        } catch (IOException | LedgerException e) {
            return Verification.failed(e.getMessage());
        }
    }

    /**
     * Builds a C2SP tlog-proof for entry {@code index} of the log at {@code prefix}, from its
     * tiles, against its current checkpoint (which must verify with {@code vkey} when given).
     */
    public static Verification<String> prove(URI prefix, long index, String vkey) {
        try (HttpClient http = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(10)).build()) {
            LogVerifier.Fetch fetch = fetcher(http, prefix);
            byte[] note = fetch.get("checkpoint");
            if (note == null) {
                return Verification.failed("the log has no checkpoint");
            }
            String text = new String(note, StandardCharsets.UTF_8);
            Verification<Checkpoint> cpv = vkey != null ? Checkpoint.open(text, vkey)
                    : Notes.parse(text).then(p -> Checkpoint.parse(p.text()));
            if (!(cpv instanceof Verification.Ok<Checkpoint>(Checkpoint cp))) {
                return Verification.failed("checkpoint: " + cpv.reason());
            }
            if (index < 0 || index >= cp.size()) {
                return Verification.failed("index " + index + " is not below the checkpoint's size " + cp.size());
            }
            HashSource src = TileMath.source(LogVerifier.tiles(fetch), cp.size());
            InclusionProof proof = new InclusionProof(index, cp.size(), Hash.wrap(src.node(0, index)),
                    Proofs.inclusion(src, index, cp.size()).stream().map(Hash::wrap).toList());
            Verification<Void> ok = proof.verify(cp.root());
            if (!ok.isOk()) {
                return Verification.failed("the log's tiles do not match its checkpoint: " + ok.reason());
            }
            Verification<byte[]> entry = LogVerifier.entry(fetch, index, cp.size());
            if (!(entry instanceof Verification.Ok<byte[]>(byte[] e))) {
                return Verification.failed(entry.reason());
            }
            if (!Arrays.equals(Merkle.leafHash(e), proof.leafHash().raw())) {
                return Verification.failed("entry " + index + " in its bundle does not match the log's hash tiles (the bundle or a tile was altered)");
            }
            return Verification.ok(proof.toTlogProof(text, e));
        } catch (IOException | LedgerException e) {
            return Verification.failed(e.getMessage());
        }
    }

    /**
     * An entry proven to be in a log: its index, its bytes, and the checkpoint (signed by the log's key and
     * cosigned by every required witness) whose root the inclusion proof binds it to.
     */
    public record ProvenEntry(long index, byte[] entry, Checkpoint checkpoint) {
        public ProvenEntry {
            entry = entry.clone();
        }

        @Override
        public byte[] entry() {
            return entry.clone();
        }
    }

    /**
     * Verifies a C2SP tlog-proof file offline, in the spec's order: the leaf hash of the entry ({@code entry}, or
     * else the proof's {@code extra} data, which is where this log's proofs carry it), the checkpoint's signature by
     * {@code vkey} with the origin its name, a cosignature by each of {@code witnesses}, then the inclusion proof from
     * that leaf to the checkpoint's root. Nothing is fetched.
     */
    public static Verification<ProvenEntry> verifyProof(byte[] proofFile, byte[] entry, String vkey, List<String> witnesses) {
        Verification<TlogProof> parsed = TlogProof.parse(proofFile);
        if (!(parsed instanceof Verification.Ok<TlogProof>(TlogProof p))) {
            return Verification.failed(parsed.reason());
        }
        if (entry != null && p.extra() != null && !Arrays.equals(entry, p.extra())) {
            return Verification.failed("the entry given is not the one the proof carries in its extra line");
        }
        byte[] e = entry != null ? entry : p.extra();
        if (e == null) {
            return Verification.failed("the proof carries no entry (no extra line) and none was given beside it");
        }
        Verification<NoteVerifier> key = NoteVerifier.parse(vkey);
        if (!(key instanceof Verification.Ok<NoteVerifier>(NoteVerifier logKey))) {
            return Verification.failed("log key: " + key.reason());
        }
        Verification<Checkpoint> opened = LogVerifier.openCheckpoint(p.checkpoint(), logKey, witnesses);
        if (!(opened instanceof Verification.Ok<Checkpoint>(Checkpoint cp))) {
            return Verification.failed(opened.reason());
        }
        if (p.index() >= cp.size()) {
            return Verification.failed("entry index " + p.index() + " is not below the checkpoint's size " + cp.size());
        }
        Verification<Void> included = Proofs.verifyInclusion(p.index(), cp.size(), Merkle.leafHash(e), p.hashes(), cp.root().raw());
        if (!included.isOk()) {
            return Verification.failed("entry " + p.index() + " is not in the checkpointed tree (the entry or a proof hash was altered): "
                    + included.reason());
        }
        return Verification.ok(new ProvenEntry(p.index(), e, cp));
    }

    private static LogVerifier.Fetch fetcher(HttpClient http, URI prefix) {
        String base = prefix.toString().endsWith("/") ? prefix.toString() : prefix + "/";
        return path -> {
            HttpRequest req = HttpRequest.newBuilder(URI.create(base + path)).timeout(Duration.ofSeconds(30)).GET().build();
            try {
                HttpResponse<byte[]> r = http.send(req, HttpResponse.BodyHandlers.ofByteArray());
                if (r.statusCode() == 404) {
                    return null;
                }
                if (r.statusCode() != 200) {
                    throw new IOException("GET " + base + path + ": HTTP " + r.statusCode());
                }
                return r.body();
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                throw new IOException("interrupted", e);
            }
        };
    }

    // ================================================================ closing

    /** Stops accepting appends, commits what is queued, publishes a final checkpoint. */
    @Override
    public void close() {
        if (closed) {
            return;
        }
        closed = true;
        queue.add(STOP);
        try {
            committer.join();
            tileJobs.add(TILER_STOP);
            tiler.join();
            publisher.interrupt();
            publisher.join();
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
        failQueued();
        try {
            if (broken == null) {
                publish();
                if (witnessing != null) {
                    witnessing.await(WITNESS_GRACE);
                }
            }
        } finally {
            if (witnessing != null) {
                witnessing.close();
            }
            try {
                journal.close();
            } catch (IOException e) {
                LOG.log(System.Logger.Level.WARNING, "ledger: closing the journal: " + e.getMessage());
            }
        }
    }
}
