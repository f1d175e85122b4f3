package dev.ioasid.backend.mock.internal;

import dev.ioasid.api.Errno;
import dev.ioasid.api.IommuException;
import dev.ioasid.api.IovaRange;
import dev.ioasid.spi.IommuUnit;
import dev.ioasid.spi.PagingDomain;

/** A paging domain of the mock: a {@link MockPageTable} and a cache tag. */
final class MockDomain implements PagingDomain {
    final MockUnit unit;
    final long tag;
    final MockPageTable table;
    final IovaRange aperture;
    final boolean nestParent;
    final boolean dirtyCapable;
    final boolean pasidCompatible;
    final boolean iopf;
    final boolean hugePages;
    volatile boolean dirtyTracking;
    private volatile boolean freed;

    MockDomain(MockUnit unit, long tag, MockPageTable table, IovaRange aperture, int flags, boolean hugePages) {
        this.unit = unit;
        this.tag = tag;
        this.table = table;
        this.aperture = aperture;
        this.nestParent = (flags & dev.ioasid.api.HwptFlags.NEST_PARENT) != 0;
        this.dirtyCapable = (flags & dev.ioasid.api.HwptFlags.DIRTY_TRACKING) != 0;
        this.pasidCompatible = (flags & dev.ioasid.api.HwptFlags.PASID) != 0;
        this.iopf = (flags & dev.ioasid.api.HwptFlags.FAULT_ID_VALID) != 0;
        this.hugePages = hugePages;
    }

    @Override
    public IommuUnit unit() {
        return unit;
    }

    @Override
    public long tag() {
        return tag;
    }

    @Override
    public long pageSizes() {
        return hugePages ? table.pageSizes() : 1L << table.granuleShift;
    }

    @Override
    public IovaRange aperture() {
        return aperture;
    }

    @Override
    public boolean isNestParent() {
        return nestParent;
    }

    private void checkRange(long iova, long length) {
        long granule = 1L << table.granuleShift;
        if (length <= 0 || ((iova | length) & (granule - 1)) != 0) {
            throw IommuException.of(Errno.EINVAL, "mock map of 0x%x+0x%x is not %d-aligned", iova, length, granule);
        }
        if (!aperture.contains(IovaRange.ofLength(iova, length))) {
            throw IommuException.of(Errno.EINVAL, "iova 0x%x+0x%x is outside the aperture %s", iova, length, aperture);
        }
    }

    @Override
    public void map(long iova, long paddr, long length, int prot, boolean largePages) {
        checkLive();
        checkRange(iova, length);
        if ((paddr & ((1L << table.granuleShift) - 1)) != 0) {
            throw IommuException.of(Errno.EINVAL, "physical 0x%x is not granule-aligned", paddr);
        }
        table.map(iova, paddr, length, prot, largePages && hugePages);
    }

    @Override
    public long unmap(long iova, long length) {
        checkLive();
        checkRange(iova, length);
        return table.unmap(iova, length);
    }

    @Override
    public void flush(long iova, long length) {
        checkLive();
        unit.flush(this, iova, length);
    }

    @Override
    public long iovaToPhys(long iova) {
        return aperture.contains(iova) ? table.iovaToPhys(iova) : -1;
    }

    @Override
    public boolean supportsDirtyTracking() {
        return dirtyCapable;
    }

    @Override
    public void setDirtyTracking(boolean enable) {
        if (!dirtyCapable) {
            throw IommuException.of(Errno.EINVAL, "mock domain %d was not allocated with DIRTY_TRACKING", tag);
        }
        dirtyTracking = enable;
        if (enable) {
            // cached entries do not record dirtiness from now on: drop them so the next write walks
            unit.flush(this, aperture.start(), aperture.length());
        }
    }

    @Override
    public void readDirty(long iova, long length, boolean keep, DirtySink sink) {
        long[] span = { Long.MAX_VALUE, Long.MIN_VALUE };
        table.readDirty(iova, length, keep, (va, size) -> {
            span[0] = Math.min(span[0], va);
            span[1] = Math.max(span[1], va + size);
            sink.dirty(va, size);
        });
        if (!keep && span[0] < span[1]) {
            // a cleared D bit must be set again by the next write: no cached entry of those leaves (whole huge
            // leaves, beyond the range read) may skip the walk
            unit.flush(this, span[0], span[1] - span[0]);
        }
    }

    @Override
    public void free() {
        if (!freed) {
            freed = true;
            unit.freed(this);
            table.free();
        }
    }

    boolean isFreed() {
        return freed;
    }

    private void checkLive() {
        if (freed) {
            throw new IllegalStateException("mock domain " + tag + " was freed");
        }
    }

    @Override
    public String toString() {
        return "mock paging domain " + tag;
    }
}
