package dev.ioasid.api;

/** Flags of HWPT allocation, with iommufd's values ({@code enum iommufd_hwpt_alloc_flags}). */
public final class HwptFlags {
    private HwptFlags() {
    }

    /** The paging HWPT may be the parent of nested HWPTs (stage 2). */
    public static final int NEST_PARENT = 1;
    /** The paging HWPT tracks dirty pages; the device's unit must support it (EOPNOTSUPP). */
    public static final int DIRTY_TRACKING = 2;
    /** The faultId of the request names a fault queue that receives this HWPT's recoverable faults. */
    public static final int FAULT_ID_VALID = 4;
    /** The HWPT may be attached to a PASID. */
    public static final int PASID = 8;

    public static final int ALL = NEST_PARENT | DIRTY_TRACKING | FAULT_ID_VALID | PASID;

    public static String describe(int flags) {
        StringBuilder sb = new StringBuilder();
        if ((flags & NEST_PARENT) != 0) sb.append("nest_parent ");
        if ((flags & DIRTY_TRACKING) != 0) sb.append("dirty_tracking ");
        if ((flags & FAULT_ID_VALID) != 0) sb.append("fault ");
        if ((flags & PASID) != 0) sb.append("pasid ");
        return sb.toString().trim();
    }
}
