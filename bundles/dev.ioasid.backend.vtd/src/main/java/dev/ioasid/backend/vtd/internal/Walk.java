package dev.ioasid.backend.vtd.internal;

/**
 * The state of one translation walk (made on a cache miss only): what it found, or the fault that stopped it and
 * whether a Fault Processing Disable bit on the way suppresses its recording.
 */
final class Walk {
    /** the request's {@link dev.ioasid.machine.Access} bits */
    final int access;
    /** the input address */
    final long iova;

    // result of a page walk
    long physBase;
    int shift;
    int userRights;
    int privRights;
    boolean dirty;

    // second-stage sub-walk result (nested table pointers and the final guest-physical address)
    long ssPhys;
    int ssShift;
    boolean ssWrite;
    boolean ssRead;
    boolean ssDirty;

    FaultReason fault;
    String detail;
    boolean fpd;
    /** the fault may be answered by a page request (not-present or write-denied leaf) */
    boolean recoverable;

    Walk(long iova, int access) {
        this.iova = iova;
        this.access = access;
    }

    /** Stops the walk with a fault; always returns false. */
    boolean fail(FaultReason reason, String fmt, Object... args) {
        this.fault = reason;
        this.detail = args.length == 0 ? fmt : String.format(fmt, args);
        return false;
    }

    boolean failRecoverable(FaultReason reason, String fmt, Object... args) {
        recoverable = true;
        return fail(reason, fmt, args);
    }
}
