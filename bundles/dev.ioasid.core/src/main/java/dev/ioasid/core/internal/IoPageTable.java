package dev.ioasid.core.internal;

import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Map;
import java.util.NavigableMap;
import java.util.TreeMap;
import java.util.concurrent.locks.ReentrantLock;

import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import dev.ioasid.api.Errno;
import dev.ioasid.api.IommuException;
import dev.ioasid.api.IovaRange;
import dev.ioasid.api.IovaRanges;
import dev.ioasid.api.MapFlags;
import dev.ioasid.machine.PinnedPages;
import dev.ioasid.spi.PagingDomain;

/**
 * The authoritative mapping state of one IOAS, after Linux's io_pagetable: areas of IOVA over pinned pages,
 * allowed ranges, reserved ranges (with their owner: a domain's aperture, a device's MSI window, a test), the
 * paging HWPTs that follow it, and the IOVA alignment they need.
 * <p>
 * Every IOVA is an unsigned 64-bit value; "last" is inclusive and "end" exclusive. Every method takes
 * {@link #lock}, and a method that throws has changed nothing.
 */
final class IoPageTable {
    private static final Logger LOG = LoggerFactory.getLogger(IoPageTable.class);
    static final long PAGE_SIZE = dev.ioasid.api.UserMemory.PAGE_SIZE;
    /** The largest alignment an automatic IOVA gets (a transparent huge page). */
    static final long MAX_AUTO_ALIGN = 2L << 20;
    static final long U64_MAX = -1L;

    final ReentrantLock lock = new ReentrantLock();
    final String name;
    /** guarded by lock */
    private final TreeMap<Long, IoArea> areas = new TreeMap<>(Long::compareUnsigned);
    /** guarded by lock */
    private final List<Reservation> reserved = new ArrayList<>();
    /** guarded by lock; empty means everything is allowed */
    private List<IovaRange> allowed = List.of();
    /** paging HWPTs on this IOAS, in creation order; guarded by lock */
    private final List<HwptPaging> hwpts = new ArrayList<>();
    /** guarded by lock */
    private long iovaAlignment = 1;
    /** guarded by lock */
    private boolean disableLargePages;
    /** set when the IOAS is destroyed; later calls that raced with the destroy see ENOENT. guarded by lock */
    private boolean dead;

    /** A reserved range and who reserved it. */
    record Reservation(long start, long last, Object owner) {
        boolean intersects(long s, long l) {
            return Long.compareUnsigned(start, l) <= 0 && Long.compareUnsigned(s, last) <= 0;
        }
    }

    /** Where the pages of a new mapping come from. */
    interface Source {
        /** The address the automatic IOVA keeps the alignment of: the user VA, or the file offset. */
        long alignmentAddress();

        /** Pins the pages. @throws IommuException EFAULT (user memory) or EINVAL (past the end of a file) */
        PinnedPages pin();

        long userVa();

        String file();

        long fileOffset();
    }

    /** A piece of an existing mapping, pinned again, for copy. */
    record Piece(PinnedPages pages, long alignmentAddress, long userVa, String file, long fileOffset, boolean writable) {
    }

    /** the accesses using this IOAS; guarded by lock */
    private final List<AccessObject> accesses = new ArrayList<>();
    final dev.ioasid.machine.PhysicalMemory memory;

    IoPageTable(String name, dev.ioasid.machine.PhysicalMemory memory) {
        this.name = name;
        this.memory = memory;
    }

    // ---------------------------------------------------------------- helpers

    private static boolean ule(long a, long b) {
        return Long.compareUnsigned(a, b) <= 0;
    }

    private static boolean ult(long a, long b) {
        return Long.compareUnsigned(a, b) < 0;
    }

    private IoArea firstIntersecting(long start, long last) {
        return firstIntersecting(areas, start, last);
    }

    /** The lowest area intersecting {@code [start, last]}, or null. */
    static IoArea firstIntersecting(NavigableMap<Long, IoArea> areas, long start, long last) {
        Map.Entry<Long, IoArea> e = areas.floorEntry(start);
        if (e != null && e.getValue().intersects(start, last)) {
            return e.getValue();
        }
        Map.Entry<Long, IoArea> n = areas.ceilingEntry(start);
        return n != null && n.getValue().intersects(start, last) ? n.getValue() : null;
    }

    List<IoArea> intersecting(long start, long last) {
        List<IoArea> out = new ArrayList<>();
        IoArea a = firstIntersecting(start, last);
        while (a != null) {
            out.add(a);
            Map.Entry<Long, IoArea> n = a.last() == U64_MAX ? null : areas.ceilingEntry(a.last() + 1);
            a = n != null && n.getValue().intersects(start, last) ? n.getValue() : null;
        }
        return out;
    }

    private boolean reservedIntersects(long start, long last) {
        for (Reservation r : reserved) {
            if (r.intersects(start, last)) {
                return true;
            }
        }
        return false;
    }

    // ---------------------------------------------------------------- automatic IOVA

    private long allocIova(long addr, long length) {
        return IovaAllocator.allocate(addr, length, iovaAlignment, allowed, reserved, areas, name);
    }

    // ---------------------------------------------------------------- map

    /** Checks a fixed range: alignment EINVAL, wrap EOVERFLOW, reserved EINVAL, overlap EEXIST. */
    private void checkFixed(long iova, long length) {
        if (iova % iovaAlignment != 0) {
            throw IommuException.of(Errno.EINVAL, "IOVA 0x%x is not aligned to 0x%x", iova, iovaAlignment);
        }
        long last = iova + length - 1;
        if (ult(last, iova)) {
            throw IommuException.of(Errno.EOVERFLOW, "IOVA 0x%x + 0x%x wraps past 2^64", iova, length);
        }
        if (reservedIntersects(iova, last)) {
            throw IommuException.of(Errno.EINVAL, "IOVA range [0x%x, 0x%x] is reserved in IOAS %s", iova, last, name);
        }
        IoArea a = firstIntersecting(iova, last);
        if (a != null) {
            throw IommuException.of(Errno.EEXIST, "IOVA range [0x%x, 0x%x] overlaps the mapping %s", iova, last, a);
        }
    }

    /**
     * Maps one source at a fixed IOVA or an automatic one. The pages are pinned, every domain is filled, and
     * only then does the area become visible; a failure undoes all of it.
     *
     * @return the IOVA
     */
    long map(Source src, long iova, long length, int flags) {
        lock.lock();
        try {
            checkAlive();
            if (length == 0 || length % iovaAlignment != 0) {
                throw IommuException.of(Errno.EINVAL, "length 0x%x is not a multiple of IOAS %s's alignment 0x%x", length, name, iovaAlignment);
            }
            long at;
            if ((flags & MapFlags.FIXED_IOVA) != 0) {
                checkFixed(iova, length);
                at = iova;
            } else {
                at = allocIova(src.alignmentAddress(), length);
            }
            long pageOffset = src.alignmentAddress() % PAGE_SIZE;
            if (pageOffset % iovaAlignment != 0) {
                throw IommuException.of(Errno.EINVAL, "address 0x%x has page offset 0x%x, not aligned to 0x%x", src.alignmentAddress(), pageOffset, iovaAlignment);
            }
            PinnedPages pages = src.pin();
            IoArea area = new IoArea(at, length, flags, pages, src.userVa(), src.file(), src.fileOffset());
            try {
                fillAll(area);
            } catch (RuntimeException e) {
                pages.release();
                throw e;
            }
            areas.put(at, area);
            LOG.debug("IOAS {}: mapped {}", name, area);
            return at;
        } finally {
            lock.unlock();
        }
    }

    /**
     * Maps pieces of other mappings (copy) back to back from a fixed or automatic IOVA, one area per piece.
     * The pieces are this call's to keep on success and to release on failure.
     */
    long mapPieces(List<Piece> pieces, long iova, int flags) {
        lock.lock();
        try {
            checkAlive();
            long length = 0;
            for (Piece p : pieces) {
                length += p.pages().length();
            }
            if (length == 0 || length % iovaAlignment != 0) {
                throw IommuException.of(Errno.EINVAL, "length 0x%x is not a multiple of IOAS %s's alignment 0x%x", length, name, iovaAlignment);
            }
            long at;
            if ((flags & MapFlags.FIXED_IOVA) != 0) {
                checkFixed(iova, length);
                at = iova;
            } else {
                at = allocIova(pieces.get(0).alignmentAddress(), length);
            }
            List<IoArea> made = new ArrayList<>();
            long pos = at;
            try {
                for (Piece p : pieces) {
                    if ((flags & MapFlags.WRITEABLE) != 0 && !p.writable()) {
                        throw IommuException.of(Errno.EPERM, "cannot copy a read-only mapping as writeable");
                    }
                    long off = p.alignmentAddress() % PAGE_SIZE;
                    if (off % iovaAlignment != 0) {
                        throw IommuException.of(Errno.EINVAL, "page offset 0x%x is not aligned to 0x%x", off, iovaAlignment);
                    }
                    IoArea area = new IoArea(pos, p.pages().length(), flags, p.pages(), p.userVa(), p.file(), p.fileOffset());
                    fillAll(area);
                    made.add(area);
                    pos += area.length;
                }
            } catch (RuntimeException e) {
                for (IoArea a : made) {
                    unfillAll(a);
                }
                throw e;
            }
            for (IoArea a : made) {
                areas.put(a.iova, a);
            }
            LOG.debug("IOAS {}: copied {} piece(s) to 0x{}", name, pieces.size(), Long.toHexString(at));
            return at;
        } finally {
            lock.unlock();
        }
    }

    void checkAlive() {
        if (dead) {
            throw IommuException.of(Errno.ENOENT, "IOAS %s was destroyed", name);
        }
    }

    /** Maps an area into every live domain; on failure unmaps what it mapped. */
    private void fillAll(IoArea area) {
        List<HwptPaging> done = new ArrayList<>();
        try {
            for (HwptPaging h : hwpts) {
                if (h.domain() != null) {
                    fill(h.domain(), area);
                    done.add(h);
                }
            }
        } catch (RuntimeException e) {
            for (HwptPaging h : done) {
                unfill(h.domain(), area);
            }
            throw e;
        }
    }

    private void unfillAll(IoArea area) {
        for (HwptPaging h : hwpts) {
            if (h.domain() != null) {
                unfill(h.domain(), area);
            }
        }
    }

    /** Maps an area into one domain, run by physically contiguous run. On failure nothing of it stays. */
    private void fill(PagingDomain d, IoArea area) {
        long off = 0;
        try {
            while (off < area.length) {
                long run = area.pages.contiguous(off);
                d.map(area.iova + off, area.pages.physical(off), run, area.prot, !disableLargePages);
                off += run;
            }
        } catch (RuntimeException e) {
            if (off > 0) {
                d.unmap(area.iova, off);
                d.flush(area.iova, off);
            }
            throw guard(e);
        }
    }

    /** Backend failures that are not IommuExceptions become ENOMEM-free EIO: a bad backend cannot corrupt us. */
    static RuntimeException guard(RuntimeException e) {
        if (e instanceof IommuException) {
            return e;
        }
        return new IommuException(Errno.EIO, "backend failure: " + e, e);
    }

    /** Removes an area from one domain and invalidates its caches (strict). */
    private static void unfill(PagingDomain d, IoArea area) {
        d.unmap(area.iova, area.length);
        d.flush(area.iova, area.length);
    }

    // ---------------------------------------------------------------- unmap and copy

    /**
     * Unmaps every area inside {@code [iova, iova + length - 1]}. All areas are checked before any is removed,
     * so a range that cuts an area changes nothing.
     */
    long unmap(long iova, long length) {
        if (length == 0) {
            throw IommuException.of(Errno.EINVAL, "unmap of length 0");
        }
        long last = iova + length - 1;
        if (ult(last, iova)) {
            throw IommuException.of(Errno.EOVERFLOW, "IOVA 0x%x + 0x%x wraps past 2^64", iova, length);
        }
        return unmapRange(iova, last, false);
    }

    /**
     * Unmaps the areas inside {@code [start, last]}. Accesses that pinned pages there are told first, without
     * the lock held, and must unpin; an access that does not is EBUSY.
     */
    private long unmapRange(long start, long last, boolean all) {
        for (int attempt = 0; ; attempt++) {
            List<AccessObject> toTell = new ArrayList<>();
            lock.lock();
            try {
                checkAlive();
                List<IoArea> hit = intersecting(start, last);
                if (hit.isEmpty()) {
                    if (all) {
                        return 0;
                    }
                    throw IommuException.of(Errno.ENOENT, "nothing is mapped in [0x%x, 0x%x] of IOAS %s", start, last, name);
                }
                if (!all) {
                    for (IoArea a : hit) {
                        if (ult(a.iova, start) || ult(last, a.last())) {
                            throw IommuException.of(Errno.ENOENT, "[0x%x, 0x%x] cuts the mapping %s; unmap whole mappings", start, last, a);
                        }
                    }
                }
                long from = hit.get(0).iova;
                long to = hit.get(hit.size() - 1).last();
                for (AccessObject acc : accesses) {
                    if (acc.pins.stream().anyMatch(p -> p.intersects(from, to))) {
                        toTell.add(acc);
                    }
                }
                if (toTell.isEmpty()) {
                    return remove(hit);
                }
                if (attempt > 0) {
                    throw IommuException.of(Errno.EBUSY, "access %d still pins pages in [0x%x, 0x%x] after being told to unpin",
                            toTell.get(0).id, from, to);
                }
                for (AccessObject acc : toTell) {
                    acc.pendingUnmap = new long[] { from, to - from + 1 };
                }
            } finally {
                lock.unlock();
            }
            for (AccessObject acc : toTell) {
                try {
                    acc.listener.unmap(acc.pendingUnmap[0], acc.pendingUnmap[1]);
                } catch (RuntimeException e) {
                    LOG.warn("IOAS {}: the listener of access {} failed: {}", name, acc.id, e.toString());
                }
            }
        }
    }

    /** Unmaps everything; 0 on an empty IOAS. */
    long unmapAll() {
        return unmapRange(0, U64_MAX, true);
    }

    private long remove(List<IoArea> hit) {
        long bytes = 0;
        for (IoArea a : hit) {
            unfillAll(a);
            areas.remove(a.iova);
            a.pages.release();
            bytes += a.length;
            LOG.debug("IOAS {}: unmapped {}", name, a);
        }
        return bytes;
    }

    /**
     * Pins again the pages behind {@code [iova, iova + length - 1]}, which areas must cover without a hole.
     * The caller owns the pieces.
     */
    List<Piece> getPages(long iova, long length) {
        if (length == 0) {
            throw IommuException.of(Errno.EINVAL, "copy of length 0");
        }
        long last = iova + length - 1;
        if (ult(last, iova)) {
            throw IommuException.of(Errno.EOVERFLOW, "IOVA 0x%x + 0x%x wraps past 2^64", iova, length);
        }
        lock.lock();
        try {
            List<IoArea> hit = intersecting(iova, last);
            if (hit.isEmpty() || ult(iova, hit.get(0).iova) || ult(hit.get(hit.size() - 1).last(), last) || !contiguous(hit)) {
                throw IommuException.of(Errno.ENOENT, "[0x%x, 0x%x] of IOAS %s is not fully mapped", iova, last, name);
            }
            List<Piece> pieces = new ArrayList<>();
            try {
                for (IoArea a : hit) {
                    long from = Long.compareUnsigned(iova, a.iova) > 0 ? iova - a.iova : 0;
                    long to = ult(last, a.last()) ? last - a.iova + 1 : a.length;
                    PinnedPages p = a.pages.slice(from, to - from);
                    long addr = a.userVa != -1 ? a.userVa + from : a.fileOffset + from;
                    pieces.add(new Piece(p, addr, a.userVa == -1 ? -1 : a.userVa + from, a.file,
                            a.file == null ? 0 : a.fileOffset + from, (a.prot & MapFlags.WRITEABLE) != 0));
                }
            } catch (RuntimeException e) {
                pieces.forEach(p -> p.pages().release());
                throw e;
            }
            return pieces;
        } finally {
            lock.unlock();
        }
    }

    static boolean contiguous(List<IoArea> hit) {
        for (int i = 1; i < hit.size(); i++) {
            if (hit.get(i).iova != hit.get(i - 1).last() + 1) {
                return false;
            }
        }
        return true;
    }

    // ---------------------------------------------------------------- ranges

    /** The holes of the reserved ranges over [0, 2^64-1], and the alignment. */
    IovaRanges ranges() {
        lock.lock();
        try {
            List<Reservation> sorted = new ArrayList<>(reserved);
            sorted.sort(Comparator.comparing(Reservation::start, Long::compareUnsigned));
            List<IovaRange> out = new ArrayList<>();
            long pos = 0;
            boolean done = false;
            for (Reservation r : sorted) {
                if (ult(pos, r.start())) {
                    out.add(new IovaRange(pos, r.start() - 1));
                }
                if (r.last() == U64_MAX) {
                    done = true;
                    break;
                }
                if (ule(pos, r.last())) {
                    pos = r.last() + 1;
                }
            }
            if (!done) {
                out.add(new IovaRange(pos, U64_MAX));
            }
            return new IovaRanges(out, iovaAlignment);
        } finally {
            lock.unlock();
        }
    }

    /** Replaces the allowed list. @throws IommuException EADDRINUSE when one intersects a reserved range */
    void setAllowed(List<IovaRange> ranges) {
        lock.lock();
        try {
            for (IovaRange a : ranges) {
                for (Reservation r : reserved) {
                    if (r.intersects(a.start(), a.last())) {
                        throw IommuException.of(Errno.EADDRINUSE, "allowed range %s intersects the reserved range [0x%x, 0x%x]", a, r.start(), r.last());
                    }
                }
            }
            allowed = List.copyOf(ranges);
        } finally {
            lock.unlock();
        }
    }

    List<IovaRange> allowed() {
        lock.lock();
        try {
            return allowed;
        } finally {
            lock.unlock();
        }
    }

    /**
     * Reserves a range for an owner. Reserved ranges may overlap each other.
     *
     * @throws IommuException EADDRINUSE when an area or an allowed range intersects it
     */
    void reserve(long start, long last, Object owner) {
        lock.lock();
        try {
            IoArea a = firstIntersecting(start, last);
            if (a != null) {
                throw IommuException.of(Errno.EADDRINUSE, "[0x%x, 0x%x] is mapped (%s) in IOAS %s", start, last, a, name);
            }
            for (IovaRange r : allowed) {
                if (r.intersects(new IovaRange(start, last))) {
                    throw IommuException.of(Errno.EADDRINUSE, "[0x%x, 0x%x] is inside the allowed range %s of IOAS %s", start, last, r, name);
                }
            }
            reserved.add(new Reservation(start, last, owner));
        } finally {
            lock.unlock();
        }
    }

    /** Reserves several ranges for an owner, all or none. */
    void reserveAll(List<IovaRange> ranges, Object owner) {
        lock.lock();
        try {
            int before = reserved.size();
            try {
                for (IovaRange r : ranges) {
                    reserve(r.start(), r.last(), owner);
                }
            } catch (RuntimeException e) {
                while (reserved.size() > before) {
                    reserved.remove(reserved.size() - 1);
                }
                throw e;
            }
        } finally {
            lock.unlock();
        }
    }

    /** Drops every reservation of an owner. */
    void unreserve(Object owner) {
        lock.lock();
        try {
            reserved.removeIf(r -> r.owner() == owner);
        } finally {
            lock.unlock();
        }
    }

    // ---------------------------------------------------------------- domains

    private static long minPage(long pageSizes) {
        return Long.lowestOneBit(pageSizes);
    }

    /** Checks that every area fits an alignment. @throws IommuException EADDRINUSE */
    private void checkAreasAligned(long align) {
        for (IoArea a : areas.values()) {
            long pageOffset = (a.userVa != -1 ? a.userVa : a.fileOffset) % PAGE_SIZE;
            if (a.iova % align != 0 || a.length % align != 0 || pageOffset % align != 0) {
                throw IommuException.of(Errno.EADDRINUSE, "mapping %s is not aligned to 0x%x", a, align);
            }
        }
    }

    /**
     * Adds a paging HWPT and its domain: its aperture becomes reserved, its page size may raise the alignment,
     * and every existing area is mapped into it. All or nothing.
     */
    void addDomain(HwptPaging hwpt, PagingDomain d) {
        lock.lock();
        try {
            long newAlign = Math.max(minPage(d.pageSizes()), iovaAlignment);
            if (newAlign > PAGE_SIZE) {
                throw IommuException.of(Errno.EINVAL, "domain granule 0x%x is larger than the CPU page", minPage(d.pageSizes()));
            }
            if (newAlign != iovaAlignment) {
                checkAreasAligned(newAlign);
            }
            List<IovaRange> outside = new ArrayList<>();
            IovaRange ap = d.aperture();
            if (ap.start() != 0) {
                outside.add(new IovaRange(0, ap.start() - 1));
            }
            if (ap.last() != U64_MAX) {
                outside.add(new IovaRange(ap.last() + 1, U64_MAX));
            }
            reserveAll(outside, hwpt);
            List<IoArea> done = new ArrayList<>();
            try {
                for (IoArea a : areas.values()) {
                    fill(d, a);
                    done.add(a);
                }
            } catch (RuntimeException e) {
                for (IoArea a : done) {
                    unfill(d, a);
                }
                unreserve(hwpt);
                throw e;
            }
            iovaAlignment = newAlign;
            if (!hwpts.contains(hwpt)) {
                hwpts.add(hwpt);
            }
            hwpt.minPageSize = minPage(d.pageSizes());
        } finally {
            lock.unlock();
        }
    }

    /** Empties a domain of this IOAS's areas and forgets the HWPT; the alignment may drop. */
    void removeDomain(HwptPaging hwpt) {
        lock.lock();
        try {
            PagingDomain d = hwpt.domain();
            if (d != null) {
                for (IoArea a : areas.values()) {
                    try {
                        unfill(d, a);
                    } catch (RuntimeException e) {
                        LOG.warn("IOAS {}: unmapping {} from {} failed: {}", name, a, d, e.toString());
                    }
                }
            }
            unreserve(hwpt);
            hwpts.remove(hwpt);
            recalcAlignment();
        } finally {
            lock.unlock();
        }
    }

    private void recalcAlignment() {
        long n = disableLargePages ? PAGE_SIZE : 1;
        for (HwptPaging h : hwpts) {
            n = Math.max(n, h.minPageSize);
        }
        if (n > iovaAlignment) {
            checkAreasAligned(n);
        }
        iovaAlignment = n;
    }

    /** HUGE_PAGES option. @throws IommuException EINVAL or EADDRINUSE as Linux */
    void setHugePages(boolean enable) {
        lock.lock();
        try {
            if (enable) {
                disableLargePages = false;
                recalcAlignment();
                return;
            }
            if (disableLargePages) {
                return;
            }
            if (!hwpts.isEmpty() && !areas.isEmpty()) {
                throw IommuException.of(Errno.EINVAL, "IOAS %s has domains and mappings: unmap before turning huge pages off", name);
            }
            disableLargePages = true;
            try {
                recalcAlignment();
            } catch (RuntimeException e) {
                disableLargePages = false;
                throw e;
            }
        } finally {
            lock.unlock();
        }
    }

    boolean hugePages() {
        lock.lock();
        try {
            return !disableLargePages;
        } finally {
            lock.unlock();
        }
    }

    long alignment() {
        lock.lock();
        try {
            return iovaAlignment;
        } finally {
            lock.unlock();
        }
    }

    List<IoArea> areas() {
        lock.lock();
        try {
            return new ArrayList<>(areas.values());
        } finally {
            lock.unlock();
        }
    }

    List<HwptPaging> hwpts() {
        lock.lock();
        try {
            return new ArrayList<>(hwpts);
        } finally {
            lock.unlock();
        }
    }

    // ---------------------------------------------------------------- accesses

    void addAccess(AccessObject a) {
        lock.lock();
        try {
            checkAlive();
            accesses.add(a);
        } finally {
            lock.unlock();
        }
    }

    /** Unpins everything the access holds and forgets it. */
    void removeAccess(AccessObject a) {
        lock.lock();
        try {
            for (AccessObject.Pin p : a.pins) {
                p.pages().release();
            }
            a.pins.clear();
            accesses.remove(a);
        } finally {
            lock.unlock();
        }
    }

    /** Unmaps and unpins everything (the IOAS is being destroyed). */
    void destroy() {
        unmapAll();
        lock.lock();
        try {
            dead = true;
            reserved.clear();
        } finally {
            lock.unlock();
        }
    }
}
