package dev.ioasid.core.conformance;

/** The Fault conformance cases against the selftest mock. */
class MockFaultTest extends FaultConformance {
    @Override
    protected ConformanceBackend backend() {
        return new MockBackend();
    }
}
