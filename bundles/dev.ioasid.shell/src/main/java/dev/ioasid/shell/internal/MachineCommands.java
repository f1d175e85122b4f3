package dev.ioasid.shell.internal;

import java.util.ArrayList;
import java.util.List;

import org.apache.felix.service.command.Descriptor;
import org.osgi.service.component.annotations.Activate;
import org.osgi.service.component.annotations.Component;
import org.osgi.service.component.annotations.Reference;

import dev.ioasid.machine.PciDevice;
import dev.ioasid.machine.UnitDescription;

/** machine:show. */
@Component(service = MachineCommands.class, property = { "osgi.command.scope=machine", "osgi.command.function=show" })
public final class MachineCommands {
    private final Shell sh;

    @Activate
    public MachineCommands(@Reference Shell sh) {
        this.sh = sh;
    }

    @Descriptor("the machine: memory, IOMMU units and the devices behind each, with their capabilities")
    public List<String> show() {
        List<String> out = new ArrayList<>();
        var m = sh.machine;
        out.add(String.format("memory %d MiB, %d frames in use", m.description().memorySize() >> 20, m.frames().framesInUse()));
        for (UnitDescription u : m.units()) {
            out.add(String.format("unit %s (%s)%s%s", u.id(), u.vendor(), u.properties().isEmpty() ? "" : " " + u.properties(),
                    sh.unit(u.id()) == null ? "  [no backend]" : ""));
            for (PciDevice d : m.devicesBehind(u.id())) {
                out.add(String.format("  %s %-6s rid %04x  %s%s", d.address(), d.name(), d.rid(), d.caps(),
                        d.properties().isEmpty() ? "" : " " + d.properties()));
            }
        }
        return out;
    }
}
