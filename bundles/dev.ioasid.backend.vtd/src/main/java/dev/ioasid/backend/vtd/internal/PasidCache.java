package dev.ioasid.backend.vtd.internal;

/** The PASID cache: translation contexts of scalable-mode PASID entries by (source id, PASID), tagged by DID. */
final class PasidCache extends SlotCache<TranslationContext> {

    PasidCache(int size) {
        super(size);
    }

    private static int hash(int sid, int pasid) {
        return mix(sid, pasid);
    }

    TranslationContext lookup(int sid, int pasid) {
        TranslationContext e = slot(hash(sid, pasid));
        if (e != null && e.sid() == sid && e.pasid() == pasid) {
            hits.increment();
            return e;
        }
        misses.increment();
        return null;
    }

    void fill(TranslationContext e, long epoch) {
        fill(hash(e.sid(), e.pasid()), e, epoch);
    }

    /** PASID-cache invalidation G=0: every entry of a domain. */
    int invalidateDomain(int did) {
        return invalidate(e -> e.did() == did);
    }

    /** G=1: the entries of one PASID in a domain. */
    int invalidatePasid(int did, int pasid) {
        return invalidate(e -> e.did() == did && e.pasid() == pasid);
    }

    /** G=3: everything. */
    int invalidateAll() {
        return invalidate(e -> true);
    }
}
