package dev.ioasid.machine;

import java.util.Map;

import dev.ioasid.api.PciAddress;

/**
 * A PCI function of the machine, behind exactly one IOMMU unit.
 *
 * @param address    segment, bus, device, function
 * @param name       a short name for people (e.g. {@code dsa0})
 * @param unit       the id of the IOMMU unit it sits behind
 * @param caps       PASID, ATS and PRI capabilities
 * @param properties model-specific settings from the machine description (e.g. {@code wqs=4})
 */
public record PciDevice(PciAddress address, String name, String unit, DeviceCapabilities caps, Map<String, String> properties) {
    public PciDevice {
        properties = Map.copyOf(properties);
    }

    /** The requester id that tags this function's DMA. */
    public int rid() {
        return address.rid();
    }

    public String property(String key, String fallback) {
        return properties.getOrDefault(key, fallback);
    }

    @Override
    public String toString() {
        return address + " " + name;
    }
}
