package dev.ioasid.consumer.vdpa.internal;

import java.io.ByteArrayOutputStream;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.util.ArrayList;
import java.util.List;

import dev.ioasid.consumer.vdpa.VirtioNet;
import dev.ioasid.consumer.vdpa.VringState;

/**
 * The device side of a split virtqueue (virtio 1.x, 2.7): it takes the chain at the avail ring's next index,
 * walks its descriptors, and returns it through the used ring, all through DMA. A chain is consumed only when it
 * is completed, so a fault leaves it for the next kick. Guarded by the owning device's lock.
 */
final class SplitVirtqueue {
    /** One buffer of a chain: device-readable, or device-writable. */
    record Buffer(long addr, int len, boolean writable) {
    }

    /** A descriptor chain: its head index and its buffers, the readable ones first. */
    record Chain(int head, List<Buffer> readable, List<Buffer> writable) {
    }

    final int index;
    final int group;
    int num;
    long desc;
    long avail;
    long used;
    boolean ready;
    int lastAvail;
    int usedIdx;
    String lastFault;

    SplitVirtqueue(int index, int group) {
        this.index = index;
        this.group = group;
    }

    void reset() {
        num = 0;
        desc = avail = used = 0;
        ready = false;
        lastAvail = usedIdx = 0;
        lastFault = null;
    }

    VringState state() {
        return new VringState(index, group, num, desc, avail, used, ready, lastAvail, usedIdx, lastFault);
    }

    /** The next available chain, not consumed, or null when the driver has made none available. */
    Chain peek(GuestDma dma) {
        if (!ready || num == 0) {
            return null;
        }
        int availIdx = dma.u16(avail + 2);
        int pending = (availIdx - lastAvail) & 0xffff;
        if (pending == 0) {
            return null;
        }
        if (pending > num) {
            throw new VqStop(String.format("vq %d: avail idx %d is %d ahead of %d, more than the %d entries", index, availIdx, pending, lastAvail, num));
        }
        int head = dma.u16(avail + 4 + 2L * (lastAvail & (num - 1)));
        List<Buffer> readable = new ArrayList<>();
        List<Buffer> writable = new ArrayList<>();
        int i = head;
        for (int count = 1;; count++) {
            if (i >= num) {
                throw new VqStop(String.format("vq %d: descriptor %d is past the table of %d", index, i, num));
            }
            if (count > num) {
                throw new VqStop(String.format("vq %d: the chain at %d loops", index, head));
            }
            ByteBuffer d = ByteBuffer.wrap(dma.read(desc + (long) VirtioNet.DESC_SIZE * i, VirtioNet.DESC_SIZE)).order(ByteOrder.LITTLE_ENDIAN);
            long addr = d.getLong(0);
            int len = (int) Math.min(d.getInt(8) & 0xffffffffL, Integer.MAX_VALUE);
            int flags = d.getShort(12) & 0xffff;
            int next = d.getShort(14) & 0xffff;
            if ((flags & VirtioNet.VRING_DESC_F_INDIRECT) != 0) {
                throw new VqStop(String.format("vq %d: descriptor %d is indirect, which the device does not offer", index, i));
            }
            if ((flags & VirtioNet.VRING_DESC_F_WRITE) != 0) {
                writable.add(new Buffer(addr, len, true));
            } else if (!writable.isEmpty()) {
                throw new VqStop(String.format("vq %d: descriptor %d is readable after a writable one", index, i));
            } else {
                readable.add(new Buffer(addr, len, false));
            }
            if ((flags & VirtioNet.VRING_DESC_F_NEXT) == 0) {
                break;
            }
            i = next;
        }
        return new Chain(head, readable, writable);
    }

    /** Returns a chain to the driver with {@code written} bytes, and consumes it. */
    void complete(GuestDma dma, Chain chain, int written) {
        long elem = used + 4 + (long) VirtioNet.USED_ELEM_SIZE * (usedIdx & (num - 1));
        dma.write(elem, ByteBuffer.allocate(8).order(ByteOrder.LITTLE_ENDIAN).putInt(chain.head()).putInt(written).array());
        int next = (usedIdx + 1) & 0xffff;
        dma.putU16(used + 2, next);
        usedIdx = next;
        lastAvail = (lastAvail + 1) & 0xffff;
    }

    /** The device-readable bytes of a chain, at most {@code max}. */
    static byte[] pull(GuestDma dma, List<Buffer> buffers, int max) {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        for (Buffer b : buffers) {
            int n = Math.min(b.len(), max - out.size());
            if (n <= 0) {
                break;
            }
            out.writeBytes(dma.read(b.addr(), n));
        }
        return out.toByteArray();
    }

    /** Writes {@code data} into the device-writable buffers, as much as fits. Returns the bytes written. */
    static int push(GuestDma dma, List<Buffer> buffers, byte[] data) {
        int done = 0;
        for (Buffer b : buffers) {
            int n = Math.min(b.len(), data.length - done);
            if (n <= 0) {
                break;
            }
            byte[] part = new byte[n];
            System.arraycopy(data, done, part, 0, n);
            dma.write(b.addr(), part);
            done += n;
        }
        return done;
    }
}
