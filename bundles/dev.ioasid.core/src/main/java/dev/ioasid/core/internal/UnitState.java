package dev.ioasid.core.internal;

import java.util.ArrayList;
import java.util.List;

import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import dev.ioasid.api.Errno;
import dev.ioasid.api.IommuException;
import dev.ioasid.machine.Access;
import dev.ioasid.machine.PciDevice;
import dev.ioasid.machine.Translation;
import dev.ioasid.machine.TranslationFault;
import dev.ioasid.machine.UnitDescription;
import dev.ioasid.machine.UnitPort;
import dev.ioasid.spi.Domain;
import dev.ioasid.spi.IommuUnit;

/**
 * The core's view of one IOMMU unit of the machine: which backend drives it now (none while it is away), the
 * backends waiting to take over, and the translator the unit's port uses.
 */
final class UnitState {
    private static final Logger LOG = LoggerFactory.getLogger(UnitState.class);

    final String id;
    final UnitDescription description;
    final UnitPort port;
    /** written under IommuCore.lock; read anywhere */
    private volatile IommuUnit backend;
    /** further backends for this unit, in arrival order; guarded by IommuCore.lock */
    final List<IommuUnit> standby = new ArrayList<>();
    /** how often a backend came (for tests and stats); guarded by IommuCore.lock */
    int generations;

    UnitState(UnitDescription description, UnitPort port) {
        this.id = description.id();
        this.description = description;
        this.port = port;
    }

    IommuUnit backend() {
        return backend;
    }

    void backend(IommuUnit b) {
        this.backend = b;
    }

    /** The backend. @throws IommuException ENODEV while the unit has none */
    IommuUnit requireBackend() {
        IommuUnit b = backend;
        if (b == null) {
            throw IommuException.of(Errno.ENODEV, "unit %s (%s) has no backend", id, description.vendor());
        }
        return b;
    }

    /** The hot path: the backend translates; a backend that throws blocks the request instead of escaping. */
    Translation translate(PciDevice device, int pasid, long iova, int access) {
        IommuUnit b = backend;
        if (b == null) {
            return new TranslationFault(id, "NO_BACKEND", 0, iova, pasid, access, false, null, "unit " + id + " has no backend");
        }
        Translation t;
        try {
            t = b.translate(device, pasid, iova, access);
        } catch (RuntimeException e) {
            LOG.warn("unit {}: backend failed translating 0x{} for {} pasid {}: {}", id, Long.toHexString(iova),
                    device.address(), Access.pasid(pasid), e.toString());
            return new TranslationFault(id, "BACKEND_ERROR", 0, iova, pasid, access, false, null, e.toString());
        }
        if (t instanceof TranslationFault) {
            TranslationFault f = (TranslationFault) t;
            // a recoverable fault the unit did not report has nobody to answer it
            if (f.recoverable() && f.pending() == null) {
                return f.unrecoverable();
            }
        }
        return t;
    }

    /** Frees a domain; a backend that fails here is logged, never propagated. */
    void guardedFree(Domain d) {
        try {
            d.free();
        } catch (RuntimeException e) {
            LOG.warn("unit {}: freeing {} failed: {}", id, d, e.toString());
        }
    }

    @Override
    public String toString() {
        return id;
    }
}
