package dev.ioasid.backend.vtd.internal;

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
 * A user-managed first stage nested on a NEST_PARENT second-stage domain, from {@code iommu_hwpt_vtd_s1}:
 * <pre>
 * u64 flags       SRE 1, EAFE 2, WPE 4
 * u64 pgtbl_addr  guest-physical address of the first-stage root table (4 KiB aligned)
 * u32 addr_width  48 (4-level) or 57 (5-level, needs CAP.FL5LP)
 * u32 __reserved
 * </pre>
 * It is attached per (RID, PASID) as a PASID entry with PGTT = nested, FSPTPTR = pgtbl_addr and the parent's
 * second stage; it has its own Domain Identifier. Guest invalidations {@code iommu_hwpt_vtd_s1_invalidate}
 * ({@code u64 addr; u64 npages; u32 flags (LEAF 1); u32 __reserved}) become PASID-based IOTLB descriptors.
 */
final class VtdNestedDomain implements NestedDomain {
    static final int DATA_SIZE = 24;
    static final long S1_SRE = 1;
    static final long S1_EAFE = 2;
    static final long S1_WPE = 4;
    static final int INVALIDATE_ENTRY_SIZE = 24;
    static final int INV_FLAGS_LEAF = 1;

    final VtdUnit unit;
    final VtdDomain parent;
    final int did;
    final long s1Flags;
    final long pgtblAddr;
    final int addrWidth;
    final int flags;
    private final byte[] data;
    private volatile boolean freed;

    /** The decoded {@code iommu_hwpt_vtd_s1}. */
    record S1(long flags, long pgtblAddr, int addrWidth, int reserved) {
    }

    VtdNestedDomain(VtdUnit unit, VtdDomain parent, int did, S1 s1, int flags, byte[] data) {
        this.unit = unit;
        this.parent = parent;
        this.did = did;
        this.s1Flags = s1.flags();
        this.pgtblAddr = s1.pgtblAddr();
        this.addrWidth = s1.addrWidth();
        this.flags = flags;
        this.data = data.clone();
    }

    /**
     * Decodes and checks {@code iommu_hwpt_vtd_s1} against a unit's capabilities and the parent.
     *
     * @throws IommuException EINVAL for a wrong size, reserved field, address width or table address, or a flag
     *                        whose feature the unit lacks (SRE without ECAP.SRS, EAFE without ECAP.EAFS, as
     *                        Linux's intel_pasid_setup_nested); EOPNOTSUPP for unknown flags
     */
    static S1 parse(byte[] data, Capabilities caps, VtdDomain parent) {
        if (data == null || data.length != DATA_SIZE) {
            throw IommuException.of(Errno.EINVAL, "iommu_hwpt_vtd_s1 is %d bytes, got %d", DATA_SIZE, data == null ? 0 : data.length);
        }
        ByteBuffer b = ByteBuffer.wrap(data).order(ByteOrder.LITTLE_ENDIAN);
        S1 s1 = new S1(b.getLong(), b.getLong(), b.getInt(), b.getInt());
        if ((s1.flags & ~(S1_SRE | S1_EAFE | S1_WPE)) != 0) {
            throw IommuException.of(Errno.EOPNOTSUPP, "iommu_hwpt_vtd_s1 flags 0x%x: unknown bits 0x%x", s1.flags,
                    s1.flags & ~(S1_SRE | S1_EAFE | S1_WPE));
        }
        if ((s1.flags & S1_EAFE) != 0 && !caps.eafs()) {
            throw IommuException.of(Errno.EINVAL, "EAFE needs ECAP.EAFS");
        }
        if ((s1.flags & S1_SRE) != 0 && !caps.srs()) {
            throw IommuException.of(Errno.EINVAL, "SRE needs ECAP.SRS");
        }
        if (s1.reserved != 0) {
            throw IommuException.of(Errno.EINVAL, "iommu_hwpt_vtd_s1.__reserved is 0x%x", s1.reserved);
        }
        if (s1.addrWidth != 48 && !(s1.addrWidth == 57 && caps.fl5lp())) {
            throw IommuException.of(Errno.EINVAL, "addr_width %d: the first stage takes 48%s", s1.addrWidth, caps.fl5lp() ? " or 57" : "");
        }
        if ((s1.pgtblAddr & 0xfff) != 0) {
            throw IommuException.of(Errno.EINVAL, "pgtbl_addr 0x%x is not 4 KiB aligned", s1.pgtblAddr);
        }
        if (!parent.aperture.contains(s1.pgtblAddr)) {
            throw IommuException.of(Errno.EINVAL, "pgtbl_addr 0x%x is outside the parent's %d-bit guest-physical space", s1.pgtblAddr,
                    parent.table.width());
        }
        return s1;
    }

    boolean iopf() {
        return (flags & HwptFlags.FAULT_ID_VALID) != 0;
    }

    /** The PASID-entry fields of the first stage. */
    int fspm() {
        return addrWidth == 57 ? 1 : 0;
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
    public PagingDomain parent() {
        return parent;
    }

    @Override
    public int dataType() {
        return HwptDataType.VTD_S1;
    }

    @Override
    public byte[] data() {
        return data.clone();
    }

    @Override
    public int invalidate(int dataType, int entryLen, byte[] entries, int entryNum) {
        if (dataType != HwptDataType.INVALIDATE_VTD_S1) {
            throw IommuException.of(Errno.EINVAL, "VT-d nested invalidation takes data type %d (VTD_S1), not %d",
                    HwptDataType.INVALIDATE_VTD_S1, dataType).withProgress(0);
        }
        int done = 0;
        for (int i = 0; i < entryNum; i++) {
            if (entryLen < INVALIDATE_ENTRY_SIZE) {
                throw IommuException.of(Errno.EINVAL, "iommu_hwpt_vtd_s1_invalidate is %d bytes, entry_len is %d",
                        INVALIDATE_ENTRY_SIZE, entryLen).withProgress(done);
            }
            if (entries == null || entries.length < (long) (i + 1) * entryLen) {
                throw IommuException.of(Errno.EINVAL, "entry %d lies past the buffer", i).withProgress(done);
            }
            for (int k = INVALIDATE_ENTRY_SIZE; k < entryLen; k++) {
                if (entries[i * entryLen + k] != 0) {
                    throw IommuException.of(Errno.E2BIG, "entry %d has non-zero bytes past the structure", i).withProgress(done);
                }
            }
            ByteBuffer b = ByteBuffer.wrap(entries, i * entryLen, INVALIDATE_ENTRY_SIZE).order(ByteOrder.LITTLE_ENDIAN);
            long addr = b.getLong();
            long npages = b.getLong();
            int f = b.getInt();
            int rsvd = b.getInt();
            if ((f & ~INV_FLAGS_LEAF) != 0 || rsvd != 0) {
                throw IommuException.of(Errno.EOPNOTSUPP, "entry %d: flags 0x%x, __reserved 0x%x", i, f, rsvd).withProgress(done);
            }
            boolean all = npages == -1L;
            if ((addr & 0xfff) != 0 || (all && addr != 0)) {
                throw IommuException.of(Errno.EINVAL, "entry %d: addr 0x%x with npages 0x%x", i, addr, npages).withProgress(done);
            }
            if (!all && npages != 0) {
                long last = addr + (npages << 12) - 1;
                if (npages > (1L << 52) || Long.compareUnsigned(last, addr) < 0) {
                    throw IommuException.of(Errno.EINVAL, "entry %d: 0x%x + %d pages wraps", i, addr, npages).withProgress(done);
                }
            }
            if (all || npages != 0) {
                unit.invalidateNested(this, addr, all ? -1L : npages, (f & INV_FLAGS_LEAF) != 0);
            }
            done++;
        }
        return done;
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

    @Override
    public String toString() {
        return String.format("VT-d nested domain DID %d (FSPTPTR 0x%x, %d-bit) on DID %d", did, pgtblAddr, addrWidth, parent.did);
    }
}
