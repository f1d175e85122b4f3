package dev.ioasid.shell.internal;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.util.ArrayList;
import java.util.List;

import org.apache.felix.service.command.Descriptor;
import org.osgi.service.component.annotations.Activate;
import org.osgi.service.component.annotations.Component;
import org.osgi.service.component.annotations.Reference;

import dev.ioasid.api.DeviceInfo;
import dev.ioasid.api.HwInfo;
import dev.ioasid.api.HwInfoType;
import dev.ioasid.api.PciAddress;
import dev.ioasid.spi.IommuUnit;

/** dev:bind, unbind, attach, replace, detach, info. */
@Component(service = DevCommands.class, property = { "osgi.command.scope=dev", "osgi.command.function=bind",
        "osgi.command.function=unbind", "osgi.command.function=attach", "osgi.command.function=replace",
        "osgi.command.function=detach", "osgi.command.function=info" })
public final class DevCommands {
    private final Shell sh;

    @Activate
    public DevCommands(@Reference Shell sh) {
        this.sh = sh;
    }

    /** A device by PCI address or by its machine name. */
    PciAddress address(String bdf) {
        return sh.machine.device(bdf).address();
    }

    @Descriptor("bind a machine device into a context; returns its device id (it is blocked until attached)")
    public int bind(@Descriptor("the context") String ctx, @Descriptor("PCI address (0000:00:01.0) or device name") String bdf) {
        return sh.endpoints.bind(sh.ctx(ctx), address(bdf));
    }

    @Descriptor("detach everything from a device and unbind it")
    public String unbind(@Descriptor("the context") String ctx, @Descriptor("device id") String dev) {
        sh.endpoints.unbind(sh.ctx(ctx), Shell.id("dev", dev));
        return "unbound device " + dev;
    }

    @Descriptor("attach the device's RID to an IOAS or an HWPT; returns the HWPT id in use")
    public int attach(@Descriptor("the context") String ctx, @Descriptor("device id") String dev, @Descriptor("IOAS or HWPT id") String pt) {
        return sh.endpoints.attach(sh.ctx(ctx), Shell.id("dev", dev), Shell.id("pt", pt));
    }

    @Descriptor("attach (RID, PASID) to an HWPT allocated with the pasid flag; returns the HWPT id")
    public int attach(@Descriptor("the context") String ctx, @Descriptor("device id") String dev, @Descriptor("HWPT id") String pt,
            @Descriptor("PASID") String pasid) {
        return sh.endpoints.attach(sh.ctx(ctx), Shell.id("dev", dev), Shell.id("pt", pt), Shell.pasid(pasid));
    }

    @Descriptor("replace what the RID is attached to; returns the HWPT id in use")
    public int replace(@Descriptor("the context") String ctx, @Descriptor("device id") String dev, @Descriptor("IOAS or HWPT id") String pt) {
        return sh.endpoints.replace(sh.ctx(ctx), Shell.id("dev", dev), Shell.id("pt", pt));
    }

    @Descriptor("replace what (RID, PASID) is attached to; returns the HWPT id")
    public int replace(@Descriptor("the context") String ctx, @Descriptor("device id") String dev, @Descriptor("HWPT id") String pt,
            @Descriptor("PASID") String pasid) {
        return sh.endpoints.replace(sh.ctx(ctx), Shell.id("dev", dev), Shell.id("pt", pt), Shell.pasid(pasid));
    }

    @Descriptor("detach the RID: its DMA is blocked from now on")
    public String detach(@Descriptor("the context") String ctx, @Descriptor("device id") String dev) {
        sh.endpoints.detach(sh.ctx(ctx), Shell.id("dev", dev));
        return "device " + dev + " RID blocked";
    }

    @Descriptor("detach (RID, PASID): its DMA is blocked from now on")
    public String detach(@Descriptor("the context") String ctx, @Descriptor("device id") String dev, @Descriptor("PASID") String pasid) {
        sh.endpoints.detach(sh.ctx(ctx), Shell.id("dev", dev), Shell.pasid(pasid));
        return "device " + dev + " PASID " + pasid + " blocked";
    }

    @Descriptor("the device, its attachments, and its unit's hw_info decoded")
    public List<String> info(@Descriptor("the context") String ctx, @Descriptor("device id") String dev) {
        var c = sh.ctx(ctx);
        int id = Shell.id("dev", dev);
        DeviceInfo d = sh.endpoints.device(c, id);
        List<String> out = new ArrayList<>();
        out.add(String.format("device %d: %s on unit %s, PASID width %d", d.devId(), d.address(), d.unit(), d.pasidWidth()));
        out.add("  RID -> " + (d.ridHwpt() == 0 ? "blocked" : "HWPT " + d.ridHwpt()));
        d.pasidHwpts().forEach((p, h) -> out.add("  PASID " + p + " -> HWPT " + h));
        HwInfo hw = sh.endpoints.hwInfo(c, id);
        out.add(String.format("  hw_info type %s, max_pasid_log2 %d, capabilities%s", typeName(hw.type()), hw.maxPasidLog2(), caps(hw.capabilities())));
        out.addAll(decode(hw));
        IommuUnit unit = sh.unit(d.unit());
        if (unit != null) {
            unit.describeHwInfo(hw).forEach(e -> out.add("    " + e));
        }
        return out;
    }

    static String typeName(int type) {
        switch (type) {
        case HwInfoType.INTEL_VTD: return "INTEL_VTD (1)";
        case HwInfoType.ARM_SMMUV3: return "ARM_SMMUV3 (2)";
        case HwInfoType.AMD: return "AMD (4)";
        case HwInfoType.SELFTEST: return "SELFTEST (0xfeedbeef)";
        default: return "0x" + Integer.toHexString(type);
        }
    }

    private static String caps(long caps) {
        StringBuilder sb = new StringBuilder();
        if ((caps & HwInfo.CAP_DIRTY_TRACKING) != 0) sb.append(" DIRTY_TRACKING");
        if ((caps & HwInfo.CAP_PCI_PASID_EXEC) != 0) sb.append(" PCI_PASID_EXEC");
        if ((caps & HwInfo.CAP_PCI_PASID_PRIV) != 0) sb.append(" PCI_PASID_PRIV");
        return sb.length() == 0 ? " none" : sb.toString();
    }

    /** The vendor structure field by field, with the uAPI's names. */
    static List<String> decode(HwInfo hw) {
        List<String> out = new ArrayList<>();
        ByteBuffer b = ByteBuffer.wrap(hw.data()).order(ByteOrder.LITTLE_ENDIAN);
        switch (hw.type()) {
        case HwInfoType.SELFTEST:
            if (b.remaining() >= 8) {
                out.add(String.format("  iommu_test_hw_info: flags 0x%x test_reg 0x%x", b.getInt(), b.getInt()));
            }
            break;
        case HwInfoType.INTEL_VTD:
            if (b.remaining() >= 24) {
                int flags = b.getInt();
                b.getInt();
                out.add(String.format("  iommu_hw_info_vtd: flags 0x%x cap_reg 0x%016x ecap_reg 0x%016x", flags, b.getLong(), b.getLong()));
            }
            break;
        case HwInfoType.ARM_SMMUV3:
            if (b.remaining() >= 40) {
                int flags = b.getInt();
                b.getInt();
                StringBuilder sb = new StringBuilder(String.format("  iommu_hw_info_arm_smmuv3: flags 0x%x", flags));
                for (int i = 0; i < 6; i++) {
                    sb.append(String.format(" idr[%d] 0x%08x", i, b.getInt()));
                }
                sb.append(String.format(" iidr 0x%08x aidr 0x%08x", b.getInt(), b.getInt()));
                out.add(sb.toString());
            }
            break;
        default:
            out.add("  data " + Shell.hex(hw.data()));
        }
        return out;
    }
}
