package ai.sovereign.policy;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.channels.FileChannel;
import java.nio.file.FileAlreadyExistsException;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;
import java.nio.file.attribute.BasicFileAttributes;
import java.nio.file.attribute.FileTime;
import java.nio.file.attribute.PosixFilePermission;
import java.nio.file.attribute.PosixFilePermissions;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.security.SecureRandom;
import java.util.HexFormat;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.regex.Pattern;

/**
 * The embedded key vault: one file per tenant, {@code <dir>/<tenant>.key}, holding 32 random bytes, mode 0600 in a
 * 0700 directory, created on first use (by default {@code dir} is {@code <store>/pii-keys}, beside but apart from the
 * ledger's keys). The key id is the first 8 bytes (hex) of SHA-256("sovereign-pii-key-id" ‖ key), so it changes with
 * every rotation and reveals nothing of the key.
 *
 * <p>Rotation writes a new key to a temporary file and renames it over the old one (atomic); shredding overwrites the
 * file with zeros, syncs and deletes it. On copy-on-write or wear-levelled storage the overwrite is best effort; the
 * deletion is what makes the key unreachable for this process and its successors. Keys are cached in memory after first
 * use and checked against the file's identity (inode and modification time) on every use, so a rotation or shredding by
 * another process (the {@code sovereign pii keys} command beside a running server) takes effect at the next request. A
 * zeroed file (a shredding in progress) is refused, never used as a key.
 */
public final class FilePiiKeyVault implements PiiKeyVault {
    private static final Pattern TENANT = Pattern.compile("[A-Za-z0-9][A-Za-z0-9_.-]{0,63}");
    private static final int KEY_BYTES = 32;

    private final Path dir;
    private final SecureRandom random = new SecureRandom();
    private final ConcurrentHashMap<String, Cached> cache = new ConcurrentHashMap<>();

    public FilePiiKeyVault(Path dir) {
        this.dir = dir;
    }

    /** The file of {@code tenant}'s key. */
    public Path file(String tenant) {
        if (!TENANT.matcher(tenant).matches()) {
            throw new IllegalArgumentException("a tenant id must match " + TENANT.pattern());
        }
        return dir.resolve(tenant + ".key");
    }

    @Override
    public TenantKey key(String tenant) {
        Path file = file(tenant);
        Cached cached = cache.get(tenant);
        if (cached != null) {
            BasicFileAttributes now = attributes(file);
            if (now != null && cached.is(now)) {
                return cached.key;
            }
        }
        synchronized (this) {
            TenantKey key = loadOrCreate(tenant);
            BasicFileAttributes attrs = attributes(file);
            if (attrs != null) {
                cache.put(tenant, new Cached(key, attrs.fileKey(), attrs.lastModifiedTime()));
            }
            return key;
        }
    }

    /** A key as read, and the identity of the file it came from: a rotation or shredding elsewhere changes that. */
    private record Cached(TenantKey key, Object fileKey, FileTime modified) {
        boolean is(BasicFileAttributes now) {
            return java.util.Objects.equals(fileKey, now.fileKey()) && modified.equals(now.lastModifiedTime());
        }
    }

    private static BasicFileAttributes attributes(Path file) {
        try {
            return Files.readAttributes(file, BasicFileAttributes.class);
        } catch (IOException e) {
            return null;
        }
    }

    @Override
    public synchronized TenantKey rotate(String tenant) {
        Path file = file(tenant);
        try {
            createDir();
            Path tmp = writeNew(file);
            Files.move(tmp, file, StandardCopyOption.REPLACE_EXISTING, StandardCopyOption.ATOMIC_MOVE);
            syncDir();
        } catch (IOException e) {
            throw new UncheckedIOException("cannot rotate the PII key of tenant " + tenant, e);
        }
        cache.remove(tenant);
        return key(tenant);
    }

    @Override
    public synchronized void shred(String tenant) {
        Path file = file(tenant);
        cache.remove(tenant);
        try (FileChannel ch = FileChannel.open(file, StandardOpenOption.WRITE)) {
            ch.write(java.nio.ByteBuffer.allocate((int) Math.max(KEY_BYTES, ch.size())));
            ch.force(true);
        } catch (NoSuchFileException e) {
            return;
        } catch (IOException e) {
            throw new UncheckedIOException("cannot overwrite the PII key of tenant " + tenant, e);
        }
        try {
            Files.deleteIfExists(file);
            syncDir();
        } catch (IOException e) {
            throw new UncheckedIOException("cannot delete the PII key of tenant " + tenant, e);
        }
    }

    private TenantKey loadOrCreate(String tenant) {
        Path file = file(tenant);
        try {
            if (!Files.exists(file)) {
                createDir();
                Path tmp = writeNew(file);
                try {
                    Files.createLink(file, tmp); // fails if another process created it first: then use theirs
                } catch (FileAlreadyExistsException raced) {
                    // keep the existing key
                } catch (UnsupportedOperationException | IOException noLinks) {
                    if (!Files.exists(file)) {
                        Files.move(tmp, file, StandardCopyOption.ATOMIC_MOVE);
                    }
                } finally {
                    Files.deleteIfExists(tmp);
                }
                syncDir();
            }
            byte[] bytes = Files.readAllBytes(file);
            if (bytes.length != KEY_BYTES) {
                throw new IllegalStateException("the PII key file of tenant " + tenant + " is not " + KEY_BYTES + " bytes");
            }
            if (allZero(bytes)) {
                throw new IllegalStateException("the PII key of tenant " + tenant + " is being shredded (its file is zeroed)");
            }
            return new TenantKey(tenant, keyId(bytes), bytes);
        } catch (IOException e) {
            throw new UncheckedIOException("cannot read or create the PII key of tenant " + tenant, e);
        }
    }

    private static boolean allZero(byte[] bytes) {
        int or = 0;
        for (byte b : bytes) {
            or |= b;
        }
        return or == 0;
    }

    /** A new random key in a temporary 0600 file beside {@code file}, synced. */
    private Path writeNew(Path file) throws IOException {
        byte[] key = new byte[KEY_BYTES];
        random.nextBytes(key);
        Path tmp = file.resolveSibling(file.getFileName() + ".tmp-" + Long.toHexString(random.nextLong()));
        try (FileChannel ch = posix()
                ? FileChannel.open(tmp, Set.of(StandardOpenOption.CREATE_NEW, StandardOpenOption.WRITE),
                        PosixFilePermissions.asFileAttribute(Set.of(PosixFilePermission.OWNER_READ, PosixFilePermission.OWNER_WRITE)))
                : FileChannel.open(tmp, StandardOpenOption.CREATE_NEW, StandardOpenOption.WRITE)) {
            ch.write(java.nio.ByteBuffer.wrap(key));
            ch.force(true);
        }
        java.util.Arrays.fill(key, (byte) 0);
        return tmp;
    }

    private void createDir() throws IOException {
        if (Files.isDirectory(dir)) {
            return;
        }
        if (posix()) {
            Files.createDirectories(dir, PosixFilePermissions.asFileAttribute(PosixFilePermissions.fromString("rwx------")));
        } else {
            Files.createDirectories(dir);
        }
    }

    private void syncDir() {
        try (FileChannel ch = FileChannel.open(dir, StandardOpenOption.READ)) {
            ch.force(true);
        } catch (IOException | UnsupportedOperationException ignored) {
            // not every platform can sync a directory
        }
    }

    private static boolean posix() {
        return java.nio.file.FileSystems.getDefault().supportedFileAttributeViews().contains("posix");
    }

    static String keyId(byte[] key) {
        try {
            MessageDigest sha = MessageDigest.getInstance("SHA-256");
            sha.update("sovereign-pii-key-id".getBytes(java.nio.charset.StandardCharsets.US_ASCII));
            sha.update(key);
            return HexFormat.of().formatHex(sha.digest(), 0, 8);
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException(e);
        }
    }
}
