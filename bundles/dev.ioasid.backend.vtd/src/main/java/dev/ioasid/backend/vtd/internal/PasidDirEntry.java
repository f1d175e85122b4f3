package dev.ioasid.backend.vtd.internal;

/**
 * A PASID-directory entry (8 bytes), indexed by PASID[19:6].
 * <pre>
 * P 0, FPD 1, reserved 11:2, SMPTBLPTR 63:12 (the PASID table: 64 entries of 64 bytes)
 * </pre>
 */
record PasidDirEntry(boolean p, boolean fpd, long tablePtr) {
    static final int SIZE = 8;
    static final int INDEX_SHIFT = 6;

    long encode() {
        return Bits.flag(p, 0) | Bits.flag(fpd, 1) | (tablePtr & Bits.mask(63, 12));
    }

    static PasidDirEntry decode(long v) {
        return new PasidDirEntry(Bits.bit(v, 0), Bits.bit(v, 1), v & Bits.mask(63, 12));
    }

    static int directoryIndex(int pasid) {
        return pasid >>> INDEX_SHIFT;
    }

    static int tableIndex(int pasid) {
        return pasid & ((1 << INDEX_SHIFT) - 1);
    }
}
