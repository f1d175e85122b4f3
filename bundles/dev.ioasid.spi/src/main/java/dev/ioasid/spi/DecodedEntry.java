package dev.ioasid.spi;

import java.util.LinkedHashMap;
import java.util.Map;

/**
 * One hardware structure on a device's translation path, decoded for people: its name as the spec calls it
 * (root entry, context entry, PASID entry, STE, CD, PTE level 2...), where it lives in physical memory, and its
 * fields by the spec's names, in order.
 */
public record DecodedEntry(String structure, long address, Map<String, String> fields) {
    public DecodedEntry {
        fields = java.util.Collections.unmodifiableMap(new LinkedHashMap<>(fields));
    }

    @Override
    public String toString() {
        StringBuilder sb = new StringBuilder();
        sb.append(structure).append(address >= 0 ? String.format(" @ 0x%x", address) : "").append(':');
        fields.forEach((k, v) -> sb.append(' ').append(k).append('=').append(v));
        return sb.toString();
    }
}
