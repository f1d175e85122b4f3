package dev.ioasid.spi;

import java.util.Map;

/**
 * Counters of a unit since it started.
 *
 * @param iotlbHits          translations answered from the IOTLB
 * @param iotlbMisses        translations that walked the tables
 * @param invalidations      invalidation requests handled (descriptors, commands)
 * @param faults             translation faults
 * @param caches             per-cache counters by name (e.g. {@code context.hits}, {@code pasid.misses})
 */
public record UnitStats(long iotlbHits, long iotlbMisses, long invalidations, long faults, Map<String, Long> caches) {
    public UnitStats {
        caches = java.util.Collections.unmodifiableMap(new java.util.LinkedHashMap<>(caches));
    }
}
