package dev.ioasid.consumer.vfio.internal;

import dev.ioasid.core.conformance.ConformanceBackend;
import dev.ioasid.core.conformance.MockBackend;

/** The VFIO flow on the selftest mock. */
class MockVfioTest extends VfioConformance {
    @Override
    protected ConformanceBackend backend() {
        return new MockBackend();
    }
}
