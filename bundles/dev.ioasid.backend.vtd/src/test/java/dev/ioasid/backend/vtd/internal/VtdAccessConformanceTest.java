package dev.ioasid.backend.vtd.internal;

import dev.ioasid.core.conformance.AccessConformance;
import dev.ioasid.core.conformance.ConformanceBackend;

/** The core's AccessConformance cases against the VT-d model. */
class VtdAccessConformanceTest extends AccessConformance {
    @Override
    protected ConformanceBackend backend() {
        return new VtdConformanceBackend();
    }
}
