package dev.ioasid.core.conformance;

/** The Access conformance cases against the selftest mock. */
class MockAccessTest extends AccessConformance {
    @Override
    protected ConformanceBackend backend() {
        return new MockBackend();
    }
}
