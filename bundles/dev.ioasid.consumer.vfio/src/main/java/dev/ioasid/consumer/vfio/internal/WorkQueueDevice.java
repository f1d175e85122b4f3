package dev.ioasid.consumer.vfio.internal;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.util.ArrayList;
import java.util.List;

import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import dev.ioasid.api.Errno;
import dev.ioasid.api.IommuException;
import dev.ioasid.consumer.vfio.VfioDevice;
import dev.ioasid.consumer.vfio.WqCompletion;
import dev.ioasid.consumer.vfio.WqDescriptor;
import dev.ioasid.consumer.vfio.WqState;
import dev.ioasid.machine.Access;
import dev.ioasid.machine.DmaEngine;
import dev.ioasid.machine.DmaResult;
import dev.ioasid.machine.PciDevice;
import dev.ioasid.machine.TranslationFault;

/**
 * The simulated assignable device: work queues in the style of a DSA, each holding the PASID that tags its DMA.
 * It knows nothing of contexts or page tables; every byte it moves goes through the machine's DMA engine, and so
 * through the IOMMU unit behind the device. Whoever enables a queue has checked that it may.
 */
final class WorkQueueDevice {
    private static final Logger LOG = LoggerFactory.getLogger(WorkQueueDevice.class);

    private final PciDevice device;
    private final DmaEngine dma;
    /** the PASID of each enabled queue ({@link Access#NO_PASID} for RID only), null when disabled; guarded by this */
    private final Integer[] wqPasid;

    WorkQueueDevice(PciDevice device, DmaEngine dma) {
        this.device = device;
        this.dma = dma;
        this.wqPasid = new Integer[wqCount(device)];
    }

    /** The machine device's {@code wqs=} setting; 0 without it. */
    static int wqCount(PciDevice device) {
        String s = device.property("wqs", "0");
        try {
            int n = Integer.parseInt(s);
            if (n >= 0 && n <= 256) {
                return n;
            }
        } catch (NumberFormatException e) {
            // reported below
        }
        LOG.warn("device {}: wqs={} is not 0 to 256; it gets no work queues", device, s);
        return 0;
    }

    int count() {
        return wqPasid.length;
    }

    void checkIndex(int wq) {
        if (wq < 0 || wq >= wqPasid.length) {
            throw IommuException.of(Errno.EINVAL, "device %s has no work queue %d (it has %d)", device, wq, wqPasid.length);
        }
    }

    synchronized void enable(int wq, int pasid) {
        checkIndex(wq);
        wqPasid[wq] = pasid;
        LOG.debug("device {}: wq{} enabled, PASID {}", device, wq, Access.pasid(pasid));
    }

    synchronized void disable(int wq) {
        checkIndex(wq);
        wqPasid[wq] = null;
    }

    /** Disables every queue (device reset). */
    synchronized void reset() {
        java.util.Arrays.fill(wqPasid, null);
    }

    synchronized List<WqState> states() {
        List<WqState> out = new ArrayList<>();
        for (int i = 0; i < wqPasid.length; i++) {
            out.add(new WqState(i, wqPasid[i] != null, wqPasid[i] == null ? VfioDevice.NO_PASID : wqPasid[i]));
        }
        return out;
    }

    /** Runs one descriptor to completion. @throws IommuException EPERM when the queue is disabled */
    WqCompletion submit(int wq, WqDescriptor d) {
        checkIndex(wq);
        Integer tag;
        synchronized (this) {
            tag = wqPasid[wq];
        }
        if (tag == null) {
            throw IommuException.of(Errno.EPERM, "work queue %d of %s is not enabled", wq, device);
        }
        int pasid = tag;
        WqCompletion c = execute(pasid, d);
        if (d.completionAddr() != WqDescriptor.NO_COMPLETION) {
            DmaResult r = dma.write(device.address(), pasid, d.completionAddr(), completionRecord(c));
            if (!r.ok()) {
                c = new WqCompletion(c.status(), c.bytesCompleted(), c.faultAddress(),
                        (c.detail().isEmpty() ? "" : c.detail() + "; ") + "completion record not written: " + r.fault());
            }
        }
        LOG.debug("device {}: wq{} PASID {} op 0x{}: {}", device, wq, Access.pasid(pasid), Integer.toHexString(d.opcode()), c);
        return c;
    }

    private WqCompletion execute(int pasid, WqDescriptor d) {
        switch (d.opcode()) {
        case WqDescriptor.NOOP:
            return new WqCompletion(WqCompletion.SUCCESS, 0, 0, "");
        case WqDescriptor.MEMMOVE:
        case WqDescriptor.FILL:
            break;
        default:
            return new WqCompletion(WqCompletion.BAD_OPCODE, 0, 0, "unknown opcode 0x" + Integer.toHexString(d.opcode()));
        }
        if (d.size() <= 0 || d.size() > WqDescriptor.MAX_TRANSFER) {
            return new WqCompletion(WqCompletion.TRANSFER_RANGE, 0, 0, "transfer size " + d.size() + " is not 1 to " + WqDescriptor.MAX_TRANSFER);
        }
        byte[] data;
        TranslationFault readFault = null;
        if (d.opcode() == WqDescriptor.MEMMOVE) {
            DmaResult r = dma.read(device.address(), pasid, d.src(), d.size());
            data = r.data();
            readFault = r.fault();
            if (data.length == 0) {
                return fault(0, readFault);
            }
        } else {
            data = pattern(d.pattern(), d.size());
        }
        DmaResult w = dma.write(device.address(), pasid, d.dst(), data);
        if (!w.ok()) {
            return fault(w.done(), w.fault());
        }
        return readFault != null ? fault(data.length, readFault) : new WqCompletion(WqCompletion.SUCCESS, data.length, 0, "");
    }

    private static WqCompletion fault(long done, TranslationFault f) {
        return new WqCompletion(WqCompletion.PAGE_FAULT, done, f.iova(), f.reason() + ": " + f.detail());
    }

    private static byte[] pattern(long pattern, int size) {
        ByteBuffer b = ByteBuffer.allocate(size).order(ByteOrder.LITTLE_ENDIAN);
        while (b.remaining() >= 8) {
            b.putLong(pattern);
        }
        for (int i = 0; b.hasRemaining(); i++) {
            b.put((byte) (pattern >>> (8 * i)));
        }
        return b.array();
    }

    /** The DSA completion record layout: status, result, reserved, bytes_completed, fault_addr, reserved. */
    static byte[] completionRecord(WqCompletion c) {
        ByteBuffer b = ByteBuffer.allocate(WqDescriptor.COMPLETION_RECORD_SIZE).order(ByteOrder.LITTLE_ENDIAN);
        b.put(0, (byte) c.status());
        b.putInt(4, (int) c.bytesCompleted());
        b.putLong(8, c.faultAddress());
        return b.array();
    }
}
