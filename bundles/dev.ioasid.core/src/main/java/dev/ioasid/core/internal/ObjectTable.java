package dev.ioasid.core.internal;

import java.util.ArrayList;
import java.util.BitSet;
import java.util.List;
import java.util.TreeMap;

import dev.ioasid.api.Errno;
import dev.ioasid.api.IommuException;
import dev.ioasid.api.ObjectType;

/**
 * A context's objects by id, as iommufd's xarray: ids from 1, the lowest free one first, typed lookup, and
 * two-phase creation ({@link #reserve}, then {@link #finalize} or {@link #abort}) so that a failed create
 * leaves nothing behind and a half-made object is never visible. Guarded by the context's lock.
 */
final class ObjectTable {
    private final String context;
    private final BitSet used = new BitSet();
    private final TreeMap<Integer, IommuObject> objects = new TreeMap<>();

    ObjectTable(String context) {
        this.context = context;
        used.set(0);
    }

    /** Takes an id for an object being made; lookups do not see it until {@link #finalize}. */
    int reserve(IommuObject obj) {
        int id = used.nextClearBit(1);
        if (id <= 0) {
            throw IommuException.of(Errno.ENOSPC, "context %s has no free object id", context);
        }
        used.set(id);
        obj.id = id;
        return id;
    }

    void finalize(IommuObject obj) {
        objects.put(obj.id, obj);
    }

    /** Gives back the id of an object whose creation failed. */
    void abort(IommuObject obj) {
        if (obj.id != 0 && !objects.containsKey(obj.id)) {
            used.clear(obj.id);
            obj.id = 0;
        }
    }

    void remove(IommuObject obj) {
        if (objects.remove(obj.id, obj)) {
            used.clear(obj.id);
        }
    }

    /** Any object. @throws IommuException ENOENT */
    IommuObject get(int id) {
        IommuObject o = objects.get(id);
        if (o == null) {
            throw IommuException.of(Errno.ENOENT, "no object %d in context %s", id, context);
        }
        return o;
    }

    /** The object if it has one of the types. @throws IommuException ENOENT otherwise */
    IommuObject get(int id, ObjectType... types) {
        IommuObject o = objects.get(id);
        if (o != null) {
            for (ObjectType t : types) {
                if (o.type == t) {
                    return o;
                }
            }
        }
        throw IommuException.of(Errno.ENOENT, "no %s %d in context %s", describe(types), id, context);
    }

    /** Typed lookup. @throws IommuException ENOENT when there is no object of that class with this id */
    <T extends IommuObject> T get(int id, Class<T> cls, String what) {
        IommuObject o = objects.get(id);
        if (!cls.isInstance(o)) {
            throw IommuException.of(Errno.ENOENT, "no %s %d in context %s", what, id, context);
        }
        return cls.cast(o);
    }

    IommuObject find(int id) {
        return objects.get(id);
    }

    List<IommuObject> all() {
        return new ArrayList<>(objects.values());
    }

    boolean isEmpty() {
        return objects.isEmpty();
    }

    private static String describe(ObjectType[] types) {
        if (types.length == 1) {
            return types[0].name();
        }
        StringBuilder sb = new StringBuilder();
        for (ObjectType t : types) {
            sb.append(sb.length() == 0 ? "" : " or ").append(t.name());
        }
        return sb.toString();
    }
}
