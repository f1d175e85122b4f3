package dev.ioasid.backend.smmuv3.internal;

import java.util.Map;

import dev.ioasid.api.Context;
import dev.ioasid.api.PciAddress;
import dev.ioasid.core.internal.IommuCore;
import dev.ioasid.machine.Machine;
import dev.ioasid.machine.MachineDescription;

/** A machine with one SMMUv3 unit driven by the core, as the runtime wires it. */
final class CoreFixture implements AutoCloseable {
    static final PciAddress GPU = PciAddress.parse("0000:01:00.0");
    static final PciAddress NIC = PciAddress.parse("0000:01:01.0");
    static final PciAddress ACC = PciAddress.parse("0000:01:02.0");

    final Machine machine;
    final Smmuv3Unit unit;
    final IommuCore core;

    CoreFixture(String unitSettings) {
        machine = new Machine(MachineDescription.parse("memory 4G\nunit smmu0 smmuv3 " + unitSettings + "\n" + UnitFixture.DEVICES + "\n", "fixture"));
        unit = new Smmuv3Unit(machine.unit("smmu0"), machine.frames(), machine.devicesBehind("smmu0"), Map.of());
        core = new IommuCore(machine);
        core.bindUnit(unit);
    }

    CoreFixture() {
        this("profile=server");
    }

    Context open(String name) {
        return core.open(name);
    }

    @Override
    public void close() {
        for (Context c : core.contexts()) {
            c.close();
        }
        core.unbindUnit(unit);
        core.deactivate();
        unit.shutdown();
    }
}
