package dev.ioasid.api;

import java.util.Map;

/**
 * A bound device as its context sees it.
 *
 * @param devId      the device id in the context
 * @param address    where it sits on PCI
 * @param unit       the id of the IOMMU unit it sits behind
 * @param pasidWidth the PASID bits it supports (0: none)
 * @param ridHwpt    the HWPT attached to the RID, 0 when blocked
 * @param pasidHwpts the HWPT attached to each PASID
 */
public record DeviceInfo(int devId, PciAddress address, String unit, int pasidWidth, int ridHwpt, Map<Integer, Integer> pasidHwpts) {
    public DeviceInfo {
        pasidHwpts = Map.copyOf(pasidHwpts);
    }
}
