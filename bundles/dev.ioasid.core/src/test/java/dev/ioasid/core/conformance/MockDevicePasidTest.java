package dev.ioasid.core.conformance;

/** The DevicePasid conformance cases against the selftest mock. */
class MockDevicePasidTest extends DevicePasidConformance {
    @Override
    protected ConformanceBackend backend() {
        return new MockBackend();
    }
}
