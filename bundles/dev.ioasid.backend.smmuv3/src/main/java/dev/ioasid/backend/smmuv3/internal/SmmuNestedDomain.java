package dev.ioasid.backend.smmuv3.internal;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;

import dev.ioasid.api.Errno;
import dev.ioasid.api.HwptDataType;
import dev.ioasid.api.HwptFlags;
import dev.ioasid.api.IommuException;
import dev.ioasid.spi.IommuUnit;
import dev.ioasid.spi.NestedDomain;
import dev.ioasid.spi.PagingDomain;

/**
 * A guest-owned stage 1 on a stage 2 parent: the guest's STE words {@code iommu_hwpt_arm_smmuv3 {le64 ste[2]}}
 * whose S1ContextPtr is an IPA of the guest's own CD table. The whole SubstreamID space goes with it: it is
 * attached per RID ([T4]). Its invalidation takes the guest's commands {@code cmd[2]}, limited to the set
 * iommufd allows, executed with the parent's VMID for the StreamIDs of the devices attached to it.
 */
final class SmmuNestedDomain implements NestedDomain {
    /** STE dw0 bits a guest may set: V, Config, S1Fmt, S1ContextPtr, S1CDMax. */
    static final long ALLOWED_DW0 = 1L | Bits.mask(3, 1) | Bits.mask(5, 4) | Bits.mask(51, 6) | Bits.mask(63, 59);
    /** STE dw1 bits a guest may set: S1DSS, S1CIR, S1COR, S1CSH, S1STALLD, EATS. */
    static final long ALLOWED_DW1 = Bits.mask(1, 0) | Bits.mask(3, 2) | Bits.mask(5, 4) | Bits.mask(7, 6) | 1L << 27 | Bits.mask(29, 28);
    static final int DATA_SIZE = 16;

    final Smmuv3Unit unit;
    final SmmuDomain parent;
    final long ste0;
    final long ste1;
    final int flags;
    private final byte[] data;
    private volatile boolean freed;

    private SmmuNestedDomain(Smmuv3Unit unit, SmmuDomain parent, long ste0, long ste1, int flags, byte[] data) {
        this.unit = unit;
        this.parent = parent;
        this.ste0 = ste0;
        this.ste1 = ste1;
        this.flags = flags;
        this.data = data.clone();
    }

    /**
     * Checks the guest STE as arm_smmu_validate_vste: only the allowed fields, Config abort, bypass or S1, EATS
     * 0 or 1. Anything else is EIO.
     */
    static SmmuNestedDomain of(Smmuv3Unit unit, SmmuDomain parent, int flags, byte[] data) {
        if (data == null || data.length != DATA_SIZE) {
            throw IommuException.of(Errno.EINVAL, "iommu_hwpt_arm_smmuv3 is %d bytes, not %d", DATA_SIZE, data == null ? 0 : data.length);
        }
        ByteBuffer b = ByteBuffer.wrap(data).order(ByteOrder.LITTLE_ENDIAN);
        long w0 = b.getLong();
        long w1 = b.getLong();
        if ((w0 & ~ALLOWED_DW0) != 0 || (w1 & ~ALLOWED_DW1) != 0) {
            throw IommuException.of(Errno.EIO, "guest STE sets fields it may not: ste[0] 0x%x, ste[1] 0x%x", w0 & ~ALLOWED_DW0, w1 & ~ALLOWED_DW1);
        }
        if ((w0 & 1) != 0) {
            int config = (int) Bits.get(w0, 3, 1);
            if ((config & 0b100) != 0 && config != Ste.CONFIG_BYPASS && config != Ste.CONFIG_S1) {
                throw IommuException.of(Errno.EIO, "guest STE Config %s: only abort, bypass and S1", Ste.configName(config));
            }
        }
        if (Bits.get(w1, 29, 28) > Ste.EATS_TRANS) {
            throw IommuException.of(Errno.EIO, "guest STE EATS %d: only 0 and 1", Bits.get(w1, 29, 28));
        }
        return new SmmuNestedDomain(unit, parent, w0, w1, flags, data);
    }

    boolean iopf() {
        return (flags & HwptFlags.FAULT_ID_VALID) != 0;
    }

    boolean isFreed() {
        return freed;
    }

    /** The STE this domain puts at a stream, for a device that can or cannot stall and use ATS. */
    Ste ste(boolean canStall, boolean ats) {
        Ste guest = new Ste(ste0, ste1, 0, 0, 0, 0, 0, 0);
        if (!guest.V() || guest.isAbort()) {
            return StreamTable.abort();
        }
        Ste.Builder s = new Ste.Builder().V(true).EATS(ats ? guest.EATS() : 0);
        Masters.s2Fields(s, parent);
        if (guest.Config() == Ste.CONFIG_BYPASS) {
            return s.Config(Ste.CONFIG_S2).build();
        }
        return s.Config(Ste.CONFIG_NESTED).S1Fmt(guest.S1Fmt()).S1ContextPtr(guest.S1ContextPtr()).S1CDMax(guest.S1CDMax())
                .S1DSS(guest.S1DSS()).S1CIR(guest.S1CIR()).S1COR(guest.S1COR()).S1CSH(guest.S1CSH())
                .S1STALLD(guest.S1STALLD() || !canStall).build();
    }

    @Override
    public IommuUnit unit() {
        return unit;
    }

    @Override
    public long tag() {
        return parent.vmid();
    }

    @Override
    public PagingDomain parent() {
        return parent;
    }

    @Override
    public int dataType() {
        return HwptDataType.ARM_SMMUV3;
    }

    @Override
    public byte[] data() {
        return data.clone();
    }

    @Override
    public int invalidate(int dataType, int entryLen, byte[] entries, int entryNum) {
        if (dataType != HwptDataType.INVALIDATE_ARM_SMMUV3) {
            throw IommuException.of(Errno.EINVAL, "SMMUv3 invalidation takes data type %d, not %d", HwptDataType.INVALIDATE_ARM_SMMUV3,
                    dataType).withProgress(0);
        }
        if (freed) {
            throw IommuException.of(Errno.EINVAL, "%s was freed", this).withProgress(0);
        }
        int[] sids = unit.streamsOf(this);
        return unit.guestCommands().execute(parent.vmid(), vsid -> sids, entries, entryLen, entryNum);
    }

    @Override
    public void free() {
        if (!freed) {
            freed = true;
            unit.freed(this);
        }
    }

    @Override
    public String toString() {
        return String.format("smmuv3 nested domain on VMID %d (guest STE 0x%016x 0x%016x)", parent.vmid(), ste0, ste1);
    }
}
