package dev.ioasid.backend.vtd.internal;

/**
 * Second-stage paging entries (8 bytes, 512 per table). There is no present bit: an entry is present when R or W
 * is set.
 * <pre>
 * R 0, W 1, X 2, EMT 5:3, IPAT 6, PS 7 (a leaf above level 1), A 8, D 9, SNP 11, ADDR 51:12, TM 62
 * </pre>
 * Levels are numbered from 1 (the 4 KiB page table) up to 3, 4 or 5 (AW = 1, 2, 3); a leaf is allowed at levels
 * 1, 2 (2 MiB) and 3 (1 GiB) as CAP.SLLPS says.
 */
final class SsPte {
    private SsPte() {
    }

    static final long R = 1L;
    static final long W = 1L << 1;
    static final long X = 1L << 2;
    static final long PS = 1L << 7;
    static final long A = 1L << 8;
    static final long D = 1L << 9;
    static final long SNP = 1L << 11;
    static final long TM = 1L << 62;
    static final long ADDR = Bits.mask(51, 12);

    static boolean present(long pte) {
        return (pte & (R | W)) != 0;
    }

    /** The shift of the region one entry at {@code level} maps (12, 21, 30, 39, 48). */
    static int shift(int level) {
        return 12 + 9 * (level - 1);
    }

    static int index(long iova, int level) {
        return (int) ((iova >>> shift(level)) & 511);
    }

    /** Levels for the AW field value (1 = 39-bit/3 levels, 2 = 48-bit/4 levels, 3 = 57-bit/5 levels). */
    static int levelsForAw(int aw) {
        return aw + 2;
    }

    /** The input address width in bits of an AW field value. */
    static int widthForAw(int aw) {
        return 30 + 9 * aw;
    }

    /** The AW field value for an address width of 39, 48 or 57 bits; -1 otherwise. */
    static int awForWidth(int width) {
        return width == 39 ? 1 : width == 48 ? 2 : width == 57 ? 3 : -1;
    }

    static long leaf(long pa, boolean read, boolean write, int level) {
        return (pa & ADDR) | (read ? R : 0) | (write ? W : 0) | (level > 1 ? PS : 0);
    }

    static long table(long pa) {
        return (pa & ADDR) | R | W;
    }
}
