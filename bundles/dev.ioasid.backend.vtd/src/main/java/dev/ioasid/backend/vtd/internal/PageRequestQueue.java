package dev.ioasid.backend.vtd.internal;

import java.util.ArrayList;
import java.util.List;

import dev.ioasid.machine.BusError;
import dev.ioasid.machine.PhysicalMemory;

/**
 * The page request queue: a ring of 32-byte page request descriptors in simulated memory at PQA (base 63:12,
 * PQS 2:0; 2^PQS pages), written by hardware at PQT and consumed by software from PQH. When the ring is full
 * the request is not queued and PRS.PRO is set; PRS.PPR is set whenever a request is queued.
 */
final class PageRequestQueue {
    private final PhysicalMemory memory;
    private final Registers regs;
    /** guarded by this */
    private long pqa;
    /** guarded by this */
    private long head;
    /** guarded by this */
    private long tail;

    PageRequestQueue(PhysicalMemory memory, Registers regs) {
        this.memory = memory;
        this.regs = regs;
    }

    synchronized void writePqa(long value) {
        pqa = value & (Bits.mask(63, 12) | Bits.mask(2, 0));
        head = 0;
        tail = 0;
    }

    synchronized long pqa() {
        return pqa;
    }

    synchronized long head() {
        return head;
    }

    synchronized long tail() {
        return tail;
    }

    /** Software moves PQH after reading requests. */
    synchronized void writePqh(long value) {
        head = (value & Bits.mask(18, 5)) % bytes();
    }

    private long bytes() {
        return 4096L << Bits.get(pqa, 2, 0);
    }

    /**
     * Hardware: queues a request at PQT. Returns the byte offset it went to, or -1 when the ring was full (PRO set)
     * or could not be written.
     */
    synchronized long post(PageRequestDescriptor d) {
        long size = bytes();
        long next = (tail + PageRequestDescriptor.SIZE) % size;
        if (next == head) {
            Registers.set(regs.prs, Registers.PRS_PRO);
            return -1;
        }
        long at = tail;
        long[] q = d.encode();
        try {
            long a = (pqa & Bits.mask(63, 12)) + at;
            for (int i = 0; i < 4; i++) {
                memory.store64(a + 8L * i, q[i]);
            }
        } catch (BusError e) {
            return -1;
        }
        tail = next;
        Registers.set(regs.prs, Registers.PRS_PPR);
        return at;
    }

    /** Software: reads every queued request from PQH to PQT and moves PQH past them (bounded by the ring). */
    synchronized List<PageRequestDescriptor> drain() {
        List<PageRequestDescriptor> out = new ArrayList<>();
        long size = bytes();
        long base = pqa & Bits.mask(63, 12);
        for (long n = size / PageRequestDescriptor.SIZE; n > 0 && head != tail; n--) {
            long a = base + head;
            try {
                out.add(PageRequestDescriptor.decode(memory.load64(a), memory.load64(a + 8), memory.load64(a + 16), memory.load64(a + 24)));
            } catch (BusError e) {
                // a queue in bad memory: drop what cannot be read
            }
            head = (head + PageRequestDescriptor.SIZE) % size;
        }
        Registers.clear(regs.prs, Registers.PRS_PPR);
        return out;
    }
}
