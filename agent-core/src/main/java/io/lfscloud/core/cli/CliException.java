package io.lfscloud.core.cli;

/** A failure that the user can act on: printed as one line, with an exit code. */
public final class CliException extends RuntimeException {

    private final int exitCode;

    public CliException(String message) {
        this(message, 1, null);
    }

    public CliException(String message, int exitCode, Throwable cause) {
        super(message, cause);
        this.exitCode = exitCode;
    }

    public int exitCode() {
        return exitCode;
    }
}
