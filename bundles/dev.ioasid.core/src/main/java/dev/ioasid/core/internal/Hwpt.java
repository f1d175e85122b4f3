package dev.ioasid.core.internal;

import java.util.LinkedHashSet;
import java.util.Set;

import dev.ioasid.api.HwptFlags;
import dev.ioasid.api.ObjectType;
import dev.ioasid.spi.Domain;

/**
 * A hardware page table object: paging or nested. Its hardware domain belongs to the unit's current backend
 * and is null while the unit has none; the object, its id and its endpoints survive that. Guarded by the
 * context's lock.
 */
abstract class Hwpt extends IommuObject {
    final UnitState unit;
    final int flags;
    /** (device, pasid) endpoints attached to it */
    final Set<Endpoint> endpoints = new LinkedHashSet<>();
    /** why the last rebuild of the domain failed, or null */
    String broken;
    /** the fault queue that receives this HWPT's recoverable faults, or null */
    FaultQueueObject fault;
    /** dirty tracking was turned on (restored when the domain is rebuilt) */
    boolean dirtyTracking;

    Hwpt(ContextImpl ctx, ObjectType type, UnitState unit, int flags) {
        super(ctx, type);
        this.unit = unit;
        this.flags = flags;
    }

    abstract Domain domain();

    boolean pasidCompatible() {
        return (flags & HwptFlags.PASID) != 0;
    }

    /** The IOAS whose mappings this HWPT's stage 2 follows. */
    abstract IoasObject ioas();

    /** The endpoints, for one-line descriptions: {@code [0000:00:01.0] [0000:00:01.0, PASID 5]}. */
    String endpointList() {
        if (endpoints.isEmpty()) {
            return "none";
        }
        StringBuilder sb = new StringBuilder();
        for (Endpoint e : endpoints) {
            sb.append(sb.length() == 0 ? "" : " ").append(e);
        }
        return sb.toString();
    }

    String state() {
        if (domain() != null) {
            return "tag " + domain().tag();
        }
        return broken != null ? "BROKEN: " + broken : "backend missing";
    }
}
