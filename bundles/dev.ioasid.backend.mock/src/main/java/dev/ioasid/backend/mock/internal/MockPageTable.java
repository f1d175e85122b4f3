package dev.ioasid.backend.mock.internal;

import dev.ioasid.api.Errno;
import dev.ioasid.api.IommuException;
import dev.ioasid.api.MapFlags;
import dev.ioasid.machine.FrameAllocator;
import dev.ioasid.machine.PhysicalMemory;

/**
 * The mock's I/O page table format: three levels of 512 eight-byte entries, one 4 KiB frame per table, over a
 * granule of 2 KiB (as the iommufd selftest's mock) or 4 KiB. Level 0 entries map one granule; level 1 and 2
 * entries point at the next table or, with {@link #LEAF}, map a huge page (1 MiB and 512 MiB with 2 KiB
 * granules; 2 MiB and 1 GiB with 4 KiB).
 *
 * <pre>
 * bit  0      V     valid
 * bit  1      R     DMA may read
 * bit  2      W     DMA may write
 * bit  3      LEAF  a huge page at level 1 or 2 (always set at level 0)
 * bit  4      D     dirty: written by DMA while dirty tracking was on
 * bit  5      A     accessed
 * bits 51:11  OA    output address (a table's is 4 KiB aligned)
 * </pre>
 *
 * Mutations are serialized by the caller (the core's IOAS lock); walks run concurrently with them and see
 * whole entries (release stores, acquire loads).
 */
final class MockPageTable {
    static final long V = 1;
    static final long R = 1 << 1;
    static final long W = 1 << 2;
    static final long LEAF = 1 << 3;
    static final long D = 1 << 4;
    static final long A = 1 << 5;
    static final long OA_MASK = 0x000f_ffff_ffff_f800L;
    static final int LEVELS = 3;
    static final int BITS = 9;

    private final PhysicalMemory memory;
    private final FrameAllocator frames;
    final int granuleShift;
    final long root;
    /** frames of tables, root included */
    private long tableFrames;

    MockPageTable(FrameAllocator frames, int granuleShift) {
        this.memory = frames.memory();
        this.frames = frames;
        this.granuleShift = granuleShift;
        this.root = frames.allocate();
        this.tableFrames = 1;
    }

    int shift(int level) {
        return granuleShift + BITS * level;
    }

    private int index(long iova, int level) {
        return (int) ((iova >>> shift(level)) & ((1 << BITS) - 1));
    }

    /** The highest IOVA + 1 the table reaches. */
    long reach() {
        return 1L << shift(LEVELS);
    }

    long tableFrames() {
        return tableFrames;
    }

    /** Leaf sizes as a bitmap. */
    long pageSizes() {
        return (1L << shift(0)) | (1L << shift(1)) | (1L << shift(2));
    }

    static long protBits(int prot) {
        return ((prot & MapFlags.READABLE) != 0 ? R : 0) | ((prot & MapFlags.WRITEABLE) != 0 ? W : 0);
    }

    /** Maps a range; on failure unmaps what this call mapped. */
    void map(long iova, long paddr, long length, int prot, boolean large) {
        long done = 0;
        try {
            while (done < length) {
                long va = iova + done;
                long pa = paddr + done;
                int level = 0;
                if (large) {
                    for (int l = LEVELS - 1; l > 0; l--) {
                        long size = 1L << shift(l);
                        if (((va | pa) & (size - 1)) == 0 && length - done >= size) {
                            level = l;
                            break;
                        }
                    }
                }
                mapOne(va, pa, level, protBits(prot));
                done += 1L << shift(level);
            }
        } catch (IommuException e) {
            if (done > 0) {
                unmap(iova, done);
            }
            throw e;
        }
    }

    /**
     * Writes one leaf, allocating the tables on the way. On failure the tables this call linked are unlinked
     * and freed again, so nothing is left behind.
     */
    private void mapOne(long iova, long pa, int level, long prot) {
        long table = root;
        long firstLinkedSlot = -1;
        java.util.List<Long> made = new java.util.ArrayList<>();
        try {
            for (int l = LEVELS - 1; l > level; l--) {
                long slot = table + 8L * index(iova, l);
                long e = memory.load64(slot);
                if ((e & V) == 0) {
                    long t = frames.allocate();
                    made.add(t);
                    tableFrames++;
                    memory.store64(slot, t | V);
                    if (firstLinkedSlot < 0) {
                        firstLinkedSlot = slot;
                    }
                    table = t;
                } else if ((e & LEAF) != 0) {
                    throw IommuException.of(Errno.EEXIST, "iova 0x%x is already mapped by a huge page", iova);
                } else {
                    table = e & OA_MASK & ~0xfffL;
                }
            }
            long slot = table + 8L * index(iova, level);
            long e = memory.load64(slot);
            if ((e & V) != 0) {
                throw IommuException.of(Errno.EEXIST, "iova 0x%x is already mapped", iova);
            }
            memory.store64(slot, (pa & OA_MASK) | prot | LEAF | V);
        } catch (RuntimeException ex) {
            if (firstLinkedSlot >= 0) {
                memory.store64(firstLinkedSlot, 0);
            }
            for (long t : made) {
                frames.free(t);
                tableFrames--;
            }
            throw ex;
        }
    }

    /** Clears the leaves in {@code [iova, iova + length)}, splitting huge pages cut by the range. */
    long unmap(long iova, long length) {
        return unmapIn(root, LEVELS - 1, 0, iova, iova + length);
    }

    /** Returns the bytes unmapped; frees tables that become empty. */
    private long unmapIn(long table, int level, long base, long start, long end) {
        long size = 1L << shift(level);
        long done = 0;
        int first = firstIndex(base, start, level);
        int last = lastIndex(base, end, level);
        for (int i = first; i <= last; i++) {
            long slot = table + 8L * i;
            long e = memory.load64(slot);
            if ((e & V) == 0) {
                continue;
            }
            long va = base + (long) i * size;
            boolean covered = va >= start && va + size <= end;
            if ((e & LEAF) != 0) {
                if (covered) {
                    memory.store64(slot, 0);
                    done += size;
                    continue;
                }
                split(slot, e, level);
                e = memory.load64(slot);
            }
            long child = e & OA_MASK & ~0xfffL;
            done += unmapIn(child, level - 1, va, start, end);
            if (isEmpty(child)) {
                memory.store64(slot, 0);
                frames.free(child);
                tableFrames--;
            }
        }
        return done;
    }

    /** The first slot of a table at {@code base} that intersects addresses from {@code start}. */
    private int firstIndex(long base, long start, int level) {
        return start <= base ? 0 : (int) Math.min(1 << BITS, (start - base) >>> shift(level));
    }

    /** The last slot of a table at {@code base} that intersects addresses before {@code end}. */
    private int lastIndex(long base, long end, int level) {
        long span = 1L << shift(level + 1);
        return end - base >= span ? (1 << BITS) - 1 : (int) ((end - 1 - base) >>> shift(level));
    }

    /** Replaces a huge leaf by a table of leaves one level down with the same attributes. */
    private void split(long slot, long leaf, int level) {
        long t = frames.allocate();
        tableFrames++;
        long childSize = 1L << shift(level - 1);
        long pa = leaf & OA_MASK;
        long attrs = leaf & (R | W | D | A | LEAF | V);
        for (int i = 0; i < (1 << BITS); i++) {
            memory.store64(t + 8L * i, ((pa + i * childSize) & OA_MASK) | attrs);
        }
        memory.store64(slot, t | V);
    }

    private boolean isEmpty(long table) {
        for (int i = 0; i < (1 << BITS); i++) {
            if (memory.load64(table + 8L * i) != 0) {
                return false;
            }
        }
        return true;
    }

    /** The leaf entry that maps {@code iova}, with its level in the top byte of {@code out[1]}; 0 if none. */
    long walk(long iova, long[] slotOut, int[] levelOut) {
        long table = root;
        for (int l = LEVELS - 1; l >= 0; l--) {
            long slot = table + 8L * index(iova, l);
            long e = memory.load64(slot);
            if ((e & V) == 0) {
                return 0;
            }
            if ((e & LEAF) != 0 || l == 0) {
                if (slotOut != null) {
                    slotOut[0] = slot;
                }
                if (levelOut != null) {
                    levelOut[0] = l;
                }
                return e;
            }
            table = e & OA_MASK & ~0xfffL;
        }
        return 0;
    }

    /** The entries a walk of {@code iova} reads, decoded, top level first. */
    java.util.List<dev.ioasid.spi.DecodedEntry> describe(long iova) {
        java.util.List<dev.ioasid.spi.DecodedEntry> out = new java.util.ArrayList<>();
        long table = root;
        for (int l = LEVELS - 1; l >= 0; l--) {
            long slot = table + 8L * index(iova, l);
            long e = memory.load64(slot);
            java.util.Map<String, String> f = new java.util.LinkedHashMap<>();
            f.put("raw", String.format("0x%016x", e));
            f.put("index", Integer.toString(index(iova, l)));
            f.put("V", bit(e, V));
            if ((e & V) != 0) {
                boolean leaf = (e & LEAF) != 0 || l == 0;
                if (leaf) {
                    f.put("R", bit(e, R));
                    f.put("W", bit(e, W));
                    f.put("LEAF", bit(e, LEAF));
                    f.put("D", bit(e, D));
                    f.put("A", bit(e, A));
                    f.put("OA", String.format("0x%x", e & OA_MASK));
                    f.put("size", "0x" + Long.toHexString(1L << shift(l)));
                } else {
                    f.put("table", String.format("0x%x", e & OA_MASK & ~0xfffL));
                }
                out.add(new dev.ioasid.spi.DecodedEntry("level " + l + (leaf ? " leaf" : " table entry"), slot, f));
                if (leaf) {
                    break;
                }
                table = e & OA_MASK & ~0xfffL;
            } else {
                out.add(new dev.ioasid.spi.DecodedEntry("level " + l + " entry (not present)", slot, f));
                break;
            }
        }
        return out;
    }

    private static String bit(long e, long mask) {
        return (e & mask) != 0 ? "1" : "0";
    }

    long iovaToPhys(long iova) {
        int[] level = new int[1];
        long e = walk(iova, null, level);
        if (e == 0) {
            return -1;
        }
        long size = 1L << shift(level[0]);
        return (e & OA_MASK & ~(size - 1)) + (iova & (size - 1));
    }

    /** Sets bits in a leaf atomically (A, D), as the hardware does on a walk. */
    void setBits(long slot, long bits) {
        while (true) {
            long e = memory.load64(slot);
            if ((e & V) == 0 || (e & bits) == bits || memory.compareAndSet64(slot, e, e | bits)) {
                return;
            }
        }
    }

    /** Calls {@code sink} for every dirty leaf in the range; clears D unless {@code keep}. */
    void readDirty(long iova, long length, boolean keep, dev.ioasid.spi.PagingDomain.DirtySink sink) {
        dirtyIn(root, LEVELS - 1, 0, iova, iova + length, keep, sink);
    }

    private void dirtyIn(long table, int level, long base, long start, long end, boolean keep,
            dev.ioasid.spi.PagingDomain.DirtySink sink) {
        long size = 1L << shift(level);
        int first = firstIndex(base, start, level);
        int last = lastIndex(base, end, level);
        for (int i = first; i <= last; i++) {
            long slot = table + 8L * i;
            long e = memory.load64(slot);
            if ((e & V) == 0) {
                continue;
            }
            long va = base + (long) i * size;
            if ((e & LEAF) != 0) {
                if ((e & D) != 0) {
                    sink.dirty(va, size);
                    if (!keep) {
                        while (!memory.compareAndSet64(slot, e, e & ~D)) {
                            e = memory.load64(slot);
                        }
                    }
                }
            } else {
                dirtyIn(e & OA_MASK & ~0xfffL, level - 1, va, start, end, keep, sink);
            }
        }
    }

    /** Frees every table frame. */
    void free() {
        freeIn(root, LEVELS - 1);
        tableFrames = 0;
    }

    private void freeIn(long table, int level) {
        if (level > 0) {
            for (int i = 0; i < (1 << BITS); i++) {
                long e = memory.load64(table + 8L * i);
                if ((e & V) != 0 && (e & LEAF) == 0) {
                    freeIn(e & OA_MASK & ~0xfffL, level - 1);
                }
            }
        }
        frames.free(table);
    }
}
