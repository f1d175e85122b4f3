package dev.ioasid.api;

import java.util.List;

import org.osgi.annotation.versioning.ProviderType;

/**
 * I/O address spaces (IOAS) and hardware page tables (HWPT), paging and nested: the IOAS_* and HWPT_* ioctls of
 * iommufd. Every IOVA and length is an unsigned 64-bit value held in a long. A call that fails changes nothing.
 */
@ProviderType
public interface DomainService {

    /** IOMMU_IOAS_ALLOC: a new, empty IOAS. Returns its id. */
    int ioasAlloc(Context ctx);

    /**
     * IOMMU_IOAS_MAP: maps {@code length} bytes of user memory at {@code userVa}. The pages are pinned until
     * unmapped, and every HWPT attached to the IOAS follows.
     *
     * @param iova  the IOVA with {@link MapFlags#FIXED_IOVA}; ignored otherwise
     * @param flags {@link MapFlags}
     * @return the IOVA used
     * @throws IommuException EOPNOTSUPP for unknown flags; EINVAL for length 0 or an IOVA or length not aligned
     *                        to the IOAS's alignment; EOVERFLOW when the range wraps; EEXIST when a FIXED_IOVA
     *                        range overlaps a mapping; ENOSPC when no free IOVA fits; EADDRINUSE when a fixed
     *                        range is reserved or outside the allowed ranges; EFAULT when user memory is missing
     */
    long ioasMap(Context ctx, int ioasId, long userVa, long length, long iova, int flags);

    /**
     * IOMMU_IOAS_MAP_FILE: maps {@code length} bytes of a file from byte offset {@code start}.
     *
     * @throws IommuException EINVAL when the range runs past the end of the file; otherwise as {@link #ioasMap}
     */
    long ioasMapFile(Context ctx, int ioasId, MemFile file, long start, long length, long iova, int flags);

    /**
     * IOMMU_IOAS_UNMAP: unmaps every area inside {@code [iova, iova + length - 1]}. The range must cover whole
     * areas. {@code (0, 2^64-1)} unmaps everything, and succeeds on an empty IOAS.
     *
     * @return the number of bytes unmapped
     * @throws IommuException ENOENT when the range cuts an area or holds none
     */
    long ioasUnmap(Context ctx, int ioasId, long iova, long length);

    /**
     * IOMMU_IOAS_COPY: maps into {@code dstIoasId} the same pages that {@code [srcIova, srcIova + length - 1]} of
     * {@code srcIoasId} maps. The source range must be fully mapped.
     *
     * @return the destination IOVA
     * @throws IommuException ENOENT when the source range has a hole; otherwise as {@link #ioasMap}
     */
    long ioasCopy(Context ctx, int dstIoasId, long dstIova, int srcIoasId, long srcIova, long length, int flags);

    /** IOMMU_IOAS_IOVA_RANGES: where a map may go, and the alignment. */
    IovaRanges ioasIovaRanges(Context ctx, int ioasId);

    /**
     * IOMMU_IOAS_IOVA_RANGES with a caller buffer of {@code capacity} entries.
     *
     * @throws IommuException EMSGSIZE when there are more ranges than {@code capacity}; its
     *                        {@link IommuException#progress()} is the number needed
     */
    IovaRanges ioasIovaRanges(Context ctx, int ioasId, int capacity);

    /**
     * IOMMU_IOAS_ALLOW_IOVAS: replaces the list of allowed ranges (empty: everything allowed).
     *
     * @throws IommuException EADDRINUSE when a range intersects a reserved range, or an existing area lies
     *                        outside the new list; EINVAL for overlapping ranges
     */
    void ioasAllowIovas(Context ctx, int ioasId, List<IovaRange> allowed);

    /** The areas of an IOAS, in IOVA order. */
    List<Area> ioasAreas(Context ctx, int ioasId);

    /**
     * IOMMU_OPTION SET: sets {@code option} on an object ({@link IoasOption#HUGE_PAGES}: an IOAS) or globally
     * ({@link IoasOption#RLIMIT_MODE}: object 0).
     *
     * @throws IommuException ENOENT for a wrong object, EINVAL for a bad value, EADDRINUSE when the IOAS holds
     *                        areas that the new alignment would split
     */
    void optionSet(Context ctx, IoasOption option, int objectId, long value);

    /** IOMMU_OPTION GET. @throws IommuException ENOENT for a wrong object */
    long optionGet(Context ctx, IoasOption option, int objectId);

    /**
     * IOMMU_HWPT_ALLOC: a paging HWPT on an IOAS, or a nested HWPT on a NEST_PARENT parent.
     *
     * @return the HWPT id
     * @throws IommuException see the README's errno table for the full matrix
     */
    int hwptAlloc(Context ctx, HwptAlloc request);

    /**
     * IOMMU_HWPT_INVALIDATE: hands {@code entryNum} vendor entries of {@code entryLen} bytes each to the nested
     * HWPT's hardware.
     *
     * @return the number of entries handled (all of them)
     * @throws IommuException EINVAL on a paging HWPT or a bad entry, EOPNOTSUPP for an unknown data type; its
     *                        {@link IommuException#progress()} is the number handled before the failure
     */
    int hwptInvalidate(Context ctx, int hwptId, int dataType, int entryLen, byte[] entries, int entryNum);

    /**
     * IOMMU_VIOMMU_ALLOC: a virtual IOMMU for a VM, on a NEST_PARENT paging HWPT. Nested HWPTs can then be
     * allocated on it ({@link HwptAlloc} with its id as ptId), and {@link #hwptInvalidate} takes its id for the
     * guest's invalidation commands.
     *
     * @param type {@link ViommuType}
     * @throws IommuException EINVAL when the HWPT is not a NEST_PARENT paging HWPT of the device's unit,
     *                        EOPNOTSUPP for a type the unit does not offer, ENOENT for missing ids
     */
    int viommuAlloc(Context ctx, int devId, int hwptId, int type, byte[] data);

    /**
     * IOMMU_VDEVICE_ALLOC: tells a vIOMMU that the guest knows a device as {@code virtId} (its virtual stream id).
     *
     * @throws IommuException EEXIST when the id or the device is already known to the vIOMMU, EINVAL for a
     *                        device of another unit
     */
    int vdeviceAlloc(Context ctx, int viommuId, int devId, long virtId);

    /**
     * IOMMU_HWPT_SET_DIRTY_TRACKING.
     *
     * @throws IommuException ENOENT when the id is not a paging HWPT, EINVAL when it was not allocated with
     *                        DIRTY_TRACKING
     */
    void hwptSetDirtyTracking(Context ctx, int hwptId, boolean enable);

    /** Flag of {@link #hwptGetDirtyBitmap}: read without clearing. */
    int DIRTY_NO_CLEAR = 1;

    /**
     * IOMMU_HWPT_GET_DIRTY_BITMAP: one bit per {@code pageSize} page of {@code [iova, iova + length)}, set when a
     * DMA write dirtied the PTE covering it (a huge PTE dirties every page it covers). The bits are cleared unless
     * {@link #DIRTY_NO_CLEAR}.
     *
     * @return the bitmap, bit n of word n/64 for page n
     * @throws IommuException EINVAL for a page size that is not a power of two, or an unaligned range
     */
    long[] hwptGetDirtyBitmap(Context ctx, int hwptId, long iova, long length, long pageSize, int flags);
}
