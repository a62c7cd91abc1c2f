package ai.sovereign.server;

import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.nio.ByteBuffer;
import java.nio.charset.CharacterCodingException;
import java.nio.charset.CodingErrorAction;
import java.nio.charset.StandardCharsets;
import java.util.ArrayDeque;
import java.util.Arrays;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;

/**
 * Answers a UTF-8 stream line by line on every core, in input order: the engine of {@code sovereign pii scan}.
 *
 * <ul>
 *   <li>Input is read in blocks; each block's whole lines go to a worker, which decodes, answers and renders them into
 *       one output buffer; the buffers are written in the order of the input. Lines end at {@code '\n'}, a {@code '\r'}
 *       before it is dropped, and a last line without {@code '\n'} still counts.</li>
 *   <li>Decoding takes the JDK's fast path ({@code new String}) and re-decodes strictly only a line that came out holding
 *       U+FFFD, so invalid UTF-8 is still refused, naming its line.</li>
 *   <li>Before a read that could block (nothing more buffered, as on an interactive stdin) every answer so far is written
 *       and flushed, so a caller feeding one line at a time gets each answer at once.</li>
 *   <li>A failing line ends the run: the lines before it are answered, then an {@link IOException} names its number and
 *       the reason, never its content.</li>
 * </ul>
 */
final class LineScan {
    /** Appends the answer to one decoded line (without its end-of-line) to {@code out}. */
    interface Answer {
        void answer(String line, StringBuilder out) throws LineException;
    }

    /** A line that cannot be answered, for a reason that never quotes it; the run reports it with the line's number. */
    static final class LineException extends Exception {
        LineException(String reason) {
            super(reason, null, false, false);
        }
    }

    private static final int DEFAULT_BLOCK = 1 << 22;
    private static final byte[] NO_BYTES = new byte[0];

    private final Answer answer;
    private final int threads;
    private final int blockBytes;

    LineScan(Answer answer, int threads) {
        this(answer, threads, DEFAULT_BLOCK);
    }

    LineScan(Answer answer, int threads, int blockBytes) {
        this.answer = answer;
        this.threads = Math.max(1, threads);
        this.blockBytes = blockBytes;
    }

    /** Reads {@code in} to its end, writing each line's answer followed by {@code '\n'} to {@code out}. */
    void run(InputStream in, OutputStream out) throws IOException {
        ExecutorService workers = Executors.newFixedThreadPool(threads, r -> {
            Thread t = new Thread(r, "pii-scan");
            t.setDaemon(true);
            return t;
        });
        ArrayDeque<Future<Chunk>> pending = new ArrayDeque<>();
        try {
            byte[] carry = NO_BYTES;
            long[] linesWritten = {0};
            boolean eof = false;
            while (!eof) {
                if (in.available() == 0) {
                    drain(pending, 0, out, linesWritten);
                    out.flush();
                }
                byte[] block = new byte[carry.length + blockBytes];
                System.arraycopy(carry, 0, block, 0, carry.length);
                int filled = carry.length;
                int n = in.read(block, filled, blockBytes);
                if (n < 0) {
                    eof = true;
                } else {
                    filled += n;
                    while (filled < block.length && in.available() > 0 && (n = in.read(block, filled, block.length - filled)) > 0) {
                        filled += n;
                    }
                }
                int end = eof ? filled : lastNewline(block, filled) + 1;
                carry = Arrays.copyOfRange(block, end, filled);
                if (end > 0) {
                    int length = end;
                    pending.add(workers.submit(() -> answer(block, length)));
                    drain(pending, 2 * threads, out, linesWritten);
                }
            }
            drain(pending, 0, out, linesWritten);
            out.flush();
        } finally {
            workers.shutdownNow();
        }
    }

    /** Writes finished chunks in order until at most {@code keep} are pending; reports a chunk's failing line. */
    private static void drain(ArrayDeque<Future<Chunk>> pending, int keep, OutputStream out, long[] linesWritten) throws IOException {
        while (pending.size() > keep) {
            Chunk chunk;
            try {
                chunk = pending.removeFirst().get();
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                throw new IOException("interrupted", e);
            } catch (ExecutionException e) {
                throw e.getCause() instanceof RuntimeException r ? r : new IllegalStateException(e.getCause());
            }
            out.write(chunk.output);
            linesWritten[0] += chunk.lines;
            if (chunk.error != null) {
                out.flush();
                throw new IOException("line " + (linesWritten[0] + 1) + ": " + chunk.error);
            }
        }
    }

    /** A block's answers, the number of lines answered, and the reason the next line failed (or null). */
    private record Chunk(byte[] output, int lines, String error) {
    }

    private Chunk answer(byte[] block, int end) {
        StringBuilder text = new StringBuilder(Math.max(64, end / 64));
        int lines = 0;
        String error = null;
        for (int start = 0; start < end; lines++) {
            int newline = indexOf(block, start, end);
            int next = newline < 0 ? end : newline + 1;
            int stop = newline < 0 ? end : newline;
            if (stop > start && block[stop - 1] == '\r') {
                stop--;
            }
            try {
                answer.answer(decode(block, start, stop), text);
            } catch (LineException e) {
                error = e.getMessage();
                break;
            }
            text.append('\n');
            start = next;
        }
        byte[] bytes = new byte[text.length()];
        for (int i = 0; i < bytes.length; i++) {
            bytes[i] = (byte) text.charAt(i); // answers are ASCII JSON
        }
        return new Chunk(bytes, lines, error);
    }

    private static String decode(byte[] bytes, int from, int to) throws LineException {
        String line = new String(bytes, from, to - from, StandardCharsets.UTF_8);
        if (line.indexOf('\uFFFD') >= 0) {
            try {
                StandardCharsets.UTF_8.newDecoder()
                        .onMalformedInput(CodingErrorAction.REPORT)
                        .onUnmappableCharacter(CodingErrorAction.REPORT)
                        .decode(ByteBuffer.wrap(bytes, from, to - from));
            } catch (CharacterCodingException e) {
                throw new LineException("input is not valid UTF-8");
            }
        }
        return line;
    }

    private static int indexOf(byte[] bytes, int from, int to) {
        for (int i = from; i < to; i++) {
            if (bytes[i] == '\n') {
                return i;
            }
        }
        return -1;
    }

    private static int lastNewline(byte[] bytes, int filled) {
        for (int i = filled - 1; i >= 0; i--) {
            if (bytes[i] == '\n') {
                return i;
            }
        }
        return -1;
    }
}
