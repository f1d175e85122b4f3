package dev.ioasid.consumer.vfio;

import java.util.List;

import org.osgi.annotation.versioning.ProviderType;

import dev.ioasid.api.Context;
import dev.ioasid.api.IommuException;
import dev.ioasid.api.PciAddress;

/**
 * One VFIO device cdev (/dev/vfio/devices/vfioN) and the simulated work-queue device behind it.
 * <p>
 * The iommufd side is VFIO's: {@link #bindIommufd} (VFIO_DEVICE_BIND_IOMMUFD), {@link #attachPt}
 * (VFIO_DEVICE_ATTACH_IOMMUFD_PT, a second attach replaces the first), {@link #detachPt}
 * (VFIO_DEVICE_DETACH_IOMMUFD_PT) and {@link #close}. Each call is the core's {@code EndpointService} call on the
 * bound context; ids are that context's.
 * <p>
 * The device side: {@link #wqCount()} work queues (the machine device's {@code wqs=} setting, 0 without it).
 * Enabling a work queue with a PASID authorizes the hardware to tag its DMA with it, and nothing more: the PASID
 * must be one the context got from {@code IoasidService}, attached for this device. A descriptor submitted to an
 * enabled work queue is executed with DMA through the machine, tagged with that PASID (or untagged, RID only).
 */
@ProviderType
public interface VfioDevice extends AutoCloseable {
    /** The "PASID" of a work queue that issues untagged DMA (RID only). */
    int NO_PASID = -1;

    PciAddress address();

    /** The machine device's name. */
    String name();

    /**
     * VFIO_DEVICE_BIND_IOMMUFD: binds the device into a context. It is blocked for DMA until something is
     * attached.
     *
     * @return the device id in the context
     * @throws IommuException EBUSY when this device is already bound (here or directly through the core)
     */
    int bindIommufd(Context ctx);

    /** True while the device is bound to an open context. */
    boolean isBound();

    /** The context the device is bound to. @throws IommuException EINVAL when it is not bound */
    Context context();

    /** The device id in the bound context. @throws IommuException EINVAL when it is not bound */
    int devId();

    /**
     * VFIO_DEVICE_ATTACH_IOMMUFD_PT: attaches the RID to an IOAS or an HWPT of the bound context, or replaces what
     * it is attached to.
     *
     * @return the HWPT id now in use
     * @throws IommuException EINVAL when the device is not bound; otherwise as the core's attach and replace
     *                        (ENOENT for an id the bound context does not have)
     */
    int attachPt(int ptId);

    /**
     * VFIO_DEVICE_ATTACH_IOMMUFD_PT with VFIO_DEVICE_ATTACH_PASID: attaches (RID, PASID) to an HWPT, or replaces
     * what it is attached to.
     *
     * @return the HWPT id now in use
     * @throws IommuException ENOENT when the PASID is not one of the bound context's IOASIDs; EINVAL when the
     *                        device is not bound; otherwise as the core's attach and replace
     */
    int attachPt(int ptId, int pasid);

    /** VFIO_DEVICE_DETACH_IOMMUFD_PT: the RID is blocked afterwards. @throws IommuException EINVAL when unbound */
    void detachPt();

    /** VFIO_DEVICE_DETACH_IOMMUFD_PT with DETACH_PASID: (RID, PASID) is blocked afterwards. */
    void detachPt(int pasid);

    /** The number of work queues of the device. */
    int wqCount();

    /**
     * Enables a work queue for untagged DMA (RID only).
     *
     * @throws IommuException EINVAL for a bad index, when the device is not bound, or when its RID is not attached
     */
    void wqEnable(int wq);

    /**
     * Enables a work queue with a PASID: its DMA is tagged with it.
     *
     * @throws IommuException ENOENT when the PASID is not one of the bound context's IOASIDs; EINVAL for a bad
     *                        index, when the device is not bound, or when (RID, PASID) is not attached
     */
    void wqEnable(int wq, int pasid);

    /** Disables a work queue: it refuses descriptors. @throws IommuException EINVAL for a bad index */
    void wqDisable(int wq);

    /** Every work queue's state. */
    List<WqState> wqs();

    /**
     * Submits a descriptor to a work queue and waits for its completion. A DMA fault does not throw: it completes
     * the descriptor with {@link WqCompletion#PAGE_FAULT}.
     *
     * @throws IommuException EPERM when the work queue is not enabled, EINVAL for a bad index
     */
    WqCompletion submit(int wq, WqDescriptor descriptor);

    /** Closes the cdev: unbinds the device, which releases every attachment, and disables every work queue. */
    @Override
    void close();
}
