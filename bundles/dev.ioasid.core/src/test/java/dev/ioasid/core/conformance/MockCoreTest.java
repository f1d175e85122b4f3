package dev.ioasid.core.conformance;

/** The core cases beyond the selftest, against the selftest mock. */
class MockCoreTest extends CoreConformance {
    @Override
    protected ConformanceBackend backend() {
        return new MockBackend();
    }
}
