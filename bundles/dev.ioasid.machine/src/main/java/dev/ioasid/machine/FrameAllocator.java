package dev.ioasid.machine;

import java.util.Map;
import java.util.TreeMap;

import dev.ioasid.api.Errno;
import dev.ioasid.api.IommuException;

/**
 * Hands out physical frames, single or as aligned contiguous runs, and counts the frames in use. Hardware models
 * keep their tables in frames from here; user memory takes its pages from here. A frame comes back zeroed.
 * <p>
 * The low {@value #RESERVED_LOW_BYTES} bytes are never handed out, so a physical address of 0 is never a valid
 * table.
 */
public final class FrameAllocator {
    public static final long RESERVED_LOW_BYTES = 1 << 20;

    private final PhysicalMemory memory;
    private final long totalFrames;
    /** Free runs: first frame number to count. guarded by this */
    private final TreeMap<Long, Long> free = new TreeMap<>();
    /** guarded by this */
    private long inUse;
    /** guarded by this; counts down to an injected ENOMEM (0 = off) */
    private long failCountdown;

    public FrameAllocator(PhysicalMemory memory) {
        this.memory = memory;
        this.totalFrames = memory.size() >>> PhysicalMemory.FRAME_SHIFT;
        long first = RESERVED_LOW_BYTES >>> PhysicalMemory.FRAME_SHIFT;
        free.put(first, totalFrames - first);
    }

    public PhysicalMemory memory() {
        return memory;
    }

    /** One zeroed frame. @throws IommuException ENOMEM when memory is exhausted */
    public long allocate() {
        return allocate(1, 1);
    }

    /**
     * {@code frames} contiguous zeroed frames whose first frame number is a multiple of {@code alignFrames} (a
     * power of two). Returns the physical address of the first.
     *
     * @throws IommuException ENOMEM when no free run fits
     */
    public synchronized long allocate(long frames, long alignFrames) {
        if (frames <= 0 || alignFrames <= 0 || Long.bitCount(alignFrames) != 1) {
            throw new IllegalArgumentException("frames " + frames + " align " + alignFrames);
        }
        if (failCountdown > 0 && --failCountdown == 0) {
            throw IommuException.of(Errno.ENOMEM, "injected allocation failure");
        }
        for (Map.Entry<Long, Long> e : free.entrySet()) {
            long start = e.getKey();
            long count = e.getValue();
            long aligned = (start + alignFrames - 1) & -alignFrames;
            if (aligned - start + frames <= count) {
                free.remove(start);
                if (aligned > start) {
                    free.put(start, aligned - start);
                }
                long tail = start + count - (aligned + frames);
                if (tail > 0) {
                    free.put(aligned + frames, tail);
                }
                inUse += frames;
                return aligned << PhysicalMemory.FRAME_SHIFT;
            }
        }
        throw IommuException.of(Errno.ENOMEM, "no run of %d free frames (%d of %d frames in use)", frames, inUse, totalFrames);
    }

    /** Frees one frame. */
    public void free(long pa) {
        free(pa, 1);
    }

    /** Frees a run of frames allocated earlier; their contents are dropped. */
    public synchronized void free(long pa, long frames) {
        if ((pa & (PhysicalMemory.FRAME_SIZE - 1)) != 0 || frames <= 0) {
            throw new IllegalArgumentException("free of 0x" + Long.toHexString(pa) + " x" + frames);
        }
        long start = pa >>> PhysicalMemory.FRAME_SHIFT;
        long end = start + frames;
        if (start < (RESERVED_LOW_BYTES >>> PhysicalMemory.FRAME_SHIFT) || end > totalFrames) {
            throw new IllegalStateException(String.format("free of frames 0x%x x%d that the allocator never hands out", pa, frames));
        }
        Map.Entry<Long, Long> before = free.floorEntry(end - 1);
        if (before != null && before.getKey() + before.getValue() > start) {
            throw new IllegalStateException(String.format("double free of frames 0x%x..0x%x", pa, (end << PhysicalMemory.FRAME_SHIFT) - 1));
        }
        memory.discard(pa, frames);
        inUse -= frames;
        long newStart = start;
        long newEnd = end;
        Map.Entry<Long, Long> prev = free.lowerEntry(start);
        if (prev != null && prev.getKey() + prev.getValue() == start) {
            newStart = prev.getKey();
            free.remove(prev.getKey());
        }
        Long nextCount = free.get(end);
        if (nextCount != null) {
            newEnd = end + nextCount;
            free.remove(end);
        }
        free.put(newStart, newEnd - newStart);
    }

    /** True when the frame at {@code pa} is allocated. */
    public synchronized boolean isAllocated(long pa) {
        long f = pa >>> PhysicalMemory.FRAME_SHIFT;
        if (f < (RESERVED_LOW_BYTES >>> PhysicalMemory.FRAME_SHIFT) || f >= totalFrames) {
            return false;
        }
        Map.Entry<Long, Long> e = free.floorEntry(f);
        return e == null || e.getKey() + e.getValue() <= f;
    }

    /** Frames handed out and not yet freed. */
    public synchronized long framesInUse() {
        return inUse;
    }

    public long totalFrames() {
        return totalFrames;
    }

    /**
     * Makes the {@code n}-th allocation from now fail with ENOMEM (fail-nth testing); 0 turns it off. Returns
     * whether the previous injection was left unfired.
     */
    public synchronized boolean failNth(long n) {
        boolean pending = failCountdown > 0;
        failCountdown = Math.max(0, n);
        return pending;
    }
}
