package dev.ioasid.core.internal;

import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.locks.ReentrantLock;

import org.osgi.service.component.annotations.Activate;
import org.osgi.service.component.annotations.Component;
import org.osgi.service.component.annotations.Deactivate;
import org.osgi.service.component.annotations.Reference;
import org.osgi.service.component.annotations.ReferenceCardinality;
import org.osgi.service.component.annotations.ReferencePolicy;
import org.osgi.service.component.annotations.ReferencePolicyOption;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import dev.ioasid.api.AccessListener;
import dev.ioasid.api.AccessService;
import dev.ioasid.api.Area;
import dev.ioasid.api.FaultListener;
import dev.ioasid.api.FaultService;
import dev.ioasid.api.PageFault;
import dev.ioasid.api.PageResponse;
import dev.ioasid.api.UnitEventRecord;
import dev.ioasid.api.Context;
import dev.ioasid.api.ContextService;
import dev.ioasid.api.DeviceInfo;
import dev.ioasid.api.DomainService;
import dev.ioasid.api.EndpointService;
import dev.ioasid.api.Errno;
import dev.ioasid.api.HwIdKind;
import dev.ioasid.api.HwInfo;
import dev.ioasid.api.HwInfoType;
import dev.ioasid.api.HwptAlloc;
import dev.ioasid.api.IoasOption;
import dev.ioasid.api.Ioasid;
import dev.ioasid.api.IoasidService;
import dev.ioasid.api.IommuException;
import dev.ioasid.api.IovaRange;
import dev.ioasid.api.IovaRanges;
import dev.ioasid.api.MemFile;
import dev.ioasid.api.ObjectType;
import dev.ioasid.api.PciAddress;
import dev.ioasid.machine.Access;
import dev.ioasid.machine.Machine;
import dev.ioasid.machine.UnitDescription;
import dev.ioasid.spi.IommuUnit;
import dev.ioasid.spi.UnitEvent;
import dev.ioasid.spi.UnitHost;

/**
 * The implementation of the ioasid API: contexts and their object tables, IOAS engine, HWPTs, devices and
 * endpoints, IOASIDs, and the registry of backends with its rebuild when a backend comes back.
 * <p>
 * Lock order: {@link #lock} before {@code ContextImpl.lock} before {@code IoPageTable.lock}.
 */
@Component(service = { ContextService.class, DomainService.class, EndpointService.class, IoasidService.class, FaultService.class,
        AccessService.class })
public final class IommuCore implements ContextService, DomainService, EndpointService, IoasidService, FaultService, AccessService {
    private static final Logger LOG = LoggerFactory.getLogger(IommuCore.class);

    final Machine machine;
    /** guards contexts, bound, units' backends */
    final ReentrantLock lock = new ReentrantLock();
    /** guarded by lock */
    private final Map<String, ContextImpl> contexts = new LinkedHashMap<>();
    /** which device object holds each bound machine device; guarded by lock */
    final Map<PciAddress, DeviceObject> bound = new HashMap<>();
    /** every unit of the machine; the map itself is fixed at construction */
    private final Map<String, UnitState> units = new LinkedHashMap<>();
    final HwIdSpace hwIds = new HwIdSpace();
    final Endpoints endpoints = new Endpoints(this);
    final Domains domains = new Domains(this);
    final Faults faults = new Faults(this);
    final Ioasids ioasids = new Ioasids(hwIds);
    private final UnitHost host = new UnitHost() {
        @Override
        public void event(UnitEvent e) {
            IommuCore.this.event(e);
        }

        @Override
        public dev.ioasid.machine.PendingFault pageRequest(dev.ioasid.spi.PageRequest request) {
            return faults.pageRequest(request);
        }
    };

    @Activate
    public IommuCore(@Reference Machine machine) {
        this.machine = machine;
        for (UnitDescription u : machine.units()) {
            units.put(u.id(), new UnitState(u, machine.port(u.id())));
        }
    }

    UnitState unit(String id) {
        UnitState u = units.get(id);
        if (u == null) {
            throw IommuException.of(Errno.ENODEV, "no unit %s", id);
        }
        return u;
    }

    // ================================================================ backends

    /** A backend for a unit arrived: it drives the unit at once, or waits if another one does. */
    @Reference(cardinality = ReferenceCardinality.MULTIPLE, policy = ReferencePolicy.DYNAMIC, policyOption = ReferencePolicyOption.GREEDY)
    public void bindUnit(IommuUnit backend) {
        String id = backend.description().id();
        lock.lock();
        try {
            UnitState u = units.get(id);
            if (u == null) {
                LOG.warn("a backend offers unit {}, which this machine does not have; ignored", id);
                return;
            }
            if (u.backend() != null) {
                u.standby.add(backend);
                LOG.info("unit {}: a second backend waits while {} drives it", id, u.backend());
                return;
            }
            Backends.activate(u, backend, contexts.values(), host);
        } finally {
            lock.unlock();
        }
    }

    public void unbindUnit(IommuUnit backend) {
        String id = backend.description().id();
        lock.lock();
        try {
            UnitState u = units.get(id);
            if (u == null) {
                return;
            }
            if (u.backend() != backend) {
                u.standby.remove(backend);
                return;
            }
            u.port.undrive();
            u.backend(null);
            for (ContextImpl c : contexts.values()) {
                c.lock.lock();
                try {
                    faults.backendGone(c, backend);
                    for (IommuObject o : c.objects.all()) {
                        if (o instanceof Hwpt && ((Hwpt) o).unit == u) {
                            Backends.forgetDomain((Hwpt) o);
                        } else if (o instanceof ViommuObject && ((ViommuObject) o).unit == u) {
                            Backends.forgetViommu((ViommuObject) o);
                        }
                    }
                } finally {
                    c.lock.unlock();
                }
            }
            LOG.info("unit {}: backend gone; its devices are blocked and every object is kept", id);
            if (!u.standby.isEmpty()) {
                Backends.activate(u, u.standby.remove(0), contexts.values(), host);
            }
        } finally {
            lock.unlock();
        }
    }

    private void event(UnitEvent e) {
        LOG.debug("event {}", e);
        faults.event(e);
    }

    /** Fault listeners registered as services (the whiteboard). */
    @Reference(cardinality = ReferenceCardinality.MULTIPLE, policy = ReferencePolicy.DYNAMIC)
    public void bindFaultListener(FaultListener l, Map<String, Object> properties) {
        Object c = properties.get(FaultListener.CONTEXT);
        faults.addListener(l, c == null ? null : c.toString());
    }

    public void unbindFaultListener(FaultListener l) {
        faults.removeListener(l);
    }

    /** The backend driving a unit, or null. For tests and the shell. */
    public IommuUnit backendOf(String unitId) {
        return unit(unitId).backend();
    }

    /** Closes every context and blocks every unit: the core is going away. */
    @Deactivate
    public void deactivate() {
        for (Context c : contexts()) {
            c.close();
        }
        faults.shutdown();
        lock.lock();
        try {
            for (UnitState u : units.values()) {
                u.port.undrive();
            }
        } finally {
            lock.unlock();
        }
    }

    // ================================================================ contexts

    @Override
    public Context open(String name) {
        if (name == null || name.isBlank()) {
            throw IommuException.of(Errno.EINVAL, "a context needs a name");
        }
        lock.lock();
        try {
            if (contexts.containsKey(name)) {
                throw IommuException.of(Errno.EEXIST, "context %s is already open", name);
            }
            ContextImpl c = new ContextImpl(this, name, machine.newAddressSpace(name));
            contexts.put(name, c);
            LOG.debug("context {} opened", name);
            return c;
        } finally {
            lock.unlock();
        }
    }

    @Override
    public Context context(String name) {
        lock.lock();
        try {
            ContextImpl c = contexts.get(name);
            if (c == null) {
                throw IommuException.of(Errno.ENOENT, "no context %s", name);
            }
            return c;
        } finally {
            lock.unlock();
        }
    }

    @Override
    public List<Context> contexts() {
        lock.lock();
        try {
            return new ArrayList<>(contexts.values());
        } finally {
            lock.unlock();
        }
    }

    /** The context as ours. @throws IommuException EBADF for a context of another core or a closed one */
    private ContextImpl own(Context ctx) {
        if (!(ctx instanceof ContextImpl) || ((ContextImpl) ctx).core != this) {
            throw IommuException.of(Errno.EBADF, "%s is not a context of this ioasid", ctx);
        }
        return (ContextImpl) ctx;
    }

    void destroy(ContextImpl c, int id) {
        lock.lock();
        try {
            c.lock.lock();
            try {
                c.checkOpen();
                IommuObject o = c.objects.get(id);
                if (o instanceof DeviceObject) {
                    // iommufd: the driver that bound the device is its user until it unbinds
                    throw IommuException.of(Errno.EBUSY, "device %d is bound: its binding is its user until unbind", id);
                }
                if (o.users > 0) {
                    throw IommuException.of(Errno.EBUSY, "%s %d is in use (%d user(s)): %s", o.type, id, o.users, o.detail());
                }
                destroyObject(o);
            } finally {
                c.lock.unlock();
            }
        } finally {
            lock.unlock();
        }
    }

    /** Destroys an unused object. Core and context locks held. */
    void destroyObject(IommuObject o) {
        o.destroyed = true;
        o.destroy();
        o.ctx.objects.remove(o);
        LOG.debug("context {}: destroyed {} {}", o.ctx.name(), o.type, o.id);
    }

    /** Closes a context: devices first (their automatic HWPTs go with them), then every object, leaves first. */
    void close(ContextImpl c) {
        lock.lock();
        try {
            c.lock.lock();
            try {
                if (!c.isOpen()) {
                    return;
                }
                for (IommuObject o : c.objects.all()) {
                    if (o.type == ObjectType.DEVICE && !o.destroyed) {
                        destroyObject(o);
                    }
                }
                while (!c.objects.isEmpty()) {
                    boolean progress = false;
                    for (IommuObject o : c.objects.all()) {
                        if (o.users == 0 && !o.destroyed) {
                            destroyObject(o);
                            progress = true;
                        }
                    }
                    if (!progress) {
                        throw new IllegalStateException("context " + c.name() + ": objects depend on each other in a cycle: " + c.objects.all());
                    }
                }
                for (Ioasid i : c.ioasids.byId.values()) {
                    hwIds.free(i.hwId());
                }
                c.ioasids.byId.clear();
                c.memory.close();
                c.markClosed();
                contexts.remove(c.name(), c);
                LOG.debug("context {} closed", c.name());
            } finally {
                c.lock.unlock();
            }
        } finally {
            lock.unlock();
        }
    }

    // ================================================================ DomainService

    @Override
    public int ioasAlloc(Context ctx) {
        return domains.ioasAlloc(own(ctx));
    }

    @Override
    public long ioasMap(Context ctx, int ioasId, long userVa, long length, long iova, int flags) {
        return domains.ioasMap(own(ctx), ioasId, userVa, length, iova, flags);
    }

    @Override
    public long ioasMapFile(Context ctx, int ioasId, MemFile file, long start, long length, long iova, int flags) {
        return domains.ioasMapFile(own(ctx), ioasId, file, start, length, iova, flags);
    }

    @Override
    public long ioasUnmap(Context ctx, int ioasId, long iova, long length) {
        return domains.ioasUnmap(own(ctx), ioasId, iova, length);
    }

    @Override
    public long ioasCopy(Context ctx, int dstIoasId, long dstIova, int srcIoasId, long srcIova, long length, int flags) {
        return domains.ioasCopy(own(ctx), dstIoasId, dstIova, srcIoasId, srcIova, length, flags);
    }

    @Override
    public IovaRanges ioasIovaRanges(Context ctx, int ioasId) {
        return domains.ranges(own(ctx), ioasId, -1);
    }

    @Override
    public IovaRanges ioasIovaRanges(Context ctx, int ioasId, int capacity) {
        if (capacity < 0) {
            throw IommuException.of(Errno.EINVAL, "negative capacity");
        }
        return domains.ranges(own(ctx), ioasId, capacity);
    }

    @Override
    public void ioasAllowIovas(Context ctx, int ioasId, List<IovaRange> allowed) {
        domains.allowIovas(own(ctx), ioasId, allowed);
    }

    @Override
    public List<Area> ioasAreas(Context ctx, int ioasId) {
        return domains.areas(own(ctx), ioasId);
    }

    @Override
    public void optionSet(Context ctx, IoasOption option, int objectId, long value) {
        domains.optionSet(own(ctx), option, objectId, value);
    }

    @Override
    public long optionGet(Context ctx, IoasOption option, int objectId) {
        return domains.optionGet(own(ctx), option, objectId);
    }

    @Override
    public int hwptAlloc(Context ctx, HwptAlloc request) {
        return domains.hwptAlloc(own(ctx), request);
    }

    @Override
    public int hwptInvalidate(Context ctx, int hwptId, int dataType, int entryLen, byte[] entries, int entryNum) {
        return domains.hwptInvalidate(own(ctx), hwptId, dataType, entryLen, entries, entryNum);
    }

    // ================================================================ EndpointService

    @Override
    public int bind(Context ctx, PciAddress device) {
        return endpoints.bind(own(ctx), device);
    }

    @Override
    public void unbind(Context ctx, int devId) {
        endpoints.unbind(own(ctx), devId);
    }

    @Override
    public int attach(Context ctx, int devId, int ptId) {
        return endpoints.change(own(ctx), devId, ptId, Access.NO_PASID, false);
    }

    @Override
    public int attach(Context ctx, int devId, int ptId, int pasid) {
        checkPasidValue(pasid);
        return endpoints.change(own(ctx), devId, ptId, pasid, false);
    }

    @Override
    public int replace(Context ctx, int devId, int ptId) {
        return endpoints.change(own(ctx), devId, ptId, Access.NO_PASID, true);
    }

    @Override
    public int replace(Context ctx, int devId, int ptId, int pasid) {
        checkPasidValue(pasid);
        return endpoints.change(own(ctx), devId, ptId, pasid, true);
    }

    @Override
    public void detach(Context ctx, int devId) {
        endpoints.detach(own(ctx), devId, Access.NO_PASID);
    }

    @Override
    public void detach(Context ctx, int devId, int pasid) {
        checkPasidValue(pasid);
        endpoints.detach(own(ctx), devId, pasid);
    }

    private static void checkPasidValue(int pasid) {
        if (pasid < 0 || pasid >= (1 << HW_ID_BITS)) {
            throw IommuException.of(Errno.EINVAL, "PASID %d is not a 20-bit value", pasid);
        }
    }

    @Override
    public HwInfo hwInfo(Context ctx, int devId) {
        return endpoints.hwInfo(own(ctx), devId, HwInfoType.DEFAULT);
    }

    @Override
    public HwInfo hwInfo(Context ctx, int devId, int type) {
        return endpoints.hwInfo(own(ctx), devId, type);
    }

    @Override
    public DeviceInfo device(Context ctx, int devId) {
        return endpoints.info(own(ctx), devId);
    }

    // ================================================================ IoasidService

    @Override
    public Ioasid alloc(Context ctx, HwIdKind kind) {
        return ioasids.alloc(own(ctx), kind);
    }

    @Override
    public void free(Context ctx, int ioasid) {
        ioasids.free(own(ctx), ioasid);
    }

    @Override
    public Ioasid get(Context ctx, int ioasid) {
        return ioasids.get(own(ctx), ioasid);
    }

    @Override
    public Ioasid byHwId(Context ctx, int hwId) {
        return ioasids.byHwId(own(ctx), hwId);
    }

    @Override
    public List<Ioasid> list(Context ctx) {
        return ioasids.list(own(ctx));
    }

    @Override
    public void setQuota(Context ctx, int quota) {
        ioasids.setQuota(own(ctx), quota);
    }

    @Override
    public int quota(Context ctx) {
        return ioasids.quota(own(ctx));
    }

    @Override
    public int viommuAlloc(Context ctx, int devId, int hwptId, int type, byte[] data) {
        return domains.viommuAlloc(own(ctx), devId, hwptId, type, data);
    }

    @Override
    public int vdeviceAlloc(Context ctx, int viommuId, int devId, long virtId) {
        return domains.vdeviceAlloc(own(ctx), viommuId, devId, virtId);
    }

    @Override
    public void hwptSetDirtyTracking(Context ctx, int hwptId, boolean enable) {
        domains.setDirtyTracking(own(ctx), hwptId, enable);
    }

    @Override
    public long[] hwptGetDirtyBitmap(Context ctx, int hwptId, long iova, long length, long pageSize, int flags) {
        return domains.dirtyBitmap(own(ctx), hwptId, iova, length, pageSize, flags);
    }

    // ================================================================ FaultService

    @Override
    public int faultQueueAlloc(Context ctx) {
        return faults.faultQueueAlloc(own(ctx));
    }

    @Override
    public List<PageFault> faultRead(Context ctx, int queueId, int maxFaults) {
        try {
            return faults.read(own(ctx), queueId, maxFaults, 0);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw IommuException.of(Errno.EINTR, "interrupted");
        }
    }

    @Override
    public List<PageFault> faultRead(Context ctx, int queueId, int maxFaults, long timeoutMillis) throws InterruptedException {
        return faults.read(own(ctx), queueId, maxFaults, timeoutMillis);
    }

    @Override
    public void faultRespond(Context ctx, int queueId, int cookie, PageResponse response) {
        faults.respond(own(ctx), queueId, cookie, response);
    }

    @Override
    public List<PageFault> faultPending(Context ctx, int queueId) {
        return faults.pending(own(ctx), queueId);
    }

    @Override
    public int eventQueueAlloc(Context ctx, int depth) {
        return faults.eventQueueAlloc(own(ctx), depth);
    }

    @Override
    public int veventqAlloc(Context ctx, int viommuId, int type, int depth) {
        return faults.veventqAlloc(own(ctx), viommuId, type, depth);
    }

    @Override
    public List<UnitEventRecord> eventRead(Context ctx, int queueId, int max) {
        return faults.eventRead(own(ctx), queueId, max);
    }

    @Override
    public void addListener(FaultListener listener) {
        faults.addListener(listener, null);
    }

    @Override
    public void removeListener(FaultListener listener) {
        faults.removeListener(listener);
    }

    // ================================================================ AccessService

    @Override
    public int accessCreate(Context ctx, int ioasId, AccessListener listener) {
        return domains.accessCreate(own(ctx), ioasId, listener);
    }

    @Override
    public long[] accessPin(Context ctx, int accessId, long iova, long length, int flags) {
        return domains.accessPin(own(ctx), accessId, iova, length, flags);
    }

    @Override
    public void accessUnpin(Context ctx, int accessId, long iova, long length) {
        domains.accessUnpin(own(ctx), accessId, iova, length);
    }

    @Override
    public void accessRw(Context ctx, int accessId, long iova, byte[] data, int flags) {
        domains.accessRw(own(ctx), accessId, iova, data, flags);
    }

    @Override
    public void accessReplaceIoas(Context ctx, int accessId, int ioasId) {
        domains.accessReplaceIoas(own(ctx), accessId, ioasId);
    }

    // ================================================================ selftest support
    // The equivalents of IOMMU_TEST_CMD ops that the conformance suite and the shell need. Not API.

    /** IOMMU_TEST_OP_ADD_RESERVED: reserves {@code [start, start + length - 1]} in an IOAS, owned by no one. */
    public void testAddReserved(Context ctx, int ioasId, long start, long length) {
        if (length == 0) {
            throw IommuException.of(Errno.EINVAL, "length 0");
        }
        if (Long.compareUnsigned(start + length - 1, start) < 0) {
            throw IommuException.of(Errno.EOVERFLOW, "0x%x + 0x%x wraps past 2^64", start, length);
        }
        ContextImpl c = own(ctx);
        IoasObject ioas;
        c.lock.lock();
        try {
            c.checkOpen();
            ioas = c.objects.get(ioasId, IoasObject.class, "IOAS");
        } finally {
            c.lock.unlock();
        }
        ioas.table.reserve(start, start + length - 1, TEST_RESERVATION);
    }

    private static final Object TEST_RESERVATION = "test";

    /** The hardware domain of an HWPT, or null while its unit has no backend. For tests and table dumps. */
    public dev.ioasid.spi.Domain domainOf(Context ctx, int hwptId) {
        ContextImpl c = own(ctx);
        c.lock.lock();
        try {
            c.checkOpen();
            IommuObject o = c.objects.get(hwptId, ObjectType.HWPT_PAGING, ObjectType.HWPT_NESTED);
            return ((Hwpt) o).domain();
        } finally {
            c.lock.unlock();
        }
    }

    /** How many backends have driven a unit since start (1 after the first, 2 after a swap, ...). */
    public int generations(String unitId) {
        lock.lock();
        try {
            return unit(unitId).generations;
        } finally {
            lock.unlock();
        }
    }

    /** Hardware ids in use machine-wide. */
    public int hwIdsInUse() {
        return hwIds.inUse();
    }
}
