package dev.ioasid.backend.vtd.internal;

/**
 * A root-table entry (16 bytes, 256 per 4 KiB root table, indexed by bus number).
 * <pre>
 * legacy mode:   lo  P 0, reserved 11:1, CTP 63:12           hi  reserved
 * scalable mode: lo  LP 0, reserved 11:1, LCTP 63:12 (devfn 0-127)
 *                hi  UP 0, reserved 11:1, UCTP 63:12 (devfn 128-255)
 * </pre>
 * In legacy mode {@code p}/{@code ctp} are P/CTP and {@code up}/{@code uctp} must be clear.
 *
 * @param p    P (legacy) or LP (scalable): the (lower) context table is present
 * @param ctp  CTP or LCTP: physical address of the (lower) context table
 * @param up   UP: the upper context table is present (scalable mode)
 * @param uctp UCTP: physical address of the upper context table (scalable mode)
 */
record RootEntry(boolean p, long ctp, boolean up, long uctp) {
    static final int SIZE = 16;
    static final int P = 0;
    /** bits 11:1 of either half */
    static final long RESERVED = Bits.mask(11, 1);

    static RootEntry legacy(long ctp) {
        return new RootEntry(true, ctp, false, 0);
    }

    long lo() {
        return Bits.flag(p, P) | (ctp & Bits.mask(63, 12));
    }

    long hi() {
        return Bits.flag(up, P) | (uctp & Bits.mask(63, 12));
    }

    static RootEntry decode(long lo, long hi) {
        return new RootEntry(Bits.bit(lo, P), lo & Bits.mask(63, 12), Bits.bit(hi, P), hi & Bits.mask(63, 12));
    }

    /** Reserved bits of one half (11:1, and address bits at or above the host address width). */
    static long reservedBits(long half, int haw) {
        return half & (RESERVED | (haw < 64 ? Bits.mask(63, haw) : 0));
    }
}
