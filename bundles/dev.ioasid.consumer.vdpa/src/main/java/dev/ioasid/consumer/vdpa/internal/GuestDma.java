package dev.ioasid.consumer.vdpa.internal;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;

import dev.ioasid.api.PciAddress;
import dev.ioasid.machine.Access;
import dev.ioasid.machine.DmaEngine;
import dev.ioasid.machine.DmaResult;

/**
 * The device's DMA into one address space: every access goes to the machine's DMA engine, tagged with the
 * address space's PASID (or none, for the RID), and a fault becomes a {@link VqStop}. An address space without
 * an IOAS reaches nothing: its accesses stop before they leave the device.
 */
final class GuestDma {
    private final DmaEngine engine;
    private final PciAddress device;
    private final int pasid;
    /** why nothing is reachable, or null */
    private final String refusal;

    private GuestDma(DmaEngine engine, PciAddress device, int pasid, String refusal) {
        this.engine = engine;
        this.device = device;
        this.pasid = pasid;
        this.refusal = refusal;
    }

    static GuestDma tagged(DmaEngine engine, PciAddress device, int pasid) {
        return new GuestDma(engine, device, pasid, null);
    }

    static GuestDma refusing(String why) {
        return new GuestDma(null, null, Access.NO_PASID, why);
    }

    byte[] read(long iova, int length) {
        if (refusal != null) {
            throw new VqStop(refusal);
        }
        DmaResult r = engine.read(device, pasid, iova, length);
        if (!r.ok()) {
            throw new VqStop("DMA read fault: " + r.fault());
        }
        return r.data();
    }

    void write(long iova, byte[] data) {
        if (refusal != null) {
            throw new VqStop(refusal);
        }
        DmaResult r = engine.write(device, pasid, iova, data);
        if (!r.ok()) {
            throw new VqStop("DMA write fault: " + r.fault());
        }
    }

    int u16(long iova) {
        return ByteBuffer.wrap(read(iova, 2)).order(ByteOrder.LITTLE_ENDIAN).getShort() & 0xffff;
    }

    void putU16(long iova, int value) {
        write(iova, ByteBuffer.allocate(2).order(ByteOrder.LITTLE_ENDIAN).putShort((short) value).array());
    }
}
