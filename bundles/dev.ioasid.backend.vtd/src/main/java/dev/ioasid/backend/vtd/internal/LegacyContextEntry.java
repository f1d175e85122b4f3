package dev.ioasid.backend.vtd.internal;

/**
 * A legacy-mode context entry (16 bytes, 256 per context table, indexed by devfn).
 * <pre>
 * lo  P 0, FPD 1, TT 3:2, reserved 11:4, SLPTPTR 63:12
 * hi  AW 2:0, AVAIL 6:3 (ignored), reserved 7, DID 23:8, reserved 63:24
 * </pre>
 *
 * @param p       present
 * @param fpd     Fault Processing Disable
 * @param tt      Translation Type: 0 untranslated requests only, 1 device-TLB enabled, 2 pass-through
 * @param slptptr Second-Level Page Table Pointer (physical)
 * @param aw      Address Width: 1 = 39-bit (3-level), 2 = 48-bit (4-level), 3 = 57-bit (5-level)
 * @param did     Domain Identifier
 */
record LegacyContextEntry(boolean p, boolean fpd, int tt, long slptptr, int aw, int did) {
    static final int SIZE = 16;
    static final int TT_MULTI_LEVEL = 0;
    static final int TT_DEV_IOTLB = 1;
    static final int TT_PASS_THROUGH = 2;
    static final long RESERVED_LO = Bits.mask(11, 4);
    static final long RESERVED_HI = Bits.mask(7, 7) | Bits.mask(63, 24);

    long lo() {
        return Bits.flag(p, 0) | Bits.flag(fpd, 1) | Bits.put(tt, 3, 2) | (slptptr & Bits.mask(63, 12));
    }

    long hi() {
        return Bits.put(aw, 2, 0) | Bits.put(did, 23, 8);
    }

    static LegacyContextEntry decode(long lo, long hi) {
        return new LegacyContextEntry(Bits.bit(lo, 0), Bits.bit(lo, 1), (int) Bits.get(lo, 3, 2), lo & Bits.mask(63, 12),
                (int) Bits.get(hi, 2, 0), (int) Bits.get(hi, 23, 8));
    }

    static long reservedBits(long lo, long hi, int haw) {
        return (lo & (RESERVED_LO | (haw < 64 ? Bits.mask(63, haw) : 0))) | (hi & RESERVED_HI);
    }
}
