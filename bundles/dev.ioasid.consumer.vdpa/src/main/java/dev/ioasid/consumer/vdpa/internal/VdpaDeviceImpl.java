package dev.ioasid.consumer.vdpa.internal;

import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import dev.ioasid.api.Context;
import dev.ioasid.api.DomainService;
import dev.ioasid.api.EndpointService;
import dev.ioasid.api.Errno;
import dev.ioasid.api.HwptAlloc;
import dev.ioasid.api.HwptFlags;
import dev.ioasid.api.IoasidService;
import dev.ioasid.api.IommuException;
import dev.ioasid.api.PciAddress;
import dev.ioasid.consumer.vdpa.AddressSpace;
import dev.ioasid.consumer.vdpa.NetStats;
import dev.ioasid.consumer.vdpa.VdpaDevice;
import dev.ioasid.consumer.vdpa.VhostIotlbMsg;
import dev.ioasid.consumer.vdpa.VirtioNet;
import dev.ioasid.consumer.vdpa.VringState;
import dev.ioasid.machine.Access;
import dev.ioasid.machine.DmaEngine;
import dev.ioasid.machine.PciDevice;

/**
 * A vhost-vdpa device: the binding of one machine device into a context, the address spaces (each an IOAS with
 * the paging HWPT and the endpoint, RID or (RID, PASID), that reach it), the IOTLB message path, and the
 * simulated net device. Every IOAS, HWPT and attach operation is the core's; the only thing decided here is
 * which tag the device puts on the DMA of each group.
 */
final class VdpaDeviceImpl implements VdpaDevice {
    private static final Logger LOG = LoggerFactory.getLogger(VdpaDeviceImpl.class);

    private final PciDevice device;
    private final EndpointService endpoints;
    private final DomainService domains;
    private final IoasidService ioasids;
    private final DmaEngine dma;
    private final NetSim sim;
    private final IotlbProcessor iotlb;
    /** guarded by this; null when not bound */
    private Context ctx;
    /** guarded by this */
    private int devId;
    /** what backs each address space, null for none; guarded by this */
    private final AddressSpace[] spaces = new AddressSpace[NetSim.NAS];

    VdpaDeviceImpl(PciDevice device, byte[] mac, EndpointService endpoints, DomainService domains, IoasidService ioasids, DmaEngine dma) {
        this.device = device;
        this.endpoints = endpoints;
        this.domains = domains;
        this.ioasids = ioasids;
        this.dma = dma;
        this.sim = new NetSim(device.toString(), mac, this::dmaFor);
        this.iotlb = new IotlbProcessor(domains, device.toString());
    }

    /** The DMA of an address space, as the device's hardware would tag it. Called with the lock held. */
    private GuestDma dmaFor(int asid) {
        AddressSpace as = spaces[asid];
        if (as == null) {
            return GuestDma.refusing("address space " + asid + " has no IOAS attached: the device cannot reach it");
        }
        return GuestDma.tagged(dma, device.address(), as.pasid() == NO_PASID ? Access.NO_PASID : as.pasid());
    }

    @Override
    public PciAddress address() {
        return device.address();
    }

    @Override
    public String name() {
        return device.name();
    }

    // ------------------------------------------------------------------ iommufd

    /**
     * Whether the binding still holds; when the context was closed or the device unbound through the core, the
     * device forgets it, resets, and drops the HWPTs it made if their context is still open.
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
            dropSpaces();
            forget();
        }
        return ok;
    }

    private void requireBound() {
        if (!live()) {
            throw IommuException.of(Errno.EINVAL, "device %s is not bound to an iommufd context", device);
        }
    }

    private void forget() {
        ctx = null;
        devId = 0;
        iotlb.reset();
        sim.powerOn();
    }

    /** Destroys the HWPTs made for the address spaces; their endpoints are detached already. */
    private void dropSpaces() {
        for (int i = 0; i < spaces.length; i++) {
            if (spaces[i] != null) {
                destroyQuietly(spaces[i].hwptId());
                spaces[i] = null;
            }
        }
    }

    private void destroyQuietly(int id) {
        try {
            if (ctx.isOpen()) {
                ctx.destroy(id);
            }
        } catch (IommuException e) {
            LOG.debug("{}: HWPT {} not destroyed: {}", device, id, e.getMessage());
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
    public int attachAs(int asid, int ioasId) {
        return attach(asid, ioasId, NO_PASID);
    }

    @Override
    public int attachAs(int asid, int ioasId, int pasid) {
        if (pasid == NO_PASID) {
            throw IommuException.of(Errno.EINVAL, "PASID %d: use attachAs(asid, ioasId) for the RID", pasid);
        }
        return attach(asid, ioasId, pasid);
    }

    /**
     * A paging HWPT on the IOAS, made by the core (PASID-compatible when the device has PASIDs, so that the RID
     * and PASIDs can sit side by side), then the core's attach, or replace when the address space keeps its tag.
     */
    private synchronized int attach(int asid, int ioasId, int pasid) {
        NetSim.checkAsid(asid);
        requireBound();
        if (pasid != NO_PASID) {
            ioasids.byHwId(ctx, pasid);
        }
        AddressSpace old = spaces[asid];
        int flags = device.caps().hasPasid() ? HwptFlags.PASID : 0;
        int hwpt = domains.hwptAlloc(ctx, HwptAlloc.paging(devId, ioasId, flags));
        try {
            if (old != null && old.pasid() == pasid) {
                replace(hwpt, pasid);
            } else {
                if (pasid == NO_PASID) {
                    endpoints.attach(ctx, devId, hwpt);
                } else {
                    endpoints.attach(ctx, devId, hwpt, pasid);
                }
                if (old != null) {
                    detach(old.pasid());
                }
            }
        } catch (RuntimeException e) {
            destroyQuietly(hwpt);
            throw e;
        }
        if (old != null) {
            destroyQuietly(old.hwptId());
        }
        spaces[asid] = new AddressSpace(asid, ioasId, hwpt, pasid);
        LOG.debug("{}: {}", device, spaces[asid]);
        return hwpt;
    }

    private void replace(int hwpt, int pasid) {
        if (pasid == NO_PASID) {
            endpoints.replace(ctx, devId, hwpt);
        } else {
            endpoints.replace(ctx, devId, hwpt, pasid);
        }
    }

    private void detach(int pasid) {
        if (pasid == NO_PASID) {
            endpoints.detach(ctx, devId);
        } else {
            endpoints.detach(ctx, devId, pasid);
        }
    }

    @Override
    public synchronized void detachAs(int asid) {
        NetSim.checkAsid(asid);
        requireBound();
        AddressSpace as = spaces[asid];
        if (as == null) {
            return;
        }
        detach(as.pasid());
        destroyQuietly(as.hwptId());
        spaces[asid] = null;
    }

    @Override
    public synchronized AddressSpace addressSpace(int asid) {
        NetSim.checkAsid(asid);
        live();
        AddressSpace as = spaces[asid];
        return as == null ? new AddressSpace(asid, 0, 0, NO_PASID) : as;
    }

    // ------------------------------------------------------------------ vhost-vdpa

    @Override
    public int getDeviceId() {
        return VirtioNet.VIRTIO_ID_NET;
    }

    @Override
    public int getVqsCount() {
        return NetSim.NVQS;
    }

    @Override
    public int getGroupNum() {
        return NetSim.NGROUPS;
    }

    @Override
    public int getAsNum() {
        return NetSim.NAS;
    }

    @Override
    public synchronized int getVringGroup(int vq) {
        return sim.vq(vq).group;
    }

    @Override
    public synchronized void setGroupAsid(int group, int asid) {
        sim.setGroupAsid(group, asid);
    }

    @Override
    public synchronized int getGroupAsid(int group) {
        return sim.groupAsid(group);
    }

    @Override
    public synchronized void processIotlbMsg(VhostIotlbMsg msg) {
        requireBound();
        iotlb.process(ctx, asid -> spaces[asid] == null ? 0 : spaces[asid].ioasId(), msg);
    }

    @Override
    public synchronized int getStatus() {
        return sim.status();
    }

    @Override
    public synchronized void setStatus(int status) {
        sim.setStatus(status);
    }

    @Override
    public synchronized byte[] getConfig(int offset, int length) {
        int size = VirtioNet.CONFIG_SIZE;
        if (length <= 0 || offset < 0 || offset > size) {
            throw IommuException.of(Errno.EINVAL, "config offset %d length %d (the config is %d bytes)", offset, length, size);
        }
        if (length > size - offset) {
            throw IommuException.of(Errno.E2BIG, "config offset %d length %d runs past its %d bytes", offset, length, size);
        }
        return java.util.Arrays.copyOfRange(sim.config(), offset, offset + length);
    }

    @Override
    public synchronized void setVringNum(int vq, int num) {
        sim.setVringNum(vq, num);
    }

    @Override
    public synchronized void setVringAddr(int vq, long desc, long avail, long used) {
        sim.setVringAddr(vq, desc, avail, used);
    }

    @Override
    public synchronized void setVringEnable(int vq, boolean ready) {
        sim.vq(vq).ready = ready;
    }

    @Override
    public synchronized VringState vring(int vq) {
        return sim.state(vq);
    }

    @Override
    public synchronized int kick(int vq) {
        live();
        return sim.kick(vq);
    }

    @Override
    public synchronized NetStats stats() {
        return sim.stats();
    }

    @Override
    public synchronized void close() {
        if (live()) {
            try {
                endpoints.unbind(ctx, devId);
            } catch (IommuException e) {
                LOG.debug("{}: unbind at close: {}", device, e.getMessage());
            }
            dropSpaces();
            LOG.debug("{}: closed; unbound from context {}", device, ctx.name());
        }
        forget();
    }

    @Override
    public String toString() {
        return "vdpa " + device;
    }
}
