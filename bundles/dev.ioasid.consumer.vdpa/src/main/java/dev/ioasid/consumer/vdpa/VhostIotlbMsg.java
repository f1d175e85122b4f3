package dev.ioasid.consumer.vdpa;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;

import dev.ioasid.api.Errno;
import dev.ioasid.api.IommuException;

/**
 * An IOTLB message v2, {@code struct vhost_msg_v2}: {u32 type = VHOST_IOTLB_MSG_V2, u32 asid, struct
 * vhost_iotlb_msg {u64 iova, size, uaddr; u8 perm, type}} in a {@value #SIZE}-byte record.
 *
 * @param asid  the address space
 * @param type  {@link #UPDATE}, {@link #INVALIDATE}, {@link #BATCH_BEGIN}, {@link #BATCH_END} (and the device's
 *              {@link #MISS}, {@link #ACCESS_FAIL}, which a driver may not send)
 * @param iova  the first device address
 * @param size  the length in bytes
 * @param uaddr the VMM's virtual address that backs it (UPDATE)
 * @param perm  {@link #RO}, {@link #WO} or {@link #RW} (UPDATE)
 */
public record VhostIotlbMsg(int asid, int type, long iova, long size, long uaddr, int perm) {
    /** VHOST_IOTLB_MSG_V2, the type of the outer message. */
    public static final int VHOST_IOTLB_MSG_V2 = 2;
    public static final int SIZE = 72;

    public static final int MISS = 1;
    public static final int UPDATE = 2;
    public static final int INVALIDATE = 3;
    public static final int ACCESS_FAIL = 4;
    public static final int BATCH_BEGIN = 5;
    public static final int BATCH_END = 6;

    /** VHOST_ACCESS_RO: the device may read. */
    public static final int RO = 1;
    /** VHOST_ACCESS_WO: the device may write. */
    public static final int WO = 2;
    public static final int RW = 3;

    public static VhostIotlbMsg update(int asid, long iova, long size, long uaddr, int perm) {
        return new VhostIotlbMsg(asid, UPDATE, iova, size, uaddr, perm);
    }

    public static VhostIotlbMsg invalidate(int asid, long iova, long size) {
        return new VhostIotlbMsg(asid, INVALIDATE, iova, size, 0, 0);
    }

    public static VhostIotlbMsg batchBegin(int asid) {
        return new VhostIotlbMsg(asid, BATCH_BEGIN, 0, 0, 0, 0);
    }

    public static VhostIotlbMsg batchEnd(int asid) {
        return new VhostIotlbMsg(asid, BATCH_END, 0, 0, 0, 0);
    }

    /** The message as the bytes written to the vhost fd, little-endian. */
    public byte[] toBytes() {
        ByteBuffer b = ByteBuffer.allocate(SIZE).order(ByteOrder.LITTLE_ENDIAN);
        b.putInt(0, VHOST_IOTLB_MSG_V2);
        b.putInt(4, asid);
        b.putLong(8, iova);
        b.putLong(16, size);
        b.putLong(24, uaddr);
        b.put(32, (byte) perm);
        b.put(33, (byte) type);
        return b.array();
    }

    /** Parses the bytes of a vhost_msg_v2. @throws IommuException EINVAL for a wrong size or outer type */
    public static VhostIotlbMsg fromBytes(byte[] bytes) {
        if (bytes == null || bytes.length != SIZE) {
            throw IommuException.of(Errno.EINVAL, "a vhost_msg_v2 is %d bytes, not %d", SIZE, bytes == null ? 0 : bytes.length);
        }
        ByteBuffer b = ByteBuffer.wrap(bytes).order(ByteOrder.LITTLE_ENDIAN);
        if (b.getInt(0) != VHOST_IOTLB_MSG_V2) {
            throw IommuException.of(Errno.EINVAL, "message type %d is not VHOST_IOTLB_MSG_V2", b.getInt(0));
        }
        return new VhostIotlbMsg(b.getInt(4), b.get(33) & 0xff, b.getLong(8), b.getLong(16), b.getLong(24), b.get(32) & 0xff);
    }

    /** The last device address (inclusive). */
    public long last() {
        return iova + size - 1;
    }

    @Override
    public String toString() {
        switch (type) {
        case UPDATE:
            return String.format("asid %d UPDATE iova 0x%x size 0x%x uaddr 0x%x perm %d", asid, iova, size, uaddr, perm);
        case INVALIDATE:
            return String.format("asid %d INVALIDATE iova 0x%x size 0x%x", asid, iova, size);
        case BATCH_BEGIN:
            return "asid " + asid + " BATCH_BEGIN";
        case BATCH_END:
            return "asid " + asid + " BATCH_END";
        default:
            return "asid " + asid + " type " + type;
        }
    }
}
