package dev.ioasid.backend.smmuv3;

import org.osgi.annotation.versioning.ProviderType;

import dev.ioasid.machine.PciDevice;
import dev.ioasid.spi.NestedDomain;

/**
 * A guest's SMMU (iommufd's vIOMMU of type ARM_SMMUV3) on a stage-2 parent: virtual StreamIDs of its vDEVICEs,
 * the guest's invalidation commands, and the event records of its devices (for a vEVENTQ).
 */
@ProviderType
public interface VirtualSmmu {

    /** The VMID of the parent: it tags every TLB entry of the guest. */
    int vmid();

    /**
     * IOMMU_VDEVICE_ALLOC: the device is the guest's StreamID {@code virtualSid}.
     *
     * @throws dev.ioasid.api.IommuException EEXIST for a virtual StreamID or a device already mapped, EINVAL for
     *                                       a device of another unit or a virtual StreamID above 32 bits
     */
    void vdeviceAdd(long virtualSid, PciDevice device);

    /** @throws dev.ioasid.api.IommuException ENOENT when the virtual StreamID is not mapped */
    void vdeviceRemove(long virtualSid);

    /**
     * The guest's commands ({@code le64 cmd[2]} each), with virtual StreamIDs translated and the VMID filled in.
     *
     * @return entryNum
     * @throws dev.ioasid.api.IommuException EIO for an unsupported command or an unknown virtual StreamID,
     *                                       with progress() = entries handled
     */
    int invalidate(byte[] entries, int entryLen, int entryNum);

    /** Receives the event records of the vDEVICEs (not stage-2 faults), StreamID rewritten to the virtual one. */
    @FunctionalInterface
    interface EventSink {
        void event(long virtualSid, byte[] record);
    }

    /** Where event records go; null stops routing them (they reach the core's event path again). */
    void eventSink(EventSink sink);

    /** A nested domain of the guest's STE ({@code iommu_hwpt_arm_smmuv3}) on this vIOMMU's parent. */
    NestedDomain allocNested(PciDevice device, int flags, byte[] data);

    /** Removes every vDEVICE and event route. */
    void free();
}
