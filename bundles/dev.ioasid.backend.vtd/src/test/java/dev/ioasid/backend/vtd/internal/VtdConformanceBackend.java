package dev.ioasid.backend.vtd.internal;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.util.ArrayList;
import java.util.List;

import dev.ioasid.api.HwptDataType;
import dev.ioasid.api.IovaRange;
import dev.ioasid.core.conformance.ConformanceBackend;
import dev.ioasid.machine.Machine;
import dev.ioasid.machine.UnitDescription;
import dev.ioasid.spi.IommuUnit;

/** The VT-d model (server profile) as a conformance backend: 4 KiB granule, 48-bit aperture, the MSI window. */
public class VtdConformanceBackend implements ConformanceBackend {
    /** The guest-physical address of the first-stage table in {@link #nestedData()}. */
    public static final long S1_PGTBL = 0x10_0000;

    @Override
    public String name() {
        return "vtd";
    }

    @Override
    public String unitLine() {
        return "unit u0 vtd profile=server";
    }

    @Override
    public List<IommuUnit> start(Machine machine) {
        List<IommuUnit> out = new ArrayList<>();
        for (UnitDescription u : machine.units()) {
            out.add(VtdUnit.of(u, machine.frames()));
        }
        return out;
    }

    @Override
    public void stop(List<IommuUnit> units) {
        for (IommuUnit u : units) {
            ((VtdUnit) u).shutdown();
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
        return List.of(VtdUnit.MSI_WINDOW);
    }

    @Override
    public boolean isSelftestMock() {
        return false;
    }

    @Override
    public int nestedDataType() {
        return HwptDataType.VTD_S1;
    }

    /** iommu_hwpt_vtd_s1: flags 0, pgtbl_addr, addr_width 48. */
    @Override
    public byte[] nestedData() {
        return ByteBuffer.allocate(24).order(ByteOrder.LITTLE_ENDIAN).putLong(0).putLong(S1_PGTBL).putInt(48).putInt(0).array();
    }
}
