package dev.ioasid.consumer.vfio.internal;

import java.util.List;

import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import dev.ioasid.api.Context;
import dev.ioasid.api.DeviceInfo;
import dev.ioasid.api.EndpointService;
import dev.ioasid.api.Errno;
import dev.ioasid.api.IoasidService;
import dev.ioasid.api.IommuException;
import dev.ioasid.api.PciAddress;
import dev.ioasid.consumer.vfio.VfioDevice;
import dev.ioasid.consumer.vfio.WqCompletion;
import dev.ioasid.consumer.vfio.WqDescriptor;
import dev.ioasid.consumer.vfio.WqState;
import dev.ioasid.machine.DmaEngine;
import dev.ioasid.machine.PciDevice;

/**
 * A VFIO cdev: the binding of one machine device into a context, kept as (context, device id), and the work-queue
 * device behind it. Attach and detach are the core's calls; enabling a work queue checks with the core that the
 * PASID is the context's and attached for this device, then programs it.
 */
final class VfioDeviceImpl implements VfioDevice {
    private static final Logger LOG = LoggerFactory.getLogger(VfioDeviceImpl.class);

    private final PciDevice device;
    private final EndpointService endpoints;
    private final IoasidService ioasids;
    private final WorkQueueDevice hw;
    /** guarded by this; null when not bound */
    private Context ctx;
    /** guarded by this */
    private int devId;

    VfioDeviceImpl(PciDevice device, EndpointService endpoints, IoasidService ioasids, DmaEngine dma) {
        this.device = device;
        this.endpoints = endpoints;
        this.ioasids = ioasids;
        this.hw = new WorkQueueDevice(device, dma);
    }

    @Override
    public PciAddress address() {
        return device.address();
    }

    @Override
    public String name() {
        return device.name();
    }

    /**
     * Whether the binding still holds: the context may have been closed, or the device object destroyed through
     * the core, behind this cdev's back. Then the device is unbound here too and its work queues are reset.
     */
    private boolean live() {
        if (ctx == null) {
            return false;
        }
        boolean ok;
        try {
            ok = ctx.isOpen() && endpoints.device(ctx, devId).address().equals(device.address());
        } catch (IommuException e) {
            ok = false;
        }
        if (!ok) {
            LOG.debug("{}: its binding to context {} went away", device, ctx.name());
            ctx = null;
            devId = 0;
            hw.reset();
        }
        return ok;
    }

    private void requireBound() {
        if (!live()) {
            throw IommuException.of(Errno.EINVAL, "device %s is not bound to an iommufd context", device);
        }
    }

    @Override
    public synchronized int bindIommufd(Context context) {
        if (live()) {
            throw IommuException.of(Errno.EBUSY, "device %s is already bound to context %s as device %d", device, ctx.name(), devId);
        }
        int id = endpoints.bind(context, device.address());
        ctx = context;
        devId = id;
        LOG.debug("{}: bound to context {} as device {}", device, context.name(), id);
        return id;
    }

    @Override
    public synchronized boolean isBound() {
        return live();
    }

    @Override
    public synchronized Context context() {
        requireBound();
        return ctx;
    }

    @Override
    public synchronized int devId() {
        requireBound();
        return devId;
    }

    @Override
    public synchronized int attachPt(int ptId) {
        requireBound();
        if (endpoints.device(ctx, devId).ridHwpt() != 0) {
            return endpoints.replace(ctx, devId, ptId);
        }
        return endpoints.attach(ctx, devId, ptId);
    }

    @Override
    public synchronized int attachPt(int ptId, int pasid) {
        requireBound();
        ioasids.byHwId(ctx, pasid);
        if (endpoints.device(ctx, devId).pasidHwpts().containsKey(pasid)) {
            return endpoints.replace(ctx, devId, ptId, pasid);
        }
        return endpoints.attach(ctx, devId, ptId, pasid);
    }

    @Override
    public synchronized void detachPt() {
        requireBound();
        endpoints.detach(ctx, devId);
    }

    @Override
    public synchronized void detachPt(int pasid) {
        requireBound();
        endpoints.detach(ctx, devId, pasid);
    }

    @Override
    public int wqCount() {
        return hw.count();
    }

    @Override
    public synchronized void wqEnable(int wq) {
        hw.checkIndex(wq);
        requireBound();
        if (endpoints.device(ctx, devId).ridHwpt() == 0) {
            throw IommuException.of(Errno.EINVAL, "the RID of %s is not attached; attach it before enabling a work queue for it", device);
        }
        hw.enable(wq, NO_PASID);
    }

    @Override
    public synchronized void wqEnable(int wq, int pasid) {
        hw.checkIndex(wq);
        requireBound();
        ioasids.byHwId(ctx, pasid);
        DeviceInfo info = endpoints.device(ctx, devId);
        if (!info.pasidHwpts().containsKey(pasid)) {
            throw IommuException.of(Errno.EINVAL, "PASID %d of %s is not attached; attach it before enabling a work queue with it", pasid, device);
        }
        hw.enable(wq, pasid);
    }

    @Override
    public void wqDisable(int wq) {
        hw.disable(wq);
    }

    @Override
    public List<WqState> wqs() {
        return hw.states();
    }

    @Override
    public WqCompletion submit(int wq, WqDescriptor descriptor) {
        synchronized (this) {
            live();
        }
        return hw.submit(wq, descriptor);
    }

    @Override
    public synchronized void close() {
        if (live()) {
            try {
                endpoints.unbind(ctx, devId);
            } catch (IommuException e) {
                LOG.debug("{}: unbind at close: {}", device, e.getMessage());
            }
            LOG.debug("{}: closed; unbound from context {}", device, ctx.name());
        }
        ctx = null;
        devId = 0;
        hw.reset();
    }

    @Override
    public String toString() {
        return "vfio " + device;
    }
}
