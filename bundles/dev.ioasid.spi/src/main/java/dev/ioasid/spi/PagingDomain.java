package dev.ioasid.spi;

import org.osgi.annotation.versioning.ProviderType;

import dev.ioasid.api.IommuException;
import dev.ioasid.api.IovaRange;

/**
 * A kernel-managed I/O page table in the vendor's format (VT-d second stage, SMMUv3 stage 2 or stage 1,
 * AMD v1, the mock's), which the core keeps in step with an IOAS.
 */
@ProviderType
public interface PagingDomain extends Domain {

    /** The leaf page sizes the format can use, as a bitmap (bit n set: 2^n bytes); the lowest is the granule. */
    long pageSizes();

    /** The IOVA range the table can translate. */
    IovaRange aperture();

    /** Whether nested domains may sit on it (allocated with NEST_PARENT). */
    boolean isNestParent();

    /**
     * Maps {@code [iova, iova + length)} to {@code [paddr, paddr + length)}. All three are multiples of the
     * granule. With {@code largePages}, leaves bigger than the granule are used where the addresses allow.
     * On failure nothing of this call stays mapped.
     *
     * @param prot {@code MapFlags} READABLE and WRITEABLE
     * @throws IommuException ENOMEM when a table frame cannot be allocated, EEXIST if a page is already mapped
     */
    void map(long iova, long paddr, long length, int prot, boolean largePages);

    /**
     * Clears the entries of {@code [iova, iova + length)} from the table, and does not touch any cache: a DMA
     * can still hit a stale cache entry until {@link #flush}.
     *
     * @return the bytes that were mapped and are no longer
     */
    long unmap(long iova, long length);

    /**
     * Invalidates every cache of the unit (IOTLB, walk caches, device TLBs) for the range, through the unit's
     * own invalidation interface. After it returns, no DMA translates through a removed entry.
     */
    void flush(long iova, long length);

    /** The physical address {@code iova} maps to, or -1. A table walk: caches are not involved. */
    long iovaToPhys(long iova);

    /** Whether the domain tracks dirty pages (allocated with DIRTY_TRACKING). */
    boolean supportsDirtyTracking();

    /**
     * Starts or stops recording dirty bits on DMA writes.
     *
     * @throws IommuException EINVAL when the domain was not allocated with DIRTY_TRACKING
     */
    void setDirtyTracking(boolean enable);

    /**
     * Reports the dirty state of {@code [iova, iova + length)}: calls {@code sink} with the IOVA and size of each
     * mapped leaf whose dirty bit is set, and clears the bits unless {@code keep}.
     */
    void readDirty(long iova, long length, boolean keep, DirtySink sink);

    /** Receives the dirty leaves of {@link #readDirty}. */
    @FunctionalInterface
    interface DirtySink {
        void dirty(long iova, long size);
    }
}
