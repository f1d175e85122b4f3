package dev.ioasid.machine;


/**
 * Pin counts of physical frames, machine-wide. A frame whose owner (an anonymous mapping, a file) lets go of it
 * while it is pinned is "released": it stays allocated, held by its pinners, and is freed by the last unpin.
 */
public final class FramePins {
    private final FrameAllocator frames;
    /** guarded by this */
    private final RangeCounter pins = new RangeCounter();
    /** frames whose owner let go while pinned; guarded by this */
    private final RangeCounter released = new RangeCounter();

    FramePins(FrameAllocator frames) {
        this.frames = frames;
    }

    synchronized void pin(long pfn, long count) {
        pins.add(pfn, pfn + count, 1);
    }

    synchronized void unpin(long pfn, long count) {
        for (long[] zero : pins.add(pfn, pfn + count, -1)) {
            freeReleased(zero[0], zero[1]);
        }
    }

    private void freeReleased(long start, long end) {
        if (released.isEmpty() || released.total(start, end) == 0) {
            return; // the usual case, the owner still holds every frame: no per-frame lookups
        }
        for (long f = start; f < end;) {
            if (released.get(f) > 0) {
                long runEnd = f + 1;
                while (runEnd < end && released.get(runEnd) > 0) {
                    runEnd++;
                }
                released.add(f, runEnd, -1);
                frames.free(f << PhysicalMemory.FRAME_SHIFT, runEnd - f);
                f = runEnd;
            } else {
                f++;
            }
        }
    }

    /** The owner lets go of frames: unpinned ones are freed now, pinned ones when their last pin goes. */
    synchronized void release(long pfn, long count) {
        long f = pfn;
        long end = pfn + count;
        while (f < end) {
            boolean pinned = pins.get(f) > 0;
            long runEnd = f + 1;
            while (runEnd < end && (pins.get(runEnd) > 0) == pinned) {
                runEnd++;
            }
            if (pinned) {
                released.add(f, runEnd, 1);
            } else {
                frames.free(f << PhysicalMemory.FRAME_SHIFT, runEnd - f);
            }
            f = runEnd;
        }
    }

    /** How many pins hold the frame. */
    public synchronized int count(long pfn) {
        return pins.get(pfn);
    }

    /** The sum of all pin counts over all frames. */
    public synchronized long total() {
        return pins.total();
    }

    /** Frames kept alive only by pins after their owner let go. */
    public synchronized long releasedFrames() {
        return released.total();
    }

    /** Runs of the pin counter: a measure of the bookkeeping's size. */
    public synchronized int runs() {
        return pins.runs() + released.runs();
    }

}
