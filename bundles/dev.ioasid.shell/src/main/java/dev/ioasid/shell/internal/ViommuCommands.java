package dev.ioasid.shell.internal;

import org.apache.felix.service.command.Descriptor;
import org.osgi.service.component.annotations.Activate;
import org.osgi.service.component.annotations.Component;
import org.osgi.service.component.annotations.Reference;

import dev.ioasid.api.ViommuType;

/**
 * viommu:alloc, vdevice, eventq: a VM's virtual IOMMU (SMMUv3), its virtual devices and its vEVENTQ. Nested
 * HWPTs go on it with {@code hwpt:alloc <ctx> <dev> <viommu> type=smmuv3 ...}; the guest's commands with
 * {@code hwpt:invalidate <ctx> <viommu> cmd0=..,cmd1=..}; its events with {@code fault:events}.
 */
@Component(service = ViommuCommands.class, property = { "osgi.command.scope=viommu", "osgi.command.function=alloc",
        "osgi.command.function=vdevice", "osgi.command.function=eventq" })
public final class ViommuCommands {
    private final Shell sh;

    @Activate
    public ViommuCommands(@Reference Shell sh) {
        this.sh = sh;
    }

    @Descriptor("allocate an ARM_SMMUV3 vIOMMU on a NEST_PARENT HWPT; returns its id")
    public int alloc(@Descriptor("the context") String ctx, @Descriptor("device id") String dev, @Descriptor("NEST_PARENT HWPT id") String hwpt) {
        return sh.domains.viommuAlloc(sh.ctx(ctx), Shell.id("dev", dev), Shell.id("hwpt", hwpt), ViommuType.ARM_SMMUV3, null);
    }

    @Descriptor("tell a vIOMMU the virtual id (stream id) the guest knows a device by; returns the vdevice id")
    public int vdevice(@Descriptor("the context") String ctx, @Descriptor("vIOMMU id") String viommu, @Descriptor("device id") String dev,
            @Descriptor("virtual stream id") String virtId) {
        return sh.domains.vdeviceAlloc(sh.ctx(ctx), Shell.id("viommu", viommu), Shell.id("dev", dev), Shell.number("virtual id", virtId));
    }

    @Descriptor("allocate the vIOMMU's vEVENTQ of a depth; read it with fault:events; returns its id")
    public int eventq(@Descriptor("the context") String ctx, @Descriptor("vIOMMU id") String viommu, @Descriptor("records it holds") String depth) {
        return sh.faults.veventqAlloc(sh.ctx(ctx), Shell.id("viommu", viommu), ViommuType.VEVENTQ_ARM_SMMUV3, Shell.id("depth", depth));
    }
}
