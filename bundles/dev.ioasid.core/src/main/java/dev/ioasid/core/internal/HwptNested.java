package dev.ioasid.core.internal;

import java.util.List;

import dev.ioasid.api.HwptFlags;
import dev.ioasid.api.ObjectType;
import dev.ioasid.machine.PciDevice;
import dev.ioasid.spi.NestedDomain;

/** A nested HWPT: a user-managed stage 1 on a NEST_PARENT paging HWPT, with the vendor data it was made from. */
final class HwptNested extends Hwpt {
    final HwptPaging parent;
    final int dataType;
    final byte[] data;
    final PciDevice madeFor;
    /** the vIOMMU it was made on, or null when made on a paging parent directly */
    final ViommuObject viommu;
    private volatile NestedDomain domain;

    HwptNested(ContextImpl ctx, UnitState unit, HwptPaging parent, int flags, int dataType, byte[] data, PciDevice madeFor) {
        this(ctx, unit, parent, null, flags, dataType, data, madeFor);
    }

    HwptNested(ContextImpl ctx, UnitState unit, HwptPaging parent, ViommuObject viommu, int flags, int dataType, byte[] data,
            PciDevice madeFor) {
        super(ctx, ObjectType.HWPT_NESTED, unit, flags);
        this.parent = parent;
        this.viommu = viommu;
        this.madeFor = madeFor;
        this.dataType = dataType;
        this.data = data.clone();
    }

    @Override
    NestedDomain domain() {
        return domain;
    }

    void domain(NestedDomain d) {
        this.domain = d;
    }

    @Override
    IoasObject ioas() {
        return parent.ioas;
    }

    @Override
    List<Integer> dependsOn() {
        int on = viommu != null ? viommu.id : parent.id;
        return fault == null ? List.of(on) : List.of(on, fault.id);
    }

    @Override
    String detail() {
        return String.format((viommu != null ? "on vIOMMU " + viommu.id + " " : "") + "on HWPT %d, data type 0x%x (%d bytes), %s%s, endpoints %s", parent.id, dataType, data.length,
                state(), flags == 0 ? "" : ", " + HwptFlags.describe(flags), endpointList());
    }

    @Override
    void destroy() {
        if (fault != null) {
            fault.users--;
            fault = null;
        }
        NestedDomain d = domain;
        domain = null;
        if (d != null) {
            unit.guardedFree(d);
        }
        if (viommu != null) {
            viommu.users--;
        } else {
            parent.users--;
        }
    }
}
