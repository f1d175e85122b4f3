package dev.ioasid.api;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;

/**
 * One fault of a group, as {@code struct iommu_hwpt_pgfault} of a fault queue read.
 *
 * @param flags   {@link #PASID_VALID}, {@link #LAST_PAGE}
 * @param devId   the device id in the context
 * @param pasid   the PASID when PASID_VALID
 * @param groupId the page request group index
 * @param perm    {@link #PERM_READ}, {@link #PERM_WRITE}, {@link #PERM_EXEC}, {@link #PERM_PRIV}
 * @param address the faulting address
 * @param length  the bytes the fault covers
 * @param cookie  assigned when the group is read; the response names it
 */
public record PageFault(int flags, int devId, int pasid, int groupId, int perm, long address, long length, int cookie) {
    public static final int PASID_VALID = 1;
    public static final int LAST_PAGE = 2;
    public static final int PERM_READ = 1;
    public static final int PERM_WRITE = 2;
    public static final int PERM_EXEC = 4;
    public static final int PERM_PRIV = 8;
    /** sizeof(struct iommu_hwpt_pgfault) */
    public static final int SIZE = 40;

    /** The 40-byte little-endian record a read() of the fault fd returns. */
    public byte[] toBytes() {
        return ByteBuffer.allocate(SIZE).order(ByteOrder.LITTLE_ENDIAN).putInt(flags).putInt(devId).putInt(pasid).putInt(groupId)
                .putInt(perm).putInt(0).putLong(address).putInt((int) length).putInt(cookie).array();
    }

    @Override
    public String toString() {
        StringBuilder p = new StringBuilder();
        if ((perm & PERM_READ) != 0) p.append('r');
        if ((perm & PERM_WRITE) != 0) p.append('w');
        if ((perm & PERM_EXEC) != 0) p.append('x');
        if ((perm & PERM_PRIV) != 0) p.append('p');
        return String.format("cookie %d: device %d pasid %s group %d %s addr 0x%x len 0x%x%s", cookie, devId,
                (flags & PASID_VALID) != 0 ? Integer.toString(pasid) : "-", groupId, p, address, length, (flags & LAST_PAGE) != 0 ? " last" : "");
    }
}
