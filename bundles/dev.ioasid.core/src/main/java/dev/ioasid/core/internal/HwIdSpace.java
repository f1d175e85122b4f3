package dev.ioasid.core.internal;

import java.util.BitSet;

import dev.ioasid.api.Errno;
import dev.ioasid.api.IoasidService;
import dev.ioasid.api.IommuException;

/** The one global 20-bit space of hardware ids (PASIDs, SSIDs). Id 0 is never handed out. */
final class HwIdSpace {
    private final int size = 1 << IoasidService.HW_ID_BITS;
    /** guarded by this */
    private final BitSet used = new BitSet(size);

    HwIdSpace() {
        used.set(0);
    }

    synchronized int allocate() {
        int id = used.nextClearBit(1);
        if (id >= size) {
            throw IommuException.of(Errno.ENOSPC, "all %d hardware ids are in use", size - 1);
        }
        used.set(id);
        return id;
    }

    synchronized void free(int id) {
        used.clear(id);
    }

    synchronized int inUse() {
        return used.cardinality() - 1;
    }
}
