package dev.ioasid.backend.smmuv3.internal;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.Map;

import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.function.Executable;

import dev.ioasid.api.Errno;
import dev.ioasid.api.HwptAlloc;
import dev.ioasid.api.HwptDataType;
import dev.ioasid.api.IommuException;
import dev.ioasid.api.ObjectType;
import dev.ioasid.api.UnitEventRecord;
import dev.ioasid.api.ViommuType;
import dev.ioasid.machine.Access;
import dev.ioasid.machine.DmaResult;

/**
 * The core's vIOMMU, vDEVICE and vEVENTQ objects over the SMMUv3 model: a VM's guest SMMU driver allocates a
 * vIOMMU on its stage 2 parent, names its device by a virtual StreamID, makes its nested HWPT on the vIOMMU,
 * invalidates with commands naming the virtual StreamID, and reads its device's events, with the virtual
 * StreamID, from a vEVENTQ.
 */
class ViommuObjectsTest {
    private final CoreFixture f = new CoreFixture();
    private final GuestSmmu g = new GuestSmmu(f.core, "vm1", CoreFixture.GPU);

    @AfterEach
    void close() {
        f.close();
        assertEquals(0, f.machine.pins().total());
    }

    private static void errno(Errno e, Executable x) {
        IommuException ex = assertThrows(IommuException.class, x);
        assertEquals(e, ex.errno(), ex.getMessage());
    }

    private static byte[] cmds(long[]... c) {
        ByteBuffer b = ByteBuffer.allocate(16 * c.length).order(ByteOrder.LITTLE_ENDIAN);
        for (long[] x : c) {
            b.putLong(x[0]).putLong(x[1]);
        }
        return b.array();
    }

    @Test
    void a_guest_smmu_runs_through_vIOMMU_vDEVICE_and_vEVENTQ_objects() {
        var core = f.core;
        var vm = g.vm;
        int plain = core.hwptAlloc(vm, HwptAlloc.paging(g.dev, g.ioas, 0));
        errno(Errno.EINVAL, () -> core.viommuAlloc(vm, g.dev, plain, ViommuType.ARM_SMMUV3, null));
        errno(Errno.EOPNOTSUPP, () -> core.viommuAlloc(vm, g.dev, g.parent, ViommuType.TEGRA241_CMDQV, null));
        errno(Errno.EINVAL, () -> core.viommuAlloc(vm, g.dev, g.parent, ViommuType.ARM_SMMUV3, new byte[8]));
        errno(Errno.ENOENT, () -> core.viommuAlloc(vm, g.dev, 99, ViommuType.ARM_SMMUV3, null));
        int viommu = core.viommuAlloc(vm, g.dev, g.parent, ViommuType.ARM_SMMUV3, null);
        errno(Errno.EBUSY, () -> vm.destroy(g.parent));

        // the guest's process: its data, stage 1 tables and CD at SSID 1, in guest RAM
        g.writeString(0x300000, "through the vIOMMU");
        g.s1Tables(0x100000, 0x4000_0000L, 0x300000);
        g.cd(1, 7, 0x100000);
        int nested = core.hwptAlloc(vm, HwptAlloc.nested(g.dev, viommu, HwptDataType.ARM_SMMUV3, GuestSmmu.steData(GuestSmmu.CD_TABLE, GuestSmmu.S1CDMAX)));
        assertTrue(vm.objects().stream().anyMatch(o -> o.id() == nested && o.dependsOn().contains(viommu)));
        errno(Errno.ENOENT, () -> core.attach(vm, g.dev, nested));
        assertEquals(0, core.device(vm, g.dev).ridHwpt(), "the failed attach left the device blocked");

        int vdev = core.vdeviceAlloc(vm, viommu, g.dev, 0x42);
        errno(Errno.EEXIST, () -> core.vdeviceAlloc(vm, viommu, g.dev, 0x43));
        int nic = core.bind(vm, CoreFixture.NIC);
        errno(Errno.EEXIST, () -> core.vdeviceAlloc(vm, viommu, nic, 0x42));
        core.attach(vm, g.dev, nested);
        DmaResult r = f.machine.dma().read(CoreFixture.GPU, 1, 0x4000_0000L, 18);
        assertTrue(r.ok(), r::toString);
        assertEquals("through the vIOMMU", new String(r.data(), StandardCharsets.UTF_8));

        // guest commands name the virtual StreamID; the vIOMMU runs them for the physical one
        assertEquals(2, core.hwptInvalidate(vm, viommu, HwptDataType.INVALIDATE_ARM_SMMUV3, 16,
                cmds(Commands.cfgiCd(0x42, 1, true), Commands.tlbiNhAsid(0, 7)), 2));
        IommuException e = assertThrows(IommuException.class, () -> core.hwptInvalidate(vm, viommu, HwptDataType.INVALIDATE_ARM_SMMUV3, 16,
                cmds(Commands.tlbiNhAll(0), Commands.cfgiCdAll(0x99)), 2));
        assertEquals(Errno.EIO, e.errno(), "an unknown virtual StreamID");
        assertEquals(1, e.progress());
        errno(Errno.EOPNOTSUPP, () -> core.hwptInvalidate(vm, viommu, HwptDataType.INVALIDATE_VTD_S1, 24, new byte[24], 1));

        // events of the vdevice go to the vEVENTQ, with the virtual StreamID; not to the context's event queue
        int evq = core.eventQueueAlloc(vm, 8);
        int veventq = core.veventqAlloc(vm, viommu, ViommuType.VEVENTQ_ARM_SMMUV3, 4);
        errno(Errno.EEXIST, () -> core.veventqAlloc(vm, viommu, ViommuType.VEVENTQ_ARM_SMMUV3, 4));
        errno(Errno.EOPNOTSUPP, () -> core.veventqAlloc(vm, viommu, 9, 4));
        assertFalse(f.machine.dma().read(CoreFixture.GPU, 2, 0x4000_0000L, 4).ok(), "SSID 2 has no CD");
        List<UnitEventRecord> got = core.eventRead(vm, veventq, 8);
        assertEquals(1, got.size());
        EventRecord rec = EventRecord.fromBytes(got.get(0).data());
        assertEquals(0x42, rec.StreamID(), "the record carries the virtual StreamID");
        assertEquals(EventRecord.C_BAD_CD, rec.ID());
        assertTrue(core.eventRead(vm, evq, 8).isEmpty());

        // dependents hold the vIOMMU
        errno(Errno.EBUSY, () -> vm.destroy(viommu));
        assertEquals(ObjectType.VEVENTQ, vm.objects().stream().filter(o -> o.id() == veventq).findFirst().get().type());
        // unbinding the device makes its vdevice go
        core.replace(vm, g.dev, g.parent);
        core.unbind(vm, g.dev);
        errno(Errno.ENOENT, () -> vm.destroy(vdev));
        vm.destroy(nested);
        vm.destroy(veventq);
        vm.destroy(viommu);
        vm.destroy(g.parent);
    }

    @Test
    void a_vIOMMU_is_rebuilt_with_its_vdevices_when_the_backend_comes_back() {
        var core = f.core;
        var vm = g.vm;
        int viommu = core.viommuAlloc(vm, g.dev, g.parent, ViommuType.ARM_SMMUV3, null);
        core.vdeviceAlloc(vm, viommu, g.dev, 0x42);
        g.writeString(0x300000, "after the swap");
        g.s1Tables(0x100000, 0x4000_0000L, 0x300000);
        g.cd(1, 7, 0x100000);
        int nested = core.hwptAlloc(vm, HwptAlloc.nested(g.dev, viommu, HwptDataType.ARM_SMMUV3, GuestSmmu.steData(GuestSmmu.CD_TABLE, GuestSmmu.S1CDMAX)));
        core.attach(vm, g.dev, nested);
        assertTrue(f.machine.dma().read(CoreFixture.GPU, 1, 0x4000_0000L, 14).ok());

        core.unbindUnit(f.unit);
        f.unit.shutdown();
        assertEquals("NO_BACKEND", f.machine.dma().read(CoreFixture.GPU, 1, 0x4000_0000L, 14).fault().reason());
        Smmuv3Unit again = new Smmuv3Unit(f.machine.unit("smmu0"), f.machine.frames(), f.machine.devicesBehind("smmu0"), Map.of());
        core.bindUnit(again);
        try {
            DmaResult r = f.machine.dma().read(CoreFixture.GPU, 1, 0x4000_0000L, 14);
            assertTrue(r.ok(), r::toString);
            assertEquals("after the swap", new String(r.data(), StandardCharsets.UTF_8));
            assertEquals(1, core.hwptInvalidate(vm, viommu, HwptDataType.INVALIDATE_ARM_SMMUV3, 16, cmds(Commands.cfgiCd(0x42, 1, true)), 1),
                    "the virtual StreamID is known to the new instance");
            assertNotNull(core.domainOf(vm, nested));
        } finally {
            for (var c : core.contexts()) {
                c.close();
            }
            core.unbindUnit(again);
            again.shutdown();
        }
    }
}
