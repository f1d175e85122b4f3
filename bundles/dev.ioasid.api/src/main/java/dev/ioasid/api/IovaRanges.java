package dev.ioasid.api;

import java.util.List;

/**
 * What IOMMU_IOAS_IOVA_RANGES returns: the IOVA ranges where a map may go (allowed and not reserved), in
 * ascending order, and the alignment every IOVA and length must have.
 */
public record IovaRanges(List<IovaRange> ranges, long alignment) {
    public IovaRanges {
        ranges = List.copyOf(ranges);
    }
}
