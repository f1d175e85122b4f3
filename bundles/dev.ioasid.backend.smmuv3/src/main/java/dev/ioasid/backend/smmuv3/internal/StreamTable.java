package dev.ioasid.backend.smmuv3.internal;

import java.util.HashMap;
import java.util.Map;

import dev.ioasid.machine.FrameAllocator;
import dev.ioasid.machine.PhysicalMemory;

/**
 * The stream table the driver owns: 2-level (SPLIT 8, L2 tables made when a StreamID is first probed, as
 * arm_smmu_init_l2_strtab) when the SMMU supports it, else linear. Programs STRTAB_BASE and STRTAB_BASE_CFG.
 * STEs are written whole under the SMMU's structure lock; invalidation is the caller's (CFGI_STE).
 */
final class StreamTable {
    static final int SPLIT = 8;

    private final Smmu smmu;
    private final FrameAllocator frames;
    private final boolean twoLevel;
    private final int sidBits;
    private final long base;
    private final long baseFrames;
    /** L2 tables by L1 index; guarded by the driver's lock */
    private final Map<Integer, Long> l2 = new HashMap<>();

    StreamTable(Smmu smmu, FrameAllocator frames) {
        this.smmu = smmu;
        this.frames = frames;
        Profile p = smmu.profile;
        this.sidBits = p.sidSize();
        this.twoLevel = p.twoLevelStreamTable() && sidBits > SPLIT;
        long bytes = twoLevel ? 8L << (sidBits - SPLIT) : (long) Ste.SIZE << sidBits;
        this.baseFrames = Math.max(1, bytes >>> PhysicalMemory.FRAME_SHIFT);
        this.base = frames.allocate(baseFrames, Long.highestOneBit(baseFrames));
        smmu.write64(Registers.STRTAB_BASE, base);
        smmu.write32(Registers.STRTAB_BASE_CFG, twoLevel ? Registers.strtabBaseCfg(Registers.STRTAB_FMT_2LVL, SPLIT, sidBits)
                : Registers.strtabBaseCfg(Registers.STRTAB_FMT_LINEAR, 0, sidBits));
    }

    boolean isTwoLevel() {
        return twoLevel;
    }

    long base() {
        return base;
    }

    /** Makes the StreamID addressable (its L2 table) and writes an abort STE for it. */
    void probe(int sid) {
        if (twoLevel) {
            int l1 = sid >>> SPLIT;
            if (!l2.containsKey(l1)) {
                int n = (Ste.SIZE << SPLIT) >>> PhysicalMemory.FRAME_SHIFT;
                long t = frames.allocate(n, n);
                l2.put(l1, t);
                // L1 descriptor: SPAN = SPLIT + 1 (2^SPLIT STEs), L2Ptr 51:6
                smmu.memory.store64(base + 8L * l1, t | (SPLIT + 1));
            }
        }
        write(sid, abort());
    }

    static Ste abort() {
        return new Ste.Builder().V(true).Config(Ste.CONFIG_ABORT).build();
    }

    long steAddress(int sid) {
        if (twoLevel) {
            Long t = l2.get(sid >>> SPLIT);
            if (t == null) {
                throw new IllegalStateException("StreamID 0x" + Integer.toHexString(sid) + " was not probed");
            }
            return t + (long) (sid & ((1 << SPLIT) - 1)) * Ste.SIZE;
        }
        return base + (long) sid * Ste.SIZE;
    }

    Ste read(int sid) {
        long a = steAddress(sid);
        long[] dw = new long[Ste.DWORDS];
        for (int i = 0; i < dw.length; i++) {
            dw[i] = smmu.memory.load64(a + 8L * i);
        }
        return new Ste(dw);
    }

    /** Writes an STE whole: the SMMU never fetches half of it. */
    void write(int sid, Ste ste) {
        long a = steAddress(sid);
        long stamp = smmu.structureLock.writeLock();
        try {
            for (int i = 0; i < Ste.DWORDS; i++) {
                smmu.memory.store64(a + 8L * i, ste.dword(i));
            }
        } finally {
            smmu.structureLock.unlockWrite(stamp);
        }
    }

    void free() {
        int n = (Ste.SIZE << SPLIT) >>> PhysicalMemory.FRAME_SHIFT;
        for (long t : l2.values()) {
            frames.free(t, n);
        }
        l2.clear();
        frames.free(base, baseFrames);
    }
}
