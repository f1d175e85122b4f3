package dev.ioasid.consumer.vdpa.internal;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;

import dev.ioasid.api.Errno;
import dev.ioasid.api.IommuException;
import dev.ioasid.api.UserMemory;
import dev.ioasid.consumer.vdpa.VdpaDevice;
import dev.ioasid.consumer.vdpa.VhostIotlbMsg;
import dev.ioasid.consumer.vdpa.VirtioNet;

/**
 * The guest's virtio-net driver, for the tests: it lays out split virtqueues in guest memory (the VMM's user
 * memory, known to it by device address through {@link Region}s), posts chains, reads the used rings, and
 * drives the device through the vhost-vdpa calls. It writes guest memory with the CPU, never by DMA.
 */
final class NetDriver {
    static final int QSIZE = 8;
    /** Each region: the rings of its virtqueues at the start, 4 KiB apart, and buffers from {@link #BUFFERS} on. */
    static final long BUFFERS = 0x10000;
    /** The size of a region that holds every ring and buffer slot. */
    static final long REGION = 0x20000;
    static final int SLOT = 0x800;
    static final byte[] SRC_MAC = { 0x02, 0, 0, 0, 0, 1 };

    /** Guest memory at {@code va} that the device sees at {@code iova}. */
    record Region(long va, long iova, long length) {
        boolean contains(long at) {
            return Long.compareUnsigned(at, iova) >= 0 && Long.compareUnsigned(at - iova, length) < 0;
        }
    }

    /** The driver's view of a virtqueue. */
    final class Ring {
        final int vq;
        final long desc;
        final long avail;
        final long used;
        int nextDesc;
        int availIdx;
        int seenUsed;
        int nextSlot;
        final Region region;

        Ring(int vq, Region region, long base) {
            this.vq = vq;
            this.region = region;
            this.desc = base;
            this.avail = base + 0x1000;
            this.used = base + 0x2000;
        }

        /** A buffer slot of this ring's region: device address. */
        long slot() {
            return region.iova + BUFFERS + (long) (vq * QSIZE + (nextSlot++ % QSIZE)) * SLOT;
        }

        /** Posts a chain of (address, length, writable) buffers; returns its head. */
        int post(long[]... bufs) {
            int head = nextDesc;
            for (int i = 0; i < bufs.length; i++) {
                int idx = (head + i) % QSIZE;
                int flags = (bufs[i][2] != 0 ? VirtioNet.VRING_DESC_F_WRITE : 0) | (i + 1 < bufs.length ? VirtioNet.VRING_DESC_F_NEXT : 0);
                ByteBuffer d = ByteBuffer.allocate(16).order(ByteOrder.LITTLE_ENDIAN);
                d.putLong(bufs[i][0]).putInt((int) bufs[i][1]).putShort((short) flags).putShort((short) ((idx + 1) % QSIZE));
                write(desc + 16L * idx, d.array());
            }
            nextDesc = (head + bufs.length) % QSIZE;
            write(avail + 4 + 2L * (availIdx % QSIZE), u16(head));
            availIdx = (availIdx + 1) & 0xffff;
            write(avail + 2, u16(availIdx));
            return head;
        }

        /** The used ring's idx as the device wrote it. */
        int usedIdx() {
            return ByteBuffer.wrap(read(used + 2, 2)).order(ByteOrder.LITTLE_ENDIAN).getShort() & 0xffff;
        }

        /** The used elements the driver has not seen yet: {id, len} each. */
        List<int[]> takeUsed() {
            List<int[]> out = new ArrayList<>();
            int idx = usedIdx();
            while (seenUsed != idx) {
                ByteBuffer e = ByteBuffer.wrap(read(used + 4 + 8L * (seenUsed % QSIZE), 8)).order(ByteOrder.LITTLE_ENDIAN);
                out.add(new int[] { e.getInt(0), e.getInt(4) });
                seenUsed = (seenUsed + 1) & 0xffff;
            }
            return out;
        }

        /** The address of the first buffer of the chain at {@code head}. */
        long bufferOf(int head) {
            return ByteBuffer.wrap(read(desc + 16L * head, 8)).order(ByteOrder.LITTLE_ENDIAN).getLong(0);
        }
    }

    private final UserMemory memory;
    final VdpaDevice dev;
    private final List<Region> regions = new ArrayList<>();
    Ring rx;
    Ring tx;
    Ring ctrl;

    NetDriver(UserMemory memory, VdpaDevice dev) {
        this.memory = memory;
        this.dev = dev;
    }

    /** Guest memory of {@code length} bytes that the device will see at {@code iova}. */
    Region region(long iova, long length) {
        Region r = new Region(memory.mmap(length), iova, length);
        regions.add(r);
        return r;
    }

    /** Guest memory the VMM already has at {@code va}, seen by the device at {@code iova}. */
    Region adopt(long va, long iova, long length) {
        Region r = new Region(va, iova, length);
        regions.add(r);
        return r;
    }

    /** The IOTLB message that maps a region, read-write, into an address space. */
    static VhostIotlbMsg update(int asid, Region r) {
        return VhostIotlbMsg.update(asid, r.iova, r.length, r.va, VhostIotlbMsg.RW);
    }

    /** rx and tx rings in {@code data}, the ctrl ring in {@code control}; sizes, addresses, enable, DRIVER_OK. */
    void start(Region data, Region control) {
        rx = new Ring(VirtioNet.RX, data, data.iova);
        tx = new Ring(VirtioNet.TX, data, data.iova + 0x3000);
        ctrl = new Ring(VirtioNet.CTRL, control, control.iova + (control == data ? 0x6000 : 0));
        dev.setStatus(VirtioNet.STATUS_ACKNOWLEDGE);
        dev.setStatus(VirtioNet.STATUS_ACKNOWLEDGE | VirtioNet.STATUS_DRIVER);
        for (Ring r : List.of(rx, tx, ctrl)) {
            dev.setVringNum(r.vq, QSIZE);
            dev.setVringAddr(r.vq, r.desc, r.avail, r.used);
            dev.setVringEnable(r.vq, true);
        }
        dev.setStatus(VirtioNet.STATUS_ACKNOWLEDGE | VirtioNet.STATUS_DRIVER | VirtioNet.STATUS_FEATURES_OK | VirtioNet.STATUS_DRIVER_OK);
    }

    /** An Ethernet frame behind a zeroed virtio_net_hdr_v1. */
    static byte[] frame(byte[] dstMac, String payload) {
        byte[] p = payload.getBytes(StandardCharsets.UTF_8);
        ByteBuffer b = ByteBuffer.allocate(VirtioNet.NET_HDR_SIZE + 14 + p.length);
        b.position(VirtioNet.NET_HDR_SIZE);
        b.put(dstMac).put(SRC_MAC).putShort((short) 0x88b5).put(p);
        return b.array();
    }

    /** The payload of a received frame. */
    static String payload(byte[] frame) {
        int off = VirtioNet.NET_HDR_SIZE + 14;
        return new String(frame, off, frame.length - off, StandardCharsets.UTF_8);
    }

    /** Posts an rx buffer of one slot. */
    void postRx() {
        rx.post(new long[] { rx.slot(), SLOT, 1 });
    }

    /** Posts a frame for transmission, in a tx slot. */
    void send(byte[] frame) {
        send(frame, tx.slot());
    }

    /** Posts a frame for transmission from device address {@code at} (which the driver writes by CPU). */
    void send(byte[] frame, long at) {
        write(at, frame);
        tx.post(new long[] { at, frame.length, 0 });
    }

    /** Posts VIRTIO_NET_CTRL_MAC_ADDR_SET; the command and its ack in ctrl slots. Returns the ack's address. */
    long setMac(byte[] mac) {
        return command(new byte[] { VirtioNet.CTRL_MAC, VirtioNet.CTRL_MAC_ADDR_SET, mac[0], mac[1], mac[2], mac[3], mac[4], mac[5] },
                ctrl.slot(), ctrl.slot());
    }

    /** Posts a control command at {@code cmdAt} with its ack at {@code ackAt}; returns ackAt. */
    long command(byte[] cmd, long cmdAt, long ackAt) {
        write(cmdAt, cmd);
        write(ackAt, new byte[] { (byte) 0xee });
        ctrl.post(new long[] { cmdAt, cmd.length, 0 }, new long[] { ackAt, 1, 1 });
        return ackAt;
    }

    /** The frames the device has put in rx buffers since the last call. */
    List<byte[]> received() {
        List<byte[]> out = new ArrayList<>();
        for (int[] e : rx.takeUsed()) {
            out.add(read(rx.bufferOf(e[0]), e[1]));
        }
        return out;
    }

    private Region regionOf(long iova, int length) {
        for (Region r : regions) {
            if (r.contains(iova) && r.contains(iova + length - 1)) {
                return r;
            }
        }
        throw IommuException.of(Errno.EFAULT, "the driver has no guest memory at device address 0x%x", iova);
    }

    byte[] read(long iova, int length) {
        Region r = regionOf(iova, length);
        return memory.read(r.va + (iova - r.iova), length);
    }

    void write(long iova, byte[] data) {
        Region r = regionOf(iova, data.length);
        memory.write(r.va + (iova - r.iova), data);
    }

    private static byte[] u16(int v) {
        return ByteBuffer.allocate(2).order(ByteOrder.LITTLE_ENDIAN).putShort((short) v).array();
    }
}
