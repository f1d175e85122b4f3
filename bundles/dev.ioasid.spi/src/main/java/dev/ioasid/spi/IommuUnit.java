package dev.ioasid.spi;

import java.util.List;

import org.osgi.annotation.versioning.ProviderType;

import dev.ioasid.api.HwInfo;
import dev.ioasid.api.IommuException;
import dev.ioasid.api.IovaRange;
import dev.ioasid.machine.PciDevice;
import dev.ioasid.machine.Translation;
import dev.ioasid.machine.UnitDescription;

/**
 * The hardware model of one IOMMU unit. A backend bundle registers one service per unit it drives, with the
 * properties {@link #UNIT} (the unit id of the machine description) and {@link #VENDOR}.
 * <p>
 * The core owns the truth: every paging domain is derived from an IOAS and can be rebuilt at any time, so a
 * backend may come and go. Everything a backend builds lives in simulated physical memory in the vendor's
 * layout, and it frees it all when its service goes away.
 * <p>
 * Errors are {@link IommuException}s with the errno iommufd returns for the same failure. In particular a
 * domain or attachment that does not fit a device is EINVAL, and only EINVAL: the core relies on that to try
 * the next automatic domain.
 */
@ProviderType
public interface IommuUnit {
    /** Service property: the unit id. */
    String UNIT = "ioasid.unit";
    /** Service property: the vendor ({@code mock}, {@code vtd}, {@code smmuv3}, ...). */
    String VENDOR = "ioasid.vendor";

    /** The unit as the machine describes it. */
    UnitDescription description();

    /** The capability profile in use, e.g. {@code server} or {@code legacy}. */
    String profile();

    /** The core hands the unit its callbacks before any other call. */
    void start(UnitHost host);

    /**
     * IOMMU_GET_HW_INFO for a device behind this unit.
     *
     * @param requestedType {@code HwInfoType.DEFAULT} for the unit's own type
     * @throws IommuException EOPNOTSUPP when the unit does not report {@code requestedType}
     */
    HwInfo hwInfo(PciDevice device, int requestedType);

    /** Whether domains with dirty tracking can serve this device. */
    boolean supportsDirtyTracking(PciDevice device);

    /** IOVA ranges a device cannot use for DMA (MSI windows, RMRR-like regions); enforced at RID attach. */
    List<IovaRange> reservedRegions(PciDevice device);

    /**
     * Allocates a paging domain, empty.
     *
     * @param flags    {@code HwptFlags} NEST_PARENT, DIRTY_TRACKING, PASID (the core has checked the rest)
     * @param dataType {@code HwptDataType.NONE} or vendor data for a paging domain
     * @throws IommuException EOPNOTSUPP for a flag or data type the unit does not support, EINVAL for bad data
     */
    PagingDomain allocPaging(PciDevice device, int flags, int dataType, byte[] data);

    /**
     * Allocates a nested (user-managed stage-1) domain on a NEST_PARENT parent of this unit, validating the
     * vendor data.
     *
     * @throws IommuException EOPNOTSUPP for an unknown data type or flag, EINVAL for data that is too short,
     *                        too long or wrong, or a parent that does not fit
     */
    NestedDomain allocNested(PciDevice device, PagingDomain parent, int flags, int dataType, byte[] data);

    /**
     * IOMMU_VIOMMU_ALLOC: a virtual IOMMU for a VM on a NEST_PARENT parent of this unit. Units without one keep
     * this default.
     *
     * @param type {@code ViommuType} (ARM_SMMUV3 = 1, ...)
     * @throws IommuException EOPNOTSUPP for a type the unit does not offer, EINVAL for a parent that does not fit
     */
    default Viommu allocViommu(PciDevice device, PagingDomain parent, int type, byte[] data) {
        throw IommuException.of(dev.ioasid.api.Errno.EOPNOTSUPP, "unit %s offers no vIOMMU", description().id());
    }

    /**
     * Points the device's RID ({@code pasid == Access.NO_PASID}) or (RID, PASID) at a domain of this unit,
     * replacing whatever was there in one step: there is no moment when the endpoint translates through neither.
     * On failure the old attachment stays.
     *
     * @throws IommuException EINVAL when the domain does not fit the device or PASID
     */
    void attach(PciDevice device, int pasid, Domain domain);

    /** Points the RID or (RID, PASID) at the blocking domain: its DMA faults from now on. Never fails. */
    void detach(PciDevice device, int pasid);

    /**
     * Translates one page of a request. The hot path: no global lock. A miss, a permission failure, a blocked
     * endpoint and garbage in guest tables are all {@link dev.ioasid.machine.TranslationFault}s, logged in the
     * unit's own record format; this method never throws.
     */
    Translation translate(PciDevice device, int pasid, long iova, int access);

    /**
     * Answers a page request group, in the unit's own way: a VT-d page group response descriptor through the
     * invalidation queue, an SMMUv3 PRI_RESP or RESUME/STALL_TERM command, an AMD-Vi COMPLETE_PPR_REQUEST.
     *
     * @param response {@link #RESPONSE_SUCCESS} or {@link #RESPONSE_INVALID}
     */
    void pageResponse(PageRequest request, int response);

    /** iommufd's IOMMUFD_PAGE_RESP_SUCCESS. */
    int RESPONSE_SUCCESS = 0;
    /** iommufd's IOMMUFD_PAGE_RESP_INVALID. */
    int RESPONSE_INVALID = 1;

    /**
     * The structures a translation of {@code iova} by (device, PASID) goes through, decoded with the spec's field
     * names, from the first the unit looks up (root or stream table entry) to the leaf: for {@code tables}.
     * A unit that cannot say returns an empty list.
     */
    default java.util.List<DecodedEntry> describePath(PciDevice device, int pasid, long iova) {
        return java.util.List.of();
    }

    /**
     * The vendor data of a hw_info this unit returned, its registers decoded field by field with the spec's names
     * (CAP_REG and ECAP_REG for VT-d, IDR0 to IDR5 for SMMUv3), for people; empty when there is nothing to decode.
     */
    default List<DecodedEntry> describeHwInfo(HwInfo info) {
        return List.of();
    }

    /** Cache and fault counters. */
    UnitStats stats();

    /** The unit's event log, decoded, oldest first. */
    List<UnitEvent> events();
}
