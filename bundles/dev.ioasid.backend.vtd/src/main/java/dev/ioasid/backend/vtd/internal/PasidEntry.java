package dev.ioasid.backend.vtd.internal;

/**
 * A scalable-mode PASID-table entry (64 bytes, 64 per PASID table, indexed by PASID[5:0]).
 * <pre>
 * qw0  P 0, FPD 1, AW 4:2, PGTT 8:6, SSADE 9, reserved 11:10, SSPTPTR 63:12
 * qw1  DID 15:0 (bits 79:64), reserved 22:16, PWSNP 23 (bit 87), PGSNP 24 (bit 88), memory-type fields 63:25
 * qw2  SRE 0 (bit 128), reserved 1, FSPM 3:2 (bits 131:130), WPE 4 (bit 132), reserved 6:5, EAFE 7 (bit 135),
 *      reserved 11:8, FSPTPTR 63:12 (bits 191:140)
 * qw3-qw7  reserved
 * </pre>
 *
 * @param p       present
 * @param fpd     Fault Processing Disable
 * @param aw      Address Width of the second stage: 1 = 39-bit, 2 = 48-bit, 3 = 57-bit
 * @param pgtt    PASID Granular Translation Type: 1 first-stage, 2 second-stage, 3 nested, 4 pass-through
 * @param ssade   Second-Stage Accessed/Dirty Enable
 * @param ssptptr Second-Stage Page Table Pointer
 * @param did     Domain Identifier
 * @param pwsnp   Page-Walk Snoop
 * @param pgsnp   Page Snoop
 * @param sre     Supervisor Request Enable
 * @param fspm    First-Stage Paging Mode: 0 = 4-level, 1 = 5-level
 * @param wpe     Write Protect Enable (supervisor writes honour R/W)
 * @param eafe    Extended Accessed Flag Enable
 * @param fsptptr First-Stage Page Table Pointer (guest-physical when PGTT is nested)
 */
record PasidEntry(boolean p, boolean fpd, int aw, int pgtt, boolean ssade, long ssptptr, int did, boolean pwsnp, boolean pgsnp,
        boolean sre, int fspm, boolean wpe, boolean eafe, long fsptptr) {
    static final int SIZE = 64;
    static final int PGTT_FIRST_STAGE = 1;
    static final int PGTT_SECOND_STAGE = 2;
    static final int PGTT_NESTED = 3;
    static final int PGTT_PASS_THROUGH = 4;

    static final long RESERVED_QW0 = Bits.mask(11, 10);
    static final long RESERVED_QW1 = Bits.mask(22, 16);
    static final long RESERVED_QW2 = Bits.mask(1, 1) | Bits.mask(6, 5) | Bits.mask(11, 8);

    long[] encode() {
        long qw0 = Bits.flag(p, 0) | Bits.flag(fpd, 1) | Bits.put(aw, 4, 2) | Bits.put(pgtt, 8, 6) | Bits.flag(ssade, 9)
                | (ssptptr & Bits.mask(63, 12));
        long qw1 = Bits.put(did, 15, 0) | Bits.flag(pwsnp, 23) | Bits.flag(pgsnp, 24);
        long qw2 = Bits.flag(sre, 0) | Bits.put(fspm, 3, 2) | Bits.flag(wpe, 4) | Bits.flag(eafe, 7) | (fsptptr & Bits.mask(63, 12));
        return new long[] { qw0, qw1, qw2, 0, 0, 0, 0, 0 };
    }

    static PasidEntry decode(long qw0, long qw1, long qw2) {
        return new PasidEntry(Bits.bit(qw0, 0), Bits.bit(qw0, 1), (int) Bits.get(qw0, 4, 2), (int) Bits.get(qw0, 8, 6),
                Bits.bit(qw0, 9), qw0 & Bits.mask(63, 12), (int) Bits.get(qw1, 15, 0), Bits.bit(qw1, 23), Bits.bit(qw1, 24),
                Bits.bit(qw2, 0), (int) Bits.get(qw2, 3, 2), Bits.bit(qw2, 4), Bits.bit(qw2, 7), qw2 & Bits.mask(63, 12));
    }

    static PasidEntry decode(long[] qw) {
        return decode(qw[0], qw[1], qw[2]);
    }

    /** Reserved bits set in the eight quadwords (address bits above the host address width included). */
    static long reservedBits(long[] qw, int haw) {
        long above = haw < 64 ? Bits.mask(63, haw) : 0;
        long r = (qw[0] & (RESERVED_QW0 | above)) | (qw[1] & RESERVED_QW1) | (qw[2] & (RESERVED_QW2 | above));
        for (int i = 3; i < 8; i++) {
            r |= qw[i];
        }
        return r;
    }

    PasidEntry withP(boolean present) {
        return new PasidEntry(present, fpd, aw, pgtt, ssade, ssptptr, did, pwsnp, pgsnp, sre, fspm, wpe, eafe, fsptptr);
    }

    PasidEntry withSsade(boolean enable) {
        return new PasidEntry(p, fpd, aw, pgtt, enable, ssptptr, did, pwsnp, pgsnp, sre, fspm, wpe, eafe, fsptptr);
    }

    static String pgttName(int pgtt) {
        switch (pgtt) {
        case PGTT_FIRST_STAGE: return "first-stage";
        case PGTT_SECOND_STAGE: return "second-stage";
        case PGTT_NESTED: return "nested";
        case PGTT_PASS_THROUGH: return "pass-through";
        default: return "reserved(" + pgtt + ")";
        }
    }
}
