package dev.ioasid.backend.smmuv3.internal;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;

import dev.ioasid.api.Context;
import dev.ioasid.api.HwptAlloc;
import dev.ioasid.api.HwptDataType;
import dev.ioasid.api.HwptFlags;
import dev.ioasid.api.MapFlags;
import dev.ioasid.api.PciAddress;
import dev.ioasid.core.internal.IommuCore;
import dev.ioasid.machine.UserAddressSpace;

/**
 * A VM with a guest SMMUv3 driver: its RAM is mapped at GPA 0 of an IOAS (the stage 2 parent follows it), and
 * the guest writes its own CD table and stage 1 tables into that RAM, in the spec's format, at GPAs. The host
 * only turns the guest's STE into a nested HWPT attached to the device's RID.
 */
final class GuestSmmu {
    static final long RAM = 16L << 20;
    static final long CD_TABLE = 0x10000;
    static final int S1CDMAX = 2;

    final IommuCore core;
    final Context vm;
    final long ram;
    final int ioas;
    final int dev;
    final int parent;
    int nested;

    GuestSmmu(IommuCore core, String name, PciAddress device) {
        this.core = core;
        this.vm = core.open(name);
        this.ram = vm.memory().mmap(RAM);
        this.ioas = core.ioasAlloc(vm);
        core.ioasMap(vm, ioas, ram, RAM, 0, MapFlags.FIXED_IOVA | MapFlags.READABLE | MapFlags.WRITEABLE);
        this.dev = core.bind(vm, device);
        this.parent = core.hwptAlloc(vm, HwptAlloc.paging(dev, ioas, HwptFlags.NEST_PARENT));
    }

    void write64(long gpa, long value) {
        vm.memory().write(ram + gpa, ByteBuffer.allocate(8).order(ByteOrder.LITTLE_ENDIAN).putLong(value).array());
    }

    void writeString(long gpa, String s) {
        vm.memory().write(ram + gpa, s.getBytes(StandardCharsets.UTF_8));
    }

    /** The host physical address behind a GPA (what a malicious guest might try to name). */
    long hostPhysical(long gpa) {
        return ((UserAddressSpace) vm.memory()).physical(ram + gpa);
    }

    /** A 4-level stage 1 table at {@code base} (4 pages) mapping the 4K page of {@code va} to {@code dataGpa}. */
    void s1Tables(long base, long va, long dataGpa) {
        long[] idx = { va >>> 39 & 0x1ff, va >>> 30 & 0x1ff, va >>> 21 & 0x1ff, va >>> 12 & 0x1ff };
        for (int l = 0; l < 3; l++) {
            write64(base + l * 0x1000L + idx[l] * 8, Lpae.tableDescriptor(base + (l + 1) * 0x1000L, Lpae.Granule.G4K));
        }
        write64(base + 3 * 0x1000L + idx[3] * 8, Lpae.s1Leaf(dataGpa, Lpae.Granule.G4K, 3, true, true, false, false));
    }

    /** The guest's CD for one process: ASID, its tables. */
    void cd(int ssid, int asid, long ttb0) {
        Cd cd = new Cd.Builder().V(true).AA64(true).A(true).R(true).T0SZ(16).TG0(0).EPD1(true).IPS(5).ASID(asid).TTB0(ttb0).build();
        for (int i = 0; i < Cd.DWORDS; i++) {
            write64(CD_TABLE + (long) ssid * Cd.SIZE + 8 * i, cd.dword(i));
        }
    }

    /** The guest's STE words: stage 1 through its own CD table at a GPA; transactions without SSID terminate. */
    static byte[] steData(long cdTableGpa, int s1cdmax) {
        Ste ste = new Ste.Builder().V(true).Config(Ste.CONFIG_S1).S1ContextPtr(cdTableGpa).S1CDMax(s1cdmax).S1DSS(Ste.S1DSS_TERMINATE).build();
        return ByteBuffer.allocate(16).order(ByteOrder.LITTLE_ENDIAN).putLong(ste.dword(0)).putLong(ste.dword(1)).array();
    }

    /** The host: a nested HWPT of the guest's STE, attached to the RID. It covers every SSID. */
    int attachNested() {
        nested = core.hwptAlloc(vm, HwptAlloc.nested(dev, parent, HwptDataType.ARM_SMMUV3, steData(CD_TABLE, S1CDMAX)));
        core.attach(vm, dev, nested);
        return nested;
    }

    /** The guest's invalidation commands, through IOMMU_HWPT_INVALIDATE. */
    int invalidate(long[]... cmds) {
        ByteBuffer b = ByteBuffer.allocate(16 * cmds.length).order(ByteOrder.LITTLE_ENDIAN);
        for (long[] c : cmds) {
            b.putLong(c[0]).putLong(c[1]);
        }
        return core.hwptInvalidate(vm, nested, HwptDataType.INVALIDATE_ARM_SMMUV3, 16, b.array(), cmds.length);
    }
}
