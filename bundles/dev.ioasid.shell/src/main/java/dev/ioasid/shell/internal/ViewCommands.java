package dev.ioasid.shell.internal;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;

import org.apache.felix.service.command.Descriptor;
import org.osgi.service.component.annotations.Activate;
import org.osgi.service.component.annotations.Component;
import org.osgi.service.component.annotations.Reference;

import dev.ioasid.api.Context;
import dev.ioasid.api.DeviceInfo;
import dev.ioasid.api.Errno;
import dev.ioasid.api.IommuException;
import dev.ioasid.api.ObjectInfo;
import dev.ioasid.api.ObjectType;
import dev.ioasid.machine.Access;
import dev.ioasid.machine.PciDevice;
import dev.ioasid.spi.DecodedEntry;
import dev.ioasid.spi.IommuUnit;

/**
 * topology: devices, the HWPTs their endpoints translate through, and every endpoint of each HWPT, drawn like
 * the design thread's diagram ([T2]). tables: the hardware structures on a device's translation path.
 */
@Component(service = ViewCommands.class, property = { "osgi.command.scope=ioasid", "osgi.command.function=topology",
        "osgi.command.function=tables" })
public final class ViewCommands {
    private final Shell sh;

    @Activate
    public ViewCommands(@Reference Shell sh) {
        this.sh = sh;
    }

    @Descriptor("every open context: RID -> HWPT (paging or nested, its IOAS or parent) -> endpoints [RID] or [RID, PASID]")
    public List<String> topology() {
        List<String> out = new ArrayList<>();
        for (Context c : sh.contexts.contexts()) {
            out.addAll(topology(c.name()));
        }
        if (out.isEmpty()) {
            out.add("no open context");
        }
        return out;
    }

    @Descriptor("one context: RID -> HWPT (paging or nested, its IOAS or parent) -> endpoints [RID] or [RID, PASID]")
    public List<String> topology(@Descriptor("the context") String ctx) {
        Context c = sh.ctx(ctx);
        List<ObjectInfo> objects = c.objects();
        Map<Integer, ObjectInfo> byId = new TreeMap<>();
        List<DeviceInfo> devices = new ArrayList<>();
        for (ObjectInfo o : objects) {
            byId.put(o.id(), o);
            if (o.type() == ObjectType.DEVICE) {
                devices.add(sh.endpoints.device(c, o.id()));
            }
        }
        // every endpoint of every HWPT, RIDs first
        Map<Integer, List<String>> endpointsOf = new LinkedHashMap<>();
        for (DeviceInfo d : devices) {
            if (d.ridHwpt() != 0) {
                endpointsOf.computeIfAbsent(d.ridHwpt(), k -> new ArrayList<>()).add("[" + d.address() + "]");
            }
        }
        for (DeviceInfo d : devices) {
            d.pasidHwpts().forEach((p, h) -> endpointsOf.computeIfAbsent(h, k -> new ArrayList<>()).add("[" + d.address() + ", PASID " + p + "]"));
        }
        List<String> out = new ArrayList<>();
        out.add("context " + c.name());
        if (devices.isEmpty()) {
            out.add("  (no device bound)");
        }
        for (DeviceInfo d : devices) {
            PciDevice pci = sh.machine.device(d.address());
            out.add(String.format("  RID %s (%s, unit %s, device %d)", d.address(), pci.name(), d.unit(), d.devId()));
            List<Integer> hwpts = new ArrayList<>();
            if (d.ridHwpt() != 0) {
                hwpts.add(d.ridHwpt());
            }
            for (int h : d.pasidHwpts().values()) {
                if (!hwpts.contains(h)) {
                    hwpts.add(h);
                }
            }
            if (hwpts.isEmpty()) {
                out.add("    |-- blocked");
            }
            for (int h : hwpts) {
                out.add("    |-- " + describe(byId, h));
                for (String e : endpointsOf.getOrDefault(h, List.of())) {
                    out.add("    |     |-- " + e);
                }
            }
        }
        return out;
    }

    private static String describe(Map<Integer, ObjectInfo> byId, int hwpt) {
        ObjectInfo o = byId.get(hwpt);
        if (o == null) {
            return "HWPT " + hwpt;
        }
        boolean auto = o.detail().startsWith("auto");
        if (o.type() == ObjectType.HWPT_NESTED) {
            return String.format("HWPT %d nested on HWPT %d", hwpt, o.dependsOn().get(0));
        }
        return String.format("HWPT %d paging on IOAS %d%s", hwpt, o.dependsOn().get(0), auto ? " (automatic)" : "");
    }

    private List<String> tables(PciDevice d, int pasid, long iova) {
        IommuUnit u = sh.unit(d.unit());
        if (u == null) {
            throw IommuException.of(Errno.ENODEV, "unit %s has no backend: DMA from %s is blocked", d.unit(), d.address());
        }
        List<String> out = new ArrayList<>();
        out.add(String.format("%s %s pasid %s iova 0x%x on unit %s (%s)", d.address(), d.name(), Access.pasid(pasid), iova, d.unit(),
                u.description().vendor()));
        for (DecodedEntry e : u.describePath(d, pasid, iova)) {
            out.add("  " + e);
        }
        return out;
    }

    @Descriptor("the hardware structures a device's RID translates through, decoded with the spec's field names")
    public List<String> tables(@Descriptor("PCI address or device name") String bdf) {
        return tables(sh.machine.device(bdf), Access.NO_PASID, 0);
    }

    @Descriptor("the hardware structures (RID or RID+PASID) translates through, decoded with the spec's field names")
    public List<String> tables(@Descriptor("PCI address or device name") String bdf, @Descriptor("PASID, or - for none") String pasid) {
        return tables(sh.machine.device(bdf), Shell.pasid(pasid), 0);
    }

    @Descriptor("the walk of one IOVA by (RID or RID+PASID), entry by entry")
    public List<String> tables(@Descriptor("PCI address or device name") String bdf, @Descriptor("PASID, or - for none") String pasid,
            @Descriptor("IOVA") String iova) {
        return tables(sh.machine.device(bdf), Shell.pasid(pasid), Shell.number("iova", iova));
    }
}
