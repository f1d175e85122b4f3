package dev.ioasid.backend.smmuv3.internal;

import dev.ioasid.core.conformance.ConformanceBackend;
import dev.ioasid.core.conformance.IoasConformance;

/** IoasConformance against the SMMUv3 model. */
class Smmuv3IoasTest extends IoasConformance {
    @Override
    protected ConformanceBackend backend() {
        return new Smmuv3ConformanceBackend();
    }
}
