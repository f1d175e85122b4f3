package dev.ioasid.machine;

import java.util.Map;

/**
 * An IOMMU unit of the machine: its id, which vendor's hardware it is ({@code mock}, {@code vtd},
 * {@code smmuv3}, ...), and settings for the backend (e.g. {@code profile=server}).
 */
public record UnitDescription(String id, String vendor, Map<String, String> properties) {
    public UnitDescription {
        properties = Map.copyOf(properties);
    }

    public String property(String key, String fallback) {
        return properties.getOrDefault(key, fallback);
    }

    public long longProperty(String key, long fallback) {
        String v = properties.get(key);
        return v == null ? fallback : MachineDescription.parseSize(v);
    }
}
