package dev.ioasid.api;

/** {@code enum iommu_hw_info_type}, with iommufd's values. */
public final class HwInfoType {
    private HwInfoType() {
    }

    /** With the INPUT_TYPE flag clear: whatever the unit reports. */
    public static final int DEFAULT = 0;
    public static final int INTEL_VTD = 1;
    public static final int ARM_SMMUV3 = 2;
    public static final int TEGRA241_CMDQV = 3;
    public static final int AMD = 4;
    /** The selftest's mock ({@code IOMMU_HW_INFO_TYPE_SELFTEST}). */
    public static final int SELFTEST = 0xfeedbeef;
}
