package io.lfscloud.core.agent;

import io.lfscloud.core.Log;
import io.lfscloud.core.lfs.Oid;
import io.lfscloud.core.lfs.Operation;

import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.nio.file.Path;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * The Git LFS custom transfer agent: reads requests from git-lfs on stdin and answers
 * on stdout, as {@code custom-transfers-protocol.md} specifies.
 *
 * <p>Protocol version 1 (what every released git-lfs speaks) and version 2 are
 * negotiated at {@code init}. Version 1 and version 2's basic mode serve one request at
 * a time on this thread; version 2's batch mode hands complete batches to
 * {@link Batches}, which transfers their items in parallel while this thread reads on.
 *
 * <p>The init reply comes at once; nothing heavy happens before the first transfer
 * request. A failed object is answered with a {@code complete} carrying an
 * {@code error}, whatever failed (a backend's RuntimeException, an OutOfMemoryError):
 * git-lfs never restarts an agent, so only a broken conversation ends it.
 */
public final class Agent {

    /** Longest accepted message line; git-lfs's are a few hundred bytes. */
    public static final int MAX_LINE = 1 << 20;

    /** Most transfers one agent runs at once in batch mode, whatever init asks for. */
    static final int MAX_CONCURRENCY = 64;

    /**
     * Finds an oid in a line that is not valid JSON, so that the sender still gets an answer.
     * In a holder: compiled on the first malformed line, not before every init reply.
     */
    private static final class OidInText {
        static final Pattern PATTERN = Pattern.compile("\"oid\"\\s*:\\s*\"([0-9a-f]{64})\"");
    }

    private final LineReader reader;
    private final ProtocolWriter writer;
    private final Transfers transfers;
    private Operation operation;
    private int protocol;
    private Batches batches;

    public Agent(InputStream in, OutputStream out, Transfers transfers) {
        this.reader = new LineReader(in, MAX_LINE);
        this.writer = new ProtocolWriter(out);
        this.transfers = transfers;
    }

    /** Serves until {@code terminate} or end of input. Returns the process exit code. */
    public int run() {
        return run(null);
    }

    /**
     * Serves as {@link #run()} does, after a first line that the launcher already read from
     * stdin (and, if {@link FirstLine#answered()}, already answered with {@code {}}: the
     * launcher does that for the version 1 init line git-lfs sends, so that git-lfs can start
     * its next agent while this JVM is still starting).
     */
    public int run(FirstLine first) {
        Step step = Step.EXIT_OK;
        try {
            if (first != null && first.line() == null) {
                Log.error("ignoring a first message too long for the launcher to pass on");
            } else if (first != null) {
                step = first.answered() ? answeredInit(first.line()) : handleLine(stripCr(first.line()));
                if (step != Step.CONTINUE) {
                    return step == Step.EXIT_FAILED || writer.broken() != null ? 1 : 0;
                }
            }
            while (true) {
                String line;
                try {
                    line = reader.readLine();
                } catch (OutOfMemoryError e) {
                    // transfers running meanwhile took the heap: one message is lost, not the agent
                    Log.error("out of memory while reading a message from git-lfs; skipping it", e);
                    continue;
                }
                if (line == null) {
                    Log.trace("end of input, exiting");
                    break;
                }
                if (line == LineReader.TOO_LONG) {
                    Log.error("ignoring a message longer than " + MAX_LINE + " bytes");
                    continue;
                }
                step = handleSafely(line);
                if (writer.broken() != null) {
                    Log.error("cannot write to git-lfs (stdout): " + writer.broken().getMessage());
                    return 1;
                }
                if (step != Step.CONTINUE) {
                    break;
                }
            }
            if (batches != null) {
                batches.finish();
            }
            return step == Step.EXIT_FAILED || writer.broken() != null ? 1 : 0;
        } catch (IOException e) {
            Log.error("cannot read from git-lfs (stdin): " + e.getMessage(), e);
            return 1;
        } finally {
            transfers.close();
        }
    }

    private enum Step { CONTINUE, EXIT_OK, EXIT_FAILED }

    /**
     * A first message line read by the launcher, and whether the launcher answered it;
     * a {@code null} line is one the launcher skipped for its length.
     */
    public record FirstLine(String line, boolean answered) {
    }

    private Step handleLine(String line) {
        return line.isBlank() ? Step.CONTINUE : handle(line);
    }

    /**
     * One message, with a last guard: transfers answer their own failures, so whatever still
     * escapes is a fault outside any transfer, reported here; the agent reads on. A message
     * naming an object is answered for it, except in batch mode, where {@link Batches}
     * answers every item it accepted.
     */
    private Step handleSafely(String line) {
        try {
            return handleLine(line);
        } catch (Throwable t) {
            TransferFailure f = TransferFailure.unexpected(t);
            Log.error(f.getMessage() + ", on message: " + abbreviate(line), t);
            Matcher m = OidInText.PATTERN.matcher(line);
            if (batches == null && m.find()) {
                writer.send(Reply.Complete.failed(m.group(1), null, f, protocol >= 2));
            }
            return Step.CONTINUE;
        }
    }

    private static String stripCr(String line) {
        return line.endsWith("\r") ? line.substring(0, line.length() - 1) : line;
    }

    /**
     * The launcher only answers init lines of the exact shape git-lfs sends for version 1;
     * this agent must agree, or git-lfs was told something this agent cannot keep. (The
     * launcher's check, and why it answers at all: the comment block "How `agent` starts"
     * in {@code distribution/src/bin/git-lfs-cloud}.)
     */
    private Step answeredInit(String line) {
        Request request;
        try {
            request = MessageCodec.decode(line);
        } catch (MalformedMessageException e) {
            request = null;
        }
        if (!(request instanceof Request.Init init) || init.protocol() != null) {
            Log.error("internal error: the launcher answered an init this agent does not accept: " + abbreviate(line));
            return Step.EXIT_FAILED;
        }
        return startVersion1(init.operation(), init.remote(), true);
    }

    /** Version 1: no negotiation, an empty confirmation (unless the launcher already sent it). */
    private Step startVersion1(Operation op, String remote, boolean answered) {
        operation = op;
        transfers.session(op, remote);
        protocol = 1;
        if (!answered) {
            writer.send(Reply.InitReply.VERSION_1);
        }
        Log.trace("initialised for " + operation + " (protocol 1" + (answered ? ", answered by the launcher" : "")
                + "), remote " + forTrace(remote));
        return Step.CONTINUE;
    }

    private Step handle(String line) {
        Request request;
        try {
            request = MessageCodec.decode(line);
        } catch (MalformedMessageException e) {
            Log.error("ignoring a malformed message (" + e.getMessage() + "): " + abbreviate(line));
            Matcher m = OidInText.PATTERN.matcher(line);
            if (m.find()) {
                fail(m.group(1), null, TransferFailure.badRequest("malformed request: " + e.getMessage()));
            }
            return Step.CONTINUE;
        }
        // an instanceof chain, not a pattern switch: see MessageCodec.encode(Reply)
        if (request instanceof Request.Transfer t) {
            transfer(t);
        } else if (request instanceof Request.Init init) {
            return operation != null ? initTwice() : init(init);
        } else if (request instanceof Request.InvalidInit init) {
            return operation != null ? initTwice() : initError(init.problem());
        } else if (request instanceof Request.BatchHeader h) {
            if (batches == null) {
                notBatchMode("batch-header");
            } else {
                batches.header(h);
            }
        } else if (request instanceof Request.BatchFooter f) {
            if (batches == null) {
                notBatchMode("batch-footer");
            } else {
                batches.footer(f);
            }
        } else if (request instanceof Request.Terminate) {
            Log.trace("terminate received, exiting");
            return Step.EXIT_OK;
        } else if (request instanceof Request.Invalid invalid) {
            reject(invalid);
        } else {
            throw new IllegalStateException("unhandled request " + request); // a new kind of request needs a case
        }
        return Step.CONTINUE;
    }

    private static void notBatchMode(String event) {
        Log.error("ignoring " + event + ": the session is not in batch mode");
    }

    // ------------------------------------------------------------------ init

    private Step initTwice() {
        Log.error("ignoring a second init message");
        writer.send(new Reply.SessionError(new Reply.ErrorInfo(ErrorCode.BAD_REQUEST, "init received twice", null)));
        return Step.CONTINUE;
    }

    private Step init(Request.Init init) {
        if (init.protocol() == null) {
            return startVersion1(init.operation(), init.remote(), false);
        }
        long version = init.protocol();
        Request.ConcurrencyMode mode = version == 1 || init.mode() == null || init.mode() == Request.ConcurrencyMode.BASIC
                ? Request.ConcurrencyMode.BASIC : Request.ConcurrencyMode.BATCH;
        operation = init.operation();
        transfers.session(operation, init.remote());
        protocol = version == 1 ? 1 : 2; // a higher version offered: answer the highest we speak
        if (mode == Request.ConcurrencyMode.BATCH) {
            batches = new Batches(operation, transfers, writer, concurrency(init.concurrentTransfers()));
        }
        writer.send(new Reply.InitReply(protocol, protocol == 2 ? mode : null));
        Log.trace("initialised for " + operation + " (protocol " + protocol + ", " + mode.wireName() + "), remote "
                + forTrace(init.remote()));
        return Step.CONTINUE;
    }

    private Step initError(String problem) {
        Log.error(problem);
        writer.send(new Reply.SessionError(new Reply.ErrorInfo(ErrorCode.INIT_FAILED, problem, null)));
        return Step.EXIT_FAILED;
    }

    private static int concurrency(Long requested) {
        if (requested != null && requested >= 1) {
            long n = requested;
            return (int) Math.min(n, MAX_CONCURRENCY);
        }
        return 8; // git-lfs's default lfs.concurrenttransfers
    }

    // ------------------------------------------------------------- transfers

    private void transfer(Request.Transfer request) {
        if (batches != null) {
            batches.item(request);
            return;
        }
        String oid = request.oid();
        Operation event = request.operation();
        try {
            if (operation == null) {
                throw TransferFailure.badRequest(event + " request before init");
            }
            if (operation != event) {
                throw TransferFailure.badRequest(event + " request to an agent started for " + operation);
            }
            long size = request.size().require();
            Oid id = requireOid(oid);
            ProgressReporter progress = new ProgressReporter(writer, id, size);
            if (event == Operation.DOWNLOAD) {
                Path file = transfers.download(id, size, progress);
                writer.send(Reply.Complete.done(oid, null, file.toAbsolutePath().toString()));
            } else {
                transfers.upload(id, size, request.path(), progress);
                writer.send(Reply.Complete.done(oid, null, null));
            }
        } catch (TransferFailure f) {
            fail(oid, null, transfers.explain(f));
        } catch (Throwable t) {
            // a bug, a backend's RuntimeException, an Error: this object's failure, not the agent's
            fail(oid, null, TransferFailure.unexpected(t));
        }
    }

    /** The oid a request names, parsed: the protocol's boundary, where an oid is checked once. */
    static Oid requireOid(String oid) throws TransferFailure {
        if (!Oid.isValid(oid)) {
            throw TransferFailure.badRequest(Oid.problem(oid));
        }
        return Oid.parse(oid);
    }

    private void fail(String oid, String bid, TransferFailure f) {
        Log.error(Oid.shortForm(oid) + ": " + f.getMessage(), f.getCause());
        writer.send(Reply.Complete.failed(oid, bid, f, protocol >= 2));
    }

    /** A message that cannot be served: answered if it names an oid, else only reported. */
    private void reject(Request.Invalid invalid) {
        if (invalid.oid() != null) {
            fail(invalid.oid(), invalid.bid(), TransferFailure.badRequest(invalid.problem()));
        } else {
            Log.error("ignoring " + invalid.problem());
        }
    }

    /**
     * The remote git-lfs names, as the trace may show it: without the credentials a URL can
     * carry ({@code https://user:token@host/…} shows as {@code https://<redacted>@host/…}).
     */
    static String forTrace(String remote) {
        String s = String.valueOf(remote);
        int start = s.indexOf("://") + 3;
        if (start >= 3) {
            int end = start;
            while (end < s.length() && "/?#".indexOf(s.charAt(end)) < 0) {
                end++;
            }
            int at = s.lastIndexOf('@', end - 1);
            if (at >= start) {
                s = s.substring(0, start) + "<redacted>" + s.substring(at);
            }
        }
        return abbreviate(s);
    }

    static String abbreviate(String s) {
        return MessageCodec.quote(s);
    }
}
