package dev.ioasid.core.internal;

import java.util.ArrayList;
import java.util.List;

import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import dev.ioasid.api.Errno;
import dev.ioasid.api.HwIdKind;
import dev.ioasid.api.Ioasid;
import dev.ioasid.api.IommuException;

/** IOASID sets ([T5]): per-context user ids with quotas, over the one global space of hardware ids. */
final class Ioasids {
    private static final Logger LOG = LoggerFactory.getLogger(Ioasids.class);
    private final HwIdSpace hwIds;

    Ioasids(HwIdSpace hwIds) {
        this.hwIds = hwIds;
    }


    Ioasid alloc(ContextImpl c, HwIdKind kind) {
        c.lock.lock();
        try {
            c.checkOpen();
            IoasidSet set = c.ioasids;
            if (set.byId.size() >= set.quota) {
                throw IommuException.of(Errno.ENOSPC, "context %s has used its quota of %d IOASIDs", c.name(), set.quota);
            }
            Ioasid i = new Ioasid(set.nextId(), hwIds.allocate(), kind == null ? HwIdKind.PCI_PASID : kind);
            set.byId.put(i.id(), i);
            LOG.debug("context {}: {}", c.name(), i);
            return i;
        } finally {
            c.lock.unlock();
        }
    }

    void free(ContextImpl c, int ioasid) {
        c.lock.lock();
        try {
            c.checkOpen();
            Ioasid i = c.ioasids.byId.remove(ioasid);
            if (i == null) {
                throw IommuException.of(Errno.ENOENT, "no IOASID %d in context %s", ioasid, c.name());
            }
            hwIds.free(i.hwId());
        } finally {
            c.lock.unlock();
        }
    }

    Ioasid get(ContextImpl c, int ioasid) {
        c.lock.lock();
        try {
            c.checkOpen();
            Ioasid i = c.ioasids.byId.get(ioasid);
            if (i == null) {
                throw IommuException.of(Errno.ENOENT, "no IOASID %d in context %s", ioasid, c.name());
            }
            return i;
        } finally {
            c.lock.unlock();
        }
    }

    Ioasid byHwId(ContextImpl c, int hwId) {
        c.lock.lock();
        try {
            c.checkOpen();
            for (Ioasid i : c.ioasids.byId.values()) {
                if (i.hwId() == hwId) {
                    return i;
                }
            }
            throw IommuException.of(Errno.ENOENT, "context %s holds no hardware id %d", c.name(), hwId);
        } finally {
            c.lock.unlock();
        }
    }

    List<Ioasid> list(ContextImpl c) {
        return c.locked(() -> new ArrayList<>(c.ioasids.byId.values()));
    }

    void setQuota(ContextImpl c, int quota) {
        c.lock.lock();
        try {
            c.checkOpen();
            if (quota < 0 || quota < c.ioasids.byId.size()) {
                throw IommuException.of(Errno.EINVAL, "quota %d is below the %d IOASIDs allocated", quota, c.ioasids.byId.size());
            }
            c.ioasids.quota = quota;
        } finally {
            c.lock.unlock();
        }
    }

    int quota(ContextImpl c) {
        c.lock.lock();
        try {
            return c.ioasids.quota;
        } finally {
            c.lock.unlock();
        }
    }

}
