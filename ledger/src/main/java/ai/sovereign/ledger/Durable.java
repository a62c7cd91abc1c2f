package ai.sovereign.ledger;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.file.AtomicMoveNotSupportedException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;
import java.util.ArrayDeque;
import java.util.Deque;

/**
 * Crash-safe file writes (the Tessera POSIX pattern): write a temporary file in the same
 * directory, fsync it, rename it over the target, fsync the directory. After {@link #write}
 * returns, the target holds the new bytes or (on a crash before that) the old ones, never a mix.
 * Directories created on the way are fsynced into their parents.
 */
final class Durable {
    private Durable() {}

    static void write(Path target, byte[] data) throws IOException {
        Path dir = target.toAbsolutePath().getParent();
        createDirectories(dir);
        Path tmp = dir.resolve(".tmp-" + target.getFileName() + "-" + ProcessHandle.current().pid() + "-" + Thread.currentThread().threadId());
        try (FileChannel ch = FileChannel.open(tmp, StandardOpenOption.CREATE, StandardOpenOption.TRUNCATE_EXISTING, StandardOpenOption.WRITE)) {
            ByteBuffer b = ByteBuffer.wrap(data);
            while (b.hasRemaining()) {
                ch.write(b);
            }
            ch.force(true);
        }
        try {
            Files.move(tmp, target, StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
        } catch (AtomicMoveNotSupportedException e) {
            Files.deleteIfExists(tmp);
            throw new IOException("the file system of " + dir + " cannot rename atomically; the ledger needs a local POSIX file system", e);
        }
        fsyncDirectory(dir);
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
