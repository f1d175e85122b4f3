package dev.ioasid.bench.backend;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.util.ArrayList;
import java.util.List;

import dev.ioasid.api.HwptAlloc;
import dev.ioasid.api.HwptDataType;
import dev.ioasid.api.IovaRange;
import dev.ioasid.backend.mock.internal.MockUnit;
import dev.ioasid.machine.Machine;
import dev.ioasid.machine.UnitDescription;
import dev.ioasid.spi.IommuUnit;

/**
 * The selftest mock with a 4 KiB granule, so that its leaves are 4 KiB, 2 MiB and 1 GiB as on VT-d and
 * SMMUv3: three levels of 512 entries, an aperture of [16 MiB, 2 GiB), a 16-entry direct-mapped IOTLB, and
 * the selftest's nested domain, whose stage 1 is the identity.
 */
public final class MockBench implements BenchBackend {

    @Override
    public String name() {
        return "mock";
    }

    @Override
    public String description() {
        return "mock (selftest format, 4 KiB granule, 3 levels, 16-entry IOTLB)";
    }

    @Override
    public String unitLine(String unitId) {
        return "unit " + unitId + " mock pagesize=4096";
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
    public IovaRange mappable() {
        return new IovaRange(MockUnit.APERTURE_START, MockUnit.APERTURE_LAST);
    }

    @Override
    public long tableFrames(List<IommuUnit> units) {
        long n = 0;
        for (IommuUnit u : units) {
            n += ((MockUnit) u).tableFrames();
        }
        return n;
    }

    @Override
    public String flatWalk() {
        return "3-level mock walk";
    }

    @Override
    public String nestedWalk() {
        return "mock nested: identity stage 1 over the 3-level parent";
    }

    @Override
    public int attachNested(Rig rig, int devId, int parentHwptId, long iova, long length) {
        // iommu_hwpt_selftest {u32 iotlb; u32 pagetable_type}: the stage 1 is the identity, nothing to build
        byte[] data = ByteBuffer.allocate(8).order(ByteOrder.LITTLE_ENDIAN).putInt(0).putInt(0).array();
        int hwpt = rig.core.hwptAlloc(rig.ctx, HwptAlloc.nested(devId, parentHwptId, HwptDataType.SELFTEST, data));
        rig.core.attach(rig.ctx, devId, hwpt);
        return hwpt;
    }
}
