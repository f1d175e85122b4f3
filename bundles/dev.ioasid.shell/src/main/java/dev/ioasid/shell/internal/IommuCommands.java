package dev.ioasid.shell.internal;

import java.util.ArrayList;
import java.util.List;

import org.apache.felix.service.command.Descriptor;
import org.osgi.service.component.annotations.Activate;
import org.osgi.service.component.annotations.Component;
import org.osgi.service.component.annotations.Reference;

import dev.ioasid.api.Errno;
import dev.ioasid.api.IommuException;
import dev.ioasid.machine.TranslationFault;
import dev.ioasid.machine.UnitDescription;
import dev.ioasid.machine.UnitPort;
import dev.ioasid.spi.IommuUnit;
import dev.ioasid.spi.UnitEvent;
import dev.ioasid.spi.UnitStats;

/** iommu:units, iommu:events, iommu:stats. */
@Component(service = IommuCommands.class, property = { "osgi.command.scope=iommu", "osgi.command.function=units",
        "osgi.command.function=events", "osgi.command.function=stats" })
public final class IommuCommands {
    private final Shell sh;

    @Activate
    public IommuCommands(@Reference Shell sh) {
        this.sh = sh;
    }

    @Descriptor("the IOMMU units: vendor, whether a backend drives it, its capability profile")
    public List<String> units() {
        List<String> out = new ArrayList<>();
        for (UnitDescription u : sh.machine.units()) {
            IommuUnit b = sh.unit(u.id());
            out.add(String.format("%-8s %-7s %s", u.id(), u.vendor(), b == null ? "backend MISSING (DMA blocked)" : "backend bound, profile " + b.profile()));
        }
        return out;
    }

    private IommuUnit backend(String unit) {
        IommuUnit b = sh.unit(unit);
        if (b == null) {
            throw IommuException.of(Errno.ENODEV, "unit %s has no backend", unit);
        }
        return b;
    }

    @Descriptor("the unit's event log, decoded; and DMAs blocked while it had no backend")
    public List<String> events(@Descriptor("unit id, e.g. mock0") String unit) {
        List<String> out = new ArrayList<>();
        UnitPort port = sh.machine.port(unit);
        for (TranslationFault f : port.blockedLog()) {
            out.add("blocked (no backend): " + f);
        }
        IommuUnit b = sh.unit(unit);
        if (b != null) {
            for (UnitEvent e : b.events()) {
                out.add(e.toString());
            }
        }
        if (out.isEmpty()) {
            out.add("no events");
        }
        return out;
    }

    @Descriptor("the unit's IOTLB and cache counters: hits, misses, invalidations")
    public List<String> stats(@Descriptor("unit id, e.g. mock0") String unit) {
        UnitStats s = backend(unit).stats();
        List<String> out = new ArrayList<>();
        out.add(String.format("iotlb hits %d misses %d, invalidations %d, faults %d", s.iotlbHits(), s.iotlbMisses(), s.invalidations(), s.faults()));
        s.caches().forEach((k, v) -> out.add(k + " " + v));
        return out;
    }
}
