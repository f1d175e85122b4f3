package dev.ioasid.api;

/**
 * IOMMU_GET_HW_INFO: the vendor's capability structure for a device.
 *
 * @param type          {@link HwInfoType}
 * @param data          the vendor structure, little-endian as in the uAPI (e.g. {@code iommu_hw_info_vtd})
 * @param maxPasidLog2  the PASID width the device and its unit support together; 0 without PASID
 * @param capabilities  {@link #CAP_DIRTY_TRACKING}, {@link #CAP_PCI_PASID_EXEC}, {@link #CAP_PCI_PASID_PRIV}
 */
public record HwInfo(int type, byte[] data, int maxPasidLog2, long capabilities) {
    public static final long CAP_DIRTY_TRACKING = 1;
    public static final long CAP_PCI_PASID_EXEC = 2;
    public static final long CAP_PCI_PASID_PRIV = 4;

    public HwInfo {
        data = data.clone();
    }

    @Override
    public byte[] data() {
        return data.clone();
    }

    /**
     * Copies the structure into a caller buffer of {@code dataLen} bytes as the ioctl does: a shorter buffer
     * gets a prefix, a longer one is zero-filled past the structure. Returns the bytes the kernel reports
     * (the smaller of the two lengths).
     */
    public int copyTo(byte[] buffer, int dataLen) {
        int n = Math.min(dataLen, data.length);
        System.arraycopy(data, 0, buffer, 0, n);
        java.util.Arrays.fill(buffer, n, Math.min(dataLen, buffer.length), (byte) 0);
        return n;
    }
}
