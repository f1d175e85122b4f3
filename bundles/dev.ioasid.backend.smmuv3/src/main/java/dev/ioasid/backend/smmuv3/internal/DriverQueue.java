package dev.ioasid.backend.smmuv3.internal;

import java.util.List;

import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import dev.ioasid.machine.FrameAllocator;
import dev.ioasid.machine.PhysicalMemory;

/**
 * The driver's side of the command queue: writes commands at PROD in simulated memory, moves PROD, and ends
 * each batch with a CMD_SYNC whose MSI write it checks (Linux's MSI-based sync polling). The SMMU consumes
 * synchronously. When a command is illegal the SMMU stops with CMDQ_CONS.ERR; the driver then turns the
 * failing command and the rest of the batch into CMD_SYNCs (as arm_smmu_cmdq_skip_err does for one),
 * acknowledges through GERRORN, and reports how many commands ran.
 */
final class DriverQueue {
    private static final Logger LOG = LoggerFactory.getLogger(DriverQueue.class);

    private final Smmu smmu;
    private final FrameAllocator frames;
    private final int log2size;
    private final long base;
    private final long frameCount;
    /** the word CMD_SYNC's MSI writes */
    private final long syncWord;
    /** guarded by this */
    private int syncSequence;
    private long errors;

    DriverQueue(Smmu smmu, FrameAllocator frames, int log2size) {
        this.smmu = smmu;
        this.frames = frames;
        this.log2size = Math.min(log2size, smmu.profile.cmdqs());
        long bytes = (long) Commands.SIZE << this.log2size;
        this.frameCount = Math.max(1, bytes >>> PhysicalMemory.FRAME_SHIFT) + 1;
        this.base = frames.allocate(frameCount, Long.highestOneBit(frameCount));
        this.syncWord = base + (frameCount - 1) * PhysicalMemory.FRAME_SIZE;
        smmu.write64(Registers.CMDQ_BASE, Registers.queueBase(base, this.log2size));
        smmu.write32(Registers.CMDQ_PROD, 0);
    }

    private int wrapMask() {
        return (2 << log2size) - 1;
    }

    private int indexMask() {
        return (1 << log2size) - 1;
    }

    synchronized long errors() {
        return errors;
    }

    /**
     * Issues commands and a CMD_SYNC. Returns how many of {@code cmds} ran before the first that the SMMU
     * refused (all of them when none was refused).
     */
    synchronized int issue(List<long[]> cmds) {
        int done = 0;
        int size = 1 << log2size;
        int at = 0;
        while (at < cmds.size()) {
            int n = Math.min(cmds.size() - at, size - 1); // one slot for the CMD_SYNC
            int failed = batch(cmds.subList(at, at + n), true);
            if (failed >= 0) {
                return done + failed;
            }
            done += n;
            at += n;
        }
        if (cmds.isEmpty()) {
            batch(cmds, true);
        }
        return done;
    }

    /** One batch that fits the queue; returns the index of the refused command, or -1. */
    private int batch(List<long[]> cmds, boolean sync) {
        int prod = smmu.read32(Registers.CMDQ_PROD) & wrapMask();
        int start = prod;
        for (long[] c : cmds) {
            write(prod, c);
            prod = (prod + 1) & wrapMask();
        }
        int seq = ++syncSequence;
        if (sync) {
            write(prod, smmu.profile.msi() ? Commands.sync(Commands.SYNC_CS_IRQ, syncWord, seq) : Commands.sync());
            prod = (prod + 1) & wrapMask();
        }
        smmu.write32(Registers.CMDQ_PROD, prod);
        int cons = smmu.read32(Registers.CMDQ_CONS);
        int err = cons >>> 24 & 0x7f;
        if (err == Registers.CERROR_NONE) {
            checkSync(seq);
            return -1;
        }
        errors++;
        int failedAt = cons & wrapMask();
        int failedIndex = (failedAt - start) & wrapMask();
        int slot = failedAt & indexMask();
        long[] bad = { smmu.memory.load64(base + (long) slot * Commands.SIZE), smmu.memory.load64(base + (long) slot * Commands.SIZE + 8) };
        LOG.debug("{}: command {} refused with CERROR {}", smmu.name, Commands.describe(bad[0], bad[1]), err);
        // skip the refused command and the rest of the batch: each becomes a CMD_SYNC
        for (int p = failedAt; p != prod; p = (p + 1) & wrapMask()) {
            write(p, Commands.sync());
        }
        int gerror = smmu.read32(Registers.GERROR);
        smmu.write32(Registers.GERRORN, (smmu.read32(Registers.GERRORN) & ~Registers.GERROR_CMDQ_ERR) | (gerror & Registers.GERROR_CMDQ_ERR));
        return Math.min(failedIndex, cmds.size());
    }

    private void checkSync(int seq) {
        if (smmu.profile.msi() && smmu.memory.load32(syncWord) != seq) {
            LOG.warn("{}: CMD_SYNC {} did not complete (MSI word holds {})", smmu.name, seq, smmu.memory.load32(syncWord));
        }
    }

    private void write(int prod, long[] cmd) {
        long a = base + (long) (prod & indexMask()) * Commands.SIZE;
        smmu.memory.store64(a, cmd[0]);
        smmu.memory.store64(a + 8, cmd[1]);
    }

    void free() {
        frames.free(base, frameCount);
    }
}
