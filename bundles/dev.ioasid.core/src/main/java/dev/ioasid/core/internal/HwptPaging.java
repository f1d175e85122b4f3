package dev.ioasid.core.internal;

import java.util.List;

import dev.ioasid.api.HwptFlags;
import dev.ioasid.api.ObjectType;
import dev.ioasid.machine.PciDevice;
import dev.ioasid.spi.PagingDomain;

/** A paging HWPT: a kernel-managed table kept in step with its IOAS. */
final class HwptPaging extends Hwpt {
    final IoasObject ioas;
    /** made by an attach to the IOAS, and freed when its last endpoint goes */
    final boolean auto;
    /** the granule, kept while the backend is away so the IOAS alignment stays what it needs; guarded by ioas lock */
    long minPageSize;
    /** what the domain was allocated with, so that it can be allocated again when a backend comes back */
    final PciDevice madeFor;
    final int dataType;
    final byte[] data;
    private volatile PagingDomain domain;

    HwptPaging(ContextImpl ctx, UnitState unit, IoasObject ioas, int flags, boolean auto, PciDevice madeFor, int dataType, byte[] data) {
        super(ctx, ObjectType.HWPT_PAGING, unit, flags);
        this.ioas = ioas;
        this.auto = auto;
        this.madeFor = madeFor;
        this.dataType = dataType;
        this.data = data.clone();
    }

    @Override
    PagingDomain domain() {
        return domain;
    }

    void domain(PagingDomain d) {
        this.domain = d;
    }

    boolean nestParent() {
        return (flags & HwptFlags.NEST_PARENT) != 0;
    }

    @Override
    IoasObject ioas() {
        return ioas;
    }

    @Override
    List<Integer> dependsOn() {
        return fault == null ? List.of(ioas.id) : List.of(ioas.id, fault.id);
    }

    @Override
    String detail() {
        return String.format("%son IOAS %d, unit %s, %s%s, endpoints %s", auto ? "auto " : "", ioas.id, unit.id,
                state(), flags == 0 ? "" : ", " + HwptFlags.describe(flags), endpointList());
    }

    @Override
    void destroy() {
        if (fault != null) {
            fault.users--;
            fault = null;
        }
        ioas.table.removeDomain(this);
        PagingDomain d = domain;
        domain = null;
        if (d != null) {
            unit.guardedFree(d);
        }
        ioas.users--;
    }
}
