package dev.ioasid.backend.smmuv3.internal;

import java.util.HashMap;
import java.util.Map;

import dev.ioasid.api.Errno;
import dev.ioasid.api.HwptDataType;
import dev.ioasid.api.IommuException;
import dev.ioasid.backend.smmuv3.VirtualSmmu;
import dev.ioasid.machine.PciDevice;
import dev.ioasid.spi.NestedDomain;

/** A guest's SMMU on a stage 2 parent: the vSID map, guest commands, and the event route of its devices. */
final class VirtualSmmuImpl implements VirtualSmmu, dev.ioasid.spi.Viommu {
    private final Smmuv3Unit unit;
    private final SmmuDomain parent;
    /** virtual StreamID to physical; guarded by this */
    private final Map<Long, Integer> vdevices = new HashMap<>();
    private volatile EventSink sink;
    private boolean freed;

    VirtualSmmuImpl(Smmuv3Unit unit, SmmuDomain parent) {
        this.unit = unit;
        this.parent = parent;
    }

    @Override
    public int vmid() {
        return parent.vmid();
    }

    @Override
    public synchronized void vdeviceAdd(long virtualSid, PciDevice device) {
        if (freed) {
            throw IommuException.of(Errno.ENOENT, "the vIOMMU was freed");
        }
        if (virtualSid < 0 || virtualSid > 0xffff_ffffL) {
            throw IommuException.of(Errno.EINVAL, "virtual StreamID 0x%x is not 32 bits", virtualSid);
        }
        int sid = unit.streamOf(device);
        if (vdevices.containsKey(virtualSid)) {
            throw IommuException.of(Errno.EEXIST, "virtual StreamID 0x%x is already a vDEVICE", virtualSid);
        }
        if (vdevices.containsValue(sid)) {
            throw IommuException.of(Errno.EEXIST, "device %s already has a vDEVICE on this vIOMMU", device.address());
        }
        vdevices.put(virtualSid, sid);
        unit.routeEvents(sid, record -> {
            EventSink s = sink;
            if (s == null) {
                return false;
            }
            s.event(virtualSid, EventRecord.fromBytes(record).withStreamID((int) virtualSid).toBytes());
            return true;
        });
    }

    @Override
    public synchronized void vdeviceRemove(long virtualSid) {
        Integer sid = vdevices.remove(virtualSid);
        if (sid == null) {
            throw IommuException.of(Errno.ENOENT, "no vDEVICE with virtual StreamID 0x%x", virtualSid);
        }
        unit.unrouteEvents(sid);
    }

    private synchronized int[] physical(int virtualSid) {
        Integer sid = vdevices.get(Integer.toUnsignedLong(virtualSid));
        return sid == null ? null : new int[] { sid };
    }

    @Override
    public int invalidate(byte[] entries, int entryLen, int entryNum) {
        return unit.guestCommands().execute(parent.vmid(), this::physical, entries, entryLen, entryNum);
    }

    @Override
    public void eventSink(EventSink s) {
        this.sink = s;
    }

    @Override
    public NestedDomain allocNested(PciDevice device, int flags, byte[] data) {
        return unit.allocNested(device, parent, flags, HwptDataType.ARM_SMMUV3, data);
    }

    // ---------------------------------------------------------------- the core's view (spi.Viommu)

    @Override
    public long tag() {
        return vmid();
    }

    @Override
    public void addVdevice(long virtId, PciDevice device) {
        vdeviceAdd(virtId, device);
    }

    @Override
    public void removeVdevice(long virtId) {
        vdeviceRemove(virtId);
    }

    @Override
    public int invalidate(int dataType, int entryLen, byte[] entries, int entryNum) {
        if (dataType != HwptDataType.INVALIDATE_ARM_SMMUV3) {
            throw IommuException.of(Errno.EOPNOTSUPP, "the SMMUv3 vIOMMU takes invalidation data type %d, not %d",
                    HwptDataType.INVALIDATE_ARM_SMMUV3, dataType).withProgress(0);
        }
        return invalidate(entries, entryLen, entryNum);
    }

    @Override
    public NestedDomain allocNested(PciDevice device, int flags, int dataType, byte[] data) {
        if (dataType != HwptDataType.ARM_SMMUV3) {
            throw IommuException.of(Errno.EOPNOTSUPP, "the SMMUv3 vIOMMU nests with data type %d, not %d", HwptDataType.ARM_SMMUV3, dataType);
        }
        return allocNested(device, flags, data);
    }

    @Override
    public void eventSink(dev.ioasid.spi.ViommuEventSink s) {
        this.sink = s == null ? null : s::event;
    }

    @Override
    public synchronized void free() {
        for (int sid : vdevices.values()) {
            unit.unrouteEvents(sid);
        }
        vdevices.clear();
        sink = null;
        freed = true;
    }

    @Override
    public String toString() {
        return "vSMMU on VMID " + parent.vmid() + " " + vdevices;
    }
}
