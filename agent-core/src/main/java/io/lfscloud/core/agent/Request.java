package io.lfscloud.core.agent;

import io.lfscloud.core.lfs.Operation;

/**
 * A message from git-lfs, as {@link MessageCodec#decode} reads it from one line. Fields the
 * agent must answer about keep what was sent (an {@code oid} that is no oid, a {@code size}
 * that is no size) so that the answer can name it; they are checked where the request is
 * served, in the order the protocol's answers need.
 */
sealed interface Request {

    /** The concurrency modes of protocol version 2's {@code init}. */
    enum ConcurrencyMode {
        BASIC, BATCH, ANY;

        String wireName() {
            return name().toLowerCase(java.util.Locale.ROOT);
        }

        /** The mode named {@code value} on the wire, or {@code null} for anything else. */
        static ConcurrencyMode fromWire(Object value) {
            for (ConcurrencyMode m : values()) {
                if (m.wireName().equals(value)) {
                    return m;
                }
            }
            return null;
        }
    }

    /**
     * {@code init}, checked as far as it can be alone: a valid operation; a protocol version
     * offered ({@code null}: none, as git-lfs 3.3.0 sends) and, from version 2 on, a known
     * concurrency mode ({@code null}: none asked for).
     *
     * @param concurrentTransfers git-lfs's {@code concurrenttransfers}, or {@code null} if absent or not a whole number
     * @param remote              the remote git-lfs names, or {@code null} if absent or not a string
     */
    record Init(Operation operation, Long protocol, ConcurrencyMode mode, Long concurrentTransfers, String remote)
            implements Request {
    }

    /** An {@code init} the agent cannot accept, and why (sent back as the init's error). */
    record InvalidInit(String problem) implements Request {
    }

    /**
     * An {@code upload} or {@code download}: one object in version 1 and basic mode, one item
     * of batch {@code bid} in batch mode.
     *
     * @param oid  the oid as sent (parsed into an {@link io.lfscloud.core.lfs.Oid} when served)
     * @param bid  the batch id, or {@code null} if absent or not a string
     * @param path the upload's source file, or {@code null} if absent or not a string
     */
    record Transfer(Operation operation, String oid, String bid, Size size, String path) implements Request {
    }

    /**
     * A request's {@code size}: a whole, non-negative number of bytes, or why it is not one.
     *
     * @param bytes   the size, {@code -1} when {@code problem} is set
     * @param problem why the field is not a size, or {@code null}
     */
    record Size(long bytes, String problem) {

        static Size of(long bytes) {
            return new Size(bytes, null);
        }

        /** The size, or the request's failure if it has none. */
        long require() throws TransferFailure {
            if (problem != null) {
                throw TransferFailure.badRequest(problem);
            }
            return bytes;
        }
    }

    /**
     * {@code batch-header} (version 2, batch mode); each field {@code null} when absent or invalid.
     *
     * @param totalSize {@code totalSize}, or {@code size} as the protocol's examples also write it
     */
    record BatchHeader(String bid, Long objectsCount, Long totalSize) implements Request {
    }

    /** {@code batch-footer}: the header's counts again; each field {@code null} when absent or invalid. */
    record BatchFooter(String bid, Long objectsCount, Long totalSize) implements Request {
    }

    /** {@code terminate}: the session ends. */
    record Terminate() implements Request {
    }

    /**
     * A message that cannot be served (no {@code event}, an unknown one, a transfer without
     * an oid): answered when it names an {@code oid} (a string), else only reported.
     */
    record Invalid(String problem, String oid, String bid) implements Request {
    }
}
