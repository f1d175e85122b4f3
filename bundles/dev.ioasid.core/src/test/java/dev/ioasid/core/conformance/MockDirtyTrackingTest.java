package dev.ioasid.core.conformance;

/** The DirtyTracking conformance cases against the selftest mock. */
class MockDirtyTrackingTest extends DirtyTrackingConformance {
    @Override
    protected ConformanceBackend backend() {
        return new MockBackend();
    }
}
