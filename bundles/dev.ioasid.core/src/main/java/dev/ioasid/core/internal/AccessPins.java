package dev.ioasid.core.internal;

import java.util.ArrayList;
import java.util.List;

import dev.ioasid.api.Errno;
import dev.ioasid.api.IommuException;
import dev.ioasid.api.MapFlags;
import dev.ioasid.machine.PinnedPages;

/**
 * What an access object does to an IOAS: pin ranges by IOVA (honouring each mapping's permissions), unpin them,
 * and read or write bytes by IOVA through the pinned pages. Each takes the IOAS lock.
 */
final class AccessPins {
    private static final long PAGE_SIZE = IoPageTable.PAGE_SIZE;

    private AccessPins() {
    }

    private static boolean ult(long a, long b) {
        return Long.compareUnsigned(a, b) < 0;
    }

    /** The areas covering every byte of {@code [iova, last]}, checked for write permission. */
    private static List<IoArea> cover(IoPageTable t, long iova, long length, boolean write) {
        if (length == 0) {
            throw IommuException.of(Errno.EINVAL, "length 0");
        }
        long last = iova + length - 1;
        if (ult(last, iova)) {
            throw IommuException.of(Errno.EOVERFLOW, "IOVA 0x%x + 0x%x wraps past 2^64", iova, length);
        }
        List<IoArea> hit = t.intersecting(iova, last);
        if (hit.isEmpty() || ult(iova, hit.get(0).iova) || ult(hit.get(hit.size() - 1).last(), last) || !IoPageTable.contiguous(hit)) {
            throw IommuException.of(Errno.ENOENT, "[0x%x, 0x%x] of IOAS %s is not fully mapped", iova, last, t.name);
        }
        if (write) {
            for (IoArea a : hit) {
                if ((a.prot & MapFlags.WRITEABLE) == 0) {
                    throw IommuException.of(Errno.EPERM, "mapping %s is not WRITEABLE", a);
                }
            }
        }
        return hit;
    }

    /** Pins a range for an access; returns the physical address of each CPU page of it. */
    static long[] pin(IoPageTable t, AccessObject acc, long iova, long length, boolean write) {
        t.lock.lock();
        try {
            t.checkAlive();
            List<IoArea> hit = cover(t, iova, length, write);
            List<PinnedPages> parts = new ArrayList<>();
            long last = iova + length - 1;
            for (IoArea a : hit) {
                long from = ult(a.iova, iova) ? iova - a.iova : 0;
                long to = ult(last, a.last()) ? last - a.iova + 1 : a.length;
                parts.add(a.pages.slice(from, to - from));
            }
            long firstPage = iova & -PAGE_SIZE;
            long pages = ((last & -PAGE_SIZE) - firstPage) / PAGE_SIZE + 1;
            long[] phys = new long[(int) pages];
            for (int i = 0; i < pages; i++) {
                long at = Math.max(iova, firstPage + i * PAGE_SIZE);
                phys[i] = physicalOf(hit, at) & -PAGE_SIZE;
            }
            for (int i = 0; i < parts.size(); i++) {
                acc.pins.add(new AccessObject.Pin(i == 0 ? iova : hit.get(i).iova, parts.get(i).length(), parts.get(i)));
            }
            // one logical pin for the whole range: remember its extent on the first part
            acc.pinRanges.add(new long[] { iova, length, parts.size() });
            return phys;
        } finally {
            t.lock.unlock();
        }
    }

    private static long physicalOf(List<IoArea> hit, long iova) {
        for (IoArea a : hit) {
            if (a.intersects(iova, iova)) {
                return a.pages.physical(iova - a.iova);
            }
        }
        throw new IllegalStateException("0x" + Long.toHexString(iova) + " not covered");
    }

    /** Drops the pin of exactly {@code [iova, iova + length)}. */
    static void unpin(IoPageTable t, AccessObject acc, long iova, long length) {
        t.lock.lock();
        try {
            int at = 0;
            for (int r = 0; r < acc.pinRanges.size(); r++) {
                long[] pr = acc.pinRanges.get(r);
                if (pr[0] == iova && pr[1] == length) {
                    for (int i = 0; i < pr[2]; i++) {
                        acc.pins.remove(at).pages().release();
                    }
                    acc.pinRanges.remove(r);
                    return;
                }
                at += (int) pr[2];
            }
            throw IommuException.of(Errno.EINVAL, "access %d has no pin of [0x%x, +0x%x)", acc.id, iova, length);
        } finally {
            t.lock.unlock();
        }
    }

    /** Byte-granular read or write by IOVA through the pinned pages of the areas. */
    static void rw(IoPageTable t, long iova, byte[] data, boolean write) {
        t.lock.lock();
        try {
            t.checkAlive();
            List<IoArea> hit = cover(t, iova, data.length, write);
            int done = 0;
            for (IoArea a : hit) {
                long at = iova + done;
                while (done < data.length && a.intersects(at, at)) {
                    long off = at - a.iova;
                    int n = (int) Math.min(Math.min(a.pages.contiguous(off), a.length - off), data.length - done);
                    n = (int) Math.min(n, PAGE_SIZE - ((a.pages.physical(off)) & (PAGE_SIZE - 1)));
                    if (write) {
                        t.memory.write(a.pages.physical(off), data, done, n);
                    } else {
                        t.memory.read(a.pages.physical(off), data, done, n);
                    }
                    done += n;
                    at += n;
                }
            }
        } finally {
            t.lock.unlock();
        }
    }

}
