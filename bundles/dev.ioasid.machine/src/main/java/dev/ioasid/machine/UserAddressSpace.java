package dev.ioasid.machine;

import java.util.ArrayList;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.concurrent.atomic.AtomicLong;

import dev.ioasid.api.Errno;
import dev.ioasid.api.IommuException;
import dev.ioasid.api.MemFile;
import dev.ioasid.api.UserMemory;

/**
 * A user address space (a process, or a VM's RAM as its VMM sees it): virtual mappings of anonymous memory and
 * files, backed by frames of the machine. All state is guarded by this object's monitor.
 */
public final class UserAddressSpace implements UserMemory {
    /** Where the first mapping goes; addresses grow upwards and are never reused. */
    public static final long FIRST_VA = 0x1_0000_0000L;
    private static final long LAST_VA = 0x7fff_ffff_f000L;

    private final Machine machine;
    private final String name;
    /** va to mapping */
    private final TreeMap<Long, Vma> vmas = new TreeMap<>();
    private final Set<MemFileImpl> files = new LinkedHashSet<>();
    /** pages pinned through this space and not yet released (can outlive close) */
    private final AtomicLong pinned = new AtomicLong();
    private long nextVa = FIRST_VA;
    private boolean closed;

    private static final class Vma {
        final long va;
        final long length;
        final MemoryObject object;
        final long objectPage;

        Vma(long va, long length, MemoryObject object, long objectPage) {
            this.va = va;
            this.length = length;
            this.object = object;
            this.objectPage = objectPage;
        }

        long end() {
            return va + length;
        }
    }

    UserAddressSpace(Machine machine, String name) {
        this.machine = machine;
        this.name = name;
    }

    public String name() {
        return name;
    }

    PhysicalMemory memory() {
        return machine.memory();
    }

    static long pagesFor(long bytes) {
        return (bytes + PAGE_SIZE - 1) / PAGE_SIZE;
    }

    private void checkOpen() {
        if (closed) {
            throw IommuException.of(Errno.EFAULT, "address space %s is gone", name);
        }
    }

    /** Natural alignment for a mapping: up to 1 GiB, so huge IOMMU pages can back it. */
    private static long alignFor(long length) {
        return Math.max(PAGE_SIZE, Math.min(Long.highestOneBit(length), 1L << 30));
    }

    private long reserveVa(long length) {
        long align = alignFor(length);
        long va = (nextVa + align - 1) & -align;
        if (va > LAST_VA - length) {
            throw IommuException.of(Errno.ENOMEM, "address space %s is out of virtual addresses", name);
        }
        nextVa = va + length;
        return va;
    }

    @Override
    public synchronized long mmap(long length) {
        checkOpen();
        if (length <= 0) {
            throw IommuException.of(Errno.EINVAL, "mmap of length %d", length);
        }
        long pages = pagesFor(length);
        long savedNext = nextVa;
        long va = reserveVa(pages * PAGE_SIZE);
        MemoryObject obj;
        try {
            obj = new MemoryObject(machine.frames(), machine.pins(), null, pages, false);
        } catch (RuntimeException e) {
            nextVa = savedNext;
            throw e;
        }
        obj.mappings++;
        vmas.put(va, new Vma(va, pages * PAGE_SIZE, obj, 0));
        return va;
    }

    @Override
    public synchronized long mmap(MemFile file, long offset, long length) {
        checkOpen();
        MemFileImpl f = own(file);
        if (offset < 0 || offset % PAGE_SIZE != 0 || length <= 0) {
            throw IommuException.of(Errno.EINVAL, "mmap of %s at offset %d length %d", f.name(), offset, length);
        }
        long pages = pagesFor(length);
        if (offset / PAGE_SIZE + pages > f.object.pages()) {
            throw IommuException.of(Errno.EINVAL, "mmap of %s runs past its end", f.name());
        }
        long va = reserveVa(pages * PAGE_SIZE);
        f.object.mappings++;
        vmas.put(va, new Vma(va, pages * PAGE_SIZE, f.object, offset / PAGE_SIZE));
        return va;
    }

    private MemFileImpl own(MemFile file) {
        if (!(file instanceof MemFileImpl) || !files.contains(file)) {
            throw IommuException.of(Errno.EBADF, "file %s is closed or belongs to another address space than %s", file, name);
        }
        return (MemFileImpl) file;
    }

    @Override
    public synchronized void munmap(long va, long length) {
        checkOpen();
        if (va % PAGE_SIZE != 0 || length <= 0) {
            throw IommuException.of(Errno.EINVAL, "munmap of 0x%x length %d", va, length);
        }
        long end = va + pagesFor(length) * PAGE_SIZE;
        for (Vma v : new ArrayList<>(overlapping(va, end))) {
            vmas.remove(v.va);
            if (v.va < va) {
                vmas.put(v.va, new Vma(v.va, va - v.va, v.object, v.objectPage));
                v.object.mappings++;
            }
            if (v.end() > end) {
                vmas.put(end, new Vma(end, v.end() - end, v.object, v.objectPage + (end - v.va) / PAGE_SIZE));
                v.object.mappings++;
            }
            v.object.mappings--;
            if (v.object.name == null && v.object.mappings > 0) {
                // anonymous pages that no mapping reaches any more go back now (addresses are never reused)
                long from = Math.max(v.va, va);
                long to = Math.min(v.end(), end);
                v.object.punch(v.objectPage + (from - v.va) / PAGE_SIZE, (to - from) / PAGE_SIZE);
            }
            v.object.destroyIfUnused();
        }
    }

    private List<Vma> overlapping(long start, long end) {
        List<Vma> out = new ArrayList<>();
        Map.Entry<Long, Vma> first = vmas.floorEntry(start);
        Long from = first != null && first.getValue().end() > start ? first.getKey() : Long.valueOf(start);
        for (Vma v : vmas.subMap(from, true, end, false).values()) {
            if (v.end() > start) {
                out.add(v);
            }
        }
        return out;
    }

    @Override
    public synchronized MemFile createFile(String fileName, long size) {
        checkOpen();
        if (size < 0) {
            throw IommuException.of(Errno.EINVAL, "negative file size");
        }
        MemoryObject obj = new MemoryObject(machine.frames(), machine.pins(), fileName, pagesFor(size), true);
        MemFileImpl f = new MemFileImpl(this, obj, size);
        files.add(f);
        return f;
    }

    synchronized void forget(MemFileImpl f) {
        files.remove(f);
    }

    /** Visits the (object, page) of every page of {@code [va, va + length)}. @throws IommuException EFAULT */
    private void walk(long va, long length, PageVisitor visitor) {
        long at = va;
        long end = va + length;
        if (length < 0 || end < va) {
            throw IommuException.of(Errno.EFAULT, "range 0x%x + %d wraps", va, length);
        }
        while (at < end) {
            Map.Entry<Long, Vma> e = vmas.floorEntry(at);
            if (e == null || e.getValue().end() <= at) {
                throw MemoryObject.efault(at);
            }
            Vma v = e.getValue();
            // a file mapping may reach past the end of a truncated file: those pages are gone (SIGBUS in Linux)
            long backed = v.va + Math.max(0, v.object.pages() - v.objectPage) * PAGE_SIZE;
            if (at >= backed) {
                throw MemoryObject.efault(at);
            }
            long chunkEnd = Math.min(Math.min(end, v.end()), backed);
            visitor.visit(v, at, chunkEnd);
            at = chunkEnd;
        }
    }

    private interface PageVisitor {
        void visit(Vma vma, long from, long to);
    }

    @Override
    public synchronized void read(long va, byte[] dst) {
        checkOpen();
        int[] pos = { 0 };
        walk(va, dst.length, (v, from, to) -> {
            copy(v.object, (v.objectPage * PAGE_SIZE) + (from - v.va), dst, pos[0], (int) (to - from), false);
            pos[0] += (int) (to - from);
        });
    }

    @Override
    public synchronized void write(long va, byte[] src) {
        checkOpen();
        walk(va, src.length, (v, from, to) -> { });
        int[] pos = { 0 };
        walk(va, src.length, (v, from, to) -> {
            copy(v.object, (v.objectPage * PAGE_SIZE) + (from - v.va), src, pos[0], (int) (to - from), true);
            pos[0] += (int) (to - from);
        });
    }

    /** Copies between a byte array and an object's bytes, frame by frame. */
    void copy(MemoryObject obj, long objOffset, byte[] buf, int off, int len, boolean toObject) {
        while (len > 0) {
            long page = objOffset / PAGE_SIZE;
            int inPage = (int) Math.min(len, PAGE_SIZE - objOffset % PAGE_SIZE);
            long pa = (obj.frame(page) << PhysicalMemory.FRAME_SHIFT) + objOffset % PAGE_SIZE;
            if (toObject) {
                machine.memory().write(pa, buf, off, inPage);
            } else {
                machine.memory().read(pa, buf, off, inPage);
            }
            objOffset += inPage;
            off += inPage;
            len -= inPage;
        }
    }

    /**
     * Pins the pages under {@code [va, va + length)}: until the returned pages are released, their frames stay
     * allocated whatever the user unmaps.
     *
     * @throws IommuException EFAULT if any page is not mapped (nothing is pinned then)
     */
    public synchronized PinnedPages pin(long va, long length) {
        checkOpen();
        if (length <= 0) {
            throw IommuException.of(Errno.EINVAL, "pin of length %d", length);
        }
        long first = va & -PAGE_SIZE;
        long last = (va + length - 1) & -PAGE_SIZE;
        if (va + length - 1 < va) {
            throw IommuException.of(Errno.EFAULT, "range 0x%x + %d wraps", va, length);
        }
        List<Long> runs = new ArrayList<>();
        walk(first, last + PAGE_SIZE - first, (v, from, to) -> v.object.runs(v.objectPage + (from - v.va) / PAGE_SIZE,
                (to - from) / PAGE_SIZE, runs));
        return newPin(runs, va % PAGE_SIZE, length);
    }

    /** Pins {@code [offset, offset + length)} of a file of this space (IOAS map-file). */
    public PinnedPages pin(MemFile file, long offset, long length) {
        MemFileImpl f;
        synchronized (this) {
            checkOpen();
            f = own(file);
        }
        return f.pin(offset, length);
    }

    PinnedPages newPin(List<Long> runs, long firstOffset, long length) {
        long[] r = new long[runs.size()];
        for (int i = 0; i < r.length; i++) {
            r[i] = runs.get(i);
        }
        return new PinnedPages(machine.pins(), pinned, r, firstOffset, length);
    }

    @Override
    public synchronized int pinCount(long va) {
        checkOpen();
        int[] c = { 0 };
        walk(va, 1, (v, from, to) -> c[0] = machine.pins().count(v.object.frame(v.objectPage + (from - v.va) / PAGE_SIZE)));
        return c[0];
    }

    /** The physical address behind a user address. @throws IommuException EFAULT if it is not mapped */
    public synchronized long physical(long va) {
        checkOpen();
        long[] pa = { 0 };
        walk(va, 1, (v, from, to) -> pa[0] = (v.object.frame(v.objectPage + (from - v.va) / PAGE_SIZE) << PhysicalMemory.FRAME_SHIFT)
                | (from % PAGE_SIZE));
        return pa[0];
    }

    @Override
    public long pinnedPages() {
        return pinned.get();
    }

    @Override
    public synchronized List<Region> regions() {
        List<Region> out = new ArrayList<>();
        for (Vma v : vmas.values()) {
            out.add(new Region(v.va, v.length, v.object.name, v.objectPage * PAGE_SIZE));
        }
        return out;
    }

    /** Unmaps everything and closes every file. Pinned frames stay with their pinners. */
    public synchronized void close() {
        if (closed) {
            return;
        }
        for (Vma v : new ArrayList<>(vmas.values())) {
            munmap(v.va, v.length);
        }
        for (MemFileImpl f : new ArrayList<>(files)) {
            f.close();
        }
        closed = true;
    }

    public synchronized boolean isClosed() {
        return closed;
    }

    @Override
    public String toString() {
        return "address space " + name;
    }
}
