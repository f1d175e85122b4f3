package dev.ioasid.backend.vtd.internal;

import dev.ioasid.machine.Access;
import dev.ioasid.machine.TranslatedPage;

/**
 * The IOTLB: translations keyed by (DID, PASID, page), each holding its page size (the level of its leaf), the
 * rights it grants to user and to supervisor requests, and whether writes need a walk to set D bits. Entries of
 * 4 KiB, 2 MiB and 1 GiB live side by side; a lookup probes the sizes that were ever cached. A hit returns the
 * cached {@link TranslatedPage} instance: nothing is allocated.
 */
final class Iotlb extends SlotCache<Iotlb.Entry> {
    private static final int RIGHTS = Access.READ | Access.WRITE | Access.EXEC;

    /**
     * @param did        Domain Identifier
     * @param pasid      the PASID of the PASID entry used (-1 in legacy mode)
     * @param shift      page size: 12, 21 or 30
     * @param vpn        input address >> shift
     * @param pgtt       how it was translated (second-stage, first-stage, nested)
     * @param page       the translation
     * @param userRights READ/WRITE/EXEC a user request may do
     * @param privRights READ/WRITE/EXEC a supervisor request may do
     * @param dirty      writes need no walk: every D bit a write would set is set
     */
    record Entry(int did, int pasid, int shift, long vpn, int pgtt, TranslatedPage page, int userRights, int privRights, boolean dirty) {
        long first() {
            return vpn << shift;
        }

        long last() {
            return (vpn << shift) + (1L << shift) - 1;
        }

        boolean firstStageTagged() {
            return pgtt == PasidEntry.PGTT_FIRST_STAGE || pgtt == PasidEntry.PGTT_NESTED;
        }

        boolean secondStageTagged() {
            return pgtt == PasidEntry.PGTT_SECOND_STAGE || pgtt == PasidEntry.PGTT_NESTED;
        }
    }

    /** bit s set: entries of shift s were cached at some time */
    private volatile long shifts;

    Iotlb(int size) {
        super(size);
    }

    private static int hash(int did, int pasid, int shift, long vpn) {
        return mix(vpn ^ (long) shift << 58, (long) did << 32 ^ pasid);
    }

    /**
     * The entry that maps {@code iova} for (did, pasid) and grants {@code access}, or null (a miss, or an entry
     * that does not allow the request, or a write that must set D bits).
     */
    TranslatedPage lookup(int did, int pasid, long iova, int access) {
        long s = shifts;
        for (int shift = 12; shift <= 30; shift += 9) {
            if ((s & 1L << shift) == 0) {
                continue;
            }
            long vpn = iova >>> shift;
            Entry e = slot(hash(did, pasid, shift, vpn));
            if (e != null && e.vpn == vpn && e.shift == shift && e.did == did && e.pasid == pasid) {
                int rights = (access & Access.PRIV) != 0 ? e.privRights : e.userRights;
                int need = access & RIGHTS;
                if ((rights & need) == need && ((access & Access.WRITE) == 0 || e.dirty)) {
                    hits.increment();
                    return e.page;
                }
                break;
            }
        }
        misses.increment();
        return null;
    }

    /** The entry that maps {@code iova}, whatever it allows; for tests. */
    Entry find(int did, int pasid, long iova) {
        for (int shift = 12; shift <= 30; shift += 9) {
            long vpn = iova >>> shift;
            Entry e = slot(hash(did, pasid, shift, vpn));
            if (e != null && e.vpn == vpn && e.shift == shift && e.did == did && e.pasid == pasid) {
                return e;
            }
        }
        return null;
    }

    void fill(Entry e, long epoch) {
        if ((shifts & 1L << e.shift) == 0) {
            synchronized (this) {
                shifts |= 1L << e.shift;
            }
        }
        fill(hash(e.did, e.pasid, e.shift, e.vpn), e, epoch);
    }

    private static boolean overlaps(Entry e, long first, long last) {
        return Long.compareUnsigned(e.first(), last) <= 0 && Long.compareUnsigned(first, e.last()) <= 0;
    }

    /** IOTLB invalidation G=1: everything. */
    int invalidateAll() {
        return invalidate(e -> true);
    }

    /** IOTLB invalidation G=2 (domain-selective): second-stage and nested entries of a DID. */
    int invalidateDomain(int did) {
        return invalidate(e -> e.did == did && e.secondStageTagged());
    }

    /**
     * IOTLB invalidation G=3 (page-selective within a domain): second-stage entries of the DID that overlap
     * {@code [first, last]}, and every nested entry of the DID, whose first-stage input addresses cannot be
     * matched against a second-stage range.
     */
    int invalidatePages(int did, long first, long last) {
        return invalidate(e -> e.did == did && (e.pgtt == PasidEntry.PGTT_NESTED
                || e.pgtt == PasidEntry.PGTT_SECOND_STAGE && overlaps(e, first, last)));
    }

    /** PASID-based IOTLB invalidation G=2: first-stage and nested entries of (DID, PASID). */
    int invalidatePasid(int did, int pasid) {
        return invalidate(e -> e.did == did && e.pasid == pasid && e.firstStageTagged());
    }

    /** PASID-based IOTLB invalidation G=3: first-stage and nested entries of (DID, PASID) that overlap the range. */
    int invalidatePasidPages(int did, int pasid, long first, long last) {
        return invalidate(e -> e.did == did && e.pasid == pasid && e.firstStageTagged() && overlaps(e, first, last));
    }
}
