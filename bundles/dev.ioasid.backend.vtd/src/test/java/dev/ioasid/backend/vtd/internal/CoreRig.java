package dev.ioasid.backend.vtd.internal;

import static org.junit.jupiter.api.Assertions.assertEquals;

import dev.ioasid.api.Context;
import dev.ioasid.api.PciAddress;
import dev.ioasid.core.internal.IommuCore;
import dev.ioasid.machine.DmaResult;
import dev.ioasid.machine.Machine;
import dev.ioasid.machine.MachineDescription;

/** A machine with one VT-d unit under the real core, for end-to-end tests through the API. */
final class CoreRig implements AutoCloseable {
    final Machine machine;
    VtdUnit unit;
    final IommuCore core;
    final Context ctx;
    private final long framesBefore;

    CoreRig(String unitSettings, String devices) {
        machine = new Machine(MachineDescription.parse("memory 4G\nunit vtd0 vtd " + unitSettings + "\n" + devices + "\n", "core-rig"));
        framesBefore = machine.frames().framesInUse();
        unit = VtdUnit.of(machine.unit("vtd0"), machine.frames());
        core = new IommuCore(machine);
        core.bindUnit(unit);
        ctx = core.open("vmm");
    }

    CoreRig() {
        this("profile=server", Rig.DEVICES);
    }

    PciAddress addr(String name) {
        return machine.device(name).address();
    }

    DmaResult read(String device, int pasid, long iova, int length) {
        return machine.dma().read(addr(device), pasid, iova, length);
    }

    DmaResult write(String device, int pasid, long iova, byte[] data) {
        return machine.dma().write(addr(device), pasid, iova, data);
    }

    /** Swaps the unit for a new one built from {@code settings}, as a Config Admin change does. */
    void reconfigure(String settings) {
        core.unbindUnit(unit);
        unit.shutdown();
        dev.ioasid.machine.UnitDescription d = machine.unit("vtd0");
        java.util.Map<String, String> props = new java.util.LinkedHashMap<>(d.properties());
        for (String kv : settings.split("\\s+")) {
            String[] p = kv.split("=", 2);
            props.put(p[0], p[1]);
        }
        unit = VtdUnit.of(new dev.ioasid.machine.UnitDescription(d.id(), d.vendor(), props), machine.frames());
        core.bindUnit(unit);
    }

    /** Closes everything and checks that every frame came back. */
    @Override
    public void close() {
        for (Context c : core.contexts()) {
            c.close();
        }
        assertEquals(0, machine.pins().total(), "every pin is gone");
        core.unbindUnit(unit);
        core.deactivate();
        unit.shutdown();
        assertEquals(framesBefore, machine.frames().framesInUse(), "every frame is back");
    }
}
