package dev.ioasid.backend.smmuv3.internal;

import dev.ioasid.core.conformance.ConformanceBackend;
import dev.ioasid.core.conformance.NestedConformance;

/** NestedConformance against the SMMUv3 model. */
class Smmuv3NestedTest extends NestedConformance {
    @Override
    protected ConformanceBackend backend() {
        return new Smmuv3ConformanceBackend();
    }
}
