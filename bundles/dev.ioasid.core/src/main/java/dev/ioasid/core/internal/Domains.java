package dev.ioasid.core.internal;

import java.util.ArrayList;
import java.util.List;

import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import dev.ioasid.api.Area;
import dev.ioasid.api.Errno;
import dev.ioasid.api.HwptAlloc;
import dev.ioasid.api.HwptDataType;
import dev.ioasid.api.HwptFlags;
import dev.ioasid.api.IoasOption;
import dev.ioasid.api.IommuException;
import dev.ioasid.api.IovaRange;
import dev.ioasid.api.IovaRanges;
import dev.ioasid.api.MapFlags;
import dev.ioasid.api.MemFile;
import dev.ioasid.api.ObjectType;
import dev.ioasid.machine.PinnedPages;
import dev.ioasid.machine.UserAddressSpace;
import dev.ioasid.spi.IommuUnit;
import dev.ioasid.spi.NestedDomain;
import dev.ioasid.spi.PagingDomain;

/**
 * IOAS and HWPT operations with the argument checks of iommufd's ioas.c and hw_pagetable.c, in the same order,
 * so that the same bad call gets the same errno.
 */
final class Domains {
    private static final Logger LOG = LoggerFactory.getLogger(Domains.class);
    private static final long U64_MAX = -1L;

    private final IommuCore core;

    Domains(IommuCore core) {
        this.core = core;
    }

    int ioasAlloc(ContextImpl c) {
        c.lock.lock();
        try {
            c.checkOpen();
            IoasObject o = new IoasObject(c);
            c.objects.reserve(o);
            c.objects.finalize(o);
            LOG.debug("context {}: IOAS {}", c.name(), o.id);
            return o.id;
        } finally {
            c.lock.unlock();
        }
    }

    private static IoasObject ioas(ContextImpl c, int id) {
        return c.lookup(id, IoasObject.class, "IOAS");
    }

    private static void checkMapFlags(int flags, long iova, long length) {
        if ((flags & ~MapFlags.ALL) != 0) {
            throw IommuException.of(Errno.EOPNOTSUPP, "unknown map flags 0x%x", flags & ~MapFlags.ALL);
        }
        if (iova == U64_MAX || length == U64_MAX) {
            throw IommuException.of(Errno.EOVERFLOW, "IOVA 0x%x or length 0x%x is 2^64-1", iova, length);
        }
        if ((flags & (MapFlags.READABLE | MapFlags.WRITEABLE)) == 0) {
            throw IommuException.of(Errno.EINVAL, "a mapping must be READABLE, WRITEABLE or both");
        }
    }

    private static void checkSource(long addr, long length) {
        if (Long.compareUnsigned(addr + length, addr) < 0) {
            throw IommuException.of(Errno.EOVERFLOW, "0x%x + 0x%x wraps past 2^64", addr, length);
        }
        if (length == 0) {
            throw IommuException.of(Errno.EINVAL, "length 0");
        }
    }

    long ioasMap(ContextImpl c, int ioasId, long userVa, long length, long iova, int flags) {
        checkMapFlags(flags, iova, length);
        IoasObject ioas = ioas(c, ioasId);
        checkSource(userVa, length);
        UserAddressSpace mem = c.memory;
        return ioas.table.map(new IoPageTable.Source() {
            @Override
            public long alignmentAddress() {
                return userVa;
            }

            @Override
            public PinnedPages pin() {
                return mem.pin(userVa, length);
            }

            @Override
            public long userVa() {
                return userVa;
            }

            @Override
            public String file() {
                return null;
            }

            @Override
            public long fileOffset() {
                return 0;
            }
        }, iova, length, flags);
    }

    long ioasMapFile(ContextImpl c, int ioasId, MemFile file, long start, long length, long iova, int flags) {
        checkMapFlags(flags, iova, length);
        IoasObject ioas = ioas(c, ioasId);
        if (file == null) {
            throw IommuException.of(Errno.EBADF, "no file");
        }
        checkSource(start, length);
        UserAddressSpace mem = c.memory;
        return ioas.table.map(new IoPageTable.Source() {
            @Override
            public long alignmentAddress() {
                return start;
            }

            @Override
            public PinnedPages pin() {
                return mem.pin(file, start, length);
            }

            @Override
            public long userVa() {
                return -1;
            }

            @Override
            public String file() {
                return file.name();
            }

            @Override
            public long fileOffset() {
                return start;
            }
        }, iova, length, flags);
    }

    long ioasUnmap(ContextImpl c, int ioasId, long iova, long length) {
        IoasObject ioas = ioas(c, ioasId);
        if (iova == 0 && length == U64_MAX) {
            return ioas.table.unmapAll();
        }
        if (iova == U64_MAX || length == U64_MAX) {
            throw IommuException.of(Errno.EOVERFLOW, "IOVA 0x%x or length 0x%x is 2^64-1", iova, length);
        }
        return ioas.table.unmap(iova, length);
    }

    long ioasCopy(ContextImpl c, int dstIoasId, long dstIova, int srcIoasId, long srcIova, long length, int flags) {
        if ((flags & ~MapFlags.ALL) != 0) {
            throw IommuException.of(Errno.EOPNOTSUPP, "unknown copy flags 0x%x", flags & ~MapFlags.ALL);
        }
        if (length == U64_MAX || srcIova == U64_MAX || dstIova == U64_MAX) {
            throw IommuException.of(Errno.EOVERFLOW, "an IOVA or the length is 2^64-1");
        }
        if ((flags & (MapFlags.READABLE | MapFlags.WRITEABLE)) == 0) {
            throw IommuException.of(Errno.EINVAL, "a mapping must be READABLE, WRITEABLE or both");
        }
        IoasObject src = ioas(c, srcIoasId);
        List<IoPageTable.Piece> pieces = src.table.getPages(srcIova, length);
        try {
            IoasObject dst = ioas(c, dstIoasId);
            return dst.table.mapPieces(pieces, dstIova, flags);
        } catch (RuntimeException e) {
            pieces.forEach(p -> p.pages().release());
            throw e;
        }
    }

    IovaRanges ranges(ContextImpl c, int ioasId, int capacity) {
        IovaRanges r = ioas(c, ioasId).table.ranges();
        if (capacity >= 0 && r.ranges().size() > capacity) {
            throw IommuException.of(Errno.EMSGSIZE, "IOAS %d has %d IOVA ranges; the buffer holds %d", ioasId, r.ranges().size(), capacity)
                    .withProgress(r.ranges().size());
        }
        return r;
    }

    void allowIovas(ContextImpl c, int ioasId, List<IovaRange> allowed) {
        IoasObject ioas = ioas(c, ioasId);
        List<IovaRange> seen = new ArrayList<>();
        for (IovaRange r : allowed) {
            if (Long.compareUnsigned(r.start(), r.last()) >= 0) {
                throw IommuException.of(Errno.EINVAL, "allowed range %s is empty or a single byte", r);
            }
            for (IovaRange s : seen) {
                if (s.intersects(r)) {
                    throw IommuException.of(Errno.EINVAL, "allowed ranges %s and %s overlap", s, r);
                }
            }
            seen.add(r);
        }
        ioas.table.setAllowed(allowed);
    }

    List<Area> areas(ContextImpl c, int ioasId) {
        List<Area> out = new ArrayList<>();
        for (IoArea a : ioas(c, ioasId).table.areas()) {
            out.add(a.toApi());
        }
        return out;
    }

    void optionSet(ContextImpl c, IoasOption option, int objectId, long value) {
        switch (option) {
        case RLIMIT_MODE:
            if (objectId != 0) {
                throw IommuException.of(Errno.EOPNOTSUPP, "RLIMIT_MODE is global: object 0");
            }
            c.lock.lock();
            try {
                c.checkOpen();
                if (!c.objects.isEmpty()) {
                    throw IommuException.of(Errno.EBUSY, "context %s has objects; set RLIMIT_MODE first", c.name());
                }
                if (value != 0 && value != 1) {
                    throw IommuException.of(Errno.EINVAL, "RLIMIT_MODE is 0 or 1, not %d", value);
                }
                c.rlimitMode = (int) value;
            } finally {
                c.lock.unlock();
            }
            return;
        case HUGE_PAGES:
            IoasObject ioas = ioas(c, objectId);
            if (value != 0 && value != 1) {
                throw IommuException.of(Errno.EINVAL, "HUGE_PAGES is 0 or 1, not %d", value);
            }
            ioas.table.setHugePages(value == 1);
            return;
        default:
            throw IommuException.of(Errno.EOPNOTSUPP, "unknown option %s", option);
        }
    }

    long optionGet(ContextImpl c, IoasOption option, int objectId) {
        switch (option) {
        case RLIMIT_MODE:
            if (objectId != 0) {
                throw IommuException.of(Errno.EOPNOTSUPP, "RLIMIT_MODE is global: object 0");
            }
            return c.locked(() -> c.rlimitMode);
        case HUGE_PAGES:
            return ioas(c, objectId).table.hugePages() ? 1 : 0;
        default:
            throw IommuException.of(Errno.EOPNOTSUPP, "unknown option %s", option);
        }
    }

    int hwptAlloc(ContextImpl c, HwptAlloc req) {
        byte[] data = req.data();
        if ((req.dataType() == HwptDataType.NONE) != (data.length == 0)) {
            throw IommuException.of(Errno.EINVAL, "data type 0x%x with %d bytes of data", req.dataType(), data.length);
        }
        c.lock.lock();
        try {
            c.checkOpen();
            DeviceObject d = c.objects.get(req.devId(), DeviceObject.class, "device");
            IommuObject pt = c.objects.find(req.ptId());
            if (pt == null) {
                throw IommuException.of(Errno.EINVAL, "no IOAS or HWPT %d in context %s", req.ptId(), c.name());
            }
            Hwpt made;
            if (pt.type == ObjectType.IOAS) {
                made = allocPaging(d, (IoasObject) pt, req, data);
            } else if (pt.type == ObjectType.HWPT_PAGING) {
                made = allocNested(d, (HwptPaging) pt, req, data);
            } else if (pt.type == ObjectType.VIOMMU) {
                made = allocNestedOnViommu(d, (ViommuObject) pt, req, data);
            } else {
                throw IommuException.of(Errno.EINVAL, "object %d is a %s; an HWPT sits on an IOAS or a NEST_PARENT paging HWPT", pt.id, pt.type);
            }
            if ((req.flags() & HwptFlags.FAULT_ID_VALID) != 0) {
                try {
                    made.fault = c.objects.get(req.faultId(), FaultQueueObject.class, "fault queue");
                    made.fault.users++;
                } catch (IommuException e) {
                    undo(made);
                    throw e;
                }
            }
            c.objects.finalize(made);
            LOG.debug("context {}: HWPT {}: {}", c.name(), made.id, made.detail());
            return made.id;
        } finally {
            c.lock.unlock();
        }
    }

    /** Takes back an HWPT that was made but is not yet in the table. */
    private void undo(Hwpt h) {
        h.destroy();
        h.ctx.objects.abort(h);
    }

    private HwptPaging allocPaging(DeviceObject d, IoasObject ioas, HwptAlloc req, byte[] data) {
        int flags = req.flags();
        if ((flags & ~HwptFlags.ALL) != 0) {
            throw IommuException.of(Errno.EOPNOTSUPP, "unknown HWPT flags 0x%x", flags & ~HwptFlags.ALL);
        }
        IommuUnit b = d.unit.requireBackend();
        if ((flags & HwptFlags.DIRTY_TRACKING) != 0 && !b.supportsDirtyTracking(d.device)) {
            throw IommuException.of(Errno.EOPNOTSUPP, "unit %s cannot track dirty pages for %s", d.unit.id, d.device.address());
        }
        if ((flags & HwptFlags.FAULT_ID_VALID) != 0 && (flags & HwptFlags.NEST_PARENT) != 0) {
            throw IommuException.of(Errno.EOPNOTSUPP, "a NEST_PARENT HWPT cannot have a fault queue");
        }
        HwptPaging h = new HwptPaging(d.ctx, d.unit, ioas, flags, false, d.device, req.dataType(), data);
        d.ctx.objects.reserve(h);
        PagingDomain dom = null;
        try {
            try {
                dom = b.allocPaging(d.device, flags, req.dataType(), data);
            } catch (RuntimeException e) {
                throw IoPageTable.guard(e);
            }
            h.domain(dom);
            ioas.table.addDomain(h, dom);
        } catch (RuntimeException e) {
            h.domain(null);
            if (dom != null) {
                d.unit.guardedFree(dom);
            }
            d.ctx.objects.abort(h);
            throw e;
        }
        ioas.users++;
        return h;
    }

    private HwptNested allocNested(DeviceObject d, HwptPaging parent, HwptAlloc req, byte[] data) {
        int flags = req.flags();
        if ((flags & ~(HwptFlags.FAULT_ID_VALID | HwptFlags.PASID)) != 0 || data.length == 0) {
            throw IommuException.of(Errno.EOPNOTSUPP, "a nested HWPT takes vendor data and the flags FAULT_ID_VALID and PASID only");
        }
        if (parent.auto || !parent.nestParent() || parent.unit != d.unit) {
            throw IommuException.of(Errno.EINVAL, "HWPT %d cannot be a parent: %s", parent.id,
                    parent.unit != d.unit ? "it belongs to unit " + parent.unit.id : parent.auto ? "it is automatic" : "it was not allocated with NEST_PARENT");
        }
        IommuUnit b = d.unit.requireBackend();
        if (parent.domain() == null) {
            throw IommuException.of(Errno.ENODEV, "parent HWPT %d has no hardware domain: %s", parent.id, parent.state());
        }
        HwptNested h = new HwptNested(d.ctx, d.unit, parent, flags, req.dataType(), data, d.device);
        d.ctx.objects.reserve(h);
        try {
            h.domain(b.allocNested(d.device, parent.domain(), flags, req.dataType(), data));
        } catch (RuntimeException e) {
            d.ctx.objects.abort(h);
            throw IoPageTable.guard(e);
        }
        parent.users++;
        return h;
    }

    void setDirtyTracking(ContextImpl c, int hwptId, boolean enable) {
        c.lock.lock();
        try {
            c.checkOpen();
            HwptPaging h = c.objects.get(hwptId, HwptPaging.class, "paging HWPT");
            if ((h.flags & HwptFlags.DIRTY_TRACKING) == 0) {
                throw IommuException.of(Errno.EINVAL, "HWPT %d was not allocated with DIRTY_TRACKING", hwptId);
            }
            PagingDomain d = h.domain();
            if (d == null) {
                throw IommuException.of(Errno.ENODEV, "HWPT %d has no hardware domain: %s", hwptId, h.state());
            }
            try {
                d.setDirtyTracking(enable);
            } catch (RuntimeException e) {
                throw IoPageTable.guard(e);
            }
            h.dirtyTracking = enable;
            LOG.debug("context {}: HWPT {} dirty tracking {}", c.name(), hwptId, enable ? "on" : "off");
        } finally {
            c.lock.unlock();
        }
    }

    long[] dirtyBitmap(ContextImpl c, int hwptId, long iova, long length, long pageSize, int flags) {
        if ((flags & ~dev.ioasid.api.DomainService.DIRTY_NO_CLEAR) != 0) {
            throw IommuException.of(Errno.EOPNOTSUPP, "unknown dirty bitmap flags 0x%x", flags);
        }
        if (pageSize <= 0 || Long.bitCount(pageSize) != 1) {
            throw IommuException.of(Errno.EINVAL, "page size 0x%x is not a power of two", pageSize);
        }
        if (length == 0 || iova % pageSize != 0 || length % pageSize != 0) {
            throw IommuException.of(Errno.EINVAL, "[0x%x, +0x%x) is empty or not aligned to 0x%x", iova, length, pageSize);
        }
        if (Long.compareUnsigned(iova + length - 1, iova) < 0) {
            throw IommuException.of(Errno.EOVERFLOW, "0x%x + 0x%x wraps past 2^64", iova, length);
        }
        long pages = length / pageSize;
        if (pages > Integer.MAX_VALUE) {
            throw IommuException.of(Errno.EINVAL, "bitmap of %d pages is too large", pages);
        }
        HwptPaging h;
        c.lock.lock();
        try {
            c.checkOpen();
            h = c.objects.get(hwptId, HwptPaging.class, "paging HWPT");
            if ((h.flags & HwptFlags.DIRTY_TRACKING) == 0) {
                throw IommuException.of(Errno.EINVAL, "HWPT %d was not allocated with DIRTY_TRACKING", hwptId);
            }
        } finally {
            c.lock.unlock();
        }
        long[] bitmap = new long[(int) ((pages + 63) / 64)];
        long end = iova + length;
        h.ioas.table.lock.lock();
        try {
            PagingDomain d = h.domain();
            if (d == null) {
                throw IommuException.of(Errno.ENODEV, "HWPT %d has no hardware domain: %s", hwptId, h.state());
            }
            boolean keep = (flags & dev.ioasid.api.DomainService.DIRTY_NO_CLEAR) != 0;
            d.readDirty(iova, length, keep, (va, size) -> {
                long from = Math.max(va, iova);
                long to = Math.min(va + size, end);
                for (long p = (from - iova) / pageSize; p < (to - iova + pageSize - 1) / pageSize; p++) {
                    bitmap[(int) (p >>> 6)] |= 1L << (p & 63);
                }
            });
        } finally {
            h.ioas.table.lock.unlock();
        }
        return bitmap;
    }

    // ------------------------------------------------------------------ accesses

    int accessCreate(ContextImpl c, int ioasId, dev.ioasid.api.AccessListener listener) {
        if (listener == null) {
            throw IommuException.of(Errno.EINVAL, "an access needs a listener for unmaps");
        }
        c.lock.lock();
        try {
            c.checkOpen();
            IoasObject ioas = c.objects.get(ioasId, IoasObject.class, "IOAS");
            AccessObject a = new AccessObject(c, ioas, listener);
            c.objects.reserve(a);
            ioas.table.addAccess(a);
            ioas.users++;
            c.objects.finalize(a);
            return a.id;
        } finally {
            c.lock.unlock();
        }
    }

    private static AccessObject access(ContextImpl c, int id) {
        return c.lookup(id, AccessObject.class, "access");
    }

    long[] accessPin(ContextImpl c, int accessId, long iova, long length, int flags) {
        if ((flags & ~dev.ioasid.api.AccessService.WRITE) != 0) {
            throw IommuException.of(Errno.EOPNOTSUPP, "unknown access flags 0x%x", flags);
        }
        AccessObject a = access(c, accessId);
        return AccessPins.pin(a.ioas.table, a, iova, length, (flags & dev.ioasid.api.AccessService.WRITE) != 0);
    }

    void accessUnpin(ContextImpl c, int accessId, long iova, long length) {
        AccessObject a = access(c, accessId);
        AccessPins.unpin(a.ioas.table, a, iova, length);
    }

    void accessRw(ContextImpl c, int accessId, long iova, byte[] data, int flags) {
        if ((flags & ~dev.ioasid.api.AccessService.WRITE) != 0) {
            throw IommuException.of(Errno.EOPNOTSUPP, "unknown access flags 0x%x", flags);
        }
        AccessObject a = access(c, accessId);
        AccessPins.rw(a.ioas.table, iova, data, (flags & dev.ioasid.api.AccessService.WRITE) != 0);
    }

    void accessReplaceIoas(ContextImpl c, int accessId, int ioasId) {
        c.lock.lock();
        try {
            c.checkOpen();
            AccessObject a = c.objects.get(accessId, AccessObject.class, "access");
            IoasObject to = c.objects.get(ioasId, IoasObject.class, "IOAS");
            if (to == a.ioas) {
                return;
            }
            a.ioas.table.lock.lock();
            try {
                if (!a.pins.isEmpty()) {
                    throw IommuException.of(Errno.EBUSY, "access %d still pins pages of IOAS %d", accessId, a.ioas.id);
                }
            } finally {
                a.ioas.table.lock.unlock();
            }
            to.table.addAccess(a);
            a.ioas.table.removeAccess(a);
            a.ioas.users--;
            to.users++;
            a.ioas = to;
        } finally {
            c.lock.unlock();
        }
    }

    private HwptNested allocNestedOnViommu(DeviceObject d, ViommuObject v, HwptAlloc req, byte[] data) {
        int flags = req.flags();
        if ((flags & ~(HwptFlags.FAULT_ID_VALID | HwptFlags.PASID)) != 0 || data.length == 0) {
            throw IommuException.of(Errno.EOPNOTSUPP, "a nested HWPT takes vendor data and the flags FAULT_ID_VALID and PASID only");
        }
        if (v.unit != d.unit) {
            throw IommuException.of(Errno.EINVAL, "vIOMMU %d is on unit %s but device %s sits behind %s", v.id, v.unit.id, d.device.address(), d.unit.id);
        }
        var hw = v.hw;
        if (hw == null) {
            throw IommuException.of(Errno.ENODEV, "vIOMMU %d has no hardware instance: its unit %s has no backend", v.id, v.unit.id);
        }
        HwptNested h = new HwptNested(d.ctx, d.unit, v.parent, v, flags, req.dataType(), data, d.device);
        d.ctx.objects.reserve(h);
        try {
            h.domain(hw.allocNested(d.device, flags, req.dataType(), data));
        } catch (RuntimeException e) {
            d.ctx.objects.abort(h);
            throw IoPageTable.guard(e);
        }
        v.users++;
        return h;
    }

    int viommuAlloc(ContextImpl c, int devId, int hwptId, int type, byte[] data) {
        c.lock.lock();
        try {
            c.checkOpen();
            DeviceObject d = c.objects.get(devId, DeviceObject.class, "device");
            HwptPaging parent = c.objects.get(hwptId, HwptPaging.class, "paging HWPT");
            if (!parent.nestParent() || parent.unit != d.unit) {
                throw IommuException.of(Errno.EINVAL, "HWPT %d cannot carry a vIOMMU: %s", hwptId,
                        parent.unit != d.unit ? "it belongs to unit " + parent.unit.id : "it was not allocated with NEST_PARENT");
            }
            var b = d.unit.requireBackend();
            if (parent.domain() == null) {
                throw IommuException.of(Errno.ENODEV, "HWPT %d has no hardware domain: %s", hwptId, parent.state());
            }
            byte[] bytes = data == null ? new byte[0] : data.clone();
            ViommuObject v = new ViommuObject(c, d.unit, parent, type, bytes, d.device);
            c.objects.reserve(v);
            try {
                v.hw = b.allocViommu(d.device, parent.domain(), type, bytes);
            } catch (RuntimeException e) {
                c.objects.abort(v);
                throw IoPageTable.guard(e);
            }
            v.connectEvents();
            parent.users++;
            c.objects.finalize(v);
            LOG.debug("context {}: vIOMMU {} on HWPT {}", c.name(), v.id, hwptId);
            return v.id;
        } finally {
            c.lock.unlock();
        }
    }

    int vdeviceAlloc(ContextImpl c, int viommuId, int devId, long virtId) {
        c.lock.lock();
        try {
            c.checkOpen();
            ViommuObject v = c.objects.get(viommuId, ViommuObject.class, "vIOMMU");
            DeviceObject d = c.objects.get(devId, DeviceObject.class, "device");
            if (d.unit != v.unit) {
                throw IommuException.of(Errno.EINVAL, "device %s sits behind unit %s, not %s", d.device.address(), d.unit.id, v.unit.id);
            }
            if (v.vdevices.containsKey(virtId)) {
                throw IommuException.of(Errno.EEXIST, "vIOMMU %d already has virtual id 0x%x", viommuId, virtId);
            }
            if (v.vdevices.values().stream().anyMatch(x -> x.device == d)) {
                throw IommuException.of(Errno.EEXIST, "device %s already has a virtual id on vIOMMU %d", d.device.address(), viommuId);
            }
            var hw = v.hw;
            if (hw == null) {
                throw IommuException.of(Errno.ENODEV, "vIOMMU %d has no hardware instance", viommuId);
            }
            VdeviceObject vd = new VdeviceObject(c, v, d, virtId);
            c.objects.reserve(vd);
            try {
                hw.addVdevice(virtId, d.device);
            } catch (RuntimeException e) {
                c.objects.abort(vd);
                throw IoPageTable.guard(e);
            }
            v.vdevices.put(virtId, vd);
            v.users++;
            c.objects.finalize(vd);
            return vd.id;
        } finally {
            c.lock.unlock();
        }
    }

    int hwptInvalidate(ContextImpl c, int hwptId, int dataType, int entryLen, byte[] entries, int entryNum) {
        if (entryNum < 0) {
            throw IommuException.of(Errno.EINVAL, "negative entry count");
        }
        if (entryNum != 0 && (entries == null || entryLen == 0)) {
            throw IommuException.of(Errno.EINVAL, "%d entries without data or entry length", entryNum).withProgress(0);
        }
        NestedDomain dom;
        c.lock.lock();
        try {
            c.checkOpen();
            IommuObject o = c.objects.get(hwptId);
            if (o.type == ObjectType.VIOMMU) {
                var hw = ((ViommuObject) o).hw;
                if (hw == null) {
                    throw IommuException.of(Errno.ENODEV, "vIOMMU %d has no hardware instance", hwptId).withProgress(0);
                }
                try {
                    return hw.invalidate(dataType, entryLen, entries, entryNum);
                } catch (RuntimeException e) {
                    throw IoPageTable.guard(e);
                }
            }
            if (o.type != ObjectType.HWPT_NESTED) {
                throw IommuException.of(Errno.EINVAL, "object %d is a %s; invalidation takes a nested HWPT", hwptId, o.type).withProgress(0);
            }
            HwptNested h = (HwptNested) o;
            dom = h.domain();
            if (dom == null) {
                throw IommuException.of(Errno.ENODEV, "HWPT %d has no hardware domain: %s", h.id, h.state()).withProgress(0);
            }
            try {
                return dom.invalidate(dataType, entryLen, entries, entryNum);
            } catch (RuntimeException e) {
                throw IoPageTable.guard(e);
            }
        } finally {
            c.lock.unlock();
        }
    }
}
