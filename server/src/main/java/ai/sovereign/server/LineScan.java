package ai.sovereign.server;

import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
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
 *   <li>Input is read in blocks (reused once their answers are written); each block's whole lines go to a worker, which
 *       decodes, answers and renders them into one output buffer; the buffers are written in the order of the input. Lines end at {@code '\n'}, a {@code '\r'}
 *       before it is dropped, and a last line without {@code '\n'} still counts.</li>
 *   <li>Each worker decodes a line strictly into one reused {@code char[]} (no String, no copy per line): ill-formed
 *       UTF-8 (a stray or missing continuation byte, an overlong form, an encoded surrogate, a value above U+10FFFF) is
 *       refused exactly as the JDK's reporting decoder refuses it, naming the line.</li>
 *   <li>Before a read that could block (nothing more buffered, as on an interactive stdin) every answer so far is written
 *       and flushed, so a caller feeding one line at a time gets each answer at once.</li>
 *   <li>A failing line ends the run: the lines before it are answered, then an {@link IOException} names its number and
 *       the reason, never its content.</li>
 * </ul>
 */
final class LineScan {
    /**
     * Appends the answer to one decoded line, {@code line[0, length)} without its end-of-line, to {@code out}. The array
     * is the worker's buffer: read it during the call, never keep it.
     */
    interface Answer {
        void answer(char[] line, int length, StringBuilder out) throws LineException;
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
    /** Each worker's line buffer, as long as the longest block it has answered. */
    private final ThreadLocal<char[]> buffers = ThreadLocal.withInitial(() -> new char[0]);

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
        ArrayDeque<byte[]> free = new ArrayDeque<>(); // blocks whose chunks are written, for reuse
        try {
            byte[] carry = NO_BYTES;
            long[] linesWritten = {0};
            boolean eof = false;
            while (!eof) {
                if (in.available() == 0) {
                    drain(pending, 0, out, linesWritten, free);
                    out.flush();
                }
                byte[] reused = free.poll();
                byte[] block = reused != null && reused.length >= carry.length + blockBytes ? reused : new byte[carry.length + blockBytes];
                System.arraycopy(carry, 0, block, 0, carry.length);
                int filled = carry.length;
                int n = in.read(block, filled, block.length - filled);
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
                    drain(pending, 2 * threads, out, linesWritten, free);
                }
            }
            drain(pending, 0, out, linesWritten, free);
            out.flush();
        } finally {
            workers.shutdownNow();
        }
    }

    /** Writes finished chunks in order until at most {@code keep} are pending; reports a chunk's failing line. */
    private static void drain(ArrayDeque<Future<Chunk>> pending, int keep, OutputStream out, long[] linesWritten,
            ArrayDeque<byte[]> free) throws IOException {
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
            free.push(chunk.block);
            linesWritten[0] += chunk.lines;
            if (chunk.error != null) {
                out.flush();
                throw new IOException("line " + (linesWritten[0] + 1) + ": " + chunk.error);
            }
        }
    }

    /** The block (reused once written), its answers, the number of lines answered, and the reason the next line failed (or null). */
    private record Chunk(byte[] block, byte[] output, int lines, String error) {
    }

    private Chunk answer(byte[] block, int end) {
        StringBuilder text = new StringBuilder(Math.max(64, end / 64));
        char[] chars = buffers.get();
        if (chars.length < end) {
            chars = new char[end];
            buffers.set(chars);
        }
        int lines = 0;
        String error = null;
        for (int start = 0; start < end; lines++) {
            long decoded = decodeLine(block, start, end, chars);
            int length = (int) decoded;
            int next = (int) (decoded >>> 32);
            try {
                if (length < 0) {
                    throw new LineException("input is not valid UTF-8");
                }
                answer.answer(chars, length, text);
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
        return new Chunk(block, bytes, lines, error);
    }

    /**
     * Decodes the line at {@code b[from, to)} up to its '\n' (or {@code to}) into {@code out}, dropping a '\r' at its
     * end; {@code out} holds at least {@code to - from} chars. Returns the offset after the line's end in the high 32 bits
     * and the number of UTF-16 units in the low 32 bits, or -1 there when the line is not well-formed UTF-8 (Unicode 16
     * table 3-7: no stray or missing continuation byte, overlong form, encoded surrogate or value above U+10FFFF).
     */
    static long decodeLine(byte[] b, int from, int to, char[] out) {
        int k = 0;
        int i = from;
        boolean ok = true;
        while (i < to) {
            int c = b[i];
            if (c >= 0) {
                if (c == '\n') {
                    break;
                }
                out[k++] = (char) c;
                i++;
            } else if ((c & 0xF0) == 0xE0) {
                do { // runs of three-byte characters (Hangul) in one loop
                    if (i + 2 >= to) {
                        ok = false;
                        break;
                    }
                    int c1 = b[i + 1];
                    int c2 = b[i + 2];
                    int v = (c & 0x0F) << 12 | (c1 & 0x3F) << 6 | (c2 & 0x3F);
                    if ((c1 & 0xC0) != 0x80 || (c2 & 0xC0) != 0x80 || v < 0x800 || (v >= 0xD800 && v <= 0xDFFF)) {
                        ok = false;
                        break;
                    }
                    out[k++] = (char) v;
                    i += 3;
                } while (i < to && ((c = b[i]) & 0xF0) == 0xE0);
                if (!ok) {
                    break;
                }
            } else if ((c & 0xE0) == 0xC0) {
                if (i + 1 >= to || (c & 0xFF) < 0xC2 || (b[i + 1] & 0xC0) != 0x80) {
                    ok = false;
                    break;
                }
                out[k++] = (char) ((c & 0x1F) << 6 | (b[i + 1] & 0x3F));
                i += 2;
            } else if ((c & 0xF8) == 0xF0) {
                if (i + 3 >= to) {
                    ok = false;
                    break;
                }
                int c1 = b[i + 1];
                int c2 = b[i + 2];
                int c3 = b[i + 3];
                int v = (c & 0x07) << 18 | (c1 & 0x3F) << 12 | (c2 & 0x3F) << 6 | (c3 & 0x3F);
                if ((c1 & 0xC0) != 0x80 || (c2 & 0xC0) != 0x80 || (c3 & 0xC0) != 0x80 || v < 0x10000 || v > 0x10FFFF) {
                    ok = false;
                    break;
                }
                out[k++] = Character.highSurrogate(v);
                out[k++] = Character.lowSurrogate(v);
                i += 4;
            } else {
                ok = false;
                break;
            }
        }
        if (!ok) {
            return (long) to << 32 | 0xFFFFFFFFL;
        }
        if (k > 0 && out[k - 1] == '\r') {
            k--;
        }
        return (long) (i < to ? i + 1 : to) << 32 | k;
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
