package dev.ioasid.backend.vtd.internal;

import java.util.ArrayList;
import java.util.List;

import dev.ioasid.api.Errno;
import dev.ioasid.api.IommuException;
import dev.ioasid.api.MapFlags;
import dev.ioasid.machine.FrameAllocator;
import dev.ioasid.machine.PhysicalMemory;
import dev.ioasid.spi.PagingDomain;

/**
 * The VT-d second-stage page-table format as the host driver keeps it (the io-pgtable ops: map, unmap,
 * iovaToPhys, dirty bits): 3, 4 or 5 levels of 512 entries, leaves of 4 KiB and, as CAP.SLLPS allows, 2 MiB and
 * 1 GiB. Non-leaf entries grant R and W; leaves carry the mapping's R and W.
 * <p>
 * Mutations are serialized by the caller (the core's IOAS lock); walks run concurrently and see whole entries
 * (release stores, acquire loads). Table frames emptied by an unmap are freed only by {@link #releasePending}
 * after the caches were invalidated, so no walk or cache entry outlives the frame it came from.
 */
final class SecondStageTable {
    private final PhysicalMemory memory;
    private final FrameAllocator frames;
    private final Capabilities caps;
    final int aw;
    final int levels;
    final long root;
    /** frames of tables, root included; guarded by the caller */
    private long tableFrames;
    /** frames unlinked by unmap, freed after the next flush; guarded by the caller */
    private final List<Long> pending = new ArrayList<>();

    SecondStageTable(FrameAllocator frames, Capabilities caps, int aw) {
        this.memory = frames.memory();
        this.frames = frames;
        this.caps = caps;
        this.aw = aw;
        this.levels = SsPte.levelsForAw(aw);
        this.root = frames.allocate();
        this.tableFrames = 1;
    }

    /** The input address width in bits. */
    int width() {
        return SsPte.widthForAw(aw);
    }

    long pageSizes() {
        long s = 1L << 12;
        if (caps.ssLeafAt(2)) {
            s |= 1L << 21;
        }
        if (caps.ssLeafAt(3)) {
            s |= 1L << 30;
        }
        return s;
    }

    long tableFrames() {
        return tableFrames;
    }

    /** Maps a range; on failure nothing of this call stays mapped. */
    void map(long iova, long paddr, long length, int prot, boolean large) {
        boolean r = (prot & MapFlags.READABLE) != 0;
        boolean w = (prot & MapFlags.WRITEABLE) != 0;
        long done = 0;
        try {
            while (done < length) {
                long va = iova + done;
                long pa = paddr + done;
                int level = 1;
                if (large) {
                    for (int l = 3; l > 1; l--) {
                        long size = 1L << SsPte.shift(l);
                        if (caps.ssLeafAt(l) && ((va | pa) & (size - 1)) == 0 && length - done >= size) {
                            level = l;
                            break;
                        }
                    }
                }
                if (level == 1) {
                    done += mapLeaves(va, pa, length - done, r, w);
                    continue;
                }
                mapOne(va, pa, level, r, w);
                done += 1L << SsPte.shift(level);
            }
        } catch (IommuException e) {
            int before = pending.size();
            if (done > 0) {
                unmap(iova, done);
            }
            // tables this call linked and unlinked again: no translation finished through them
            while (pending.size() > before) {
                frames.free(pending.remove(pending.size() - 1));
                tableFrames--;
            }
            throw e;
        }
    }

    /**
     * Maps 4 KiB pages from {@code iova} up to the end of its last-level table (or of the range) in one go: the
     * first page finds or makes the table, the rest go in with one bulk store. It stops short of the first slot
     * already in use, so that the caller's next {@link #mapOne} reports that IOVA as EEXIST and its rollback
     * covers every page mapped here. Returns the bytes mapped.
     */
    private long mapLeaves(long iova, long pa, long remaining, boolean r, boolean w) {
        int first = SsPte.index(iova, 1);
        int n = (int) Math.min(512 - first, remaining >>> 12);
        long table = mapOne(iova, pa, 1, r, w);
        if (n <= 1) {
            return 4096;
        }
        long[] entries = scratch;
        int free = n - 1;
        if (!memory.load64s(table + 8L * (first + 1), entries, 0, n - 1)) {
            for (int i = 0; i < n - 1; i++) {
                if (SsPte.present(entries[i])) {
                    free = i;
                    break;
                }
            }
        }
        for (int i = 0; i < free; i++) {
            entries[i] = SsPte.leaf(pa + 4096L * (i + 1), r, w, 1);
        }
        if (free > 0) {
            memory.store64s(table + 8L * (first + 1), entries, 0, free);
        }
        return 4096L * (1 + free);
    }

    /** One last-level table's worth of entries; map and unmap are serialized by the caller, as {@link #pending} is. */
    private final long[] scratch = new long[512];

    /** Maps one leaf; returns the table it wrote it into. */
    private long mapOne(long iova, long pa, int level, boolean r, boolean w) {
        long table = root;
        long[] made = new long[2 * levels];
        int n = 0;
        try {
            for (int l = levels; l > level; l--) {
                long slot = table + 8L * SsPte.index(iova, l);
                long e = memory.load64(slot);
                if (!SsPte.present(e)) {
                    long t = frames.allocate();
                    tableFrames++;
                    memory.store64(slot, SsPte.table(t));
                    made[n++] = slot;
                    made[n++] = t;
                    table = t;
                } else if ((e & SsPte.PS) != 0) {
                    throw IommuException.of(Errno.EEXIST, "iova 0x%x is already mapped by a large page", iova);
                } else {
                    table = e & SsPte.ADDR;
                }
            }
            long slot = table + 8L * SsPte.index(iova, level);
            if (SsPte.present(memory.load64(slot))) {
                throw IommuException.of(Errno.EEXIST, "iova 0x%x is already mapped", iova);
            }
            memory.store64(slot, SsPte.leaf(pa, r, w, level));
            return table;
        } catch (IommuException e) {
            // the tables this page made are empty: unlink and free them, deepest first
            for (int i = n - 2; i >= 0; i -= 2) {
                memory.store64(made[i], 0);
                frames.free(made[i + 1]);
                tableFrames--;
            }
            throw e;
        }
    }

    /** Clears the leaves in {@code [iova, iova + length)}, splitting large pages cut by the range. */
    long unmap(long iova, long length) {
        return unmapIn(root, levels, 0, iova, iova + length);
    }

    private long unmapIn(long table, int level, long base, long start, long end) {
        long size = 1L << SsPte.shift(level);
        long done = 0;
        int first = start <= base ? 0 : (int) Math.min(512, (start - base) >>> SsPte.shift(level));
        long span = 1L << (SsPte.shift(level) + 9);
        int last = end - base >= span ? 511 : (int) ((end - 1 - base) >>> SsPte.shift(level));
        if (level == 1) {
            return unmapLeaves(table, first, Math.min(last, 511));
        }
        for (int i = first; i <= last && i < 512; i++) {
            long slot = table + 8L * i;
            long e = memory.load64(slot);
            if (!SsPte.present(e)) {
                continue;
            }
            long va = base + (long) i * size;
            boolean covered = va >= start && va + size <= end;
            boolean leaf = level == 1 || (e & SsPte.PS) != 0;
            if (leaf) {
                if (covered) {
                    memory.store64(slot, 0);
                    done += size;
                    continue;
                }
                split(slot, e, level);
                e = memory.load64(slot);
            }
            long child = e & SsPte.ADDR;
            done += unmapIn(child, level - 1, va, start, end);
            if (isEmpty(child)) {
                memory.store64(slot, 0);
                pending.add(child);
            }
        }
        return done;
    }

    /** Replaces a large leaf by a table of leaves one level down with the same rights. */
    private void split(long slot, long leaf, int level) {
        long t = frames.allocate();
        tableFrames++;
        long childSize = 1L << SsPte.shift(level - 1);
        long pa = leaf & SsPte.ADDR;
        long attrs = leaf & (SsPte.R | SsPte.W | SsPte.A | SsPte.D);
        for (int i = 0; i < 512; i++) {
            memory.store64(t + 8L * i, ((pa + i * childSize) & SsPte.ADDR) | attrs | (level - 1 > 1 ? SsPte.PS : 0));
        }
        memory.store64(slot, SsPte.table(t));
    }

    /** Clears the present 4 KiB leaves in slots [first, last] of a last-level table with one bulk load and store. */
    private long unmapLeaves(long table, int first, int last) {
        int n = last - first + 1;
        if (n <= 0) {
            return 0;
        }
        long[] entries = scratch;
        if (memory.load64s(table + 8L * first, entries, 0, n)) {
            return 0;
        }
        int cleared = 0;
        for (int i = 0; i < n; i++) {
            if (SsPte.present(entries[i])) {
                entries[i] = 0;
                cleared++;
            }
        }
        if (cleared > 0) {
            memory.store64s(table + 8L * first, entries, 0, n);
        }
        return 4096L * cleared;
    }

    private boolean isEmpty(long table) {
        return memory.load64s(table, scratch, 0, 512);
    }

    /** Frees the tables unlinked by earlier unmaps: call after the caches were invalidated. */
    void releasePending() {
        for (long t : pending) {
            frames.free(t);
            tableFrames--;
        }
        pending.clear();
    }

    /** The leaf entry for {@code iova} and its level packed as {entry, level}; null when not mapped. */
    long[] leaf(long iova) {
        if (iova >>> width() != 0) {
            return null;
        }
        long table = root;
        for (int l = levels; l >= 1; l--) {
            long slot = table + 8L * SsPte.index(iova, l);
            long e = memory.load64(slot);
            if (!SsPte.present(e)) {
                return null;
            }
            if (l == 1 || (e & SsPte.PS) != 0) {
                return new long[] { e, l, slot };
            }
            table = e & SsPte.ADDR;
        }
        return null;
    }

    long iovaToPhys(long iova) {
        long[] leaf = leaf(iova);
        if (leaf == null) {
            return -1;
        }
        long size = 1L << SsPte.shift((int) leaf[1]);
        return (leaf[0] & SsPte.ADDR & -size) + (iova & (size - 1));
    }

    /** Calls {@code sink} for every leaf in the range whose D bit is set; clears D unless {@code keep}. */
    void readDirty(long iova, long length, boolean keep, PagingDomain.DirtySink sink) {
        dirtyIn(root, levels, 0, iova, iova + length, keep, sink);
    }

    private void dirtyIn(long table, int level, long base, long start, long end, boolean keep, PagingDomain.DirtySink sink) {
        long size = 1L << SsPte.shift(level);
        int first = start <= base ? 0 : (int) Math.min(512, (start - base) >>> SsPte.shift(level));
        long span = 1L << (SsPte.shift(level) + 9);
        int last = end - base >= span ? 511 : (int) ((end - 1 - base) >>> SsPte.shift(level));
        for (int i = first; i <= last && i < 512; i++) {
            long slot = table + 8L * i;
            long e = memory.load64(slot);
            if (!SsPte.present(e)) {
                continue;
            }
            long va = base + (long) i * size;
            if (level == 1 || (e & SsPte.PS) != 0) {
                if ((e & SsPte.D) != 0) {
                    sink.dirty(va, size);
                    if (!keep) {
                        while (!memory.compareAndSet64(slot, e, e & ~SsPte.D)) {
                            e = memory.load64(slot);
                        }
                    }
                }
            } else {
                dirtyIn(e & SsPte.ADDR, level - 1, va, start, end, keep, sink);
            }
        }
    }

    /** Frees every table frame. */
    void free() {
        releasePending();
        freeIn(root, levels);
        tableFrames = 0;
    }

    private void freeIn(long table, int level) {
        if (level > 1) {
            for (int i = 0; i < 512; i++) {
                long e = memory.load64(table + 8L * i);
                if (SsPte.present(e) && (e & SsPte.PS) == 0) {
                    freeIn(e & SsPte.ADDR, level - 1);
                }
            }
        }
        frames.free(table);
    }
}
