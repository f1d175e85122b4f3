package dev.ioasid.api;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;

/**
 * Encoders of the uAPI's vendor structures, little-endian as the kernel reads them: HWPT allocation data and
 * HWPT invalidation entries. What a field means is the vendor's business; these only lay the bytes out.
 */
public final class VendorData {
    private VendorData() {
    }

    /** {@code iommu_hwpt_vtd_s1} flag: supervisor requests. */
    public static final long VTD_S1_SRE = 1;
    /** {@code iommu_hwpt_vtd_s1} flag: extended access flag. */
    public static final long VTD_S1_EAFE = 2;
    /** {@code iommu_hwpt_vtd_s1} flag: write protect. */
    public static final long VTD_S1_WPE = 4;
    /** {@code iommu_hwpt_vtd_s1_invalidate} flag: leaf entries only. */
    public static final int VTD_S1_INVALIDATE_LEAF = 1;
    /** {@code iommu_hwpt_invalidate_selftest} flag: every IOTLB entry. */
    public static final int SELFTEST_INVALIDATE_ALL = 1;

    private static ByteBuffer le(int size) {
        return ByteBuffer.allocate(size).order(ByteOrder.LITTLE_ENDIAN);
    }

    /** {@code struct iommu_hwpt_vtd_s1 {u64 flags; u64 pgtbl_addr; u32 addr_width; u32 __reserved}}, 24 bytes. */
    public static byte[] vtdS1(long flags, long pgtblAddr, int addrWidth) {
        return le(24).putLong(flags).putLong(pgtblAddr).putInt(addrWidth).putInt(0).array();
    }

    /** {@code struct iommu_hwpt_arm_smmuv3 {le64 ste[2]}}, 16 bytes. */
    public static byte[] armSmmuv3(long ste0, long ste1) {
        return le(16).putLong(ste0).putLong(ste1).array();
    }

    /** {@code struct iommu_hwpt_amd_guest {u64 dte[4]}}, 32 bytes. */
    public static byte[] amdGuest(long dte0, long dte1, long dte2, long dte3) {
        return le(32).putLong(dte0).putLong(dte1).putLong(dte2).putLong(dte3).array();
    }

    /** {@code struct iommu_hwpt_selftest {u32 iotlb; u32 pagetable_type}}, 8 bytes. */
    public static byte[] selftest(int iotlb, int pagetableType) {
        return le(8).putInt(iotlb).putInt(pagetableType).array();
    }

    /** {@code struct iommu_hwpt_vtd_s1_invalidate {u64 addr; u64 npages; u32 flags; u32 __reserved}}, 24 bytes. */
    public static byte[] vtdS1Invalidate(long addr, long npages, int flags) {
        return le(24).putLong(addr).putLong(npages).putInt(flags).putInt(0).array();
    }

    /** {@code struct iommu_viommu_arm_smmuv3_invalidate {le64 cmd[2]}}, 16 bytes. */
    public static byte[] armSmmuv3Invalidate(long cmd0, long cmd1) {
        return le(16).putLong(cmd0).putLong(cmd1).array();
    }

    /** {@code struct iommu_hwpt_invalidate_selftest {u32 flags; u32 iotlb_id}}, 8 bytes. */
    public static byte[] selftestInvalidate(int flags, int iotlbId) {
        return le(8).putInt(flags).putInt(iotlbId).array();
    }

    /** Entries of one length laid end to end, as an invalidation array. */
    public static byte[] concat(byte[]... entries) {
        int n = 0;
        for (byte[] e : entries) {
            n += e.length;
        }
        ByteBuffer b = ByteBuffer.allocate(n);
        for (byte[] e : entries) {
            b.put(e);
        }
        return b.array();
    }
}
