package io.lfscloud.core;

import java.io.PrintStream;

/**
 * Diagnostics on stderr, never stdout (stdout belongs to the protocol).
 * One line per problem for users; details only when tracing is on
 * ({@code --verbose}, {@code LFS_CLOUD_TRACE=1}, or git-lfs's {@code GIT_TRACE}).
 */
public final class Log {

    private static volatile PrintStream err = System.err;
    private static volatile boolean verbose = isSet(System.getenv("LFS_CLOUD_TRACE"));

    /**
     * Where one connection of the transfer server writes its diagnostics, and whether it
     * traces: set on the connection's thread and inherited by every thread it starts, so that
     * a connection's lines reach its own relay's stderr, never another's.
     */
    public record Scope(PrintStream err, boolean verbose, java.util.Set<String> said) {
        public Scope(PrintStream err, boolean verbose) {
            this(err, verbose, java.util.concurrent.ConcurrentHashMap.newKeySet());
        }
    }

    private static final java.util.Set<String> SAID = java.util.concurrent.ConcurrentHashMap.newKeySet();

    /**
     * Whether {@code what} is said for the first time: once per process, or once per
     * connection of the transfer server (what a process says once, each agent says once).
     */
    public static boolean firstTime(String what) {
        Scope s = SCOPE.get();
        return (s != null ? s.said() : SAID).add(what);
    }

    private static final InheritableThreadLocal<Scope> SCOPE = new InheritableThreadLocal<>();

    /** Sends this thread's (and its future threads') diagnostics to {@code scope}; {@code null} ends it. */
    public static void enter(Scope scope) {
        if (scope == null) {
            SCOPE.remove();
        } else {
            SCOPE.set(scope);
        }
    }

    private static PrintStream err() {
        Scope s = SCOPE.get();
        return s != null ? s.err() : err;
    }

    private Log() {
    }

    private static boolean isSet(String value) {
        return value != null && !value.isEmpty() && !value.equals("0") && !value.equalsIgnoreCase("false");
    }

    /** Turns on detailed diagnostics. */
    public static void setVerbose(boolean on) {
        verbose = on;
    }

    /**
     * Also turns tracing on with {@code GIT_TRACE}, for an agent run by hand; git-lfs 3.3.0
     * shows agent stderr only with GIT_TRACE but does not pass it on (LFS_CLOUD_TRACE does).
     */
    public static void followGitTrace() {
        if (isSet(System.getenv("GIT_TRACE"))) {
            verbose = true;
        }
    }

    public static boolean verbose() {
        Scope s = SCOPE.get();
        return s != null ? s.verbose() : verbose;
    }

    /** Redirects diagnostics (tests). */
    public static void setStream(PrintStream stream) {
        err = stream;
    }

    /** A one-line message for users. */
    public static void error(String message) {
        err().println("lfs-cloud: " + Printable.escape(message));
        err().flush();
    }

    /** A one-line warning for users: something was ignored or refused, the work goes on. */
    public static void warn(String message) {
        err().println("lfs-cloud: warning: " + Printable.escape(message));
        err().flush();
    }

    /** A one-line message for users, with the cause's stack trace when tracing. */
    public static void error(String message, Throwable cause) {
        error(message);
        if (verbose() && cause != null) {
            cause.printStackTrace(err());
            err().flush();
        }
    }

    /** Detail shown only when tracing. */
    public static void trace(String message) {
        if (verbose()) {
            err().println("lfs-cloud: trace: " + Printable.escape(message));
            err().flush();
        }
    }
}
