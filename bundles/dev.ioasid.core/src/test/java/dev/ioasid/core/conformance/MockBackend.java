package dev.ioasid.core.conformance;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.util.ArrayList;
import java.util.List;

import dev.ioasid.api.HwptDataType;
import dev.ioasid.api.IovaRange;
import dev.ioasid.backend.mock.internal.MockUnit;
import dev.ioasid.machine.Machine;
import dev.ioasid.machine.UnitDescription;
import dev.ioasid.spi.IommuUnit;

/** The selftest mock as a conformance backend. */
public class MockBackend implements ConformanceBackend {
    public static final int IOTLB_DEFAULT = 0xbadbeef;

    @Override
    public String name() {
        return "mock";
    }

    @Override
    public String unitLine() {
        return "unit u0 mock fail-pasid=1024";
    }

    @Override
    public List<IommuUnit> start(Machine machine) {
        List<IommuUnit> out = new ArrayList<>();
        for (UnitDescription u : machine.units()) {
            out.add(new MockUnit(u, machine.frames()));
        }
        return out;
    }

    @Override
    public void stop(List<IommuUnit> units) {
        for (IommuUnit u : units) {
            ((MockUnit) u).shutdown();
        }
    }

    @Override
    public long granule() {
        return 2048;
    }

    @Override
    public IovaRange aperture() {
        return new IovaRange(MockUnit.APERTURE_START, MockUnit.APERTURE_LAST);
    }

    @Override
    public boolean isSelftestMock() {
        return true;
    }

    @Override
    public int nestedDataType() {
        return HwptDataType.SELFTEST;
    }

    @Override
    public byte[] nestedData() {
        return ByteBuffer.allocate(8).order(ByteOrder.LITTLE_ENDIAN).putInt(IOTLB_DEFAULT).putInt(0).array();
    }
}
