package dev.ioasid.backend.vtd.internal;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;

import dev.ioasid.core.conformance.ConformanceBackend;
import dev.ioasid.core.conformance.DevicePasidConformance;

/** The core's DevicePasidConformance cases against the VT-d model, checked in its PASID table too. */
class VtdDevicePasidConformanceTest extends DevicePasidConformance {
    @Override
    protected ConformanceBackend backend() {
        return new VtdConformanceBackend();
    }

    /** The PASID entry of (RID, PASID) is present with the HWPT's DID, or not present. */
    @Override
    protected void hardwareCheck(int dev, int pasid, int hwpt) {
        VtdUnit unit = (VtdUnit) units.get(0);
        int sid = core.device(ctx, dev).address().rid();
        PasidEntry e = unit.tables.pasidEntry(sid, pasid);
        if (hwpt == 0) {
            assertNull(e, "no PASID entry for PASID " + pasid);
        } else {
            assertNotNull(e, "a PASID entry for PASID " + pasid);
            assertEquals(core.domainOf(ctx, hwpt).tag(), e.did(), "its DID");
        }
    }
}
