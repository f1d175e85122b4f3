package dev.ioasid.backend.mock.internal;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;

import dev.ioasid.api.Errno;
import dev.ioasid.api.HwptDataType;
import dev.ioasid.api.IommuException;
import dev.ioasid.spi.IommuUnit;
import dev.ioasid.spi.NestedDomain;
import dev.ioasid.spi.PagingDomain;

/**
 * The selftest's mock nested domain: stage 1 is the identity, so DMA translates through the parent alone; its
 * user data {@code iommu_hwpt_selftest {u32 iotlb; u32 pagetable_type}} fills four "IOTLB" values that nested
 * invalidation ({@code iommu_hwpt_invalidate_selftest {u32 flags; u32 iotlb_id}}) sets to zero.
 */
final class MockNestedDomain implements NestedDomain {
    static final int IOTLB_NUM = 4;
    static final int INVALIDATE_FLAG_ALL = 1;
    static final int ENTRY_SIZE = 8;

    final MockUnit unit;
    final MockDomain parent;
    final long tag;
    final boolean pasidCompatible;
    final boolean iopf;
    private final byte[] data;
    /** guarded by this */
    private final int[] iotlb = new int[IOTLB_NUM];
    private volatile boolean freed;

    MockNestedDomain(MockUnit unit, MockDomain parent, long tag, int flags, byte[] data, int iotlbValue) {
        this.unit = unit;
        this.parent = parent;
        this.tag = tag;
        this.pasidCompatible = (flags & dev.ioasid.api.HwptFlags.PASID) != 0;
        this.iopf = (flags & dev.ioasid.api.HwptFlags.FAULT_ID_VALID) != 0;
        this.data = data.clone();
        java.util.Arrays.fill(iotlb, iotlbValue);
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
    public PagingDomain parent() {
        return parent;
    }

    @Override
    public int dataType() {
        return HwptDataType.SELFTEST;
    }

    @Override
    public byte[] data() {
        return data.clone();
    }

    /** MD_CHECK_IOTLB: the value of one of the four mock IOTLB entries. */
    synchronized int iotlb(int id) {
        return iotlb[id];
    }

    @Override
    public synchronized int invalidate(int dataType, int entryLen, byte[] entries, int entryNum) {
        if (dataType != HwptDataType.INVALIDATE_SELFTEST) {
            throw IommuException.of(Errno.EINVAL, "mock invalidation takes data type 0x%x, not 0x%x",
                    HwptDataType.INVALIDATE_SELFTEST, dataType).withProgress(0);
        }
        int done = 0;
        for (int i = 0; i < entryNum; i++) {
            if (entryLen != ENTRY_SIZE) {
                throw IommuException.of(Errno.EINVAL, "mock invalidation entries are %d bytes, not %d", ENTRY_SIZE, entryLen)
                        .withProgress(done);
            }
            if (entries == null || entries.length < (long) (i + 1) * entryLen) {
                throw IommuException.of(Errno.EFAULT, "entry %d lies past the buffer", i).withProgress(done);
            }
            ByteBuffer b = ByteBuffer.wrap(entries, i * entryLen, entryLen).order(ByteOrder.LITTLE_ENDIAN);
            int flags = b.getInt();
            int id = b.getInt();
            if ((flags & ~INVALIDATE_FLAG_ALL) != 0) {
                throw IommuException.of(Errno.EOPNOTSUPP, "entry %d: unknown flags 0x%x", i, flags).withProgress(done);
            }
            if (Integer.compareUnsigned(id, IOTLB_NUM - 1) > 0) {
                throw IommuException.of(Errno.EINVAL, "entry %d: iotlb_id %d is above %d", i, Integer.toUnsignedLong(id), IOTLB_NUM - 1)
                        .withProgress(done);
            }
            if ((flags & INVALIDATE_FLAG_ALL) != 0) {
                java.util.Arrays.fill(iotlb, 0);
            } else {
                iotlb[id] = 0;
            }
            unit.invalidateNested(this);
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

    @Override
    public String toString() {
        return "mock nested domain " + tag + " on " + parent.tag;
    }
}
