package dev.ioasid.backend.vtd.internal;

/**
 * A scalable-mode context entry (32 bytes, 128 per context table: the lower table holds devfn 0-127, the upper
 * table devfn 128-255).
 * <pre>
 * qw0  P 0, FPD 1, DTE 2, PASIDE 3, PRE 4, reserved 8:5, PDTS 11:9, PASIDDIRPTR 63:12
 * qw1  RID_PASID 19:0, RID_PRIV 20, reserved 63:21
 * qw2  reserved
 * qw3  reserved
 * </pre>
 * The PASID directory holds 2^(PDTS+7) eight-byte entries.
 *
 * @param p           present
 * @param fpd         Fault Processing Disable
 * @param dte         Device-TLB Enable
 * @param paside      PASID Enable: requests with a PASID are allowed
 * @param pre         Page Request Enable
 * @param pdts        PASID Directory Table Size
 * @param pasidDirPtr PASIDDIRPTR: physical address of the PASID directory
 * @param ridPasid    RID_PASID: the PASID that requests without one use
 * @param ridPriv     RID_PRIV: requests without a PASID are privileged
 */
record ScalableContextEntry(boolean p, boolean fpd, boolean dte, boolean paside, boolean pre, int pdts, long pasidDirPtr,
        int ridPasid, boolean ridPriv) {
    static final int SIZE = 32;
    static final long RESERVED_QW0 = Bits.mask(8, 5);
    static final long RESERVED_QW1 = Bits.mask(63, 21);

    /** Entries of the PASID directory. */
    int directoryEntries() {
        return 1 << (pdts + 7);
    }

    /** The smallest PDTS whose directory covers PASIDs of {@code pasidBits} bits. */
    static int pdtsFor(int pasidBits) {
        return Math.max(0, pasidBits - 6 - 7);
    }

    long[] encode() {
        long qw0 = Bits.flag(p, 0) | Bits.flag(fpd, 1) | Bits.flag(dte, 2) | Bits.flag(paside, 3) | Bits.flag(pre, 4)
                | Bits.put(pdts, 11, 9) | (pasidDirPtr & Bits.mask(63, 12));
        long qw1 = Bits.put(ridPasid, 19, 0) | Bits.flag(ridPriv, 20);
        return new long[] { qw0, qw1, 0, 0 };
    }

    static ScalableContextEntry decode(long qw0, long qw1) {
        return new ScalableContextEntry(Bits.bit(qw0, 0), Bits.bit(qw0, 1), Bits.bit(qw0, 2), Bits.bit(qw0, 3), Bits.bit(qw0, 4),
                (int) Bits.get(qw0, 11, 9), qw0 & Bits.mask(63, 12), (int) Bits.get(qw1, 19, 0), Bits.bit(qw1, 20));
    }

    static long reservedBits(long qw0, long qw1, long qw2, long qw3, int haw) {
        return (qw0 & (RESERVED_QW0 | (haw < 64 ? Bits.mask(63, haw) : 0))) | (qw1 & RESERVED_QW1) | qw2 | qw3;
    }
}
