package dev.ioasid.backend.vtd.internal;

import java.util.function.LongUnaryOperator;

import dev.ioasid.machine.PhysicalMemory;

/**
 * A guest's first-stage (x86-64) page tables, written inside the guest's own RAM: every table pointer is a
 * guest-physical address, as a VM's kernel writes them. {@code toHost} says where a guest-physical address lives.
 */
final class GuestTables {
    private final PhysicalMemory mem;
    private final LongUnaryOperator toHost;
    private long next;
    final long root;
    final int levels;

    /**
     * @param firstFree the guest-physical address where this builder may put tables (grows by 4 KiB)
     */
    GuestTables(PhysicalMemory mem, LongUnaryOperator toHost, long firstFree, int levels) {
        this.mem = mem;
        this.toHost = toHost;
        this.next = firstFree;
        this.levels = levels;
        this.root = table();
    }

    private long table() {
        long t = next;
        next += 4096;
        for (int i = 0; i < 512; i++) {
            mem.store64(toHost.applyAsLong(t) + 8L * i, 0);
        }
        return t;
    }

    /** The guest-physical address of the entry for {@code va} at {@code level}, making tables as needed. */
    long slot(long va, int level) {
        long table = root;
        for (int l = levels; l > level; l--) {
            long slot = table + 8L * Rig.index(va, l);
            long e = mem.load64(toHost.applyAsLong(slot));
            if ((e & FsPte.P) == 0) {
                long t = table();
                mem.store64(toHost.applyAsLong(slot), t | PageTables.FS_TABLE);
                table = t;
            } else {
                table = e & FsPte.ADDR;
            }
        }
        return table + 8L * Rig.index(va, level);
    }

    /** Maps {@code va} to guest-physical {@code gpa} with a leaf at {@code level} (2 and 3 get PS). */
    GuestTables map(long va, long gpa, int level, long leafBits) {
        mem.store64(toHost.applyAsLong(slot(va, level)), gpa | leafBits | (level > 1 ? FsPte.PS : 0));
        return this;
    }

    GuestTables map(long va, long gpa, long leafBits) {
        return map(va, gpa, 1, leafBits);
    }

    /** The entry for {@code va} at {@code level}, read from guest memory. */
    long entry(long va, int level) {
        return mem.load64(toHost.applyAsLong(slot(va, level)));
    }

    /** The next free guest-physical address after the tables. */
    long end() {
        return next;
    }
}
