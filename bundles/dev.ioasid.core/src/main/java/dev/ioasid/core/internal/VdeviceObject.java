package dev.ioasid.core.internal;

import java.util.List;

import dev.ioasid.api.ObjectType;
import dev.ioasid.spi.Viommu;

/**
 * A virtual device (iommufd VDEVICE): the id a guest knows a device by on its vIOMMU (a virtual stream id).
 * Unbinding the device destroys it. Guarded by the context's lock.
 */
final class VdeviceObject extends IommuObject {
    final ViommuObject viommu;
    final DeviceObject device;
    final long virtId;

    VdeviceObject(ContextImpl ctx, ViommuObject viommu, DeviceObject device, long virtId) {
        super(ctx, ObjectType.VDEVICE);
        this.viommu = viommu;
        this.device = device;
        this.virtId = virtId;
    }

    @Override
    List<Integer> dependsOn() {
        return List.of(viommu.id, device.id);
    }

    @Override
    String detail() {
        return String.format("virtual id 0x%x on vIOMMU %d for %s", virtId, viommu.id, device.device.address());
    }

    @Override
    void destroy() {
        Viommu v = viommu.hw;
        if (v != null) {
            try {
                v.removeVdevice(virtId);
            } catch (RuntimeException e) {
                org.slf4j.LoggerFactory.getLogger(VdeviceObject.class).warn("vdevice {}: remove failed: {}", id, e.toString());
            }
        }
        viommu.vdevices.remove(virtId);
        viommu.users--;
    }
}
