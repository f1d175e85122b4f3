package dev.ioasid.backend.vtd.internal;

import dev.ioasid.core.conformance.ConformanceBackend;
import dev.ioasid.core.conformance.CoreConformance;

/** The core's CoreConformance cases against the VT-d model. */
class VtdCoreConformanceTest extends CoreConformance {
    @Override
    protected ConformanceBackend backend() {
        return new VtdConformanceBackend();
    }
}
