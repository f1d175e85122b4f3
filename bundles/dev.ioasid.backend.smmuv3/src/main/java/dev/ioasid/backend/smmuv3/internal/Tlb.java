package dev.ioasid.backend.smmuv3.internal;

import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.AtomicReferenceArray;
import java.util.concurrent.atomic.LongAdder;

import dev.ioasid.machine.TranslatedPage;

/**
 * The SMMU's TLB: a bounded set-associative cache of leaves keyed by (VMID, ASID, VA, stage, level), kept until a
 * TLBI command removes them, as in hardware. A stage-1 entry caches VA to PA (or to IPA when nested, not used
 * for output), a stage-2 entry IPA to PA, a nested entry VA to PA through both. Global stage-1 leaves (nG = 0)
 * match every ASID.
 * <p>
 * Lookups take no lock and allocate nothing: a slot holds an immutable entry with its key and the two
 * {@link TranslatedPage}s (unprivileged and privileged) a hit returns. An insertion that races with an
 * invalidation is undone (the epoch check), so an invalidation is never lost.
 */
final class Tlb {
    static final int STAGE1 = 1;
    static final int STAGE2 = 2;
    static final int NESTED = 3;
    static final int WAYS = 4;

    static final class Entry {
        final int vmid;
        final int asid;
        final int stage;
        final int level;
        final int shift;
        final long base;
        final boolean global;
        final TranslatedPage unpriv;
        final TranslatedPage priv;

        Entry(int vmid, int asid, int stage, int level, int shift, long base, boolean global, TranslatedPage unpriv, TranslatedPage priv) {
            this.vmid = vmid;
            this.asid = asid;
            this.stage = stage;
            this.level = level;
            this.shift = shift;
            this.base = base;
            this.global = global;
            this.unpriv = unpriv;
            this.priv = priv;
        }

        boolean covers(long va) {
            return (va & -(1L << shift)) == base;
        }

        /** Whether the entry intersects [start, last]. */
        boolean intersects(long start, long last) {
            long entryLast = base + (1L << shift) - 1;
            return Long.compareUnsigned(base, last) <= 0 && Long.compareUnsigned(start, entryLast) <= 0;
        }

        @Override
        public String toString() {
            return String.format("tlb{vmid %d asid %d stage %d level %d va 0x%x/%d -> 0x%x}", vmid, asid, stage, level, base, shift,
                    priv.physBase());
        }
    }

    private final AtomicReferenceArray<Entry> slots;
    private final int setMask;
    private final AtomicLong epoch = new AtomicLong();
    private final AtomicLong victim = new AtomicLong();
    final LongAdder hits = new LongAdder();
    final LongAdder misses = new LongAdder();

    /** @param entries a power of two, at least {@link #WAYS} */
    Tlb(int entries) {
        if (entries < WAYS || Integer.bitCount(entries) != 1) {
            throw new IllegalArgumentException("TLB size must be a power of two of at least " + WAYS + ": " + entries);
        }
        slots = new AtomicReferenceArray<>(entries);
        setMask = entries / WAYS - 1;
    }

    int capacity() {
        return slots.length();
    }

    private int set(int vmid, int stage, long page, int shift) {
        // MurmurHash3's fmix64 over the key: consecutive pages spread over the sets
        long h = page ^ (long) vmid << 40 ^ (long) (stage << 8 | shift) << 56;
        h ^= h >>> 33;
        h *= 0xff51afd7ed558ccdL;
        h ^= h >>> 33;
        h *= 0xc4ceb9fe1a85ec53L;
        h ^= h >>> 33;
        return (int) h & setMask;
    }

    /** The entry for {@code va} with a leaf of {@code 1 << shift} bytes, or null. */
    Entry lookup(int vmid, int asid, int stage, long va, int shift) {
        long page = va >>> shift;
        int first = set(vmid, stage, page, shift) * WAYS;
        for (int i = 0; i < WAYS; i++) {
            Entry e = slots.get(first + i);
            if (e != null && e.vmid == vmid && e.stage == stage && e.shift == shift && e.base >>> shift == page
                    && (e.global || e.asid == asid)) {
                return e;
            }
        }
        return null;
    }

    /** The current epoch, read before a walk whose result will be inserted. */
    long epoch() {
        return epoch.get();
    }

    /** Inserts a walk result, unless an invalidation ran since {@code epochBefore}. */
    void insert(Entry e, long epochBefore) {
        int first = set(e.vmid, e.stage, e.base >>> e.shift, e.shift) * WAYS;
        int slot = -1;
        for (int i = 0; i < WAYS; i++) {
            if (slots.get(first + i) == null) {
                slot = first + i;
                break;
            }
        }
        if (slot < 0) {
            slot = first + (int) (victim.getAndIncrement() & (WAYS - 1));
        }
        slots.set(slot, e);
        if (epoch.get() != epochBefore) {
            slots.compareAndSet(slot, e, null);
        }
    }

    /** What an invalidation removes. */
    @FunctionalInterface
    interface Match {
        boolean test(Entry e);
    }

    /** Removes every matching entry; returns how many. */
    int invalidate(Match m) {
        epoch.incrementAndGet();
        int n = 0;
        for (int i = 0; i < slots.length(); i++) {
            Entry e = slots.get(i);
            if (e != null && m.test(e) && slots.compareAndSet(i, e, null)) {
                n++;
            }
        }
        return n;
    }

    int occupancy() {
        int n = 0;
        for (int i = 0; i < slots.length(); i++) {
            if (slots.get(i) != null) {
                n++;
            }
        }
        return n;
    }

    /** A snapshot of the valid entries, for tests and display. */
    java.util.List<Entry> entries() {
        java.util.List<Entry> out = new java.util.ArrayList<>();
        for (int i = 0; i < slots.length(); i++) {
            Entry e = slots.get(i);
            if (e != null) {
                out.add(e);
            }
        }
        return out;
    }
}
