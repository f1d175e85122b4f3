package dev.ioasid.core.internal;

import java.util.List;
import java.util.TreeMap;

import dev.ioasid.api.ObjectType;
import dev.ioasid.machine.PciDevice;
import dev.ioasid.spi.Viommu;

/**
 * A vIOMMU (iommufd VIOMMU object): a VM's virtual IOMMU on a NEST_PARENT paging HWPT. Its users are the nested
 * HWPTs made on it, its virtual devices and its vEVENTQ. Its hardware instance belongs to the unit's current
 * backend and is null while the unit has none. Guarded by the context's lock.
 */
final class ViommuObject extends IommuObject {
    final UnitState unit;
    final HwptPaging parent;
    final int viommuType;
    final byte[] data;
    final PciDevice madeFor;
    volatile Viommu hw;
    /** virtual id to virtual device */
    final TreeMap<Long, VdeviceObject> vdevices = new TreeMap<>();
    /** its one vEVENTQ (iommufd allows one per type; SMMUv3 has one type) */
    volatile EventQueueObject veventq;
    String broken;

    ViommuObject(ContextImpl ctx, UnitState unit, HwptPaging parent, int viommuType, byte[] data, PciDevice madeFor) {
        super(ctx, ObjectType.VIOMMU);
        this.unit = unit;
        this.parent = parent;
        this.viommuType = viommuType;
        this.data = data.clone();
        this.madeFor = madeFor;
    }

    /** Routes the hardware's event records of virtual devices to the vEVENTQ, if there is one. */
    void connectEvents() {
        Viommu v = hw;
        if (v != null) {
            v.eventSink((virtId, record) -> {
                EventQueueObject q = veventq;
                if (q != null) {
                    q.offer(unit.id, "vdevice " + virtId, record);
                }
            });
        }
    }

    @Override
    List<Integer> dependsOn() {
        return List.of(parent.id);
    }

    @Override
    String detail() {
        Viommu v = hw;
        return String.format("type %d on HWPT %d, unit %s, %s, %d vdevice(s)%s", viommuType, parent.id, unit.id,
                v != null ? "tag " + v.tag() : broken != null ? "BROKEN: " + broken : "backend missing", vdevices.size(),
                veventq == null ? "" : ", vEVENTQ " + veventq.id);
    }

    @Override
    void destroy() {
        Viommu v = hw;
        hw = null;
        if (v != null) {
            try {
                v.eventSink(null);
                v.free();
            } catch (RuntimeException e) {
                org.slf4j.LoggerFactory.getLogger(ViommuObject.class).warn("vIOMMU {}: free failed: {}", id, e.toString());
            }
        }
        parent.users--;
    }
}
