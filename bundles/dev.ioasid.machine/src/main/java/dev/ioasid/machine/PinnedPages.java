package dev.ioasid.machine;

import java.util.concurrent.atomic.AtomicLong;

/**
 * A pinned byte range of user memory: the frames behind it cannot go away until {@link #release()}, even if
 * the user unmaps or truncates. It answers where each byte lives physically. This is what an IOAS area holds.
 */
public final class PinnedPages {
    private final FramePins pins;
    private final AtomicLong owner;
    /** (first frame number, frame count) pairs, in byte order. */
    private final long[] runs;
    /** frames before each run, for the lookup. */
    private final long[] before;
    private final long firstOffset;
    private final long length;
    private boolean released;

    PinnedPages(FramePins pins, AtomicLong owner, long[] runs, long firstOffset, long length) {
        this.pins = pins;
        this.owner = owner;
        this.runs = runs;
        this.firstOffset = firstOffset;
        this.length = length;
        this.before = new long[runs.length / 2];
        long n = 0;
        for (int i = 0; i < runs.length; i += 2) {
            before[i / 2] = n;
            n += runs[i + 1];
        }
        for (int i = 0; i < runs.length; i += 2) {
            pins.pin(runs[i], runs[i + 1]);
        }
        owner.addAndGet(n);
    }

    /** Bytes covered. */
    public long length() {
        return length;
    }

    /** Frames held. */
    public long frames() {
        long n = 0;
        for (int i = 1; i < runs.length; i += 2) {
            n += runs[i];
        }
        return n;
    }

    private int runOf(long frameIndex) {
        int lo = 0;
        int hi = before.length - 1;
        while (lo < hi) {
            int mid = (lo + hi + 1) >>> 1;
            if (before[mid] <= frameIndex) {
                lo = mid;
            } else {
                hi = mid - 1;
            }
        }
        return lo;
    }

    /** The physical address of the byte at {@code offset} (0 ≤ offset < length). */
    public long physical(long offset) {
        if (offset < 0 || offset >= length) {
            throw new IndexOutOfBoundsException(offset);
        }
        long b = firstOffset + offset;
        long fi = b >>> PhysicalMemory.FRAME_SHIFT;
        int r = runOf(fi);
        long pfn = runs[2 * r] + (fi - before[r]);
        return pfn << PhysicalMemory.FRAME_SHIFT | (b & (PhysicalMemory.FRAME_SIZE - 1));
    }

    /** How many bytes from {@code offset} on are physically contiguous (at most to the end of the range). */
    public long contiguous(long offset) {
        long b = firstOffset + offset;
        long fi = b >>> PhysicalMemory.FRAME_SHIFT;
        int r = runOf(fi);
        long runEndByte = (before[r] + runs[2 * r + 1]) << PhysicalMemory.FRAME_SHIFT;
        return Math.min(runEndByte - b, length - offset);
    }

    /** Pins {@code [offset, offset + len)} again, as a range of its own (what IOAS copy does). */
    public synchronized PinnedPages slice(long offset, long len) {
        if (released) {
            throw new IllegalStateException("slice of released pages");
        }
        if (offset < 0 || len <= 0 || offset + len > length) {
            throw new IndexOutOfBoundsException(offset + "+" + len + " of " + length);
        }
        long b = firstOffset + offset;
        long firstFrame = b >>> PhysicalMemory.FRAME_SHIFT;
        long lastFrame = (b + len - 1) >>> PhysicalMemory.FRAME_SHIFT;
        java.util.List<Long> out = new java.util.ArrayList<>();
        for (long fi = firstFrame; fi <= lastFrame;) {
            int r = runOf(fi);
            long runFirst = before[r];
            long runEnd = runFirst + runs[2 * r + 1];
            long take = Math.min(runEnd, lastFrame + 1) - fi;
            out.add(runs[2 * r] + (fi - runFirst));
            out.add(take);
            fi += take;
        }
        long[] sub = out.stream().mapToLong(Long::longValue).toArray();
        return new PinnedPages(pins, owner, sub, b & (PhysicalMemory.FRAME_SIZE - 1), len);
    }

    /** Drops the pins; idempotent. Frames their owner already let go of are freed now. */
    public synchronized void release() {
        if (released) {
            return;
        }
        released = true;
        for (int i = 0; i < runs.length; i += 2) {
            pins.unpin(runs[i], runs[i + 1]);
        }
        owner.addAndGet(-frames());
    }

    public synchronized boolean isReleased() {
        return released;
    }
}
