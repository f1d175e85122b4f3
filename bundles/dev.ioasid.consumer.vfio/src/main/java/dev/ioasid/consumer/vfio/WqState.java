package dev.ioasid.consumer.vfio;

/**
 * A work queue as the device's registers hold it.
 *
 * @param wq      its index
 * @param enabled whether it accepts descriptors
 * @param pasid   the PASID its DMA is tagged with, or {@link VfioDevice#NO_PASID}
 */
public record WqState(int wq, boolean enabled, int pasid) {
    @Override
    public String toString() {
        return "wq" + wq + (enabled ? pasid == VfioDevice.NO_PASID ? " enabled, RID" : " enabled, PASID " + pasid : " disabled");
    }
}
