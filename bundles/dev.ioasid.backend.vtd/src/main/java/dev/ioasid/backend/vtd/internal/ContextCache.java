package dev.ioasid.backend.vtd.internal;

/**
 * The context cache: decoded context entries by source id. In legacy mode an entry carries the whole
 * translation context (the legacy context entry names the second-stage table and DID); in scalable mode it
 * carries the scalable-mode context entry, and the PASID cache does the rest.
 */
final class ContextCache extends SlotCache<ContextCache.Entry> {

    /**
     * @param sid    source id
     * @param sm     the scalable-mode context entry, or null in legacy mode
     * @param legacy the translation context of a legacy context entry, or null in scalable mode
     */
    record Entry(int sid, ScalableContextEntry sm, TranslationContext legacy) {
        int did() {
            return legacy == null ? -1 : legacy.did();
        }
    }

    ContextCache(int size) {
        super(size);
    }

    private static int hash(int sid) {
        return mix(sid, 0x5ca1ab1e);
    }

    Entry lookup(int sid) {
        Entry e = slot(hash(sid));
        if (e != null && e.sid == sid) {
            hits.increment();
            return e;
        }
        misses.increment();
        return null;
    }

    void fill(Entry e, long epoch) {
        fill(hash(e.sid), e, epoch);
    }

    /** Context-cache invalidation: G=1 global. */
    int invalidateAll() {
        return invalidate(e -> true);
    }

    /**
     * G=2 domain-selective. Scalable-mode entries carry no DID, so a domain-selective invalidation drops them all
     * (more than asked is always allowed).
     */
    int invalidateDomain(int did) {
        return invalidate(e -> e.legacy == null || e.did() == did);
    }

    /** G=3 device-selective: the SID with the function mask FM (1: bit 2, 2: bits 2:1, 3: bits 2:0 ignored). */
    int invalidateDevice(int sid, int fm) {
        int ignore = fm == 0 ? 0 : fm == 1 ? 0b100 : fm == 2 ? 0b110 : 0b111;
        return invalidate(e -> (e.sid & ~ignore) == (sid & ~ignore));
    }
}
