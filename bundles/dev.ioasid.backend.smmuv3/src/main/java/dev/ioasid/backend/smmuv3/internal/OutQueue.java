package dev.ioasid.backend.smmuv3.internal;

import dev.ioasid.machine.BusError;
import dev.ioasid.machine.PhysicalMemory;

/**
 * A queue the SMMU produces into and software consumes from, in simulated memory: the event queue (32-byte
 * records) or the PRI queue (16-byte entries). PROD and CONS hold an index and a wrap bit; when the queue is
 * full a new entry is lost and PROD.OVFLG toggles, once, until software acknowledges it by copying it into
 * CONS.OVACKFLG.
 */
final class OutQueue {
    private final PhysicalMemory memory;
    private final int entrySize;
    /** guarded by this */
    private long base;
    private int log2size;
    private int prod;
    private int cons;
    private long lost;

    OutQueue(PhysicalMemory memory, int entrySize) {
        this.memory = memory;
        this.entrySize = entrySize;
    }

    synchronized void writeBase(long value, int maxLog2) {
        base = value & Bits.mask(51, 5);
        log2size = (int) Math.min(Bits.get(value, 4, 0), maxLog2);
        prod = 0;
        cons = 0;
    }

    synchronized long readBase() {
        return base | log2size;
    }

    synchronized int prod() {
        return prod;
    }

    synchronized int cons() {
        return cons;
    }

    synchronized void writeProd(int v) {
        prod = v;
    }

    synchronized void writeCons(int v) {
        cons = v;
    }

    /** Entries lost to a full queue since reset. */
    synchronized long lost() {
        return lost;
    }

    private int wrapMask() {
        return (2 << log2size) - 1;
    }

    private boolean full() {
        int idx = (prod ^ cons) & ((1 << log2size) - 1);
        int wrap = (prod ^ cons) & (1 << log2size);
        return idx == 0 && wrap != 0;
    }

    /** The outcome of a write. */
    enum Result {
        WRITTEN, FULL, ABORT
    }

    /** Appends an entry; returns FULL (and overflows) or ABORT (the queue memory is not there). */
    synchronized Result write(long[] dwords) {
        if (full()) {
            lost++;
            if ((prod & Registers.Q_OVERFLOW) == (cons & Registers.Q_OVERFLOW)) {
                prod ^= Registers.Q_OVERFLOW;
            }
            return Result.FULL;
        }
        long at = base + (long) (prod & ((1 << log2size) - 1)) * entrySize;
        try {
            for (int i = 0; i < dwords.length; i++) {
                memory.store64(at + 8L * i, dwords[i]);
            }
        } catch (BusError e) {
            return Result.ABORT;
        }
        prod = (prod & Registers.Q_OVERFLOW) | ((prod + 1) & wrapMask());
        return Result.WRITTEN;
    }

    /** Software's side: takes every entry between CONS and PROD, acknowledges an overflow, advances CONS. */
    synchronized Drained drain() {
        java.util.List<long[]> out = new java.util.ArrayList<>();
        int n = entrySize / 8;
        for (int guard = 0; guard <= 1 << log2size && (cons & wrapMask()) != (prod & wrapMask()); guard++) {
            long at = base + (long) (cons & ((1 << log2size) - 1)) * entrySize;
            long[] e = new long[n];
            for (int i = 0; i < n; i++) {
                e[i] = memory.load64(at + 8L * i);
            }
            out.add(e);
            cons = (cons & Registers.Q_OVERFLOW) | ((cons + 1) & wrapMask());
        }
        boolean overflowed = (prod & Registers.Q_OVERFLOW) != (cons & Registers.Q_OVERFLOW);
        if (overflowed) {
            cons ^= Registers.Q_OVERFLOW;
        }
        return new Drained(out, overflowed);
    }

    /** What a drain took: the entries, and whether the queue had overflowed. */
    record Drained(java.util.List<long[]> entries, boolean overflowed) {
    }
}
