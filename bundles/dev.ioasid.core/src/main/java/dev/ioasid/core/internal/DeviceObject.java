package dev.ioasid.core.internal;

import java.util.List;
import java.util.TreeMap;

import dev.ioasid.api.ObjectType;
import dev.ioasid.machine.Access;
import dev.ioasid.machine.PciDevice;

/**
 * A machine device bound into a context. Its attachments map a PASID ({@link Access#NO_PASID} for the RID) to
 * the HWPT it translates through; anything not in the map is blocked. Guarded by the context's lock.
 */
final class DeviceObject extends IommuObject {
    final PciDevice device;
    final UnitState unit;
    final TreeMap<Integer, Hwpt> attached = new TreeMap<>();
    /** the IOAS holding this device's reserved regions (those are enforced for the RID only) */
    IoasObject reservedIn;

    DeviceObject(ContextImpl ctx, PciDevice device, UnitState unit) {
        super(ctx, ObjectType.DEVICE);
        this.device = device;
        this.unit = unit;
    }

    @Override
    List<Integer> dependsOn() {
        return List.of();
    }

    @Override
    String detail() {
        StringBuilder sb = new StringBuilder();
        sb.append(device.address()).append(' ').append(device.name()).append(", unit ").append(unit.id);
        if (attached.isEmpty()) {
            sb.append(", blocked");
        }
        attached.forEach((pasid, h) -> sb.append(pasid == Access.NO_PASID ? ", RID" : ", PASID " + pasid).append(" -> HWPT ").append(h.id));
        return sb.toString();
    }

    @Override
    void destroy() {
        ctx.core.endpoints.unbindLocked(this);
    }
}
