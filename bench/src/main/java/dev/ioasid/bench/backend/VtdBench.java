package dev.ioasid.bench.backend;

import java.util.ArrayList;
import java.util.List;

import dev.ioasid.api.HwptAlloc;
import dev.ioasid.api.HwptDataType;
import dev.ioasid.api.IovaRange;
import dev.ioasid.api.VendorData;
import dev.ioasid.backend.vtd.internal.VtdUnit;
import dev.ioasid.machine.Machine;
import dev.ioasid.machine.UnitDescription;
import dev.ioasid.spi.IommuUnit;

/**
 * The Intel VT-d model, server profile: scalable mode, 4-level second stage (48-bit), IOTLB keyed by (DID,
 * PASID, page). P2's nested walk is a 4-level x86-64 first stage built by the guest in its RAM, every table
 * pointer and the output address going through the 4-level second stage.
 */
public final class VtdBench implements BenchBackend {
    /** x86-64 first-stage bits: P, R/W, U/S, A (and D on leaves), so that the walk sets nothing. */
    private static final long FS_TABLE = 1 | 1 << 1 | 1 << 2 | 1 << 5;
    private static final long FS_LEAF = FS_TABLE | 1 << 6;

    @Override
    public String name() {
        return "vtd";
    }

    @Override
    public String description() {
        return "vtd (server profile, 4-level second stage, 48-bit)";
    }

    @Override
    public String unitLine(String unitId) {
        return "unit " + unitId + " vtd profile=server";
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
    public IovaRange mappable() {
        // above the MSI window every device reserves (0xfee00000-0xfeefffff), below the guest's tables of P2
        return new IovaRange(4 * Rig.GIB, GuestTables.TABLES_GPA - 1);
    }

    @Override
    public long tableFrames(List<IommuUnit> units) {
        long n = 0;
        for (IommuUnit u : units) {
            n += ((VtdUnit) u).domainTableFrames();
        }
        return n;
    }

    @Override
    public String flatWalk() {
        return "4-level second stage";
    }

    @Override
    public String nestedWalk() {
        return "4-level first stage over the 4-level second stage";
    }

    @Override
    public int attachNested(Rig rig, int devId, int parentHwptId, long iova, long length) {
        GuestTables t = new GuestTables(FS_TABLE, FS_LEAF).identity(iova, length);
        t.install(rig, parentHwptId);
        int hwpt = rig.core.hwptAlloc(rig.ctx, HwptAlloc.nested(devId, parentHwptId, HwptDataType.VTD_S1, VendorData.vtdS1(0, t.root, 48)));
        rig.core.attach(rig.ctx, devId, hwpt);
        return hwpt;
    }
}
