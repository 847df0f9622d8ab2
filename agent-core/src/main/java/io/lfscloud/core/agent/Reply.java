package io.lfscloud.core.agent;

/** A message the agent sends to git-lfs; {@link MessageCodec#encode(Reply)} writes it as one line. */
sealed interface Reply {

    /**
     * The answer to {@code init}: {@code {}} when git-lfs offered no protocol version (version
     * 1 as every released git-lfs speaks it), else the version agreed and, from version 2 on,
     * the concurrency mode.
     *
     * @param protocol the version agreed, or {@code null} for the bare {@code {}}
     * @param mode     {@code basic} or {@code batch} in version 2, else {@code null}
     */
    record InitReply(Integer protocol, Request.ConcurrencyMode mode) implements Reply {
        /** The bare {@code {}} of version 1. */
        static final InitReply VERSION_1 = new InitReply(null, null);
    }

    /** A failure of the session itself, outside any object: a refused or repeated {@code init}. */
    record SessionError(ErrorInfo error) implements Reply {
    }

    /** {@code progress} of one object, in bytes; {@code bytesSinceLast} adds up to {@code bytesSoFar}. */
    record ObjectProgress(String oid, long bytesSoFar, long bytesSinceLast) implements Reply {
    }

    /** {@code progress} of a whole batch (version 2, batch mode). */
    record BatchProgress(String bid, long bytesSoFar, long bytesSinceLast) implements Reply {
    }

    /**
     * {@code complete} of one object: done, or failed with {@code error}.
     *
     * @param oid  the oid as the request sent it (answered even when it is no oid)
     * @param bid  its batch in batch mode, else {@code null}
     * @param path a download's file, handed over to git-lfs; else {@code null}
     */
    record Complete(String oid, String bid, String path, ErrorInfo error) implements Reply {

        static Complete done(String oid, String bid, String path) {
            return new Complete(oid, bid, path, null);
        }

        /** A failed object; {@code retry} only exists in protocol version 2. */
        static Complete failed(String oid, String bid, TransferFailure f, boolean withRetry) {
            return new Complete(oid, bid, null, ErrorInfo.of(f, withRetry));
        }
    }

    /** {@code batch-complete}: every item of batch {@code bid} was answered; {@code error} if the batch was refused. */
    record BatchComplete(String bid, ErrorInfo error) implements Reply {
    }

    /**
     * The {@code error} object of a reply.
     *
     * @param retry whether trying again may help (version 2 only), or {@code null} to leave it out
     */
    record ErrorInfo(ErrorCode code, String message, Boolean retry) {

        static ErrorInfo of(TransferFailure f, boolean withRetry) {
            return new ErrorInfo(f.code(), f.getMessage(), withRetry ? f.retriable() : null);
        }
    }
}
