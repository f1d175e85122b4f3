package dev.ioasid.backend.vtd.internal;

import dev.ioasid.core.conformance.ConformanceBackend;
import dev.ioasid.core.conformance.DevicePasidConformance;

/** The core's DevicePasidConformance cases against the VT-d model. */
class VtdDevicePasidConformanceTest extends DevicePasidConformance {
    @Override
    protected ConformanceBackend backend() {
        return new VtdConformanceBackend();
    }
}
