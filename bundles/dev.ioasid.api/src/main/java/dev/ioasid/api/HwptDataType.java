package dev.ioasid.api;

/**
 * Vendor data types: of HWPT allocation ({@code enum iommu_hwpt_data_type}), and of invalidation entries
 * ({@code enum iommu_hwpt_invalidate_data_type}), with iommufd's values.
 */
public final class HwptDataType {
    private HwptDataType() {
    }

    /** No data: a paging HWPT. */
    public static final int NONE = 0;
    /** {@code iommu_hwpt_vtd_s1}: flags (SRE, EAFE, WPE), pgtbl_addr, addr_width. 24 bytes. */
    public static final int VTD_S1 = 1;
    /** {@code iommu_hwpt_arm_smmuv3}: ste[2]. 16 bytes. */
    public static final int ARM_SMMUV3 = 2;
    /** {@code iommu_hwpt_amd_guest}: dte[4]. 32 bytes. */
    public static final int AMD_GUEST = 3;
    /** The selftest's mock data {@code iommu_hwpt_selftest}. */
    public static final int SELFTEST = 0xdead;

    /** Invalidation entry {@code iommu_hwpt_vtd_s1_invalidate}: addr, npages, flags (LEAF). 24 bytes. */
    public static final int INVALIDATE_VTD_S1 = 0;
    /** Invalidation entry {@code iommu_viommu_arm_smmuv3_invalidate}: cmd[2]. 16 bytes. */
    public static final int INVALIDATE_ARM_SMMUV3 = 1;
    /** The selftest's mock invalidation entry {@code iommu_hwpt_invalidate_selftest}: flags, iotlb_id. */
    public static final int INVALIDATE_SELFTEST = 0xdeadbeef;
}
