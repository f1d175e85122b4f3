package dev.ioasid.api;

import org.osgi.annotation.versioning.ProviderType;

/**
 * Access objects: an emulated device (mdev-like) that uses an IOAS without a hardware domain. It pins pages by
 * IOVA and reads and writes them, honouring each mapping's permissions, and is told when an unmap hits its pins.
 */
@ProviderType
public interface AccessService {
    /** Pin or read-write flag: the access will write. */
    int WRITE = 1;

    /** An access to an IOAS. @throws IommuException ENOENT for a missing IOAS */
    int accessCreate(Context ctx, int ioasId, AccessListener listener);

    /**
     * Pins {@code [iova, iova + length)}: the pages stay until {@link #accessUnpin} with the same range.
     *
     * @return the physical address of each page of the range (for the emulated device's DMA)
     * @throws IommuException ENOENT if a byte is not mapped, EPERM to pin for write a mapping without WRITEABLE,
     *                        EINVAL for length 0
     */
    long[] accessPin(Context ctx, int accessId, long iova, long length, int flags);

    /** Drops a pin made with exactly this range. @throws IommuException EINVAL when there is no such pin */
    void accessUnpin(Context ctx, int accessId, long iova, long length);

    /**
     * Reads or writes bytes by IOVA, byte-granular and unaligned.
     *
     * @throws IommuException ENOENT if a byte is not mapped, EPERM to write a mapping without WRITEABLE
     */
    void accessRw(Context ctx, int accessId, long iova, byte[] data, int flags);

    /** Moves the access to another IOAS. @throws IommuException EBUSY while it has pins */
    void accessReplaceIoas(Context ctx, int accessId, int ioasId);
}
