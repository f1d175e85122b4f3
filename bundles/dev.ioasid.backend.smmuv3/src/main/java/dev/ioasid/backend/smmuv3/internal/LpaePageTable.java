package dev.ioasid.backend.smmuv3.internal;

import dev.ioasid.api.Errno;
import dev.ioasid.api.IommuException;
import dev.ioasid.backend.smmuv3.internal.Lpae.Granule;
import dev.ioasid.machine.FrameAllocator;
import dev.ioasid.machine.PhysicalMemory;
import dev.ioasid.spi.PagingDomain.DirtySink;

/**
 * A VMSAv8-64 stage 1 or stage 2 table that the host owns, as Linux's io-pgtable-arm: map, unmap (splitting a
 * block that the range cuts), iova_to_phys, and the DBM-based dirty state of HTTU. The configuration is fixed
 * at construction and may narrow what was asked (concatenated stage-2 start tables, like
 * arm_64_lpae_alloc_pgtable_s2).
 * <p>
 * Mutations are serialized by the caller (the core's IOAS lock); the hardware walks concurrently and sees whole
 * descriptors (release stores, acquire loads, compare-and-set for the bits both sides write).
 */
final class LpaePageTable {
    /** Which descriptor format. */
    enum Stage {
        S1, S2
    }

    static final int PROT_READ = 1;
    static final int PROT_WRITE = 2;
    static final int PROT_NOEXEC = 4;
    static final int PROT_PRIV = 8;

    /**
     * The walk geometry.
     *
     * @param startLevel  the level of the root table
     * @param startBits   index bits resolved at the start level (more than {@code granule.bits} when concatenated)
     */
    record Config(Stage stage, Granule granule, int ias, int oas, int startLevel, int startBits) {
        /** A stage 1 table of {@code ias} input bits. */
        static Config s1(Granule g, int ias, int oas) {
            int start = g.startLevel(ias);
            return new Config(Stage.S1, g, ias, oas, start, ias - g.levelShift(start));
        }

        /** A stage 2 table; a level-0 start with at most 16 entries is folded into concatenated level-1 tables. */
        static Config s2(Granule g, int ias, int oas) {
            int start = g.startLevel(ias);
            int bits = ias - g.levelShift(start);
            if (start == 0 && (1 << bits) <= 16) {
                start = 1;
                bits += g.bits;
            }
            return new Config(Stage.S2, g, ias, oas, start, bits);
        }

        /** Bytes of the root table (possibly several concatenated tables). */
        long rootBytes() {
            return Math.max(granule.pageSize(), 8L << startBits);
        }

        /** How many granule-sized tables the root concatenates. */
        int concatenated() {
            return (int) Math.max(1, (8L << startBits) / granule.pageSize());
        }

        long pageSizes() {
            long m = 0;
            for (int l = startLevel; l <= 3; l++) {
                if (granule.leafAllowed(l)) {
                    m |= 1L << granule.levelShift(l);
                }
            }
            return m;
        }
    }

    private final PhysicalMemory memory;
    private final FrameAllocator frames;
    final Config config;
    final long root;
    /** DBM on writable leaves: HTTU dirty state is kept for this table. */
    private final boolean dbm;
    /** new writable leaves start clean (tracking on) or dirty; guarded by the caller's lock */
    private boolean tracking;
    /** table frames, root included; guarded by the caller's lock */
    private long tableFrames;
    private boolean freed;

    LpaePageTable(FrameAllocator frames, Config config, boolean dbm) {
        this.memory = frames.memory();
        this.frames = frames;
        this.config = config;
        this.dbm = dbm;
        long rootFrames = config.rootBytes() >>> PhysicalMemory.FRAME_SHIFT;
        this.root = frames.allocate(rootFrames, rootFrames);
        this.tableFrames = rootFrames;
    }

    long tableFrames() {
        return tableFrames;
    }

    private int bitsAt(int level) {
        return level == config.startLevel ? config.startBits : config.granule.bits;
    }

    private int index(long iova, int level) {
        return (int) ((iova >>> config.granule.levelShift(level)) & ((1L << bitsAt(level)) - 1));
    }

    private long tableAddress(long desc) {
        return Lpae.outputAddress(desc, config.granule) & -config.granule.pageSize();
    }

    private long newTable() {
        int n = (int) (config.granule.pageSize() >>> PhysicalMemory.FRAME_SHIFT);
        long t = frames.allocate(n, n);
        tableFrames += n;
        return t;
    }

    private void freeTable(long pa) {
        int n = (int) (config.granule.pageSize() >>> PhysicalMemory.FRAME_SHIFT);
        frames.free(pa, n);
        tableFrames -= n;
    }

    private boolean isLeaf(long desc, int level) {
        return level == 3 || (desc & Lpae.TABLE) == 0;
    }

    private long leaf(long pa, int level, int prot) {
        boolean r = (prot & PROT_READ) != 0;
        boolean w = (prot & PROT_WRITE) != 0;
        long d;
        if (config.stage == Stage.S1) {
            // stage 1 cannot express write-only: Linux maps it read-write
            d = Lpae.s1Leaf(pa, config.granule, level, true, w, (prot & PROT_PRIV) != 0, (prot & PROT_NOEXEC) != 0);
            if (w && dbm) {
                d |= Lpae.DBM;
                if (tracking) {
                    d |= Lpae.AP_RDONLY;
                }
            }
        } else {
            d = Lpae.s2Leaf(pa, config.granule, level, r, w, (prot & PROT_NOEXEC) != 0);
            if (w && dbm) {
                d |= Lpae.DBM;
                if (tracking) {
                    d &= ~Lpae.S2AP_WRITE;
                }
            }
        }
        return d;
    }

    private void checkRange(long iova, long length) {
        long g = config.granule.pageSize();
        if (length <= 0 || ((iova | length) & (g - 1)) != 0) {
            throw IommuException.of(Errno.EINVAL, "0x%x+0x%x is not %d-aligned", iova, length, g);
        }
        if (iova < 0 || Long.compareUnsigned(iova + length - 1, (1L << config.ias) - 1) > 0 || iova + length < iova) {
            throw IommuException.of(Errno.EINVAL, "0x%x+0x%x is beyond the %d-bit input range", iova, length, config.ias);
        }
    }

    /**
     * Maps a range; leaves larger than the granule where alignment allows and {@code large}. On failure what
     * this call mapped is unmapped again.
     *
     * @param prot {@link #PROT_READ}, {@link #PROT_WRITE}, {@link #PROT_NOEXEC}, {@link #PROT_PRIV}
     */
    void map(long iova, long pa, long length, int prot, boolean large) {
        checkLive();
        checkRange(iova, length);
        if ((pa & (config.granule.pageSize() - 1)) != 0 || pa < 0 || Long.compareUnsigned(pa + length - 1, (1L << config.oas) - 1) > 0) {
            throw IommuException.of(Errno.EINVAL, "physical 0x%x+0x%x is misaligned or beyond %d bits", pa, length, config.oas);
        }
        long done = 0;
        try {
            while (done < length) {
                long va = iova + done;
                long p = pa + done;
                int level = 3;
                if (large) {
                    for (int l = config.startLevel; l < 3; l++) {
                        long size = 1L << config.granule.levelShift(l);
                        if (config.granule.leafAllowed(l) && ((va | p) & (size - 1)) == 0 && length - done >= size) {
                            level = l;
                            break;
                        }
                    }
                }
                mapOne(va, p, level, prot);
                done += 1L << config.granule.levelShift(level);
            }
        } catch (IommuException e) {
            if (done > 0) {
                unmap(iova, done);
            }
            throw e;
        }
    }

    private void mapOne(long iova, long pa, int level, int prot) {
        long table = root;
        for (int l = config.startLevel; l < level; l++) {
            long slot = table + 8L * index(iova, l);
            long e = memory.load64(slot);
            if (!Lpae.isValid(e)) {
                long t = newTable();
                memory.store64(slot, Lpae.tableDescriptor(t, config.granule));
                table = t;
            } else if (isLeaf(e, l)) {
                throw IommuException.of(Errno.EEXIST, "iova 0x%x is already mapped by a block", iova);
            } else {
                table = tableAddress(e);
            }
        }
        long slot = table + 8L * index(iova, level);
        if (Lpae.isValid(memory.load64(slot))) {
            throw IommuException.of(Errno.EEXIST, "iova 0x%x is already mapped", iova);
        }
        memory.store64(slot, leaf(pa, level, prot));
    }

    /** Clears the leaves in {@code [iova, iova + length)}; returns the bytes that were mapped. */
    long unmap(long iova, long length) {
        checkLive();
        if (length <= 0) {
            return 0;
        }
        long end = Long.compareUnsigned(iova + length, 1L << config.ias) > 0 || iova + length < iova ? 1L << config.ias : iova + length;
        return unmapIn(root, config.startLevel, 0, iova, end);
    }

    private long unmapIn(long table, int level, long base, long start, long end) {
        int shift = config.granule.levelShift(level);
        long size = 1L << shift;
        int entries = 1 << bitsAt(level);
        long done = 0;
        int first = start <= base ? 0 : (int) Math.min(entries, (start - base) >>> shift);
        int last = end - base >= (long) entries << shift ? entries - 1 : (int) ((end - 1 - base) >>> shift);
        for (int i = first; i <= last; i++) {
            long slot = table + 8L * i;
            long e = memory.load64(slot);
            if (!Lpae.isValid(e)) {
                continue;
            }
            long va = base + (long) i * size;
            boolean covered = va >= start && va + size <= end;
            if (isLeaf(e, level)) {
                if (covered) {
                    memory.store64(slot, 0);
                    done += size;
                    continue;
                }
                split(slot, e, level);
                e = memory.load64(slot);
            }
            long child = tableAddress(e);
            done += unmapIn(child, level + 1, va, start, end);
            if (isEmpty(child)) {
                memory.store64(slot, 0);
                freeTable(child);
            }
        }
        return done;
    }

    /** Replaces a block by a table of leaves one level down with the same attributes (and dirty state). */
    private void split(long slot, long block, int level) {
        long t = newTable();
        long childSize = 1L << config.granule.levelShift(level + 1);
        long pa = Lpae.outputAddress(block, config.granule) & -(1L << config.granule.levelShift(level));
        long attrs = block & ~(Lpae.OA_MASK | Lpae.TABLE | (config.granule == Granule.G64K ? 0xf000L : 0));
        long pageBit = level + 1 == 3 ? Lpae.TABLE : 0;
        for (int i = 0; i < (1 << config.granule.bits); i++) {
            memory.store64(t + 8L * i, Lpae.encodeOutputAddress(pa + i * childSize, config.granule) | attrs | pageBit);
        }
        memory.store64(slot, Lpae.tableDescriptor(t, config.granule));
    }

    private boolean isEmpty(long table) {
        long bytes = config.granule.pageSize();
        for (long off = 0; off < bytes; off += 8) {
            if (memory.load64(table + off) != 0) {
                return false;
            }
        }
        return true;
    }

    /** The leaf that maps {@code iova} and its level (in {@code levelOut[0]}), or 0. */
    long walk(long iova, long[] slotOut, int[] levelOut) {
        if (iova < 0 || Long.compareUnsigned(iova, (1L << config.ias) - 1) > 0) {
            return 0;
        }
        long table = root;
        for (int l = config.startLevel; l <= 3; l++) {
            long slot = table + 8L * index(iova, l);
            long e = memory.load64(slot);
            if (!Lpae.isValid(e)) {
                return 0;
            }
            if (isLeaf(e, l)) {
                if (slotOut != null) {
                    slotOut[0] = slot;
                }
                if (levelOut != null) {
                    levelOut[0] = l;
                }
                return e;
            }
            table = tableAddress(e);
        }
        return 0;
    }

    /** iova_to_phys: the physical address, or -1 when nothing maps it. */
    long iovaToPhys(long iova) {
        int[] level = new int[1];
        long e = walk(iova, null, level);
        if (e == 0) {
            return -1;
        }
        long size = 1L << config.granule.levelShift(level[0]);
        return (Lpae.outputAddress(e, config.granule) & -size) + (iova & (size - 1));
    }

    // ---------------------------------------------------------------- dirty state (HTTU with DBM)

    private boolean isDirty(long leaf) {
        if ((leaf & Lpae.DBM) == 0) {
            return false;
        }
        return config.stage == Stage.S1 ? (leaf & Lpae.AP_RDONLY) == 0 : (leaf & Lpae.S2AP_WRITE) != 0;
    }

    private long clean(long leaf) {
        return config.stage == Stage.S1 ? leaf | Lpae.AP_RDONLY : leaf & ~Lpae.S2AP_WRITE;
    }

    private long dirty(long leaf) {
        return config.stage == Stage.S1 ? leaf & ~Lpae.AP_RDONLY : leaf | Lpae.S2AP_WRITE;
    }

    /**
     * Tracking on: every writable leaf becomes writable-clean, so the hardware marks it on the next write.
     * Tracking off: every writable leaf becomes writable-dirty, so writes need no update. The caller flushes.
     */
    void setTracking(boolean on) {
        tracking = on;
        forEachLeaf(root, config.startLevel, 0, 0, 1L << config.ias, (slot, va, size, e) -> {
            if ((e & Lpae.DBM) != 0) {
                casLeaf(slot, on ? this::clean : this::dirty);
            }
        });
    }

    /** Reports the dirty leaves of a range and makes them clean unless {@code keep}. The caller flushes. */
    void readDirty(long iova, long length, boolean keep, DirtySink sink) {
        long end = Math.min(iova + length, 1L << config.ias);
        forEachLeaf(root, config.startLevel, 0, iova, end, (slot, va, size, e) -> {
            if (isDirty(e)) {
                sink.dirty(va, size);
                if (!keep) {
                    casLeaf(slot, this::clean);
                }
            }
        });
    }

    private void casLeaf(long slot, java.util.function.LongUnaryOperator f) {
        for (int i = 0; i < 1000; i++) {
            long e = memory.load64(slot);
            if (!Lpae.isValid(e) || memory.compareAndSet64(slot, e, f.applyAsLong(e))) {
                return;
            }
        }
        throw new IllegalStateException("descriptor at 0x" + Long.toHexString(slot) + " keeps changing");
    }

    private interface LeafVisitor {
        void leaf(long slot, long va, long size, long desc);
    }

    private void forEachLeaf(long table, int level, long base, long start, long end, LeafVisitor v) {
        int shift = config.granule.levelShift(level);
        int entries = 1 << bitsAt(level);
        if (end <= start) {
            return;
        }
        int first = start <= base ? 0 : (int) Math.min(entries, (start - base) >>> shift);
        int last = end - base >= (long) entries << shift ? entries - 1 : (int) ((end - 1 - base) >>> shift);
        for (int i = first; i <= last; i++) {
            long slot = table + 8L * i;
            long e = memory.load64(slot);
            if (!Lpae.isValid(e)) {
                continue;
            }
            long va = base + ((long) i << shift);
            if (isLeaf(e, level)) {
                v.leaf(slot, va, 1L << shift, e);
            } else {
                forEachLeaf(tableAddress(e), level + 1, va, start, end, v);
            }
        }
    }

    /** Frees every table frame. */
    void free() {
        if (freed) {
            return;
        }
        freed = true;
        freeIn(root, config.startLevel);
        long rootFrames = config.rootBytes() >>> PhysicalMemory.FRAME_SHIFT;
        frames.free(root, rootFrames);
        tableFrames = 0;
    }

    private void freeIn(long table, int level) {
        if (level == 3) {
            return;
        }
        int entries = 1 << bitsAt(level);
        for (int i = 0; i < entries; i++) {
            long e = memory.load64(table + 8L * i);
            if (Lpae.isValid(e) && !isLeaf(e, level)) {
                long child = tableAddress(e);
                freeIn(child, level + 1);
                freeTable(child);
            }
        }
    }

    private void checkLive() {
        if (freed) {
            throw new IllegalStateException("page table was freed");
        }
    }
}
