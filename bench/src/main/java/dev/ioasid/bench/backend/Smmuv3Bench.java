package dev.ioasid.bench.backend;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

import dev.ioasid.api.HwptAlloc;
import dev.ioasid.api.HwptDataType;
import dev.ioasid.api.IovaRange;
import dev.ioasid.api.VendorData;
import dev.ioasid.backend.smmuv3.internal.Smmuv3Unit;
import dev.ioasid.machine.Machine;
import dev.ioasid.machine.UnitDescription;
import dev.ioasid.spi.IommuUnit;

/**
 * The Arm SMMUv3 model, server profile: plain paging domains are 4-level stage 1 with a 4 KiB granule, the TLB
 * is keyed by (VMID, ASID, VA, stage, level). P2's nested walk is the guest's own CD and 4-level stage-1 tables
 * in its RAM, every address of them and the output going through the 4-level stage 2.
 */
public final class Smmuv3Bench implements BenchBackend {
    /** VMSAv8-64: a table descriptor (bits 1:0 = 0b11). */
    private static final long TABLE = 0b11;
    /** A stage-1 4 KiB page: valid page, AttrIndx 1, AP unprivileged read-write, inner shareable, AF, nG. */
    private static final long PAGE = 0b11 | 1L << 2 | 1L << 6 | 3L << 8 | 1L << 10 | 1L << 11;
    /** Where the guest keeps its CD (one, for every transaction: S1CDMax 0). */
    private static final long CD_GPA = GuestTables.TABLES_GPA - Rig.PAGE;

    @Override
    public String name() {
        return "smmuv3";
    }

    @Override
    public String description() {
        return "smmuv3 (server profile, 4-level stage 1 for paging, stage 2 for nest parents, 4 KiB granule)";
    }

    @Override
    public String unitLine(String unitId) {
        return "unit " + unitId + " smmuv3 profile=server";
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
    public IovaRange mappable() {
        // above the MSI window every device reserves (0x08000000-0x080fffff), below the guest's tables of P2
        return new IovaRange(Rig.GIB, GuestTables.TABLES_GPA - 2 * Rig.PAGE);
    }

    @Override
    public long tableFrames(List<IommuUnit> units) {
        long n = 0;
        for (IommuUnit u : units) {
            n += ((Smmuv3Unit) u).domainTableFrames();
        }
        return n;
    }

    @Override
    public String flatWalk() {
        return "4-level stage 1";
    }

    @Override
    public String nestedWalk() {
        return "guest CD and 4-level stage 1 over the 4-level stage 2";
    }

    @Override
    public int attachNested(Rig rig, int devId, int parentHwptId, long iova, long length) {
        GuestTables t = new GuestTables(TABLE, PAGE).identity(iova, length);
        t.install(rig, parentHwptId);
        // the CD: T0SZ 16 (48-bit VA), TG0 4K, EPD1, V, IPS 48-bit, AA64, A, ASID 1; TTB0 = the guest's root
        long cd0 = 16 | 1L << 30 | 1L << 31 | 5L << 32 | 1L << 41 | 1L << 46 | 1L << 48;
        long cd1 = t.root & 0x000f_ffff_ffff_fff0L;
        long va = rig.mmap(Rig.PAGE);
        rig.ctx.memory().write(va, ByteBuffer.allocate(64).order(ByteOrder.LITTLE_ENDIAN).putLong(cd0).putLong(cd1).array());
        rig.map(GuestTables.ioasOf(rig, parentHwptId), va, Rig.PAGE, CD_GPA);
        // the guest STE: V, Config S1 (0b101), S1ContextPtr = the CD, S1CDMax 0
        long ste0 = 1 | 0b101L << 1 | (CD_GPA & 0x000f_ffff_ffff_ffc0L);
        int hwpt = rig.core.hwptAlloc(rig.ctx, HwptAlloc.nested(devId, parentHwptId, HwptDataType.ARM_SMMUV3, VendorData.armSmmuv3(ste0, 0)));
        rig.core.attach(rig.ctx, devId, hwpt);
        return hwpt;
    }
}
