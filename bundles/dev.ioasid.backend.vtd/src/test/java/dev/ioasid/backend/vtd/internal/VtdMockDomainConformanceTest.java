package dev.ioasid.backend.vtd.internal;

import dev.ioasid.core.conformance.ConformanceBackend;
import dev.ioasid.core.conformance.MockDomainConformance;

/** The core's MockDomainConformance cases against the VT-d model. */
class VtdMockDomainConformanceTest extends MockDomainConformance {
    @Override
    protected ConformanceBackend backend() {
        return new VtdConformanceBackend();
    }
}
