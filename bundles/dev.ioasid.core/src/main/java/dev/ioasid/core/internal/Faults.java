package dev.ioasid.core.internal;

import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;

import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import dev.ioasid.api.Errno;
import dev.ioasid.api.FaultListener;
import dev.ioasid.api.IommuException;
import dev.ioasid.api.ObjectType;
import dev.ioasid.api.PageFault;
import dev.ioasid.api.PageResponse;
import dev.ioasid.api.UnitEventRecord;
import dev.ioasid.machine.PciDevice;
import dev.ioasid.machine.PendingFault;
import dev.ioasid.spi.IommuUnit;
import dev.ioasid.spi.PageRequest;
import dev.ioasid.spi.UnitEvent;

/**
 * Routing of recoverable faults to fault queues and of unrecoverable events to event queues, and delivery to
 * listeners on a core thread. A page request goes to the fault queue of the HWPT attached at its (device,
 * PASID); with none there, it is answered INVALID at once.
 */
final class Faults {
    private static final Logger LOG = LoggerFactory.getLogger(Faults.class);

    private final IommuCore core;
    private final List<ListenerEntry> listeners = new CopyOnWriteArrayList<>();
    /** delivers to listeners; never the DMA thread, which is waiting for the answer */
    private final ExecutorService delivery = Executors.newSingleThreadExecutor(r -> {
        Thread t = new Thread(r, "ioasid-fault-delivery");
        t.setDaemon(true);
        return t;
    });

    record ListenerEntry(FaultListener listener, String context) {
    }

    Faults(IommuCore core) {
        this.core = core;
    }

    void addListener(FaultListener l, String context) {
        listeners.add(new ListenerEntry(l, context));
    }

    void removeListener(FaultListener l) {
        listeners.removeIf(e -> e.listener() == l);
    }

    private List<ListenerEntry> listenersOf(ContextImpl c) {
        List<ListenerEntry> out = new ArrayList<>();
        for (ListenerEntry e : listeners) {
            if (e.context() == null || e.context().equals(c.name())) {
                out.add(e);
            }
        }
        return out;
    }

    /** The bound device object of a machine device, or null. */
    private DeviceObject bound(PciDevice device) {
        core.lock.lock();
        try {
            return core.bound.get(device.address());
        } finally {
            core.lock.unlock();
        }
    }

    PendingFault pageRequest(PageRequest request) {
        UnitState unit = core.unit(request.device().unit());
        IommuUnit backend = unit.backend();
        DeviceObject d = bound(request.device());
        FaultQueueObject q = null;
        if (d != null) {
            d.ctx.lock.lock();
            try {
                Hwpt h = d.attached.get(request.pasid());
                q = h == null ? null : h.fault;
            } finally {
                d.ctx.lock.unlock();
            }
        }
        FaultGroup g = q == null || backend == null ? null : q.offer(new FaultGroup(backend, d, request), request);
        if (g == null) {
            if (backend != null) {
                try {
                    backend.pageResponse(request, IommuUnit.RESPONSE_INVALID);
                } catch (RuntimeException e) {
                    LOG.warn("page response to {} failed: {}", backend, e.toString());
                }
            }
            LOG.debug("page request of {} pasid {} has no fault queue: answered INVALID", request.device().address(), request.pasid());
            return FaultGroup.INVALID;
        }
        if (g.requests.get(0) == request) {
            FaultQueueObject queue = q;
            List<ListenerEntry> ls = listenersOf(d.ctx);
            if (!ls.isEmpty()) {
                delivery.execute(() -> deliver(queue, ls));
            }
        }
        return g;
    }

    /** Reads what is waiting on the queue and hands each group to the listeners. */
    private void deliver(FaultQueueObject q, List<ListenerEntry> ls) {
        for (FaultGroup g : q.take(Integer.MAX_VALUE)) {
            List<PageFault> records = g.records();
            for (ListenerEntry e : ls) {
                try {
                    e.listener().faultGroup(q.ctx, q.id, records);
                } catch (RuntimeException ex) {
                    LOG.warn("fault listener {} failed: {}", e.listener(), ex.toString());
                }
            }
        }
    }

    void event(UnitEvent e) {
        PciDevice dev = null;
        for (PciDevice p : core.machine.devicesBehind(e.unit())) {
            if (p.rid() == e.rid()) {
                dev = p;
                break;
            }
        }
        DeviceObject d = dev == null ? null : bound(dev);
        if (d == null) {
            return;
        }
        List<UnitEventRecord> delivered = new ArrayList<>();
        d.ctx.lock.lock();
        try {
            for (IommuObject o : d.ctx.objects.all()) {
                if (o instanceof EventQueueObject) {
                    UnitEventRecord r = ((EventQueueObject) o).offer(e);
                    if (r != null) {
                        delivered.add(r);
                    }
                }
            }
        } finally {
            d.ctx.lock.unlock();
        }
        List<ListenerEntry> ls = listenersOf(d.ctx);
        if (!ls.isEmpty()) {
            UnitEventRecord r = delivered.isEmpty() ? new UnitEventRecord(0, -1, e.unit(), e.reason(), e.record()) : delivered.get(0);
            ContextImpl c = d.ctx;
            delivery.execute(() -> ls.forEach(l -> {
                try {
                    l.listener().event(c, r);
                } catch (RuntimeException ex) {
                    LOG.warn("fault listener {} failed on an event: {}", l.listener(), ex.toString());
                }
            }));
        }
    }

    /** An endpoint left an HWPT with a fault queue: its pending groups are answered INVALID. */
    void endpointLeft(Hwpt from, DeviceObject d, int pasid) {
        if (from.fault != null) {
            for (FaultGroup g : from.fault.removeEndpoint(d, pasid)) {
                g.complete(PageResponse.INVALID, true);
            }
        }
    }

    /** A backend left: groups it raised can no longer be answered to it; their DMAs fail. */
    void backendGone(ContextImpl c, IommuUnit backend) {
        for (IommuObject o : c.objects.all()) {
            if (o instanceof FaultQueueObject) {
                for (FaultGroup g : ((FaultQueueObject) o).removeBackend(backend)) {
                    g.complete(PageResponse.INVALID, false);
                }
            }
        }
    }

    // ------------------------------------------------------------ service operations

    int faultQueueAlloc(ContextImpl c) {
        c.lock.lock();
        try {
            c.checkOpen();
            FaultQueueObject q = new FaultQueueObject(c);
            c.objects.reserve(q);
            c.objects.finalize(q);
            return q.id;
        } finally {
            c.lock.unlock();
        }
    }

    private static FaultQueueObject queue(ContextImpl c, int id) {
        return c.lookup(id, FaultQueueObject.class, "fault queue");
    }

    List<PageFault> read(ContextImpl c, int queueId, int maxFaults, long timeoutMillis) throws InterruptedException {
        if (maxFaults < 1) {
            throw IommuException.of(Errno.EINVAL, "a read takes at least one fault record");
        }
        FaultQueueObject q = queue(c, queueId);
        if (timeoutMillis > 0) {
            q.awaitUnread(timeoutMillis);
        }
        List<PageFault> out = new ArrayList<>();
        for (FaultGroup g : q.take(maxFaults)) {
            out.addAll(g.records());
        }
        return out;
    }

    void respond(ContextImpl c, int queueId, int cookie, PageResponse response) {
        if (response == null) {
            throw IommuException.of(Errno.EINVAL, "no response code");
        }
        FaultQueueObject q = queue(c, queueId);
        FaultGroup g = q.answer(cookie);
        if (g == null) {
            throw IommuException.of(Errno.EINVAL, "no fault group with cookie %d is waiting on fault queue %d", cookie, queueId);
        }
        IommuUnit now = g.device.unit.backend();
        g.complete(response, now == g.backend);
        LOG.debug("context {}: fault group {} answered {}", c.name(), cookie, response);
    }

    List<PageFault> pending(ContextImpl c, int queueId) {
        return queue(c, queueId).pending();
    }

    int eventQueueAlloc(ContextImpl c, int depth) {
        if (depth < 1) {
            throw IommuException.of(Errno.EINVAL, "an event queue needs a depth of at least 1, not %d", depth);
        }
        c.lock.lock();
        try {
            c.checkOpen();
            EventQueueObject q = new EventQueueObject(c, depth);
            c.objects.reserve(q);
            c.objects.finalize(q);
            return q.id;
        } finally {
            c.lock.unlock();
        }
    }

    int veventqAlloc(ContextImpl c, int viommuId, int type, int depth) {
        if (type != dev.ioasid.api.ViommuType.VEVENTQ_ARM_SMMUV3) {
            throw IommuException.of(Errno.EOPNOTSUPP, "vEVENTQ type %d (ARM_SMMUV3 is 1)", type);
        }
        if (depth < 1) {
            throw IommuException.of(Errno.EINVAL, "a vEVENTQ needs a depth of at least 1, not %d", depth);
        }
        c.lock.lock();
        try {
            c.checkOpen();
            ViommuObject v = c.objects.get(viommuId, ViommuObject.class, "vIOMMU");
            if (v.veventq != null) {
                throw IommuException.of(Errno.EEXIST, "vIOMMU %d already has vEVENTQ %d of type %d", viommuId, v.veventq.id, type);
            }
            EventQueueObject q = new EventQueueObject(c, depth, v);
            c.objects.reserve(q);
            c.objects.finalize(q);
            v.veventq = q;
            v.users++;
            return q.id;
        } finally {
            c.lock.unlock();
        }
    }

    List<UnitEventRecord> eventRead(ContextImpl c, int queueId, int max) {
        if (max < 1) {
            throw IommuException.of(Errno.EINVAL, "a read takes at least one record");
        }
        EventQueueObject q;
        c.lock.lock();
        try {
            c.checkOpen();
            q = c.objects.get(queueId, EventQueueObject.class, "event queue or vEVENTQ");
        } finally {
            c.lock.unlock();
        }
        return q.take(max);
    }

    void shutdown() {
        delivery.shutdownNow();
        try {
            delivery.awaitTermination(5, TimeUnit.SECONDS);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }

    static boolean isFaultQueue(IommuObject o) {
        return o.type == ObjectType.FAULT;
    }
}
