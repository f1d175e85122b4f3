package dev.ioasid.backend.smmuv3.internal;

import dev.ioasid.core.conformance.ConformanceBackend;
import dev.ioasid.core.conformance.MockDomainConformance;

/** MockDomainConformance against the SMMUv3 model. */
class Smmuv3MockDomainTest extends MockDomainConformance {
    @Override
    protected ConformanceBackend backend() {
        return new Smmuv3ConformanceBackend();
    }
}
