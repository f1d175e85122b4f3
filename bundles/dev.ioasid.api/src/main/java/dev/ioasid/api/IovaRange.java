package dev.ioasid.api;

/**
 * An IOVA range {@code [start, last]}; {@code last} is inclusive, as in iommufd's {@code iommu_iova_range}, so
 * that the range can reach 2^64-1. Addresses are unsigned 64-bit values held in longs.
 */
public record IovaRange(long start, long last) {

    public IovaRange {
        if (Long.compareUnsigned(start, last) > 0) {
            throw IommuException.of(Errno.EINVAL, "IOVA range start 0x%x is above its last 0x%x", start, last);
        }
    }

    /** Every IOVA: {@code [0, 2^64-1]}. */
    public static final IovaRange ALL = new IovaRange(0, -1L);

    /** {@code [start, start + length - 1]}. @throws IommuException EINVAL for length 0, EOVERFLOW if it wraps */
    public static IovaRange ofLength(long start, long length) {
        if (length == 0) {
            throw IommuException.of(Errno.EINVAL, "zero length");
        }
        long last = start + length - 1;
        if (Long.compareUnsigned(last, start) < 0) {
            throw IommuException.of(Errno.EOVERFLOW, "0x%x + 0x%x wraps past 2^64", start, length);
        }
        return new IovaRange(start, last);
    }

    /** The number of bytes, or 0 when the range is all 2^64 addresses. */
    public long length() {
        return last - start + 1;
    }

    public boolean contains(long iova) {
        return Long.compareUnsigned(iova, start) >= 0 && Long.compareUnsigned(iova, last) <= 0;
    }

    public boolean contains(IovaRange r) {
        return contains(r.start) && contains(r.last);
    }

    public boolean intersects(IovaRange r) {
        return Long.compareUnsigned(r.start, last) <= 0 && Long.compareUnsigned(start, r.last) <= 0;
    }

    @Override
    public String toString() {
        return String.format("[0x%x, 0x%x]", start, last);
    }
}
