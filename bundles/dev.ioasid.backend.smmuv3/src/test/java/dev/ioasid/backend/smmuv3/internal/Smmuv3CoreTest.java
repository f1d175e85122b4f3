package dev.ioasid.backend.smmuv3.internal;

import dev.ioasid.core.conformance.ConformanceBackend;
import dev.ioasid.core.conformance.CoreConformance;

/** CoreConformance against the SMMUv3 model. */
class Smmuv3CoreTest extends CoreConformance {
    @Override
    protected ConformanceBackend backend() {
        return new Smmuv3ConformanceBackend();
    }
}
