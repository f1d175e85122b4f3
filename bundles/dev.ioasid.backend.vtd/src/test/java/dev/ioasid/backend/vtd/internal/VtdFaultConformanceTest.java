package dev.ioasid.backend.vtd.internal;

import dev.ioasid.core.conformance.FaultConformance;
import dev.ioasid.core.conformance.ConformanceBackend;

/** The core's FaultConformance cases against the VT-d model. */
class VtdFaultConformanceTest extends FaultConformance {
    @Override
    protected ConformanceBackend backend() {
        return new VtdConformanceBackend();
    }
}
