package dev.ioasid.api;

import java.util.List;

import org.osgi.annotation.versioning.ProviderType;

/**
 * IOASID sets and the hardware ids behind them. Each context has a set with a quota; every hardware id comes
 * from one global 20-bit space, so no two contexts ever hold the same PASID. Consumers (VFIO- and vDPA-style
 * drivers) take their PASIDs from here and never invent one.
 */
@ProviderType
public interface IoasidService {

    /** The global hardware id space: ids 1 .. 2^20-1 (0 is never handed out). */
    int HW_ID_BITS = 20;

    /** The quota a new context starts with. */
    int DEFAULT_QUOTA = 1024;

    /**
     * Allocates an IOASID and a hardware id of the given kind.
     *
     * @throws IommuException ENOSPC when the context's quota or the global space is exhausted
     */
    Ioasid alloc(Context ctx, HwIdKind kind);

    /** {@link #alloc(Context, HwIdKind)} of a PCI PASID. */
    default Ioasid alloc(Context ctx) {
        return alloc(ctx, HwIdKind.PCI_PASID);
    }

    /** Frees an IOASID and its hardware id. @throws IommuException ENOENT if it is not in this context's set */
    void free(Context ctx, int ioasid);

    /** @throws IommuException ENOENT if it is not in this context's set */
    Ioasid get(Context ctx, int ioasid);

    /** The IOASID whose hardware id is {@code hwId}. @throws IommuException ENOENT if this context has none */
    Ioasid byHwId(Context ctx, int hwId);

    /** This context's IOASIDs, in id order. */
    List<Ioasid> list(Context ctx);

    /**
     * Sets the context's quota.
     *
     * @throws IommuException EINVAL for a negative quota, or one below the number already allocated
     */
    void setQuota(Context ctx, int quota);

    int quota(Context ctx);
}
