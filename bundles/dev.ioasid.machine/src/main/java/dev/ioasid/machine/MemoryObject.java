package dev.ioasid.machine;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;

import dev.ioasid.api.Errno;
import dev.ioasid.api.IommuException;

/**
 * The pages behind anonymous memory or a file: page index to frame, in contiguous extents. Guarded by the lock
 * of the address space that owns it.
 */
final class MemoryObject {
    /** Largest run of frames allocated at once: 1 GiB, so a 1 GiB mapping can use 1 GiB pages. */
    private static final long MAX_CHUNK_FRAMES = 1L << 18;

    private final FrameAllocator frames;
    private final FramePins pins;
    final String name;
    /** first page index to {first frame number, count}. */
    private final TreeMap<Long, long[]> extents = new TreeMap<>();
    private long pages;
    int mappings;
    boolean handleOpen;
    private boolean destroyed;

    MemoryObject(FrameAllocator frames, FramePins pins, String name, long pages, boolean handleOpen) {
        this.frames = frames;
        this.pins = pins;
        this.name = name;
        this.handleOpen = handleOpen;
        grow(pages);
    }

    long pages() {
        return pages;
    }

    /** Adds zeroed pages up to {@code newPages}; all or nothing. @throws IommuException ENOMEM */
    void grow(long newPages) {
        List<long[]> added = new ArrayList<>();
        long at = pages;
        try {
            while (at < newPages) {
                long want = Math.min(newPages - at, MAX_CHUNK_FRAMES);
                long align = Math.min(Long.highestOneBit(want), MAX_CHUNK_FRAMES);
                long pa;
                while (true) {
                    try {
                        pa = frames.allocate(want, align);
                        break;
                    } catch (IommuException e) {
                        if (want == 1) {
                            throw e;
                        }
                        // fragmented: take smaller runs, down to single frames
                        want = Long.highestOneBit(want) == want ? want / 2 : Long.highestOneBit(want);
                        align = 1;
                    }
                }
                long[] ext = { pa >>> PhysicalMemory.FRAME_SHIFT, want };
                extents.put(at, ext);
                added.add(new long[] { at, ext[0], want });
                at += want;
            }
        } catch (IommuException e) {
            for (long[] a : added) {
                extents.remove(a[0]);
                frames.free(a[1] << PhysicalMemory.FRAME_SHIFT, a[2]);
            }
            throw e;
        }
        pages = Math.max(pages, newPages);
    }

    /** Drops pages from {@code newPages} on; pinned frames stay with their pinners. */
    void shrink(long newPages) {
        if (newPages >= pages) {
            return;
        }
        for (Map.Entry<Long, long[]> e : new ArrayList<>(extents.tailMap(extentStart(newPages), true).entrySet())) {
            long first = e.getKey();
            long[] ext = e.getValue();
            long keep = Math.max(0, newPages - first);
            if (keep >= ext[1]) {
                continue;
            }
            pins.release(ext[0] + keep, ext[1] - keep);
            if (keep == 0) {
                extents.remove(first);
            } else {
                ext[1] = keep;
            }
        }
        pages = newPages;
    }

    private long extentStart(long page) {
        Long k = extents.floorKey(page);
        return k == null ? 0 : k;
    }

    /**
     * Gives back pages {@code [first, first + count)} of an anonymous object that no mapping reaches any more:
     * unpinned frames are freed now, pinned ones when their last pin goes.
     */
    void punch(long first, long count) {
        long end = first + count;
        for (Map.Entry<Long, long[]> e : new ArrayList<>(extents.entrySet())) {
            long s = e.getKey();
            long[] ext = e.getValue();
            long eEnd = s + ext[1];
            long from = Math.max(s, first);
            long to = Math.min(eEnd, end);
            if (from >= to) {
                continue;
            }
            pins.release(ext[0] + (from - s), to - from);
            extents.remove(s);
            if (from > s) {
                extents.put(s, new long[] { ext[0], from - s });
            }
            if (to < eEnd) {
                extents.put(to, new long[] { ext[0] + (to - s), eEnd - to });
            }
        }
    }

    /** True when page {@code page} still has a frame. */
    boolean hasPage(long page) {
        Map.Entry<Long, long[]> e = extents.floorEntry(page);
        return e != null && page < pages && page - e.getKey() < e.getValue()[1];
    }

    /** The frame number of a page. */
    long frame(long page) {
        Map.Entry<Long, long[]> e = extents.floorEntry(page);
        if (e == null || page >= pages || page - e.getKey() >= e.getValue()[1]) {
            throw new IllegalStateException("page " + page + " of " + pages);
        }
        return e.getValue()[0] + (page - e.getKey());
    }

    /** (first frame, count) runs covering pages {@code [first, first + count)}, merged where contiguous. */
    void runs(long first, long count, List<Long> out) {
        long p = first;
        long end = first + count;
        while (p < end) {
            Map.Entry<Long, long[]> e = extents.floorEntry(p);
            if (e == null) {
                throw new IllegalStateException("page " + p + " has no frame");
            }
            long[] ext = e.getValue();
            long inExt = Math.min(end, e.getKey() + ext[1]) - p;
            if (inExt <= 0) {
                throw new IllegalStateException("page " + p + " has no frame");
            }
            long pfn = ext[0] + (p - e.getKey());
            int n = out.size();
            if (n >= 2 && out.get(n - 2) + out.get(n - 1) == pfn) {
                out.set(n - 1, out.get(n - 1) + inExt);
            } else {
                out.add(pfn);
                out.add(inExt);
            }
            p += inExt;
        }
    }

    /** Frees the frames once nothing maps the object and no handle holds it. */
    void destroyIfUnused() {
        if (destroyed || mappings > 0 || handleOpen) {
            return;
        }
        destroyed = true;
        shrink(0);
    }

    boolean isDestroyed() {
        return destroyed;
    }

    static IommuException efault(long va) {
        return IommuException.of(Errno.EFAULT, "user address 0x%x is not mapped", va);
    }
}
