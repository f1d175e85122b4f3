package dev.ioasid.backend.vtd.internal;

import dev.ioasid.core.conformance.ConformanceBackend;
import dev.ioasid.core.conformance.NestedConformance;

/** The core's NestedConformance cases against the VT-d model. */
class VtdNestedConformanceTest extends NestedConformance {
    @Override
    protected ConformanceBackend backend() {
        return new VtdConformanceBackend();
    }
}
