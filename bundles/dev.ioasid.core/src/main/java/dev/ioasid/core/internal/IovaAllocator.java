package dev.ioasid.core.internal;

import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Map;
import java.util.NavigableMap;

import dev.ioasid.api.Errno;
import dev.ioasid.api.IommuException;
import dev.ioasid.api.IovaRange;

/**
 * The automatic IOVA of an IOAS map, after Linux's iopt_alloc_iova with its 2025 fix against ALIGN()
 * overflowing near 2^64: the lowest aligned hole of (reserved ranges and areas) inside the allowed ranges.
 * Called with the IOAS lock held.
 */
final class IovaAllocator {
    private static final long PAGE_SIZE = IoPageTable.PAGE_SIZE;
    private static final long MAX_AUTO_ALIGN = IoPageTable.MAX_AUTO_ALIGN;
    private static final long U64_MAX = -1L;

    private IovaAllocator() {
    }

    private static boolean ule(long a, long b) {
        return Long.compareUnsigned(a, b) <= 0;
    }

    private static boolean ult(long a, long b) {
        return Long.compareUnsigned(a, b) < 0;
    }

    private static long roundUpPow2(long v) {
        long h = Long.highestOneBit(v);
        return h == v ? v : h << 1;
    }


    /**
     * Picks the lowest IOVA that fits {@code length} bytes, inside the allowed ranges and outside reserved ones
     * and existing areas, aligned to the lowest set bit of the length (up to 2 MiB, and no more than the
     * address it maps keeps), and with the same offset in its page as that address. As Linux's
     * iopt_alloc_iova, including its fix against ALIGN() overflowing near 2^64.
     */
    static long allocate(long addr, long length, long iovaAlignment, List<IovaRange> allowed, List<IoPageTable.Reservation> reserved,
            NavigableMap<Long, IoArea> areas, String name) {
        long pageOffset = addr % PAGE_SIZE;
        if (length == 0 || !ult(length, Long.MAX_VALUE)) {
            throw IommuException.of(Errno.EOVERFLOW, "length 0x%x is too large for an automatic IOVA", length);
        }
        long align = roundUpPow2(length);
        if (addr != 0) {
            align = Math.min(align, Long.lowestOneBit(addr));
        }
        align = Math.min(align, MAX_AUTO_ALIGN);
        if (ult(align, iovaAlignment)) {
            throw IommuException.of(Errno.EINVAL, "IOAS %s needs IOVAs aligned to 0x%x; address 0x%x gives 0x%x", name, iovaAlignment, addr, align);
        }
        List<long[]> spans = new ArrayList<>();
        if (allowed.isEmpty()) {
            spans.add(new long[] { PAGE_SIZE, U64_MAX - PAGE_SIZE });
        } else {
            for (IovaRange r : allowed) {
                long s = ult(r.start(), PAGE_SIZE) ? PAGE_SIZE : r.start();
                long l = ult(U64_MAX - PAGE_SIZE, r.last()) ? U64_MAX - PAGE_SIZE : r.last();
                if (ule(s, l)) {
                    spans.add(new long[] { s, l });
                }
            }
        }
        for (long[] span : spans) {
            if (fit(span[0], span[1], align, pageOffset, length) == null) {
                continue;
            }
            Long iova = firstFitInSpan(span[0], span[1], align, pageOffset, length, reserved, areas);
            if (iova != null) {
                return iova;
            }
        }
        throw IommuException.of(Errno.ENOSPC, "no free IOVA range of 0x%x bytes in IOAS %s", length, name);
    }

    /**
     * Walks the holes between reserved ranges and areas inside {@code [spanStart, spanLast]}, lowest first, and
     * returns the first aligned fit. Reservations and areas are merged lazily, both in ascending order.
     */
    private static Long firstFitInSpan(long spanStart, long spanLast, long align, long pageOffset, long length,
            List<IoPageTable.Reservation> reserved, NavigableMap<Long, IoArea> areas) {
        List<IoPageTable.Reservation> res = new ArrayList<>();
        for (IoPageTable.Reservation r : reserved) {
            if (r.intersects(spanStart, spanLast)) {
                res.add(r);
            }
        }
        res.sort(Comparator.comparing(IoPageTable.Reservation::start, Long::compareUnsigned));
        int ri = 0;
        IoArea a = IoPageTable.firstIntersecting(areas, spanStart, spanLast);
        long pos = spanStart;
        while (true) {
            long usedStart;
            long usedLast;
            IoPageTable.Reservation r = ri < res.size() ? res.get(ri) : null;
            if (a != null && (r == null || ult(a.iova, r.start()))) {
                usedStart = a.iova;
                usedLast = a.last();
                Map.Entry<Long, IoArea> n = a.last() == U64_MAX ? null : areas.ceilingEntry(a.last() + 1);
                a = n != null && n.getValue().intersects(spanStart, spanLast) ? n.getValue() : null;
            } else if (r != null) {
                usedStart = r.start();
                usedLast = r.last();
                ri++;
            } else {
                Long iova = fit(pos, spanLast, align, pageOffset, length);
                return iova;
            }
            if (ult(pos, usedStart)) {
                Long iova = fit(pos, usedStart - 1, align, pageOffset, length);
                if (iova != null) {
                    return iova;
                }
            }
            if (!ult(usedLast, spanLast)) {
                return null;
            }
            if (ule(pos, usedLast)) {
                pos = usedLast + 1;
            }
        }
    }

    /** The aligned start of {@code length} bytes inside {@code [start, last]}, or null. */
    private static Long fit(long start, long last, long align, long pageOffset, long length) {
        if (ult(start + (align - 1), start)) {
            return null; // aligning up would wrap past 2^64
        }
        long s = ((start + align - 1) & -align) | pageOffset;
        if (!ult(s, last) || ult(last - s, length - 1)) {
            return null;
        }
        return s;
    }

}
