package dev.ioasid.backend.vtd.internal;

/** Writes 4-level (or 5-level) page tables of either stage by hand, allocating table frames as it goes. */
final class PageTables {
    /** Non-leaf bits of the second stage: R, W. */
    static final long SS_TABLE = SsPte.R | SsPte.W;
    /** Non-leaf bits of the first stage: P, R/W, U/S. */
    static final long FS_TABLE = FsPte.P | FsPte.RW | FsPte.US;
    /** A user read/write first-stage leaf. */
    static final long FS_USER_RW = FsPte.P | FsPte.RW | FsPte.US;

    private final Rig rig;
    final long root;
    final int levels;
    private final long tableBits;

    PageTables(Rig rig, int levels, long tableBits) {
        this.rig = rig;
        this.root = rig.frames.allocate();
        this.levels = levels;
        this.tableBits = tableBits;
    }

    static PageTables secondStage(Rig rig) {
        return new PageTables(rig, 4, SS_TABLE);
    }

    static PageTables firstStage(Rig rig) {
        return new PageTables(rig, 4, FS_TABLE);
    }

    /** The address of the entry for {@code va} at {@code level}, making tables above it as needed. */
    long slot(long va, int level) {
        long table = root;
        for (int l = levels; l > level; l--) {
            long slot = table + 8L * Rig.index(va, l);
            long e = rig.mem.load64(slot);
            if ((e & tableBits) == 0) {
                long t = rig.frames.allocate();
                rig.mem.store64(slot, t | tableBits);
                table = t;
            } else {
                table = e & SsPte.ADDR;
            }
        }
        return table + 8L * Rig.index(va, level);
    }

    /** Maps {@code va} to {@code pa} with a leaf at {@code level} (1: 4 KiB, 2: 2 MiB, 3: 1 GiB) and its bits. */
    PageTables map(long va, long pa, int level, long leafBits) {
        rig.mem.store64(slot(va, level), pa | leafBits);
        return this;
    }

    /** A 4 KiB leaf. */
    PageTables map(long va, long pa, long leafBits) {
        return map(va, pa, 1, leafBits);
    }

    long entry(long va, int level) {
        return rig.mem.load64(slot(va, level));
    }
}
