package dev.ioasid.backend.vtd.internal;

/**
 * First-stage paging entries, in the x86-64 format (8 bytes, 512 per table).
 * <pre>
 * P 0, R/W 1, U/S 2, PWT 3, PCD 4, A 5, D 6, PS 7 (a leaf at PDPE or PDE), G 8, EA 10 (extended accessed),
 * ADDR 51:12, XD 63
 * </pre>
 * Four levels translate 48-bit canonical addresses, five levels (FSPM = 1) 57-bit ones; a 1 GiB leaf needs
 * CAP.FL1GP.
 */
final class FsPte {
    private FsPte() {
    }

    static final long P = 1L;
    static final long RW = 1L << 1;
    static final long US = 1L << 2;
    static final long PWT = 1L << 3;
    static final long PCD = 1L << 4;
    static final long A = 1L << 5;
    static final long D = 1L << 6;
    static final long PS = 1L << 7;
    static final long G = 1L << 8;
    static final long EA = 1L << 10;
    static final long XD = 1L << 63;
    static final long ADDR = Bits.mask(51, 12);

    /** Levels for FSPM (0 = 4-level, 1 = 5-level). */
    static int levelsForFspm(int fspm) {
        return fspm == 1 ? 5 : 4;
    }

    /** Whether the address is canonical for a paging depth: bits 63:(width-1) all equal. */
    static boolean canonical(long va, int levels) {
        int width = levels == 5 ? 57 : 48;
        long top = va >> (width - 1);
        return top == 0 || top == -1;
    }
}
