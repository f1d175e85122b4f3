package dev.ioasid.backend.vtd.internal;

import java.util.concurrent.atomic.LongAdder;
import java.util.function.Consumer;

import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import dev.ioasid.machine.BusError;
import dev.ioasid.machine.PhysicalMemory;

/**
 * The hardware side of queued invalidation: a ring of descriptors in simulated memory at IQA (base 63:12, DW 11,
 * QS 2:0; 2^QS pages), fetched from IQH up to IQT (byte offsets) when software writes IQT. A descriptor that is
 * malformed (unknown type, reserved bit, bad granularity, AM above MAMV, a status write that fails) sets
 * FSTS.IQE and stops the queue with IQH at that descriptor; nothing more is fetched until software clears IQE.
 * Processing never throws and handles at most one ring's worth of descriptors per tail write.
 */
final class InvalidationQueue {
    private static final Logger LOG = LoggerFactory.getLogger(InvalidationQueue.class);

    static final long IQA_DW = 1L << 11;

    private final String unit;
    private final PhysicalMemory memory;
    private final Capabilities caps;
    private final Registers regs;
    private final ContextCache contextCache;
    private final PasidCache pasidCache;
    private final Iotlb iotlb;
    private final Consumer<Descriptor> pageGroupResponses;

    /** guarded by this */
    private long iqa;
    /** guarded by this */
    private long head;
    /** guarded by this */
    private long tail;
    /** guarded by this */
    private String lastError;
    final LongAdder processed = new LongAdder();
    final LongAdder errors = new LongAdder();
    final LongAdder deviceTlbInvalidations = new LongAdder();

    InvalidationQueue(String unit, PhysicalMemory memory, Capabilities caps, Registers regs, ContextCache contextCache,
            PasidCache pasidCache, Iotlb iotlb, Consumer<Descriptor> pageGroupResponses) {
        this.unit = unit;
        this.memory = memory;
        this.caps = caps;
        this.regs = regs;
        this.contextCache = contextCache;
        this.pasidCache = pasidCache;
        this.iotlb = iotlb;
        this.pageGroupResponses = pageGroupResponses;
    }

    synchronized long iqa() {
        return iqa;
    }

    synchronized long head() {
        return head;
    }

    synchronized long tail() {
        return tail;
    }

    synchronized String lastError() {
        return lastError;
    }

    /** Whether 256-bit descriptors are in use. */
    synchronized boolean wide() {
        return (iqa & IQA_DW) != 0;
    }

    /** Size of a descriptor in bytes. */
    synchronized int descriptorSize() {
        return wide() ? 32 : 16;
    }

    /** Bytes of the ring. */
    synchronized long queueBytes() {
        return 4096L << Bits.get(iqa, 2, 0);
    }

    /** IQA_REG write: a new ring, empty. DW needs scalable mode. */
    synchronized void writeIqa(long value) {
        long dw = caps.smts() ? value & IQA_DW : 0;
        iqa = (value & (Bits.mask(63, 12) | Bits.mask(2, 0))) | dw;
        head = 0;
        tail = 0;
    }

    /** IQT_REG write: fetches and processes descriptors up to the new tail. */
    synchronized void writeIqt(long value) {
        long t = value & Bits.mask(18, 4);
        if (wide() && (t & 0x10) != 0) {
            error(String.format("IQT 0x%x is not 256-bit aligned while IQA.DW is set", value));
            return;
        }
        if (t >= queueBytes()) {
            error(String.format("IQT 0x%x is beyond the %d-byte queue", value, queueBytes()));
            return;
        }
        tail = t;
        process();
    }

    /** FSTS.IQE was cleared by software: fetching resumes at IQH. */
    synchronized void resume() {
        process();
    }

    synchronized boolean stopped() {
        return (regs.fsts.get() & Registers.FSTS_IQE) != 0;
    }

    private void error(String why) {
        Registers.set(regs.fsts, Registers.FSTS_IQE);
        lastError = why;
        errors.increment();
        LOG.debug("{}: invalidation queue error: {}", unit, why);
    }

    private void process() {
        long size = queueBytes();
        int dsize = descriptorSize();
        long base = iqa & Bits.mask(63, 12);
        for (long n = size / dsize; n > 0 && head != tail; n--) {
            if (stopped()) {
                return;
            }
            Descriptor d;
            try {
                long a = base + head;
                d = dsize == 32 ? new Descriptor(memory.load64(a), memory.load64(a + 8), memory.load64(a + 16), memory.load64(a + 24))
                        : Descriptor.of(memory.load64(a), memory.load64(a + 8));
            } catch (BusError e) {
                error("descriptor fetch at IQH 0x" + Long.toHexString(head) + ": " + e.getMessage());
                return;
            }
            String bad = execute(d);
            if (bad != null) {
                error(String.format("%s at IQH 0x%x: %s", d, head, bad));
                return;
            }
            processed.increment();
            head = (head + dsize) % size;
        }
    }

    /** Carries out one descriptor; returns why it is malformed, or null. */
    private String execute(Descriptor d) {
        int type = d.type();
        long rsvd = d.reservedBits(wide());
        if (rsvd == -1L) {
            return "unknown descriptor type " + type;
        }
        if (rsvd != 0) {
            return String.format("reserved bits 0x%x set", rsvd);
        }
        boolean sm = caps.smts();
        switch (type) {
        case Descriptor.CONTEXT_CACHE:
            switch (d.granularity()) {
            case Descriptor.CC_GLOBAL: contextCache.invalidateAll(); return null;
            case Descriptor.CC_DOMAIN: contextCache.invalidateDomain(d.did()); return null;
            case Descriptor.CC_DEVICE: contextCache.invalidateDevice(d.sid(), d.fm()); return null;
            default: return "context-cache granularity 0 is reserved";
            }
        case Descriptor.IOTLB:
            return iotlb(d);
        case Descriptor.DEVICE_TLB:
            if (!caps.dt()) {
                return "device-TLB invalidation without ECAP.DT";
            }
            deviceTlbInvalidations.increment();
            return null;
        case Descriptor.INTERRUPT_ENTRY_CACHE:
            return caps.ir() ? null : "interrupt entry cache invalidation without ECAP.IR";
        case Descriptor.WAIT:
            return waitDescriptor(d);
        case Descriptor.PASID_IOTLB:
            if (!sm) {
                return "PASID-based IOTLB invalidation in legacy mode";
            }
            return pasidIotlb(d);
        case Descriptor.PASID_CACHE:
            if (!sm) {
                return "PASID-cache invalidation in legacy mode";
            }
            switch (d.granularity()) {
            case Descriptor.PC_DOMAIN: pasidCache.invalidateDomain(d.did()); return null;
            case Descriptor.PC_PASID: pasidCache.invalidatePasid(d.did(), d.pasid()); return null;
            case Descriptor.PC_GLOBAL: pasidCache.invalidateAll(); return null;
            default: return "PASID-cache granularity 2 is reserved";
            }
        case Descriptor.PASID_DEVICE_TLB:
            if (!sm || !caps.dt()) {
                return "PASID-based device-TLB invalidation without scalable mode and ECAP.DT";
            }
            deviceTlbInvalidations.increment();
            return null;
        case Descriptor.PAGE_GROUP_RESPONSE:
            if (!caps.prs()) {
                return "page group response without ECAP.PRS";
            }
            if (d.resp() != Descriptor.RESP_SUCCESS && d.resp() != Descriptor.RESP_INVALID && d.resp() != Descriptor.RESP_FAILURE) {
                return "response code " + d.resp() + " is reserved";
            }
            pageGroupResponses.accept(d);
            return null;
        default:
            return "unknown descriptor type " + type;
        }
    }

    /** The address range of a page-selective invalidation, or null when AM is too large. */
    private long[] range(Descriptor d) {
        int am = d.am();
        if (am > caps.mamv() || am + 12 >= 64) {
            return null;
        }
        long size = 1L << (am + 12);
        long first = d.addr() & -size;
        return new long[] { first, first + size - 1 };
    }

    private String iotlb(Descriptor d) {
        switch (d.granularity()) {
        case Descriptor.IOTLB_GLOBAL:
            iotlb.invalidateAll();
            return null;
        case Descriptor.IOTLB_DOMAIN:
            iotlb.invalidateDomain(d.did());
            return null;
        case Descriptor.IOTLB_PAGE:
            long[] r = range(d);
            if (r == null) {
                return String.format("AM %d is above MAMV %d", d.am(), caps.mamv());
            }
            if (caps.psi()) {
                iotlb.invalidatePages(d.did(), r[0], r[1]);
            } else {
                iotlb.invalidateDomain(d.did());
            }
            return null;
        default:
            return "IOTLB granularity 0 is reserved";
        }
    }

    private String pasidIotlb(Descriptor d) {
        switch (d.granularity()) {
        case Descriptor.PIOTLB_PASID:
            iotlb.invalidatePasid(d.did(), d.pasid());
            return null;
        case Descriptor.PIOTLB_PAGE:
            long[] r = range(d);
            if (r == null) {
                return String.format("AM %d is above MAMV %d", d.am(), caps.mamv());
            }
            iotlb.invalidatePasidPages(d.did(), d.pasid(), r[0], r[1]);
            return null;
        default:
            return "PASID-based IOTLB granularity " + d.granularity() + " is reserved";
        }
    }

    private String waitDescriptor(Descriptor d) {
        if (d.pageRequestDrain() && !caps.prs()) {
            return "PD set without ECAP.PRS";
        }
        if (d.statusWrite()) {
            try {
                memory.store32(d.statusAddr(), d.statusData());
            } catch (BusError e) {
                return "status write: " + e.getMessage();
            }
        }
        if (d.interruptFlag()) {
            Registers.set(regs.ics, Registers.ICS_IWC);
        }
        return null;
    }
}
