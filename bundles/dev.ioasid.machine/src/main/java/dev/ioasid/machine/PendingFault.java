package dev.ioasid.machine;

/**
 * A recoverable fault (a PRI page request or a stalled transaction) waiting for its page response. The DMA
 * that faulted waits on it, bounded by the caller's timeout, then retries the translation on success.
 */
public interface PendingFault {

    /** How the fault ended. */
    enum Outcome {
        /** The handler answered SUCCESS: retry the translation. */
        SUCCESS,
        /** The handler answered INVALID (or the queue went away): the request fails. */
        INVALID,
        /** Nobody answered in time. */
        TIMEOUT
    }

    /** Waits up to {@code timeoutNanos} for the response. */
    Outcome await(long timeoutNanos) throws InterruptedException;
}
