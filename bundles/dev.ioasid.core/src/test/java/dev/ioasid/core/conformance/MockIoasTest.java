package dev.ioasid.core.conformance;

/** The iommufd and iommufd_ioas fixtures against the selftest mock. */
class MockIoasTest extends IoasConformance {
    @Override
    protected ConformanceBackend backend() {
        return new MockBackend();
    }
}
