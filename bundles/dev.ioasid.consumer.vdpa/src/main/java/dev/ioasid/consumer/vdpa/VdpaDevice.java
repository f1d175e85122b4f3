package dev.ioasid.consumer.vdpa;

import org.osgi.annotation.versioning.ProviderType;

import dev.ioasid.api.Context;
import dev.ioasid.api.IommuException;
import dev.ioasid.api.PciAddress;

/**
 * One vhost-vdpa device: a virtio-net device like Linux's vdpa_sim_net, with 3 virtqueues (rx, tx, ctrl) in 2
 * groups (data, ctrl) and 2 address spaces. The device reads and writes its split virtqueues in guest memory only
 * by DMA, tagged for the address space of the virtqueue's group.
 * <p>
 * Each address space is backed by the core: {@link #attachAs} gives it an IOAS of the bound context, reached by
 * the device's RID, or by a (RID, PASID) whose PASID the VMM got from the core's {@code IoasidService}; the device
 * then tags the DMA of the groups in that address space with it. IOTLB messages ({@link #processIotlbMsg}) are
 * IOAS map and unmap calls on that IOAS. An address space without an IOAS reaches nothing.
 * <p>
 * The device behaves as with VIRTIO_F_VERSION_1, VIRTIO_NET_F_MAC, VIRTIO_NET_F_CTRL_VQ and
 * VIRTIO_NET_F_CTRL_MAC_ADDR negotiated; there is no feature negotiation. Notifications are calls to
 * {@link #kick}, which does the device's work before it returns; the driver polls the used rings.
 */
@ProviderType
public interface VdpaDevice extends AutoCloseable {
    /** The "PASID" of an address space reached by the RID. */
    int NO_PASID = -1;

    PciAddress address();

    String name();

    // ------------------------------------------------------------------ iommufd

    /**
     * Binds the device into a context; it reaches nothing until an address space is attached.
     *
     * @return the device id in the context
     * @throws IommuException EBUSY when the device is already bound
     */
    int bindIommufd(Context ctx);

    /** True while the device is bound to an open context. */
    boolean isBound();

    /** @throws IommuException EINVAL when the device is not bound */
    Context context();

    /** @throws IommuException EINVAL when the device is not bound */
    int devId();

    /**
     * Backs address space {@code asid} with an IOAS, reached by the device's RID. A second attach of the same
     * address space replaces the first.
     *
     * @return the id of the paging HWPT made for it (with the PASID flag when the device has PASIDs)
     * @throws IommuException EINVAL for an asid of {@link #getAsNum()} or more, or when not bound; EBUSY when
     *                        another address space already uses the RID; otherwise as the core's HWPT alloc and
     *                        attach
     */
    int attachAs(int asid, int ioasId);

    /**
     * Backs address space {@code asid} with an IOAS, reached by (RID, {@code pasid}): its own security context.
     *
     * @throws IommuException ENOENT when the PASID is not one of the bound context's IOASIDs; EBUSY when another
     *                        address space uses this PASID; otherwise as {@link #attachAs(int, int)}
     */
    int attachAs(int asid, int ioasId, int pasid);

    /** Detaches an address space from its IOAS (the IOAS and its mappings stay the VMM's). */
    void detachAs(int asid);

    /** What backs an address space. @throws IommuException EINVAL for a bad asid */
    AddressSpace addressSpace(int asid);

    // ------------------------------------------------------------------ vhost-vdpa

    /** VHOST_VDPA_GET_DEVICE_ID: {@link VirtioNet#VIRTIO_ID_NET}. */
    int getDeviceId();

    /** VHOST_VDPA_GET_VQS_COUNT: 3. */
    int getVqsCount();

    /** VHOST_VDPA_GET_GROUP_NUM: 2. */
    int getGroupNum();

    /** VHOST_VDPA_GET_AS_NUM: 2. */
    int getAsNum();

    /** VHOST_VDPA_GET_VRING_GROUP: rx and tx are in group 0, ctrl in group 1. @throws IommuException EINVAL */
    int getVringGroup(int vq);

    /**
     * VHOST_VDPA_SET_GROUP_ASID: the virtqueues of {@code group} use address space {@code asid} from now on.
     *
     * @throws IommuException EINVAL for a group of {@link #getGroupNum()} or more, or an asid of
     *                        {@link #getAsNum()} or more
     */
    void setGroupAsid(int group, int asid);

    /** The address space of a group (0 after reset). @throws IommuException EINVAL for a bad group */
    int getGroupAsid(int group);

    /**
     * Writes one IOTLB message v2 (the vhost fd's write()). UPDATE maps, INVALIDATE unmaps; between BATCH_BEGIN
     * and BATCH_END they are queued and applied at BATCH_END, all or none. A message that fails changes nothing.
     *
     * @throws IommuException EINVAL for a message type the driver may not send, an asid of {@link #getAsNum()} or
     *                        more, an address space without an IOAS, an asid other than the open batch's, a size
     *                        of 0, a range that wraps, or a bad perm; the core's errno when the IOAS refuses (EEXIST
     *                        for an UPDATE over a mapping, ENOENT for an INVALIDATE that cuts one, EFAULT for a
     *                        bad uaddr); at BATCH_END, the failing message's errno, with
     *                        {@link IommuException#progress()} its index in the batch, and nothing applied
     */
    void processIotlbMsg(VhostIotlbMsg msg);

    /** VHOST_VDPA_GET_STATUS: the virtio device status. */
    int getStatus();

    /**
     * VHOST_VDPA_SET_STATUS. 0 resets the device: virtqueues, group address spaces and status.
     *
     * @throws IommuException EINVAL when a set bit would be cleared without a reset
     */
    void setStatus(int status);

    /**
     * VHOST_VDPA_GET_CONFIG: bytes of the virtio_net_config (mac, status, max_virtqueue_pairs, mtu).
     *
     * @throws IommuException EINVAL for a length of 0 or an offset past the end, E2BIG for a range past the end
     */
    byte[] getConfig(int offset, int length);

    /** VHOST_SET_VRING_NUM. @throws IommuException EINVAL unless a power of two from 1 to {@link VirtioNet#QUEUE_MAX} */
    void setVringNum(int vq, int num);

    /**
     * VHOST_SET_VRING_ADDR: where the descriptor table, the avail ring and the used ring are, as device addresses
     * in the address space of the virtqueue's group.
     *
     * @throws IommuException EINVAL when misaligned (16, 2 and 4 bytes)
     */
    void setVringAddr(int vq, long desc, long avail, long used);

    /** VHOST_VDPA_SET_VRING_ENABLE. */
    void setVringEnable(int vq, boolean ready);

    /** A virtqueue's state, as the device sees it. */
    VringState vring(int vq);

    /**
     * Notifies the device (VHOST_SET_VRING_KICK's eventfd), which then does its work, as vdpa_sim_net does: the
     * ctrl virtqueue's commands, then the tx virtqueue's packets, each looped back into an rx buffer. Nothing
     * happens before DRIVER_OK. A DMA fault stops the virtqueue at the chain that faulted (it is not consumed);
     * {@link #vring(int)} reports it.
     *
     * @return the number of used-ring entries written
     * @throws IommuException EINVAL for a bad virtqueue index
     */
    int kick(int vq);

    /** The device's counters. */
    NetStats stats();

    /** Closes the vhost fd: resets the device, detaches every address space and unbinds the device. */
    @Override
    void close();
}
