package dev.ioasid.machine;

/**
 * A DMA that did not translate.
 *
 * @param unit        the unit that answered
 * @param reason      the vendor's name for the reason (e.g. {@code F_TRANSLATION}, {@code SM_PTE_NOT_PRESENT})
 * @param code        the vendor's number for it (e.g. SMMUv3 event id 0x10, a VT-d fault reason)
 * @param iova        the input address that faulted
 * @param pasid       the request's PASID, or {@link Access#NO_PASID}
 * @param access      the request's {@link Access} bits
 * @param recoverable whether the request may be retried after a page response (PRI or stall)
 * @param record      the event or fault record the unit logged, in its hardware format (empty when none)
 * @param detail      one line for people
 * @param pending     for a recoverable fault that was reported, what the request waits on; else null
 */
public record TranslationFault(String unit, String reason, int code, long iova, int pasid, int access,
        boolean recoverable, byte[] record, String detail, PendingFault pending) implements Translation {

    public TranslationFault {
        record = record == null ? new byte[0] : record;
    }

    /** An unrecoverable fault, or a recoverable one not (yet) reported. */
    public TranslationFault(String unit, String reason, int code, long iova, int pasid, int access,
            boolean recoverable, byte[] record, String detail) {
        this(unit, reason, code, iova, pasid, access, recoverable, record, detail, null);
    }

    /** The same fault, reported, with what the request waits on. */
    public TranslationFault withPending(PendingFault p) {
        return new TranslationFault(unit, reason, code, iova, pasid, access, recoverable, record, detail, p);
    }

    @Override
    public boolean isFault() {
        return true;
    }

    /** The same fault, no longer recoverable (what a request sees when no one handles its page request). */
    public TranslationFault unrecoverable() {
        return recoverable || pending != null ? new TranslationFault(unit, reason, code, iova, pasid, access, false, record, detail, null) : this;
    }

    @Override
    public String toString() {
        return String.format("%s (0x%x) at iova 0x%x pasid %s %s on %s: %s", reason, code, iova, Access.pasid(pasid),
                Access.describe(access), unit, detail);
    }
}
