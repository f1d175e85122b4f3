package dev.ioasid.core.conformance;

/** The iommufd_mock_domain conformance cases against the selftest mock. */
class MockIommufdMockDomainTest extends MockDomainConformance {
    @Override
    protected ConformanceBackend backend() {
        return new MockBackend();
    }
}
