package dev.ioasid.shell.internal;

import java.util.List;

import org.apache.felix.service.command.Descriptor;
import org.osgi.service.component.annotations.Activate;
import org.osgi.service.component.annotations.Component;
import org.osgi.service.component.annotations.Reference;

import dev.ioasid.api.Context;
import dev.ioasid.api.HwIdKind;
import dev.ioasid.api.Ioasid;

/** pasid:alloc, pasid:free, pasid:list: IOASIDs and the hardware ids behind them. */
@Component(service = PasidCommands.class, property = { "osgi.command.scope=pasid", "osgi.command.function=alloc",
        "osgi.command.function=free", "osgi.command.function=list" })
public final class PasidCommands {
    private final Shell sh;

    @Activate
    public PasidCommands(@Reference Shell sh) {
        this.sh = sh;
    }

    @Descriptor("allocate an IOASID and a PCI PASID from the global space; returns the PASID")
    public int alloc(@Descriptor("the context") String ctx) {
        return sh.ioasids.alloc(sh.ctx(ctx), HwIdKind.PCI_PASID).hwId();
    }

    @Descriptor("allocate an IOASID with a hardware id of a kind (pci_pasid or smmu_ssid); returns the hardware id")
    public int alloc(@Descriptor("the context") String ctx, @Descriptor("pci_pasid or smmu_ssid") String kind) {
        HwIdKind k;
        try {
            k = HwIdKind.valueOf(kind.toUpperCase());
        } catch (IllegalArgumentException e) {
            throw Shell.einval("kind is pci_pasid or smmu_ssid, not %s", kind);
        }
        return sh.ioasids.alloc(sh.ctx(ctx), k).hwId();
    }

    @Descriptor("free the IOASID holding a PASID")
    public String free(@Descriptor("the context") String ctx, @Descriptor("the PASID (hardware id)") String pasid) {
        Context c = sh.ctx(ctx);
        Ioasid i = sh.ioasids.byHwId(c, Shell.id("pasid", pasid));
        sh.ioasids.free(c, i.id());
        return "freed PASID " + pasid;
    }

    @Descriptor("the context's IOASIDs")
    public List<Ioasid> list(@Descriptor("the context") String ctx) {
        return sh.ioasids.list(sh.ctx(ctx));
    }
}
