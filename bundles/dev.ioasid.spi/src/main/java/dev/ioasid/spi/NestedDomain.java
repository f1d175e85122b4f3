package dev.ioasid.spi;

import org.osgi.annotation.versioning.ProviderType;

import dev.ioasid.api.IommuException;

/**
 * A user-managed stage-1 on a kernel-managed parent: the guest owns the table (or, on SMMUv3 and AMD, the whole
 * PASID/CD table), the host owns the parent.
 */
@ProviderType
public interface NestedDomain extends Domain {

    PagingDomain parent();

    /** The vendor data it was allocated with, for a rebuild after the backend comes back. */
    int dataType();

    byte[] data();

    /**
     * IOMMU_HWPT_INVALIDATE: handles {@code entryNum} entries of {@code entryLen} bytes each, in order.
     *
     * @return {@code entryNum}
     * @throws IommuException for the first entry that fails, with {@link IommuException#progress()} set to the
     *                        number handled before it
     */
    int invalidate(int dataType, int entryLen, byte[] entries, int entryNum);
}
