package dev.ioasid.consumer.vfio.internal;

import java.util.ArrayList;
import java.util.List;

import org.apache.felix.service.command.Descriptor;
import org.osgi.service.component.annotations.Activate;
import org.osgi.service.component.annotations.Component;
import org.osgi.service.component.annotations.Reference;

import dev.ioasid.api.ContextService;
import dev.ioasid.api.Errno;
import dev.ioasid.api.IommuException;
import dev.ioasid.consumer.vfio.VfioDevice;
import dev.ioasid.consumer.vfio.VfioService;
import dev.ioasid.consumer.vfio.WqCompletion;
import dev.ioasid.consumer.vfio.WqDescriptor;
import dev.ioasid.consumer.vfio.WqState;

/**
 * vfio:devices, bind, attach, detach, wq, copy, close: the VFIO cdevs and their work queues from the shell. Like
 * the driver itself they only call the core and authorize PASIDs the VMM got from it.
 */
@Component(service = VfioCommands.class, property = { "osgi.command.scope=vfio", "osgi.command.function=devices",
        "osgi.command.function=bind", "osgi.command.function=attach", "osgi.command.function=detach", "osgi.command.function=wq",
        "osgi.command.function=copy", "osgi.command.function=close" })
public final class VfioCommands {
    private final VfioService vfio;
    private final ContextService contexts;

    @Activate
    public VfioCommands(@Reference VfioService vfio, @Reference ContextService contexts) {
        this.vfio = vfio;
        this.contexts = contexts;
    }

    private static long number(String what, String text) {
        try {
            String t = text.trim();
            return t.startsWith("0x") ? Long.parseUnsignedLong(t.substring(2), 16) : Long.parseLong(t);
        } catch (RuntimeException e) {
            throw IommuException.of(Errno.EINVAL, "%s: '%s' is not a number", what, text);
        }
    }

    private static int pasid(String text) {
        return "-".equals(text) ? VfioDevice.NO_PASID : (int) number("pasid", text);
    }

    @Descriptor("the VFIO devices (cdevs) and their state")
    public List<String> devices() {
        List<String> out = new ArrayList<>();
        for (VfioDevice d : vfio.devices()) {
            out.add(String.format("%s %-6s %s, %d work queue(s)", d.address(), d.name(),
                    d.isBound() ? "bound to " + d.context().name() + " as device " + d.devId() : "unbound", d.wqCount()));
        }
        return out;
    }

    @Descriptor("VFIO_DEVICE_BIND_IOMMUFD: bind a cdev into a context; returns the device id")
    public int bind(@Descriptor("the context") String ctx, @Descriptor("device name or PCI address") String dev) {
        return vfio.device(dev).bindIommufd(contexts.context(ctx));
    }

    @Descriptor("VFIO_DEVICE_ATTACH_IOMMUFD_PT: attach (or replace) the RID; returns the HWPT id in use")
    public int attach(@Descriptor("device name or PCI address") String dev, @Descriptor("IOAS or HWPT id") String pt) {
        return vfio.device(dev).attachPt((int) number("pt", pt));
    }

    @Descriptor("VFIO_DEVICE_ATTACH_IOMMUFD_PT with a PASID from pasid:alloc; returns the HWPT id in use")
    public int attach(@Descriptor("device name or PCI address") String dev, @Descriptor("HWPT id") String pt,
            @Descriptor("PASID") String pasid) {
        return vfio.device(dev).attachPt((int) number("pt", pt), pasid(pasid));
    }

    @Descriptor("VFIO_DEVICE_DETACH_IOMMUFD_PT: the RID is blocked afterwards")
    public String detach(@Descriptor("device name or PCI address") String dev) {
        vfio.device(dev).detachPt();
        return "RID blocked";
    }

    @Descriptor("VFIO_DEVICE_DETACH_IOMMUFD_PT with a PASID: that PASID is blocked afterwards")
    public String detach(@Descriptor("device name or PCI address") String dev, @Descriptor("PASID") String pasid) {
        vfio.device(dev).detachPt(pasid(pasid));
        return "PASID " + pasid + " blocked";
    }

    @Descriptor("enable a work queue with a PASID (or - for the RID): the driver only authorizes it")
    public WqState wq(@Descriptor("device name or PCI address") String dev, @Descriptor("work queue index") String wq,
            @Descriptor("PASID from pasid:alloc, or -") String pasid) {
        VfioDevice d = vfio.device(dev);
        int i = (int) number("wq", wq);
        int p = pasid(pasid);
        if (p == VfioDevice.NO_PASID) {
            d.wqEnable(i);
        } else {
            d.wqEnable(i, p);
        }
        return d.wqs().get(i);
    }

    @Descriptor("submit a MEMMOVE descriptor to a work queue: the device copies through its PASID; returns the completion")
    public WqCompletion copy(@Descriptor("device name or PCI address") String dev, @Descriptor("work queue index") String wq,
            @Descriptor("source device address") String src, @Descriptor("destination device address") String dst,
            @Descriptor("bytes") String length) {
        return vfio.device(dev).submit((int) number("wq", wq),
                WqDescriptor.memmove(number("src", src), number("dst", dst), (int) number("length", length)));
    }

    @Descriptor("close the cdev: it is unbound and releases everything it held")
    public String close(@Descriptor("device name or PCI address") String dev) {
        vfio.device(dev).close();
        return "closed " + dev;
    }
}
