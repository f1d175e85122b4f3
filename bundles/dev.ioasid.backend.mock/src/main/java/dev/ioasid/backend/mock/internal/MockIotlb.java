package dev.ioasid.backend.mock.internal;

import java.util.concurrent.atomic.LongAdder;
import java.util.concurrent.atomic.AtomicReferenceArray;

import dev.ioasid.machine.TranslatedPage;

/**
 * The mock's IOTLB: a direct-mapped cache of {@code size} entries keyed by (domain tag, granule page), each
 * holding the translated page of the leaf that was walked. Entries stay until invalidated, as in hardware.
 * Lookups are lock-free: a slot holds an immutable entry that carries its own key.
 */
final class MockIotlb {
    static final class Entry {
        final long tag;
        final long page;
        final TranslatedPage translation;
        /** the leaf's D bit was set when cached, so writes need no walk to mark it */
        final boolean dirty;

        Entry(long tag, long page, TranslatedPage translation, boolean dirty) {
            this.tag = tag;
            this.page = page;
            this.translation = translation;
            this.dirty = dirty;
        }
    }

    private final AtomicReferenceArray<Entry> slots;
    private final int mask;
    /** Adders, not atomics: every translation counts, and one shared counter would serialize the units' users. */
    final LongAdder hits = new LongAdder();
    final LongAdder misses = new LongAdder();
    final LongAdder invalidations = new LongAdder();

    MockIotlb(int size) {
        if (size <= 0 || Integer.bitCount(size) != 1) {
            throw new IllegalArgumentException("IOTLB size must be a power of two: " + size);
        }
        slots = new AtomicReferenceArray<>(size);
        mask = size - 1;
    }

    int size() {
        return mask + 1;
    }

    private int slot(long tag, long page) {
        long h = (page * 0x9E3779B97F4A7C15L) ^ (tag * 0xC2B2AE3D27D4EB4FL);
        return (int) (h ^ (h >>> 29)) & mask;
    }

    Entry lookup(long tag, long page) {
        Entry e = slots.get(slot(tag, page));
        if (e != null && e.tag == tag && e.page == page) {
            hits.increment();
            return e;
        }
        misses.increment();
        return null;
    }

    void insert(Entry e) {
        slots.set(slot(e.tag, e.page), e);
    }

    /** Drops the entries of a domain whose pages intersect {@code [first, last]} (granule page numbers). */
    void invalidate(long tag, long firstPage, long lastPage) {
        invalidations.increment();
        for (int i = 0; i <= mask; i++) {
            Entry e = slots.get(i);
            if (e != null && e.tag == tag && e.page >= firstPage && e.page <= lastPage) {
                slots.compareAndSet(i, e, null);
            }
        }
    }

    /** Drops every entry of a domain. */
    void invalidate(long tag) {
        invalidate(tag, Long.MIN_VALUE, Long.MAX_VALUE);
    }

    /** How many valid entries the cache holds. */
    int occupancy() {
        int n = 0;
        for (int i = 0; i <= mask; i++) {
            if (slots.get(i) != null) {
                n++;
            }
        }
        return n;
    }
}
