package dev.ioasid.machine;

import java.util.function.Function;

import dev.ioasid.api.Errno;
import dev.ioasid.api.IommuException;
import dev.ioasid.api.PciAddress;

/**
 * Devices' DMA: a request {device, PASID, IOVA, length, access} goes to the port of the device's unit, page by
 * page; each translated page moves data to or from physical memory. A fault stops the transfer; the bytes of
 * earlier pages have moved, as on a real bus.
 */
public final class DmaEngine {
    /** How long a faulting request waits for its page response unless the caller says otherwise. */
    public static final long DEFAULT_FAULT_TIMEOUT_NANOS = java.util.concurrent.TimeUnit.SECONDS.toNanos(10);

    private final PhysicalMemory memory;
    private final Function<PciAddress, PciDevice> devices;
    private final Function<String, UnitPort> ports;

    DmaEngine(PhysicalMemory memory, Function<PciAddress, PciDevice> devices, Function<String, UnitPort> ports) {
        this.memory = memory;
        this.devices = devices;
        this.ports = ports;
    }

    /** A read by {@code device} of {@code length} bytes at {@code iova}. @throws IommuException ENODEV */
    public DmaResult read(PciAddress device, int pasid, long iova, int length) {
        return read(device, pasid, iova, length, 0);
    }

    /** A read with extra {@link Access} bits ({@link Access#EXEC}, {@link Access#PRIV}). */
    public DmaResult read(PciAddress device, int pasid, long iova, int length, int extraAccess) {
        return read(device, pasid, iova, length, extraAccess, DEFAULT_FAULT_TIMEOUT_NANOS);
    }

    /**
     * A read that, on a recoverable fault, waits up to {@code faultTimeoutNanos} for the page response and
     * retries once.
     */
    public DmaResult read(PciAddress device, int pasid, long iova, int length, int extraAccess, long faultTimeoutNanos) {
        byte[] buf = new byte[length];
        return transfer(device, pasid, iova, buf, Access.READ | extraAccess, false, faultTimeoutNanos);
    }

    /** A write by {@code device} of {@code data} at {@code iova}. @throws IommuException ENODEV */
    public DmaResult write(PciAddress device, int pasid, long iova, byte[] data) {
        return write(device, pasid, iova, data, 0);
    }

    public DmaResult write(PciAddress device, int pasid, long iova, byte[] data, int extraAccess) {
        return write(device, pasid, iova, data, extraAccess, DEFAULT_FAULT_TIMEOUT_NANOS);
    }

    /** A write that waits up to {@code faultTimeoutNanos} for a page response on a recoverable fault. */
    public DmaResult write(PciAddress device, int pasid, long iova, byte[] data, int extraAccess, long faultTimeoutNanos) {
        return transfer(device, pasid, iova, data, Access.WRITE | extraAccess, true, faultTimeoutNanos);
    }

    /**
     * One page: on a reported recoverable fault, wait for the response; on SUCCESS translate again, marked as a
     * retry, so that a second fault is final.
     */
    private static Translation translatePage(UnitPort port, PciDevice dev, int pasid, long at, int access, long timeoutNanos) {
        Translation t = port.translator().translate(dev, pasid, at, access);
        if (!(t instanceof TranslationFault) || ((TranslationFault) t).pending() == null) {
            return t;
        }
        TranslationFault f = (TranslationFault) t;
        PendingFault.Outcome outcome;
        try {
            outcome = f.pending().await(timeoutNanos);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            outcome = PendingFault.Outcome.TIMEOUT;
        }
        if (outcome != PendingFault.Outcome.SUCCESS) {
            return new TranslationFault(f.unit(), f.reason(), f.code(), f.iova(), f.pasid(), f.access(), false, f.record(),
                    f.detail() + "; page response " + outcome, null);
        }
        Translation retry = port.translator().translate(dev, pasid, at, access | Access.RETRY);
        return retry instanceof TranslationFault ? ((TranslationFault) retry).unrecoverable() : retry;
    }

    private DmaResult transfer(PciAddress address, int pasid, long iova, byte[] buf, int access, boolean write, long timeoutNanos) {
        PciDevice dev = devices.apply(address);
        if (dev == null) {
            throw IommuException.of(Errno.ENODEV, "no device %s on the machine", address);
        }
        if (pasid != Access.NO_PASID && (pasid < 0 || pasid >= (1 << 20))) {
            throw IommuException.of(Errno.EINVAL, "PASID %d is not a 20-bit value", pasid);
        }
        UnitPort port = ports.apply(dev.unit());
        long done = 0;
        while (done < buf.length) {
            long at = iova + done;
            Translation t = translatePage(port, dev, pasid, at, access, timeoutNanos);
            if (t instanceof TranslationFault) {
                TranslationFault f = (TranslationFault) t;
                byte[] data = write ? null : java.util.Arrays.copyOf(buf, (int) done);
                return new DmaResult(done, data, f);
            }
            TranslatedPage page = (TranslatedPage) t;
            int n = (int) Math.min(buf.length - done, page.remaining(at));
            try {
                if (write) {
                    memory.write(page.physical(at), buf, (int) done, n);
                } else {
                    memory.read(page.physical(at), buf, (int) done, n);
                }
            } catch (BusError e) {
                // the translation pointed outside memory: the transaction completes with Unsupported Request
                TranslationFault f = new TranslationFault(dev.unit(), "BUS_ERROR", 0, at, pasid, access, false, null,
                        e.getMessage());
                return new DmaResult(done, write ? null : java.util.Arrays.copyOf(buf, (int) done), f);
            }
            done += n;
        }
        return new DmaResult(done, write ? new byte[0] : buf, null);
    }
}
