package dev.ioasid.consumer.vfio;

/**
 * A work descriptor, after the DSA's: an operation on device addresses (IOVAs of whatever the work queue's PASID
 * or RID is attached to).
 *
 * @param opcode         {@link #NOOP}, {@link #MEMMOVE} or {@link #FILL}
 * @param src            the source address of MEMMOVE
 * @param dst            the destination address of MEMMOVE and FILL
 * @param size           the transfer size in bytes, 1 to {@link #MAX_TRANSFER}
 * @param pattern        the 8-byte pattern of FILL, little-endian
 * @param completionAddr where the device writes a {@value #COMPLETION_RECORD_SIZE}-byte completion record, or
 *                       {@link #NO_COMPLETION}; 0 is an IOVA like any other (VT-d's aperture starts there)
 */
public record WqDescriptor(int opcode, long src, long dst, int size, long pattern, long completionAddr) {
    public static final int NOOP = 0x00;
    public static final int MEMMOVE = 0x03;
    public static final int FILL = 0x04;

    /** The largest transfer the device accepts. */
    public static final int MAX_TRANSFER = 1 << 20;
    /** The completion record: status (u8), result (u8), 2 reserved, bytes_completed (u32), fault_addr (u64), 16 reserved. */
    public static final int COMPLETION_RECORD_SIZE = 32;
    /** No completion record: never a valid address, as a record must be 32-byte aligned. */
    public static final long NO_COMPLETION = -1L;

    public static WqDescriptor noop() {
        return new WqDescriptor(NOOP, 0, 0, 0, 0, NO_COMPLETION);
    }

    /** Copies {@code size} bytes from {@code src} to {@code dst}. */
    public static WqDescriptor memmove(long src, long dst, int size) {
        return new WqDescriptor(MEMMOVE, src, dst, size, 0, NO_COMPLETION);
    }

    /** Fills {@code size} bytes at {@code dst} with the 8-byte {@code pattern}. */
    public static WqDescriptor fill(long dst, int size, long pattern) {
        return new WqDescriptor(FILL, 0, dst, size, pattern, NO_COMPLETION);
    }

    /** The same descriptor, asking for a completion record at {@code addr}. */
    public WqDescriptor withCompletion(long addr) {
        return new WqDescriptor(opcode, src, dst, size, pattern, addr);
    }
}
