package dev.ioasid.core.internal;

import java.util.List;

import dev.ioasid.api.ObjectInfo;
import dev.ioasid.api.ObjectType;

/**
 * An object of a context's table. {@link #users} counts what depends on it (attachments, children, HWPTs of an
 * IOAS); DESTROY is EBUSY while it is not zero. Guarded by the context's lock.
 */
abstract class IommuObject {
    final ContextImpl ctx;
    final ObjectType type;
    /** 0 until the object is finalized into the table. */
    int id;
    int users;
    boolean destroyed;

    IommuObject(ContextImpl ctx, ObjectType type) {
        this.ctx = ctx;
        this.type = type;
    }

    /** Ids of the objects this one holds a reference on. */
    abstract List<Integer> dependsOn();

    /** One line for {@code ctx:objects}. */
    abstract String detail();

    /** Releases everything the object holds; called once, with the context lock held, when users is 0. */
    abstract void destroy();

    ObjectInfo info() {
        return new ObjectInfo(id, type, dependsOn(), detail());
    }

    @Override
    public String toString() {
        return type + " " + id;
    }
}
