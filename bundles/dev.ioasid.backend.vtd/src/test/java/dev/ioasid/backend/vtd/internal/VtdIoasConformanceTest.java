package dev.ioasid.backend.vtd.internal;

import dev.ioasid.core.conformance.ConformanceBackend;
import dev.ioasid.core.conformance.IoasConformance;

/** The core's IoasConformance cases against the VT-d model. */
class VtdIoasConformanceTest extends IoasConformance {
    @Override
    protected ConformanceBackend backend() {
        return new VtdConformanceBackend();
    }
}
