package dev.ioasid.backend.smmuv3.internal;

import java.util.ArrayList;
import java.util.List;

import dev.ioasid.machine.FrameAllocator;
import dev.ioasid.machine.PhysicalMemory;

/**
 * Software for tests that program the SMMU device model directly, as the qtest does: a linear stream table, a
 * command queue and an event queue at fixed addresses, STEs and CDs written into memory, commands consumed
 * through CMDQ_PROD, events drained from the event queue.
 */
final class SmmuHarness {
    static final long NS = 0x4000_0000L;
    static final long CMDQ = NS + 0x0e16b000L;
    static final long EVTQ = NS + 0x0e170000L;
    static final long STRTAB = NS + 0x0e179000L;

    final PhysicalMemory memory;
    final FrameAllocator frames;
    final Smmu smmu;
    private int prod;

    SmmuHarness(Profile profile) {
        this(profile, 2L << 30);
    }

    SmmuHarness(Profile profile, long memoryBytes) {
        memory = new PhysicalMemory(memoryBytes);
        frames = new FrameAllocator(memory);
        smmu = new Smmu("test", memory, profile, 64, 16, 16);
        // as qsmmu_program_bank: queues with LOG2SIZE 0xa (clamped to the IDR1 sizes), a linear table of 2^5 STEs
        smmu.write32(Registers.CR0, 0);
        smmu.write64(Registers.CMDQ_BASE, CMDQ | 0x0a);
        smmu.write32(Registers.CMDQ_CONS, 0);
        smmu.write32(Registers.CMDQ_PROD, 0);
        smmu.write64(Registers.EVTQ_BASE, EVTQ | 0x0a);
        smmu.write32(Registers.EVTQ_PROD, 0);
        smmu.write32(Registers.EVTQ_CONS, 0);
        smmu.write32(Registers.STRTAB_BASE_CFG, 0x5);
        smmu.write64(Registers.STRTAB_BASE, STRTAB);
        smmu.write32(Registers.CR0, 0xd); // SMMUEN | EVTQEN | CMDQEN
    }

    void writeSte(int sid, Ste ste) {
        write(STRTAB + (long) sid * Ste.SIZE, ste.dwords());
    }

    void write(long pa, long[] dwords) {
        for (int i = 0; i < dwords.length; i++) {
            memory.store64(pa + 8L * i, dwords[i]);
        }
    }

    /** Appends commands at PROD and moves PROD: the SMMU consumes them at once. Returns CMDQ_CONS. */
    int command(long[]... cmds) {
        int wrap = (2 << smmu.profile.cmdqs()) - 1;
        int size = 1 << smmu.profile.cmdqs();
        for (long[] c : cmds) {
            long at = CMDQ + (long) (prod & (size - 1)) * Commands.SIZE;
            memory.store64(at, c[0]);
            memory.store64(at + 8, c[1]);
            prod = (prod + 1) & wrap;
        }
        smmu.write32(Registers.CMDQ_PROD, prod);
        return smmu.read32(Registers.CMDQ_CONS);
    }

    /** Everything the event queue holds, oldest first. */
    List<EventRecord> events() {
        List<EventRecord> out = new ArrayList<>();
        for (long[] e : smmu.eventQueue.drain().entries()) {
            out.add(new EventRecord(e[0], e[1], e[2], e[3]));
        }
        return out;
    }
}
