package dev.ioasid.api;

/** {@code enum iommu_viommu_type} and {@code enum iommu_veventq_type}, with iommufd's values. */
public final class ViommuType {
    private ViommuType() {
    }

    public static final int DEFAULT = 0;
    /** An Arm SMMUv3 vIOMMU: guest invalidation commands {@code cmd[2]}, events {@code evt[4]}. */
    public static final int ARM_SMMUV3 = 1;
    public static final int TEGRA241_CMDQV = 2;

    /** vEVENTQ type of SMMUv3 event records ({@code iommu_vevent_arm_smmuv3 {le64 evt[4]}}). */
    public static final int VEVENTQ_ARM_SMMUV3 = 1;
}
