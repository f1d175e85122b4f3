package dev.ioasid.machine;

/**
 * What a PCI function can do on the IOMMU side.
 *
 * @param pasidWidth PASID bits, 0 (no PASID capability) to 20
 * @param ats        Address Translation Services
 * @param pri        Page Request Interface (recoverable IO page faults)
 * @param pasidExec  the PASID capability's Execute Permission Supported bit
 * @param pasidPriv  the PASID capability's Privileged Mode Supported bit
 */
public record DeviceCapabilities(int pasidWidth, boolean ats, boolean pri, boolean pasidExec, boolean pasidPriv) {
    public static final DeviceCapabilities NONE = new DeviceCapabilities(0, false, false, false, false);

    public DeviceCapabilities {
        if (pasidWidth < 0 || pasidWidth > 20) {
            throw new IllegalArgumentException("PASID width must be 0 to 20: " + pasidWidth);
        }
    }

    public boolean hasPasid() {
        return pasidWidth > 0;
    }

    @Override
    public String toString() {
        StringBuilder sb = new StringBuilder();
        sb.append(pasidWidth > 0 ? "pasid=" + pasidWidth : "no-pasid");
        if (ats) sb.append(" ats");
        if (pri) sb.append(" pri");
        if (pasidExec) sb.append(" exec");
        if (pasidPriv) sb.append(" priv");
        return sb.toString();
    }
}
