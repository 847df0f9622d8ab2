package io.lfscloud.core.server;

import java.io.EOFException;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.nio.ByteBuffer;
import java.nio.channels.SocketChannel;
import java.nio.charset.StandardCharsets;
import java.util.LinkedHashMap;
import java.util.Map;

/**
 * What relay and server say to each other on the socket. The relay sends a header (what it
 * wants, its working directory, git's variables, the first line the launcher read), then
 * git-lfs's bytes exactly as they come, and shuts its output at git-lfs's end of input. The
 * server answers in frames: a type byte, a length and that many bytes: {@link #OUT} protocol
 * bytes for git-lfs, {@link #ERR} diagnostics for the relay's stderr, {@link #EXIT} the exit
 * code (last), {@link #TEXT} the answer to a status or stop request, {@link #PING} nothing (an
 * empty frame that tells the server whether the relay is still there while transfers run).
 */
final class Wire {

    static final int MAGIC = 0x4c465331; // "LFS1": a server of another wire version refuses the header
    static final byte OUT = 'O';
    static final byte ERR = 'E';
    static final byte EXIT = 'X';
    static final byte TEXT = 'T';
    static final byte PING = 'P';

    private static final int MAX_HEADER = 8 << 20;
    static final int MAX_FRAME = 1 << 20;

    private Wire() {
    }

    static void writeHeader(OutputStream out, Map<String, String> header) throws IOException {
        java.io.ByteArrayOutputStream buf = new java.io.ByteArrayOutputStream();
        java.io.DataOutputStream d = new java.io.DataOutputStream(buf);
        d.writeInt(MAGIC);
        d.writeInt(header.size());
        for (Map.Entry<String, String> e : header.entrySet()) {
            writeString(d, e.getKey());
            writeString(d, e.getValue());
        }
        d.flush();
        out.write(buf.toByteArray());
        out.flush();
    }

    private static void writeString(java.io.DataOutputStream d, String s) throws IOException {
        byte[] b = s.getBytes(StandardCharsets.UTF_8);
        d.writeInt(b.length);
        d.write(b);
    }

    static Map<String, String> readHeader(InputStream in) throws IOException {
        java.io.DataInputStream d = new java.io.DataInputStream(in);
        if (d.readInt() != MAGIC) {
            throw new IOException("not an lfs-cloud relay of this version");
        }
        int n = d.readInt();
        if (n < 0 || n > 10_000) {
            throw new IOException("bad header");
        }
        Map<String, String> header = new LinkedHashMap<>();
        int[] total = {0};
        for (int i = 0; i < n; i++) {
            header.put(readString(d, total), readString(d, total));
        }
        return header;
    }

    private static String readString(java.io.DataInputStream d, int[] total) throws IOException {
        int len = d.readInt();
        total[0] += Math.max(0, len);
        if (len < 0 || total[0] > MAX_HEADER) {
            throw new IOException("bad header");
        }
        return new String(d.readNBytes(len), StandardCharsets.UTF_8);
    }

    /** Writes frames; several threads may write, each frame whole. */
    static final class FrameWriter {
        private final OutputStream out;
        private volatile boolean broken;
        private volatile long lastWrite = System.nanoTime();

        FrameWriter(OutputStream out) {
            this.out = out;
        }

        synchronized void frame(byte type, byte[] b, int off, int len) throws IOException {
            if (broken) {
                throw new IOException("the relay is gone");
            }
            try {
                if (len == 0) {
                    out.write(new byte[] {type, 0, 0, 0, 0});
                }
                while (len > 0) {
                    int n = Math.min(len, MAX_FRAME);
                    byte[] head = {type, (byte) (n >>> 24), (byte) (n >>> 16), (byte) (n >>> 8), (byte) n};
                    out.write(head);
                    out.write(b, off, n);
                    off += n;
                    len -= n;
                }
                out.flush();
                lastWrite = System.nanoTime();
            } catch (IOException e) {
                broken = true;
                throw e;
            }
        }

        /**
         * Whether the relay is still there: {@code false} once a write failed; otherwise, when
         * nothing was written for {@code quietNanos}, an empty {@link #PING} frame finds out (a
         * write to a socket whose other end is closed fails at once).
         */
        boolean alive(long quietNanos) {
            if (broken) {
                return false;
            }
            if (System.nanoTime() - lastWrite < quietNanos) {
                return true;
            }
            try {
                frame(PING, new byte[0], 0, 0);
                return true;
            } catch (IOException e) {
                return false;
            }
        }

        /** A stream whose every write becomes one frame of {@code type}. */
        OutputStream stream(byte type) {
            return new OutputStream() {
                @Override
                public void write(int b) throws IOException {
                    write(new byte[] {(byte) b}, 0, 1);
                }

                @Override
                public void write(byte[] b, int off, int len) throws IOException {
                    frame(type, b, off, len);
                }
            };
        }
    }

    /** One frame read; {@code null} at a clean end of stream between frames. */
    record Frame(byte type, byte[] data) {
        static Frame read(InputStream in) throws IOException {
            int type = in.read();
            if (type < 0) {
                return null;
            }
            byte[] len = in.readNBytes(4);
            if (len.length < 4) {
                throw new EOFException("frame cut short");
            }
            int n = ((len[0] & 0xff) << 24) | ((len[1] & 0xff) << 16) | ((len[2] & 0xff) << 8) | (len[3] & 0xff);
            if (n < 0 || n > MAX_FRAME) {
                throw new IOException("bad frame");
            }
            byte[] data = in.readNBytes(n);
            if (data.length < n) {
                throw new EOFException("frame cut short");
            }
            return new Frame((byte) type, data);
        }
    }

    /** Reads a socket channel (blocking); reads and writes may run on two threads at once. */
    static InputStream input(SocketChannel ch) {
        return new InputStream() {
            @Override
            public int read() throws IOException {
                byte[] one = new byte[1];
                int n = read(one, 0, 1);
                return n < 0 ? -1 : one[0] & 0xff;
            }

            @Override
            public int read(byte[] b, int off, int len) throws IOException {
                if (len == 0) {
                    return 0;
                }
                return ch.read(ByteBuffer.wrap(b, off, len));
            }
        };
    }

    /** Writes a socket channel (blocking), every byte. */
    static OutputStream output(SocketChannel ch) {
        return new OutputStream() {
            @Override
            public void write(int b) throws IOException {
                write(new byte[] {(byte) b}, 0, 1);
            }

            @Override
            public void write(byte[] b, int off, int len) throws IOException {
                ByteBuffer buf = ByteBuffer.wrap(b, off, len);
                while (buf.hasRemaining()) {
                    ch.write(buf);
                }
            }
        };
    }
}
