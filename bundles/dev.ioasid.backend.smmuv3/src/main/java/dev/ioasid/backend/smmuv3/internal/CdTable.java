package dev.ioasid.backend.smmuv3.internal;

import java.util.HashMap;
import java.util.Map;

import dev.ioasid.machine.FrameAllocator;
import dev.ioasid.machine.PhysicalMemory;

/**
 * A CD table the driver owns for one stream: linear when it holds at most 1024 CDs (or the SMMU has no CD2L),
 * else 2-level with 1024 CDs per leaf (S1Fmt 64K-leaf), leaves made on first use, as arm_smmu_alloc_cd_tables.
 * CDs are written whole under the SMMU's structure lock.
 */
final class CdTable {
    static final int L2_SPLIT = 10;

    private final Smmu smmu;
    private final FrameAllocator frames;
    /** S1CDMax: the table holds 2^bits CDs */
    final int bits;
    final boolean twoLevel;
    final long base;
    private final long baseFrames;
    private final Map<Integer, Long> leaves = new HashMap<>();

    CdTable(Smmu smmu, FrameAllocator frames, int bits) {
        this.smmu = smmu;
        this.frames = frames;
        this.bits = bits;
        this.twoLevel = smmu.profile.cd2l() && bits > L2_SPLIT;
        long bytes = twoLevel ? 8L << (bits - L2_SPLIT) : (long) Cd.SIZE << bits;
        this.baseFrames = Math.max(1, (bytes + PhysicalMemory.FRAME_SIZE - 1) >>> PhysicalMemory.FRAME_SHIFT);
        this.base = frames.allocate(baseFrames, Long.highestOneBit(baseFrames));
    }

    /** STE.S1Fmt for this table. */
    int s1Fmt() {
        return twoLevel ? Ste.S1FMT_2LVL_64K : Ste.S1FMT_LINEAR;
    }

    private long cdAddress(int ssid, boolean create) {
        if (!twoLevel) {
            return base + (long) ssid * Cd.SIZE;
        }
        int l1 = ssid >>> L2_SPLIT;
        Long leaf = leaves.get(l1);
        if (leaf == null) {
            if (!create) {
                return -1;
            }
            int n = (Cd.SIZE << L2_SPLIT) >>> PhysicalMemory.FRAME_SHIFT;
            leaf = frames.allocate(n, n);
            leaves.put(l1, leaf);
            smmu.memory.store64(base + 8L * l1, leaf | 1); // L1CD: V, L2Ptr 51:12
        }
        return leaf + (long) (ssid & ((1 << L2_SPLIT) - 1)) * Cd.SIZE;
    }

    void write(int ssid, Cd cd) {
        long a = cdAddress(ssid, true);
        long stamp = smmu.structureLock.writeLock();
        try {
            for (int i = 0; i < Cd.DWORDS; i++) {
                smmu.memory.store64(a + 8L * i, cd.dword(i));
            }
        } finally {
            smmu.structureLock.unlockWrite(stamp);
        }
    }

    /** Makes a CD invalid (V = 0). */
    void clear(int ssid) {
        long a = cdAddress(ssid, false);
        if (a < 0) {
            return;
        }
        long stamp = smmu.structureLock.writeLock();
        try {
            for (int i = 0; i < Cd.DWORDS; i++) {
                smmu.memory.store64(a + 8L * i, 0);
            }
        } finally {
            smmu.structureLock.unlockWrite(stamp);
        }
    }

    Cd read(int ssid) {
        long a = cdAddress(ssid, false);
        long[] dw = new long[Cd.DWORDS];
        if (a >= 0) {
            for (int i = 0; i < dw.length; i++) {
                dw[i] = smmu.memory.load64(a + 8L * i);
            }
        }
        return new Cd(dw);
    }

    void free() {
        int n = (Cd.SIZE << L2_SPLIT) >>> PhysicalMemory.FRAME_SHIFT;
        for (long leaf : leaves.values()) {
            frames.free(leaf, n);
        }
        leaves.clear();
        frames.free(base, baseFrames);
    }
}
