package dev.ioasid.backend.smmuv3.internal;

import java.util.ArrayList;
import java.util.List;

import dev.ioasid.api.Errno;
import dev.ioasid.api.HwptFlags;
import dev.ioasid.api.IommuException;
import dev.ioasid.api.IovaRange;
import dev.ioasid.api.MapFlags;
import dev.ioasid.spi.IommuUnit;
import dev.ioasid.spi.PagingDomain;

/**
 * A kernel-managed paging domain: a stage 1 table with its own ASID (VMID 0), or a stage 2 table with its own
 * VMID. Plain paging domains are stage 1, as in Linux's arm-smmu-v3, because only a CD can put a table behind a
 * PASID: a stage 1 domain serves both the RID (CD 0, S1DSS substream 0) and any PASID (its CD). NEST_PARENT
 * domains are stage 2, the parent of a guest's stage 1.
 */
final class SmmuDomain implements PagingDomain {
    final Smmuv3Unit unit;
    final boolean stage2;
    /** ASID of a stage 1 domain, VMID of a stage 2 one */
    final int tag;
    final LpaePageTable table;
    final int flags;
    final boolean dirtyCapable;
    private volatile boolean dirtyTracking;
    private volatile boolean freed;

    SmmuDomain(Smmuv3Unit unit, boolean stage2, int tag, LpaePageTable table, int flags) {
        this.unit = unit;
        this.stage2 = stage2;
        this.tag = tag;
        this.table = table;
        this.flags = flags;
        this.dirtyCapable = (flags & HwptFlags.DIRTY_TRACKING) != 0;
    }

    boolean iopf() {
        return (flags & HwptFlags.FAULT_ID_VALID) != 0;
    }

    boolean isFreed() {
        return freed;
    }

    int asid() {
        return stage2 ? 0 : tag;
    }

    int vmid() {
        return stage2 ? tag : 0;
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
        return table.config.pageSizes();
    }

    @Override
    public IovaRange aperture() {
        return new IovaRange(0, (1L << table.config.ias()) - 1);
    }

    @Override
    public boolean isNestParent() {
        return (flags & HwptFlags.NEST_PARENT) != 0;
    }

    private void checkLive() {
        if (freed) {
            throw new IllegalStateException(this + " was freed");
        }
    }

    static int prot(int mapFlags) {
        return ((mapFlags & MapFlags.READABLE) != 0 ? LpaePageTable.PROT_READ : 0)
                | ((mapFlags & MapFlags.WRITEABLE) != 0 ? LpaePageTable.PROT_WRITE : 0);
    }

    @Override
    public void map(long iova, long paddr, long length, int prot, boolean largePages) {
        checkLive();
        table.map(iova, paddr, length, prot(prot), largePages);
    }

    @Override
    public long unmap(long iova, long length) {
        checkLive();
        return table.unmap(iova, length);
    }

    @Override
    public void flush(long iova, long length) {
        checkLive();
        unit.issue(invalidations(iova, length));
    }

    /** The TLBI commands for a range of this domain, range-based when the SMMU has RIL (as Linux). */
    List<long[]> invalidations(long iova, long length) {
        List<long[]> cmds = new ArrayList<>();
        int tgShift = table.config.granule().pageShift;
        int tg = table.config.granule().tlbiTg;
        long pages = length >>> tgShift;
        int opcode = stage2 ? Commands.TLBI_S2_IPA : Commands.TLBI_NH_VA;
        if (unit.capabilities().ril()) {
            long va = iova & -(1L << tgShift);
            long remaining = Math.max(1, pages);
            for (int guard = 0; guard < 256 && remaining > 0; guard++) {
                int scale = Long.numberOfTrailingZeros(remaining);
                long num = (remaining >>> scale) & 31;
                if (num == 0) {
                    num = 1; // more than 31 chunks of 2^scale: take one, the loop takes the rest
                }
                cmds.add(Commands.tlbiRange(opcode, vmid(), asid(), va, false, (int) num - 1, scale, tg, 0));
                long span = num << scale;
                va += span << tgShift;
                remaining -= span;
            }
            if (remaining > 0) {
                cmds.clear();
                cmds.add(stage2 ? Commands.tlbiS12Vmall(vmid()) : Commands.tlbiNhAsid(0, asid()));
            }
        } else if (pages <= 256) {
            for (long p = 0; p < Math.max(1, pages); p++) {
                long a = iova + (p << tgShift);
                cmds.add(stage2 ? Commands.tlbiS2Ipa(vmid(), a, false) : Commands.tlbiNhVa(0, asid(), a, false));
            }
        } else {
            cmds.add(stage2 ? Commands.tlbiS12Vmall(vmid()) : Commands.tlbiNhAsid(0, asid()));
        }
        if (stage2) {
            // the nested stage 1 entries combine this stage 2: they go too (as Linux for a nest parent)
            cmds.add(Commands.tlbiNhAll(vmid()));
        }
        return cmds;
    }

    @Override
    public long iovaToPhys(long iova) {
        return freed ? -1 : table.iovaToPhys(iova);
    }

    @Override
    public boolean supportsDirtyTracking() {
        return dirtyCapable;
    }

    @Override
    public void setDirtyTracking(boolean enable) {
        if (!dirtyCapable) {
            throw IommuException.of(Errno.EINVAL, "%s was not allocated with DIRTY_TRACKING", this);
        }
        checkLive();
        dirtyTracking = enable;
        table.setTracking(enable);
        unit.issue(List.of(stage2 ? Commands.tlbiS12Vmall(vmid()) : Commands.tlbiNhAsid(0, asid())));
    }

    boolean dirtyTracking() {
        return dirtyTracking;
    }

    @Override
    public void readDirty(long iova, long length, boolean keep, DirtySink sink) {
        checkLive();
        table.readDirty(iova, length, keep, sink);
        if (!keep) {
            flush(iova, length);
        }
    }

    @Override
    public void free() {
        if (freed) {
            return;
        }
        freed = true;
        unit.freed(this);
        table.free();
    }

    @Override
    public String toString() {
        return String.format("smmuv3 %s domain %s %d", stage2 ? "S2" : "S1", stage2 ? "VMID" : "ASID", tag);
    }
}
