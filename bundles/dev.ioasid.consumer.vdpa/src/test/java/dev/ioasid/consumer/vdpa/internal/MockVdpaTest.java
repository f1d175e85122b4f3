package dev.ioasid.consumer.vdpa.internal;

import dev.ioasid.core.conformance.ConformanceBackend;
import dev.ioasid.core.conformance.MockBackend;

/** The vDPA device on the selftest mock. */
class MockVdpaTest extends VdpaConformance {
    @Override
    protected ConformanceBackend backend() {
        return new MockBackend();
    }
}
