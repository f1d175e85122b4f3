package dev.ioasid.backend.vtd.internal;

import dev.ioasid.api.Errno;
import dev.ioasid.api.HwptFlags;
import dev.ioasid.api.IommuException;
import dev.ioasid.api.IovaRange;
import dev.ioasid.spi.IommuUnit;
import dev.ioasid.spi.PagingDomain;

/**
 * A kernel-managed paging domain: a VT-d second-stage table and its Domain Identifier. Attached through PASID
 * entries with PGTT = second-stage (scalable mode) or legacy context entries; as a NEST_PARENT it is the second
 * stage of nested PASID entries.
 */
final class VtdDomain implements PagingDomain {
    final VtdUnit unit;
    final int did;
    final SecondStageTable table;
    final IovaRange aperture;
    final int flags;
    volatile boolean dirtyTracking;
    private volatile boolean freed;

    VtdDomain(VtdUnit unit, int did, SecondStageTable table, int flags) {
        this.unit = unit;
        this.did = did;
        this.table = table;
        this.flags = flags;
        this.aperture = new IovaRange(0, (1L << table.width()) - 1);
    }

    boolean nestParent() {
        return (flags & HwptFlags.NEST_PARENT) != 0;
    }

    boolean dirtyCapable() {
        return (flags & HwptFlags.DIRTY_TRACKING) != 0;
    }

    boolean iopf() {
        return (flags & HwptFlags.FAULT_ID_VALID) != 0;
    }

    @Override
    public IommuUnit unit() {
        return unit;
    }

    @Override
    public long tag() {
        return did;
    }

    @Override
    public long pageSizes() {
        return table.pageSizes();
    }

    @Override
    public IovaRange aperture() {
        return aperture;
    }

    @Override
    public boolean isNestParent() {
        return nestParent();
    }

    private void checkRange(long iova, long length) {
        if (length <= 0 || ((iova | length) & 0xfff) != 0) {
            throw IommuException.of(Errno.EINVAL, "VT-d map of 0x%x+0x%x is not 4 KiB aligned", iova, length);
        }
        if (!aperture.contains(IovaRange.ofLength(iova, length))) {
            throw IommuException.of(Errno.EINVAL, "iova 0x%x+0x%x is outside the aperture %s", iova, length, aperture);
        }
    }

    @Override
    public void map(long iova, long paddr, long length, int prot, boolean largePages) {
        checkLive();
        checkRange(iova, length);
        if ((paddr & 0xfff) != 0) {
            throw IommuException.of(Errno.EINVAL, "physical 0x%x is not 4 KiB aligned", paddr);
        }
        table.map(iova, paddr, length, prot, largePages);
    }

    @Override
    public long unmap(long iova, long length) {
        checkLive();
        return table.unmap(iova, length);
    }

    @Override
    public void flush(long iova, long length) {
        checkLive();
        unit.flushPaging(this, iova, length);
        table.releasePending();
    }

    @Override
    public long iovaToPhys(long iova) {
        return aperture.contains(iova) ? table.iovaToPhys(iova) : -1;
    }

    @Override
    public boolean supportsDirtyTracking() {
        return dirtyCapable();
    }

    @Override
    public void setDirtyTracking(boolean enable) {
        if (!dirtyCapable()) {
            throw IommuException.of(Errno.EINVAL, "VT-d domain %d was not allocated with DIRTY_TRACKING", did);
        }
        unit.setDirtyTracking(this, enable);
    }

    @Override
    public void readDirty(long iova, long length, boolean keep, DirtySink sink) {
        table.readDirty(iova, length, keep, sink);
        if (!keep) {
            // a cleared D bit must be set again by the next write: no cached entry may skip the walk
            unit.flushPaging(this, iova, length);
        }
    }

    @Override
    public void free() {
        if (!freed) {
            freed = true;
            unit.freed(this);
        }
    }

    boolean isFreed() {
        return freed;
    }

    private void checkLive() {
        if (freed) {
            throw new IllegalStateException("VT-d domain " + did + " was freed");
        }
    }

    @Override
    public String toString() {
        return "VT-d second-stage domain DID " + did + " (" + table.width() + "-bit, " + table.levels + " levels)";
    }
}
