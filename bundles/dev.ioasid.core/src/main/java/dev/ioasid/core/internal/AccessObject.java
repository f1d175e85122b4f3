package dev.ioasid.core.internal;

import java.util.ArrayList;
import java.util.List;

import dev.ioasid.api.AccessListener;
import dev.ioasid.api.ObjectType;
import dev.ioasid.machine.PinnedPages;

/**
 * An access: an emulated device's use of an IOAS without a hardware domain. Its pins are guarded by the lock of
 * the IOAS it uses; {@link #ioas} changes under the context's lock.
 */
final class AccessObject extends IommuObject {
    final AccessListener listener;
    IoasObject ioas;
    /** guarded by ioas.table.lock: the pinned parts, one per area a pin spans */
    final List<Pin> pins = new ArrayList<>();
    /** guarded by ioas.table.lock: each pin as requested {iova, length, parts} */
    final List<long[]> pinRanges = new ArrayList<>();
    /** the range an unmap told this access to unpin; guarded by ioas.table.lock */
    long[] pendingUnmap;

    /** A pinned IOVA range and the pages behind it. */
    record Pin(long iova, long length, PinnedPages pages) {
        boolean intersects(long start, long last) {
            return Long.compareUnsigned(iova, last) <= 0 && Long.compareUnsigned(start, iova + length - 1) <= 0;
        }
    }

    AccessObject(ContextImpl ctx, IoasObject ioas, AccessListener listener) {
        super(ctx, ObjectType.ACCESS);
        this.ioas = ioas;
        this.listener = listener;
    }

    @Override
    List<Integer> dependsOn() {
        return List.of(ioas.id);
    }

    @Override
    String detail() {
        int n;
        ioas.table.lock.lock();
        try {
            n = pinRanges.size();
        } finally {
            ioas.table.lock.unlock();
        }
        return "on IOAS " + ioas.id + ", " + n + " pin(s)";
    }

    @Override
    void destroy() {
        ioas.table.removeAccess(this);
        ioas.users--;
    }
}
