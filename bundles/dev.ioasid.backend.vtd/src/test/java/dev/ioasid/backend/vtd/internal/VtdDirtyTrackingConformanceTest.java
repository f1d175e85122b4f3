package dev.ioasid.backend.vtd.internal;

import dev.ioasid.core.conformance.DirtyTrackingConformance;
import dev.ioasid.core.conformance.ConformanceBackend;

/** The core's DirtyTrackingConformance cases against the VT-d model. */
class VtdDirtyTrackingConformanceTest extends DirtyTrackingConformance {
    @Override
    protected ConformanceBackend backend() {
        return new VtdConformanceBackend();
    }
}
