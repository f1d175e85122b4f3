package dev.ioasid.consumer.vfio.internal;

import dev.ioasid.backend.vtd.internal.VtdConformanceBackend;
import dev.ioasid.core.conformance.ConformanceBackend;

/** The VFIO flow on the VT-d model (server profile): PASID entries, second-stage tables, queued invalidation. */
class VtdVfioTest extends VfioConformance {
    @Override
    protected ConformanceBackend backend() {
        return new VtdConformanceBackend();
    }
}
