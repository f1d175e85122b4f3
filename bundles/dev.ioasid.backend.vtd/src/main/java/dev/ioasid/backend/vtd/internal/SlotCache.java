package dev.ioasid.backend.vtd.internal;

import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.AtomicReferenceArray;
import java.util.concurrent.atomic.LongAdder;
import java.util.function.Predicate;

/**
 * A bounded, direct-mapped hardware cache of immutable entries: lookups are lock-free and allocate nothing,
 * entries stay until an invalidation removes them or a newer entry takes their slot.
 * <p>
 * Invariant: an entry filled from a walk that raced with an invalidation never survives it. The filler reads
 * {@link #epoch()} before it walks, stores its entry, then re-reads the epoch and takes its entry back if an
 * invalidation started in between; an invalidation bumps the epoch before it scans.
 */
class SlotCache<E> {
    private final AtomicReferenceArray<E> slots;
    private final int mask;
    private final AtomicLong epoch = new AtomicLong();
    final LongAdder hits = new LongAdder();
    final LongAdder misses = new LongAdder();
    final LongAdder invalidated = new LongAdder();

    SlotCache(int size) {
        if (size <= 0 || Integer.bitCount(size) != 1) {
            throw new IllegalArgumentException("cache size must be a power of two: " + size);
        }
        slots = new AtomicReferenceArray<>(size);
        mask = size - 1;
    }

    final int size() {
        return mask + 1;
    }

    static int mix(long a, long b) {
        long h = a * 0x9E3779B97F4A7C15L ^ b * 0xC2B2AE3D27D4EB4FL;
        h ^= h >>> 31;
        h *= 0xBF58476D1CE4E5B9L;
        return (int) (h ^ h >>> 29);
    }

    final E slot(int hash) {
        return slots.get(hash & mask);
    }

    /** The epoch to pass to {@link #fill} after a walk. */
    final long epoch() {
        return epoch.get();
    }

    final void fill(int hash, E entry, long epochBeforeWalk) {
        int i = hash & mask;
        slots.set(i, entry);
        if (epoch.get() != epochBeforeWalk) {
            slots.compareAndSet(i, entry, null);
        }
    }

    /** Removes every entry that matches; returns how many. */
    final int invalidate(Predicate<E> which) {
        epoch.incrementAndGet();
        int n = 0;
        for (int i = 0; i <= mask; i++) {
            E e = slots.get(i);
            if (e != null && which.test(e) && slots.compareAndSet(i, e, null)) {
                n++;
            }
        }
        invalidated.add(n);
        return n;
    }

    /** Valid entries. */
    final int occupancy() {
        int n = 0;
        for (int i = 0; i <= mask; i++) {
            if (slots.get(i) != null) {
                n++;
            }
        }
        return n;
    }

    /** Every valid entry that matches (for tests and dumps). */
    final java.util.List<E> entries(Predicate<E> which) {
        java.util.List<E> out = new java.util.ArrayList<>();
        for (int i = 0; i <= mask; i++) {
            E e = slots.get(i);
            if (e != null && which.test(e)) {
                out.add(e);
            }
        }
        return out;
    }
}
