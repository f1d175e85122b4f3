package dev.ioasid.core.conformance;

/** The Nested conformance cases against the selftest mock. */
class MockNestedTest extends NestedConformance {
    @Override
    protected ConformanceBackend backend() {
        return new MockBackend();
    }
}
