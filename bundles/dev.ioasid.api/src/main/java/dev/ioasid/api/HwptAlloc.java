package dev.ioasid.api;

/**
 * An IOMMU_HWPT_ALLOC request.
 *
 * @param devId    the device the HWPT is made for (its unit decides the format)
 * @param ptId     an IOAS (makes a paging HWPT) or a NEST_PARENT paging HWPT (makes a nested one)
 * @param flags    {@link HwptFlags}
 * @param faultId  a fault queue id when {@link HwptFlags#FAULT_ID_VALID} is set
 * @param dataType {@link HwptDataType}; {@link HwptDataType#NONE} for paging
 * @param data     the vendor structure, little-endian as in the uAPI; null or empty for none
 */
public record HwptAlloc(int devId, int ptId, int flags, int faultId, int dataType, byte[] data) {

    public HwptAlloc {
        data = data == null ? new byte[0] : data.clone();
    }

    /** A paging HWPT on an IOAS. */
    public static HwptAlloc paging(int devId, int ioasId, int flags) {
        return new HwptAlloc(devId, ioasId, flags, 0, HwptDataType.NONE, null);
    }

    /** A nested HWPT on a NEST_PARENT parent, with vendor data. */
    public static HwptAlloc nested(int devId, int parentId, int dataType, byte[] data) {
        return new HwptAlloc(devId, parentId, 0, 0, dataType, data);
    }

    /** The same request with other flags. */
    public HwptAlloc withFlags(int newFlags) {
        return new HwptAlloc(devId, ptId, newFlags, faultId, dataType, data);
    }

    /** The same request with a fault queue (sets FAULT_ID_VALID). */
    public HwptAlloc withFault(int queueId) {
        return new HwptAlloc(devId, ptId, flags | HwptFlags.FAULT_ID_VALID, queueId, dataType, data);
    }

    @Override
    public byte[] data() {
        return data.clone();
    }
}
