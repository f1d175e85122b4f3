package dev.ioasid.backend.smmuv3.internal;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.ioasid.core.conformance.ConformanceBackend;
import dev.ioasid.core.conformance.DevicePasidConformance;

/** DevicePasidConformance against the SMMUv3 model, checking the CD the driver wrote for each PASID. */
class Smmuv3DevicePasidTest extends DevicePasidConformance {
    @Override
    protected ConformanceBackend backend() {
        return new Smmuv3ConformanceBackend();
    }

    @Override
    protected void hardwareCheck(int dev, int pasid, int hwpt) {
        Smmuv3Unit unit = (Smmuv3Unit) units.get(0);
        var pci = machine.device(core.device(ctx, dev).address());
        Cd cd = unit.cdOf(pci, pasid);
        if (hwpt == 0) {
            assertSame(null, unit.attached(pci, pasid), "the driver's view of the PASID");
            assertFalse(cd != null && cd.V(), "the CD of a detached PASID is invalid");
        } else {
            SmmuDomain d = (SmmuDomain) core.domainOf(ctx, hwpt);
            assertSame(d, unit.attached(pci, pasid));
            assertTrue(cd.V(), "CD " + pasid + " is valid");
            assertEquals(d.asid(), cd.ASID(), "CD " + pasid + " carries the domain's ASID");
            assertEquals(d.table.root, cd.TTB0(), "and its table");
        }
    }
}
