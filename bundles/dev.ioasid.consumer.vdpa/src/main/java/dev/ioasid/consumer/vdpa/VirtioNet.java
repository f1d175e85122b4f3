package dev.ioasid.consumer.vdpa;

/** The virtio and virtio-net numbers the simulated device uses (virtio 1.x; Linux's uapi headers). */
public final class VirtioNet {
    private VirtioNet() {
    }

    /** VIRTIO_ID_NET. */
    public static final int VIRTIO_ID_NET = 1;

    /** The virtqueues: receive, transmit, control. */
    public static final int RX = 0;
    public static final int TX = 1;
    public static final int CTRL = 2;

    /** The groups, as vdpa_sim_net's: rx and tx in the data group, the control virtqueue alone in its own. */
    public static final int GROUP_DATA = 0;
    public static final int GROUP_CTRL = 1;

    /** The largest virtqueue (vdpa_sim's VDPASIM_QUEUE_MAX). */
    public static final int QUEUE_MAX = 256;

    /** Device status bits. */
    public static final int STATUS_ACKNOWLEDGE = 1;
    public static final int STATUS_DRIVER = 2;
    public static final int STATUS_DRIVER_OK = 4;
    public static final int STATUS_FEATURES_OK = 8;

    /** Split virtqueue descriptor flags. */
    public static final int VRING_DESC_F_NEXT = 1;
    public static final int VRING_DESC_F_WRITE = 2;
    public static final int VRING_DESC_F_INDIRECT = 4;
    /** Bytes of a descriptor, and of a used-ring element. */
    public static final int DESC_SIZE = 16;
    public static final int USED_ELEM_SIZE = 8;

    /** sizeof(struct virtio_net_hdr_v1): every packet on rx and tx starts with it. */
    public static final int NET_HDR_SIZE = 12;
    /** The bytes of virtio_net_config the device has: mac[6], status, max_virtqueue_pairs, mtu. */
    public static final int CONFIG_SIZE = 12;
    /** VIRTIO_NET_S_LINK_UP in the config's status. */
    public static final int S_LINK_UP = 1;

    /** Control virtqueue: class VIRTIO_NET_CTRL_MAC and its command VIRTIO_NET_CTRL_MAC_ADDR_SET. */
    public static final int CTRL_MAC = 1;
    public static final int CTRL_MAC_ADDR_SET = 1;
    /** The ack of a control command. */
    public static final int CTRL_OK = 0;
    public static final int CTRL_ERR = 1;

    /** The split ring sizes for {@code num} entries: descriptor table, avail ring (with used_event), used ring (with avail_event). */
    public static long descTableSize(int num) {
        return (long) DESC_SIZE * num;
    }

    public static long availRingSize(int num) {
        return 6 + 2L * num;
    }

    public static long usedRingSize(int num) {
        return 6 + (long) USED_ELEM_SIZE * num;
    }
}
