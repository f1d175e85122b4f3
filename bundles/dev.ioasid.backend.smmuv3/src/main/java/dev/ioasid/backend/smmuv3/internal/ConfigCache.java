package dev.ioasid.backend.smmuv3.internal;

import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.AtomicReferenceArray;
import java.util.concurrent.atomic.LongAdder;

/**
 * The configuration cache: decoded STEs by StreamID and decoded CDs by (StreamID, SubstreamID), bounded
 * direct-mapped arrays, kept until a CFGI command removes them. A guest that rewrites a CD and forgets CFGI_CD
 * keeps translating with the cached one, as on hardware. Lock-free lookups; insertions racing with an
 * invalidation are undone (epoch check).
 */
final class ConfigCache {
    private final AtomicReferenceArray<StreamConfig> stes;
    private final AtomicReferenceArray<ContextConfig> cds;
    private final AtomicLong epoch = new AtomicLong();
    final LongAdder steHits = new LongAdder();
    final LongAdder steMisses = new LongAdder();
    final LongAdder cdHits = new LongAdder();
    final LongAdder cdMisses = new LongAdder();

    ConfigCache(int steEntries, int cdEntries) {
        if (Integer.bitCount(steEntries) != 1 || Integer.bitCount(cdEntries) != 1) {
            throw new IllegalArgumentException("configuration cache sizes must be powers of two");
        }
        stes = new AtomicReferenceArray<>(steEntries);
        cds = new AtomicReferenceArray<>(cdEntries);
    }

    int steCapacity() {
        return stes.length();
    }

    int cdCapacity() {
        return cds.length();
    }

    private static int hash(long key, int mask) {
        long h = key * 0x9E3779B97F4A7C15L;
        return (int) (h ^ (h >>> 29)) & mask;
    }

    long epoch() {
        return epoch.get();
    }

    StreamConfig ste(int sid) {
        StreamConfig c = stes.get(hash(sid, stes.length() - 1));
        if (c != null && c.sid == sid) {
            steHits.increment();
            return c;
        }
        steMisses.increment();
        return null;
    }

    void put(StreamConfig c, long epochBefore) {
        int i = hash(c.sid, stes.length() - 1);
        stes.set(i, c);
        if (epoch.get() != epochBefore) {
            stes.compareAndSet(i, c, null);
        }
    }

    private static long cdKey(int sid, int ssid) {
        return (long) sid << 32 | (ssid & 0xffffffffL);
    }

    ContextConfig cd(int sid, int ssid) {
        ContextConfig c = cds.get(hash(cdKey(sid, ssid), cds.length() - 1));
        if (c != null && c.sid == sid && c.ssid == ssid) {
            cdHits.increment();
            return c;
        }
        cdMisses.increment();
        return null;
    }

    void put(ContextConfig c, long epochBefore) {
        int i = hash(cdKey(c.sid, c.ssid), cds.length() - 1);
        cds.set(i, c);
        if (epoch.get() != epochBefore) {
            cds.compareAndSet(i, c, null);
        }
    }

    /** CFGI_STE: the STE of a stream, and with {@code withCds} every CD cached for it. */
    void invalidateSte(int sid, boolean withCds) {
        invalidateStes(sid, sid, withCds);
    }

    /** CFGI_STE_RANGE / CFGI_ALL: the STEs of [first, last] and their CDs. */
    void invalidateStes(long first, long last, boolean withCds) {
        epoch.incrementAndGet();
        for (int i = 0; i < stes.length(); i++) {
            StreamConfig c = stes.get(i);
            if (c != null && Integer.toUnsignedLong(c.sid) >= first && Integer.toUnsignedLong(c.sid) <= last) {
                stes.compareAndSet(i, c, null);
            }
        }
        if (withCds) {
            for (int i = 0; i < cds.length(); i++) {
                ContextConfig c = cds.get(i);
                if (c != null && Integer.toUnsignedLong(c.sid) >= first && Integer.toUnsignedLong(c.sid) <= last) {
                    cds.compareAndSet(i, c, null);
                }
            }
        }
    }

    /** CFGI_CD: one CD. */
    void invalidateCd(int sid, int ssid) {
        epoch.incrementAndGet();
        int i = hash(cdKey(sid, ssid), cds.length() - 1);
        ContextConfig c = cds.get(i);
        if (c != null && c.sid == sid && c.ssid == ssid) {
            cds.compareAndSet(i, c, null);
        }
    }

    /** CFGI_CD_ALL: every CD of a stream. */
    void invalidateCds(int sid) {
        epoch.incrementAndGet();
        for (int i = 0; i < cds.length(); i++) {
            ContextConfig c = cds.get(i);
            if (c != null && c.sid == sid) {
                cds.compareAndSet(i, c, null);
            }
        }
    }

    int steOccupancy() {
        int n = 0;
        for (int i = 0; i < stes.length(); i++) {
            n += stes.get(i) == null ? 0 : 1;
        }
        return n;
    }

    int cdOccupancy() {
        int n = 0;
        for (int i = 0; i < cds.length(); i++) {
            n += cds.get(i) == null ? 0 : 1;
        }
        return n;
    }
}
