package ai.sovereign.ledger;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.FileAlreadyExistsException;
import java.nio.file.AtomicMoveNotSupportedException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;
import java.nio.file.attribute.PosixFilePermission;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.ArrayDeque;
import java.util.Deque;
import java.util.EnumSet;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * Crash-safe file writes (the Tessera POSIX pattern): write a temporary file in the same
 * directory, fsync it, rename it over the target, fsync the directory. After {@link #write}
 * returns, the target holds the new bytes or (on a crash before that) the old ones, never a mix.
 * Directories created on the way are fsynced into their parents. {@link #writeAll} does several
 * files with one fsync per directory.
 */
final class Durable {
    private Durable() {}

    static void write(Path target, byte[] data) throws IOException {
        writeAll(Map.of(target, data));
    }

    /**
     * Writes several files the same way, sharing the directory fsyncs: every temporary file is
     * written and fsynced, then each is renamed, then each directory involved is fsynced once.
     */
    static void writeAll(Map<Path, byte[]> files) throws IOException {
        write(files, true);
    }

    /**
     * Writes and renames files into place without fsyncing them: readers see them at once, but a
     * power loss may leave them empty or torn until {@link #sync} of them has returned. Only for
     * files whose content can be rebuilt from something already durable (tiles, from the journal).
     */
    static void writeAllUnsynced(Map<Path, byte[]> files) throws IOException {
        write(files, false);
    }

    /** Makes files written by {@link #writeAllUnsynced} durable: each file, then each directory once. */
    static void sync(List<Path> files) throws IOException {
        Set<Path> dirs = new LinkedHashSet<>();
        for (Path f : files) {
            try (FileChannel ch = FileChannel.open(f, StandardOpenOption.READ)) {
                ch.force(true);
            }
            dirs.add(f.toAbsolutePath().getParent());
        }
        for (Path dir : dirs) {
            fsyncDirectory(dir);
        }
    }

    private static void write(Map<Path, byte[]> files, boolean fsync) throws IOException {
        Map<Path, Path> temps = new LinkedHashMap<>();
        for (Map.Entry<Path, byte[]> f : files.entrySet()) {
            Path dir = f.getKey().toAbsolutePath().getParent();
            createDirectories(dir);
            Path tmp = dir.resolve(".tmp-" + f.getKey().getFileName() + "-" + ProcessHandle.current().pid() + "-" + Thread.currentThread().threadId());
            try (FileChannel ch = FileChannel.open(tmp, StandardOpenOption.CREATE, StandardOpenOption.TRUNCATE_EXISTING, StandardOpenOption.WRITE)) {
                ByteBuffer b = ByteBuffer.wrap(f.getValue());
                while (b.hasRemaining()) {
                    ch.write(b);
                }
                if (fsync) {
                    ch.force(true);
                }
            }
            temps.put(f.getKey(), tmp);
        }
        Set<Path> dirs = new LinkedHashSet<>();
        for (Map.Entry<Path, Path> t : temps.entrySet()) {
            Path dir = t.getKey().toAbsolutePath().getParent();
            try {
                Files.move(t.getValue(), t.getKey(), StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
            } catch (AtomicMoveNotSupportedException e) {
                Files.deleteIfExists(t.getValue());
                throw new IOException("the file system of " + dir + " cannot rename atomically; the ledger needs a local POSIX file system", e);
            }
            dirs.add(dir);
        }
        if (fsync) {
            for (Path dir : dirs) {
                fsyncDirectory(dir);
            }
        }
    }

    /**
     * Creates {@code file} holding {@code content} for its owner only (mode 0600 where the file system is POSIX), the same
     * crash-safe way: a temporary file written and fsynced, renamed into place, the directory fsynced. A key file is
     * never visible with partial content or wider permissions.
     */
    static void createPrivate(Path file, String content) throws IOException {
        Path parent = file.toAbsolutePath().getParent();
        createDirectories(parent);
        Path tmp = parent.resolve(".tmp-" + file.getFileName());
        Files.deleteIfExists(tmp);
        try {
            Files.createFile(tmp, PosixFilePermissions.asFileAttribute(PosixFilePermissions.fromString("rw-------")));
        } catch (UnsupportedOperationException e) {
            Files.createFile(tmp);
        }
        try (FileChannel ch = FileChannel.open(tmp, StandardOpenOption.WRITE)) {
            ch.write(ByteBuffer.wrap(content.getBytes(StandardCharsets.UTF_8)));
            ch.force(true);
        }
        try {
            Files.move(tmp, file, StandardCopyOption.ATOMIC_MOVE);
        } catch (FileAlreadyExistsException e) {
            Files.deleteIfExists(tmp);
            throw e;
        }
        fsyncDirectory(parent);
    }

    /** Refuses a key file that its group or others may access (POSIX file systems; elsewhere nothing to check). */
    static void requirePrivate(Path file, String what) throws IOException {
        try {
            Set<PosixFilePermission> perms = Files.getPosixFilePermissions(file);
            perms.removeAll(EnumSet.of(PosixFilePermission.OWNER_READ, PosixFilePermission.OWNER_WRITE, PosixFilePermission.OWNER_EXECUTE));
            if (!perms.isEmpty()) {
                throw new LedgerException(what + " " + file + " is accessible by group or others (mode "
                        + PosixFilePermissions.toString(Files.getPosixFilePermissions(file)) + "); chmod 600 it");
            }
        } catch (UnsupportedOperationException e) {
            // Not a POSIX file system: nothing to check.
        }
    }

    /** Creates missing directories and makes each creation durable in its parent. */
    static void createDirectories(Path dir) throws IOException {
        Deque<Path> missing = new ArrayDeque<>();
        for (Path p = dir.toAbsolutePath(); p != null && !Files.isDirectory(p); p = p.getParent()) {
            missing.push(p);
        }
        while (!missing.isEmpty()) {
            Path p = missing.pop();
            Files.createDirectories(p);
            fsyncDirectory(p.getParent());
        }
    }

    static void fsyncDirectory(Path dir) throws IOException {
        try (FileChannel ch = FileChannel.open(dir, StandardOpenOption.READ)) {
            ch.force(true);
        }
    }
}
