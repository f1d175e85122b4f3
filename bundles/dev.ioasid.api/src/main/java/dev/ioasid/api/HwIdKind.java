package dev.ioasid.api;

/**
 * What kind of hardware id tags the DMA behind an IOASID ([T5]: "a generic ID backed by PASID, Substream ID, or
 * any other HW IDs used to tag DMA").
 */
public enum HwIdKind {
    /** A PCIe PASID (Intel VT-d, AMD-Vi, any PCIe function). */
    PCI_PASID,
    /** An Arm SMMU SubstreamID. */
    SMMU_SSID
}
