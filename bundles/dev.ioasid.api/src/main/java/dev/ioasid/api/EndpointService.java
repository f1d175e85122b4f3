package dev.ioasid.api;

import org.osgi.annotation.versioning.ProviderType;

/**
 * Devices in a context, and the endpoints through which they reach page tables: a device by its RID, or by
 * (RID, PASID). A bound device is blocked (no DMA gets through) until something is attached.
 */
@ProviderType
public interface EndpointService {

    /**
     * Binds a machine device into a context.
     *
     * @return the device id in the context
     * @throws IommuException ENODEV if the machine has no such device, EBUSY if it is bound (anywhere)
     */
    int bind(Context ctx, PciAddress device);

    /** Detaches everything from the device and unbinds it; it is blocked again. @throws IommuException ENOENT */
    void unbind(Context ctx, int devId);

    /**
     * Attaches the device's RID to an IOAS (through an automatic paging HWPT, reused when compatible) or to an
     * HWPT.
     *
     * @return the HWPT id now in use
     * @throws IommuException EBUSY when the RID is already attached (use replace); EINVAL when the HWPT does not
     *                        fit the device; EADDRINUSE when the device's reserved regions hit existing mappings;
     *                        ENODEV when the device's unit has no backend
     */
    int attach(Context ctx, int devId, int ptId);

    /**
     * Attaches (RID, PASID) to an HWPT (IOAS is EINVAL: PASIDs need an HWPT allocated with
     * {@link HwptFlags#PASID}).
     *
     * @throws IommuException EINVAL for a device without PASID, a PASID beyond its width, an IOAS, or an HWPT
     *                        without the PASID flag; EBUSY when the PASID is already attached
     */
    int attach(Context ctx, int devId, int ptId, int pasid);

    /** Replaces what the RID is attached to. @throws IommuException EINVAL when it is not attached */
    int replace(Context ctx, int devId, int ptId);

    /** Replaces what (RID, PASID) is attached to. @throws IommuException EINVAL when it is not attached */
    int replace(Context ctx, int devId, int ptId, int pasid);

    /** Detaches the RID; it is blocked afterwards. Detaching what is not attached does nothing, as in Linux. */
    void detach(Context ctx, int devId);

    /** Detaches (RID, PASID); it is blocked afterwards. Detaching what is not attached does nothing. */
    void detach(Context ctx, int devId, int pasid);

    /**
     * IOMMU_GET_HW_INFO with the default type. @throws IommuException ENODEV when the unit has no backend
     */
    HwInfo hwInfo(Context ctx, int devId);

    /**
     * IOMMU_GET_HW_INFO with IOMMU_HW_INFO_FLAG_INPUT_TYPE.
     *
     * @throws IommuException EOPNOTSUPP when the unit does not report {@code type}
     */
    HwInfo hwInfo(Context ctx, int devId, int type);

    /** The device as the context sees it. */
    DeviceInfo device(Context ctx, int devId);
}
