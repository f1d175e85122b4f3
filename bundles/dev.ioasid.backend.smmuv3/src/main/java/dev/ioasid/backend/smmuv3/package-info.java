/**
 * What the SMMUv3 hardware model offers beyond the SPI, for the core's future vIOMMU, vDEVICE and vEVENTQ
 * objects: the {@link dev.ioasid.backend.smmuv3.Smmuv3Nesting} interface its {@code IommuUnit} services also
 * implement, and the {@link dev.ioasid.backend.smmuv3.VirtualSmmu} it makes. Guest commands are
 * {@code iommu_viommu_arm_smmuv3_invalidate {le64 cmd[2]}}; event records are the raw 32-byte SMMUv3 records.
 */
@org.osgi.annotation.bundle.Export
@org.osgi.annotation.versioning.Version("1.0.0")
package dev.ioasid.backend.smmuv3;
