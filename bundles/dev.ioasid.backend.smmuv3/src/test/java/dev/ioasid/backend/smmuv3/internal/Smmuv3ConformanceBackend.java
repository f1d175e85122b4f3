package dev.ioasid.backend.smmuv3.internal;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

import dev.ioasid.api.HwptDataType;
import dev.ioasid.api.IovaRange;
import dev.ioasid.core.conformance.ConformanceBackend;
import dev.ioasid.machine.Machine;
import dev.ioasid.machine.UnitDescription;
import dev.ioasid.spi.IommuUnit;

/** The SMMUv3 model (server profile) as a conformance backend. */
public class Smmuv3ConformanceBackend implements ConformanceBackend {

    @Override
    public String name() {
        return "smmuv3";
    }

    @Override
    public String unitLine() {
        return "unit u0 smmuv3 profile=server";
    }

    @Override
    public List<IommuUnit> start(Machine machine) {
        List<IommuUnit> out = new ArrayList<>();
        for (UnitDescription u : machine.units()) {
            out.add(new Smmuv3Unit(u, machine.frames(), machine.devicesBehind(u.id()), Map.of()));
        }
        return out;
    }

    @Override
    public void stop(List<IommuUnit> units) {
        for (IommuUnit u : units) {
            ((Smmuv3Unit) u).shutdown();
        }
    }

    @Override
    public long granule() {
        return 4096;
    }

    @Override
    public IovaRange aperture() {
        return new IovaRange(0, (1L << 48) - 1);
    }

    @Override
    public List<IovaRange> deviceReserved() {
        return List.of(IovaRange.ofLength(Smmuv3Unit.MSI_IOVA_BASE, Smmuv3Unit.MSI_IOVA_LENGTH));
    }

    /** The server profile's SSIDSIZE. */
    @Override
    public int pasidWidth() {
        return 16;
    }

    /** The guest owns the whole CD table: a nested HWPT is attached per RID ([T4]). */
    @Override
    public boolean nestsPerPasid() {
        return false;
    }

    @Override
    public boolean isSelftestMock() {
        return false;
    }

    @Override
    public int nestedDataType() {
        return HwptDataType.ARM_SMMUV3;
    }

    /** A guest STE with V = 1 and Config = bypass: the guest's stage 1 is off, DMA goes through the parent. */
    @Override
    public byte[] nestedData() {
        Ste guest = new Ste.Builder().V(true).Config(Ste.CONFIG_BYPASS).build();
        return ByteBuffer.allocate(16).order(ByteOrder.LITTLE_ENDIAN).putLong(guest.dword(0)).putLong(guest.dword(1)).array();
    }
}
