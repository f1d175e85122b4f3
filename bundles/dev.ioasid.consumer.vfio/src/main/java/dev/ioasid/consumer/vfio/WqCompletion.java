package dev.ioasid.consumer.vfio;

/**
 * How a descriptor completed, with the DSA's status codes.
 *
 * @param status         {@link #SUCCESS}, {@link #PAGE_FAULT}, {@link #BAD_OPCODE} or {@link #TRANSFER_RANGE}
 * @param bytesCompleted the bytes done before a fault
 * @param faultAddress   the device address that faulted (0 unless {@link #PAGE_FAULT})
 * @param detail         the IOMMU's fault, or why the descriptor was rejected; empty on success
 */
public record WqCompletion(int status, long bytesCompleted, long faultAddress, String detail) {
    public static final int SUCCESS = 0x01;
    /** DSA_COMP_PAGE_FAULT_NOBOF: a DMA faulted and the operation stopped there. */
    public static final int PAGE_FAULT = 0x03;
    public static final int BAD_OPCODE = 0x10;
    /** DSA_COMP_XFER_ERANGE: a transfer size of 0 or beyond the maximum. */
    public static final int TRANSFER_RANGE = 0x13;

    public boolean ok() {
        return status == SUCCESS;
    }

    @Override
    public String toString() {
        switch (status) {
        case SUCCESS:
            return "success, " + bytesCompleted + " bytes";
        case PAGE_FAULT:
            return String.format("page fault at 0x%x after %d bytes: %s", faultAddress, bytesCompleted, detail);
        default:
            return String.format("status 0x%x: %s", status, detail);
        }
    }
}
