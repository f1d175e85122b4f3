package dev.ioasid.backend.vtd.internal;

import java.util.List;
import java.util.concurrent.atomic.LongAdder;

import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import dev.ioasid.machine.FrameAllocator;
import dev.ioasid.machine.PhysicalMemory;

/**
 * The driver side of queued invalidation, as Linux's qi_submit_sync: descriptors are written into the ring at
 * IQT, followed by a wait descriptor whose status write the driver checks, then IQT is written. If the queue is
 * stopped by an error (IQE), the driver replaces the bad descriptor at IQH by an empty wait descriptor and clears
 * IQE, as qi_check_fault does, so that its own descriptors always complete.
 */
final class Invalidator {
    private static final Logger LOG = LoggerFactory.getLogger(Invalidator.class);

    private final String unit;
    private final PhysicalMemory memory;
    private final FrameAllocator frames;
    private final InvalidationQueue iq;
    private final Registers regs;
    private final long ring;
    private final long status;
    private final boolean wide;
    /** guarded by this */
    private int sequence;
    final LongAdder recoveries = new LongAdder();

    Invalidator(String unit, FrameAllocator frames, InvalidationQueue iq, Registers regs, boolean wide) {
        this.unit = unit;
        this.memory = frames.memory();
        this.frames = frames;
        this.iq = iq;
        this.regs = regs;
        long r = frames.allocate();
        long s;
        try {
            s = frames.allocate();
        } catch (RuntimeException e) {
            frames.free(r);
            throw e;
        }
        this.ring = r;
        this.status = s;
        this.wide = wide;
        iq.writeIqa(ring | (wide ? InvalidationQueue.IQA_DW : 0));
    }

    /** Submits descriptors and waits for them to complete. */
    synchronized void submit(List<Descriptor> descriptors) {
        try {
            submitTo(descriptors);
        } catch (dev.ioasid.machine.BusError e) {
            // someone pointed IQA at memory that is not there: take the driver's own ring back
            LOG.warn("{}: invalidation queue unusable ({}); reprogramming IQA", unit, e.getMessage());
            iq.writeIqa(ring | (wide ? InvalidationQueue.IQA_DW : 0));
            Registers.clear(regs.fsts, Registers.FSTS_IQE);
            submitTo(descriptors);
        }
    }

    private void submitTo(List<Descriptor> descriptors) {
        recover();
        int dsize = iq.descriptorSize();
        long size = iq.queueBytes();
        int batch = (int) (size / dsize) / 2 - 1;
        for (int from = 0; from < descriptors.size(); from += batch) {
            List<Descriptor> chunk = descriptors.subList(from, Math.min(descriptors.size(), from + batch));
            int seq = ++sequence;
            long t = iq.tail();
            long base = iq.iqa() & Bits.mask(63, 12);
            for (Descriptor d : chunk) {
                t = write(base, t, d, dsize, size);
            }
            t = write(base, t, Descriptor.waitDesc(false, true, false, false, seq, status), dsize, size);
            iq.writeIqt(t);
            if (memory.load32(status) != seq) {
                recover();
                if (memory.load32(status) != seq) {
                    LOG.warn("{}: invalidation wait {} did not complete: {}", unit, seq, iq.lastError());
                }
            }
        }
    }

    void submit(Descriptor... descriptors) {
        submit(List.of(descriptors));
    }

    private long write(long base, long at, Descriptor d, int dsize, long size) {
        memory.store64(base + at, d.qw0());
        memory.store64(base + at + 8, d.qw1());
        if (dsize == 32) {
            memory.store64(base + at + 16, d.qw2());
            memory.store64(base + at + 24, d.qw3());
        }
        return (at + dsize) % size;
    }

    /** Skips malformed descriptors that stopped the queue (bounded by the ring size). */
    private void recover() {
        long slots = iq.queueBytes() / iq.descriptorSize();
        for (long n = slots; n > 0 && iq.stopped(); n--) {
            recoveries.increment();
            LOG.warn("{}: invalidation queue error, skipping the descriptor at IQH: {}", unit, iq.lastError());
            long at = (iq.iqa() & Bits.mask(63, 12)) + iq.head();
            Descriptor nop = Descriptor.waitDesc(false, false, false, false, 0, 0);
            memory.store64(at, nop.qw0());
            memory.store64(at + 8, nop.qw1());
            if (iq.descriptorSize() == 32) {
                memory.store64(at + 16, 0);
                memory.store64(at + 24, 0);
            }
            Registers.clear(regs.fsts, Registers.FSTS_IQE);
            iq.resume();
        }
    }

    /** Frees the ring and the status page. */
    void free() {
        frames.free(ring);
        frames.free(status);
    }
}
