package dev.ioasid.core.internal;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;

import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import dev.ioasid.api.DeviceInfo;
import dev.ioasid.api.Errno;
import dev.ioasid.api.HwInfo;
import dev.ioasid.api.HwptDataType;
import dev.ioasid.api.IommuException;
import dev.ioasid.api.ObjectType;
import dev.ioasid.api.PciAddress;
import dev.ioasid.machine.Access;
import dev.ioasid.machine.PciDevice;
import dev.ioasid.spi.Domain;
import dev.ioasid.spi.IommuUnit;
import dev.ioasid.spi.PagingDomain;

/**
 * Devices and their endpoints: bind and unbind, attach, replace and detach by RID or (RID, PASID), with
 * iommufd's rules (device.c): automatic paging HWPTs reused when compatible, PASID compatibility, reserved
 * regions enforced at RID attach, and an automatic HWPT freed when its last endpoint goes.
 */
final class Endpoints {
    private static final Logger LOG = LoggerFactory.getLogger(Endpoints.class);
    private final IommuCore core;

    Endpoints(IommuCore core) {
        this.core = core;
    }

    int bind(ContextImpl c, PciAddress address) {
        PciDevice dev = core.machine.device(address);
        core.lock.lock();
        try {
            c.lock.lock();
            try {
                c.checkOpen();
                DeviceObject owner = core.bound.get(address);
                if (owner != null) {
                    throw IommuException.of(Errno.EBUSY, "device %s is bound to context %s as device %d", address, owner.ctx.name(), owner.id);
                }
                DeviceObject d = new DeviceObject(c, dev, core.unit(dev.unit()));
                c.objects.reserve(d);
                c.objects.finalize(d);
                core.bound.put(address, d);
                LOG.debug("context {}: bound {} as device {}", c.name(), address, d.id);
                return d.id;
            } finally {
                c.lock.unlock();
            }
        } finally {
            core.lock.unlock();
        }
    }

    void unbind(ContextImpl c, int devId) {
        core.lock.lock();
        try {
            c.lock.lock();
            try {
                c.checkOpen();
                DeviceObject d = c.objects.get(devId, DeviceObject.class, "device");
                core.destroyObject(d);
            } finally {
                c.lock.unlock();
            }
        } finally {
            core.lock.unlock();
        }
    }

    /** Detaches everything and gives the device back to the machine. Core and context locks held. */
    void unbindLocked(DeviceObject d) {
        for (int pasid : new ArrayList<>(d.attached.descendingKeySet())) {
            detachLocked(d, pasid);
        }
        // its virtual devices go with it (later DESTROY of their ids is ENOENT)
        for (IommuObject o : d.ctx.objects.all()) {
            if (o instanceof VdeviceObject && ((VdeviceObject) o).device == d && !o.destroyed) {
                core.destroyObject(o);
            }
        }
        core.bound.remove(d.device.address(), d);
        LOG.debug("context {}: unbound {}", d.ctx.name(), d.device.address());
    }

    private static void checkPasid(DeviceObject d, int pasid) {
        if (pasid == Access.NO_PASID) {
            return;
        }
        int width = d.device.caps().pasidWidth();
        if (pasid < 0 || width == 0 || pasid >= (1 << width)) {
            throw IommuException.of(Errno.EINVAL, "device %s has no PASID %d (its PASID width is %d)", d.device.address(), pasid, width);
        }
    }

    /** attach or replace, to an HWPT or to an IOAS (through an automatic HWPT). Returns the HWPT id used. */
    int change(ContextImpl c, int devId, int ptId, int pasid, boolean replace) {
        c.lock.lock();
        try {
            c.checkOpen();
            DeviceObject d = c.objects.get(devId, DeviceObject.class, "device");
            checkPasid(d, pasid);
            IommuObject pt = c.objects.get(ptId);
            if (!replace && d.attached.containsKey(pasid)) {
                throw IommuException.of(Errno.EBUSY, "%s is already attached to HWPT %d; use replace",
                        new Endpoint(d, pasid), d.attached.get(pasid).id);
            }
            if (replace && !d.attached.containsKey(pasid)) {
                throw IommuException.of(Errno.EINVAL, "%s is not attached; use attach", new Endpoint(d, pasid));
            }
            switch (pt.type) {
            case HWPT_PAGING:
            case HWPT_NESTED:
                if (replace) {
                    replaceTo(d, pasid, (Hwpt) pt);
                } else {
                    attachTo(d, pasid, (Hwpt) pt);
                }
                return pt.id;
            case IOAS:
                return autoDomain(d, pasid, (IoasObject) pt, replace);
            default:
                throw IommuException.of(Errno.EINVAL, "object %d is a %s; attach takes an IOAS or an HWPT", ptId, pt.type);
            }
        } finally {
            c.lock.unlock();
        }
    }

    /** iommufd's PASID compatibility rule between the RID's HWPT and the PASIDs' HWPTs. */
    private static void checkPasidCompat(Hwpt hwpt, DeviceObject d, int pasid) {
        if (pasid == Access.NO_PASID) {
            if (!hwpt.pasidCompatible() && d.attached.keySet().stream().anyMatch(p -> p != Access.NO_PASID)) {
                throw IommuException.of(Errno.EINVAL, "device %s has PASIDs attached; its RID needs an HWPT allocated with the PASID flag",
                        d.device.address());
            }
        } else {
            if (!hwpt.pasidCompatible()) {
                throw IommuException.of(Errno.EINVAL, "HWPT %d was not allocated with the PASID flag", hwpt.id);
            }
            Hwpt rid = d.attached.get(Access.NO_PASID);
            if (rid != null && !rid.pasidCompatible()) {
                throw IommuException.of(Errno.EINVAL, "the RID of %s is on HWPT %d, which was not allocated with the PASID flag",
                        d.device.address(), rid.id);
            }
        }
    }

    private static Domain checkFits(DeviceObject d, int pasid, Hwpt hwpt) {
        if (hwpt.unit != d.unit) {
            throw IommuException.of(Errno.EINVAL, "HWPT %d belongs to unit %s but device %s sits behind %s", hwpt.id, hwpt.unit.id,
                    d.device.address(), d.unit.id);
        }
        checkPasidCompat(hwpt, d, pasid);
        if (hwpt instanceof HwptNested && ((HwptNested) hwpt).viommu != null
                && ((HwptNested) hwpt).viommu.vdevices.values().stream().noneMatch(v -> v.device == d)) {
            throw IommuException.of(Errno.ENOENT, "device %s has no virtual device on vIOMMU %d: allocate one first", d.device.address(),
                    ((HwptNested) hwpt).viommu.id);
        }
        Domain dom = hwpt.domain();
        if (dom == null) {
            throw IommuException.of(Errno.ENODEV, "HWPT %d has no hardware domain: %s", hwpt.id, hwpt.state());
        }
        return dom;
    }

    /** Reserves the device's regions (MSI windows) in an IOAS, for a RID attach. */
    private static void enforceRegions(DeviceObject d, IoasObject ioas) {
        IommuUnit b = d.unit.requireBackend();
        ioas.table.reserveAll(b.reservedRegions(d.device), d);
    }

    private void backendAttach(DeviceObject d, int pasid, Domain dom) {
        try {
            d.unit.requireBackend().attach(d.device, pasid, dom);
        } catch (RuntimeException e) {
            throw IoPageTable.guard(e);
        }
    }

    void attachTo(DeviceObject d, int pasid, Hwpt hwpt) {
        if (d.attached.containsKey(pasid)) {
            throw IommuException.of(Errno.EBUSY, "%s is already attached to HWPT %d; use replace",
                    new Endpoint(d, pasid), d.attached.get(pasid).id);
        }
        Domain dom = checkFits(d, pasid, hwpt);
        boolean rid = pasid == Access.NO_PASID;
        if (rid) {
            enforceRegions(d, hwpt.ioas());
        }
        try {
            backendAttach(d, pasid, dom);
        } catch (RuntimeException e) {
            if (rid) {
                hwpt.ioas().table.unreserve(d);
            }
            throw e;
        }
        if (rid) {
            d.reservedIn = hwpt.ioas();
        }
        d.attached.put(pasid, hwpt);
        hwpt.users++;
        hwpt.endpoints.add(new Endpoint(d, pasid));
        LOG.debug("context {}: {} attached to HWPT {}", d.ctx.name(), new Endpoint(d, pasid), hwpt.id);
    }

    void replaceTo(DeviceObject d, int pasid, Hwpt hwpt) {
        Hwpt old = d.attached.get(pasid);
        if (old == null) {
            throw IommuException.of(Errno.EINVAL, "%s is not attached; use attach", new Endpoint(d, pasid));
        }
        if (old == hwpt) {
            return;
        }
        Domain dom = checkFits(d, pasid, hwpt);
        boolean newRegions = pasid == Access.NO_PASID && hwpt.ioas() != d.reservedIn;
        if (newRegions) {
            enforceRegions(d, hwpt.ioas());
        }
        try {
            backendAttach(d, pasid, dom);
        } catch (RuntimeException e) {
            if (newRegions) {
                hwpt.ioas().table.unreserve(d);
            }
            throw e;
        }
        if (newRegions) {
            if (d.reservedIn != null) {
                d.reservedIn.table.unreserve(d);
            }
            d.reservedIn = hwpt.ioas();
        }
        d.attached.put(pasid, hwpt);
        hwpt.users++;
        hwpt.endpoints.add(new Endpoint(d, pasid));
        old.users--;
        old.endpoints.remove(new Endpoint(d, pasid));
        core.faults.endpointLeft(old, d, pasid);
        LOG.debug("context {}: {} replaced HWPT {} by HWPT {}", d.ctx.name(), new Endpoint(d, pasid), old.id, hwpt.id);
        put(old);
    }

    void detach(ContextImpl c, int devId, int pasid) {
        c.lock.lock();
        try {
            c.checkOpen();
            DeviceObject d = c.objects.get(devId, DeviceObject.class, "device");
            detachLocked(d, pasid);
        } finally {
            c.lock.unlock();
        }
    }

    /** Blocks an endpoint. Detaching what is not attached does nothing, as in Linux. */
    void detachLocked(DeviceObject d, int pasid) {
        Hwpt old = d.attached.remove(pasid);
        if (old == null) {
            return;
        }
        IommuUnit b = d.unit.backend();
        if (b != null) {
            try {
                b.detach(d.device, pasid);
            } catch (RuntimeException e) {
                LOG.warn("unit {}: detach of {} failed: {}", d.unit.id, new Endpoint(d, pasid), e.toString());
            }
        }
        if (pasid == Access.NO_PASID && d.reservedIn != null) {
            d.reservedIn.table.unreserve(d);
            d.reservedIn = null;
        }
        old.users--;
        old.endpoints.remove(new Endpoint(d, pasid));
        core.faults.endpointLeft(old, d, pasid);
        LOG.debug("context {}: {} detached from HWPT {}: blocked", d.ctx.name(), new Endpoint(d, pasid), old.id);
        put(old);
    }

    /** Drops an automatic HWPT that nothing uses any more. */
    private void put(Hwpt h) {
        if (h instanceof HwptPaging && ((HwptPaging) h).auto && h.users == 0 && !h.destroyed) {
            core.destroyObject(h);
        }
    }

    /**
     * Attach or replace to an IOAS: the first automatic HWPT of the IOAS that takes the endpoint (EINVAL means
     * "does not fit, try the next"), else a new one, filled before it is attached.
     */
    private int autoDomain(DeviceObject d, int pasid, IoasObject ioas, boolean replace) {
        for (HwptPaging h : ioas.table.hwpts()) {
            if (!h.auto || h.destroyed || h.ctx != d.ctx) {
                continue;
            }
            try {
                if (replace) {
                    replaceTo(d, pasid, h);
                } else {
                    attachTo(d, pasid, h);
                }
                return h.id;
            } catch (IommuException e) {
                if (e.errno() != Errno.EINVAL) {
                    throw e;
                }
            }
        }
        IommuUnit b = d.unit.requireBackend();
        HwptPaging h = new HwptPaging(d.ctx, d.unit, ioas, 0, true, d.device, HwptDataType.NONE, new byte[0]);
        d.ctx.objects.reserve(h);
        PagingDomain dom = null;
        boolean added = false;
        try {
            try {
                dom = b.allocPaging(d.device, 0, HwptDataType.NONE, new byte[0]);
            } catch (RuntimeException e) {
                throw IoPageTable.guard(e);
            }
            h.domain(dom);
            ioas.table.addDomain(h, dom);
            added = true;
            if (replace) {
                replaceTo(d, pasid, h);
            } else {
                attachTo(d, pasid, h);
            }
        } catch (RuntimeException e) {
            if (added) {
                ioas.table.removeDomain(h);
            }
            h.domain(null);
            if (dom != null) {
                d.unit.guardedFree(dom);
            }
            d.ctx.objects.abort(h);
            throw e;
        }
        ioas.users++;
        d.ctx.objects.finalize(h);
        LOG.debug("context {}: automatic HWPT {} on IOAS {} for {}", d.ctx.name(), h.id, ioas.id, new Endpoint(d, pasid));
        return h.id;
    }

    HwInfo hwInfo(ContextImpl c, int devId, int type) {
        c.lock.lock();
        try {
            c.checkOpen();
            DeviceObject d = c.objects.get(devId, DeviceObject.class, "device");
            try {
                return d.unit.requireBackend().hwInfo(d.device, type);
            } catch (RuntimeException e) {
                throw IoPageTable.guard(e);
            }
        } finally {
            c.lock.unlock();
        }
    }

    DeviceInfo info(ContextImpl c, int devId) {
        c.lock.lock();
        try {
            c.checkOpen();
            DeviceObject d = c.objects.get(devId, DeviceObject.class, "device");
            Map<Integer, Integer> pasids = new TreeMap<>();
            d.attached.forEach((p, h) -> {
                if (p != Access.NO_PASID) {
                    pasids.put(p, h.id);
                }
            });
            Hwpt rid = d.attached.get(Access.NO_PASID);
            return new DeviceInfo(d.id, d.device.address(), d.unit.id, d.device.caps().pasidWidth(), rid == null ? 0 : rid.id, pasids);
        } finally {
            c.lock.unlock();
        }
    }

    /** Every endpoint of a unit in a context, for a rebuild. Context lock held. */
    static List<Endpoint> endpointsOn(ContextImpl c, UnitState unit) {
        List<Endpoint> out = new ArrayList<>();
        for (IommuObject o : c.objects.all()) {
            if (o.type == ObjectType.DEVICE && ((DeviceObject) o).unit == unit) {
                DeviceObject d = (DeviceObject) o;
                for (int pasid : d.attached.keySet()) {
                    out.add(new Endpoint(d, pasid));
                }
            }
        }
        return out;
    }
}
