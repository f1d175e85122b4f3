package dev.ioasid.consumer.vdpa.internal;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.stream.Collectors;

import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

import dev.ioasid.api.Area;
import dev.ioasid.api.Context;
import dev.ioasid.api.DeviceInfo;
import dev.ioasid.api.Errno;
import dev.ioasid.api.HwptAlloc;
import dev.ioasid.api.HwptFlags;
import dev.ioasid.api.Ioasid;
import dev.ioasid.api.MapFlags;
import dev.ioasid.api.ObjectInfo;
import dev.ioasid.api.ObjectType;
import dev.ioasid.consumer.vdpa.VdpaDevice;
import dev.ioasid.consumer.vdpa.VhostIotlbMsg;
import dev.ioasid.consumer.vdpa.VirtioNet;
import dev.ioasid.consumer.vfio.VfioDevice;
import dev.ioasid.consumer.vfio.WqCompletion;
import dev.ioasid.consumer.vfio.WqDescriptor;
import dev.ioasid.consumer.vfio.internal.VfioComponent;
import dev.ioasid.core.conformance.ConformanceBackend;
import dev.ioasid.core.conformance.ConformanceBase;
import dev.ioasid.core.conformance.MockBackend;

/**
 * One VFIO device and one vDPA device in the same VM context, sharing one IOAS ([T1]): the core's state shows that
 * both adapters ran the same core operations (the same kind of HWPT on the same IOAS, attachments by RID and by
 * PASID), that every PASID in use came from the core's one allocator on the VMM's request, and that a vDPA IOTLB
 * message is nothing but a map of that IOAS, which the VFIO device then reaches too.
 */
class SideBySideTest extends ConformanceBase {
    static final long RAM = 0x40000;
    static final int EXTRA = 0x10000;

    VfioComponent vfio;
    VdpaComponent vdpa;

    @Override
    protected ConformanceBackend backend() {
        return new MockBackend();
    }

    @Override
    protected String machineText() {
        return "memory 8G\n" + backend().unitLine() + "\n"
                + "device 0000:00:01.0 u0 name=dsa0 pasid=20 wqs=4\n"
                + "device 0000:00:03.0 u0 name=vdpa0 pasid=20 vdpa=net\n";
    }

    @BeforeEach
    void startAdapters() {
        vfio = new VfioComponent(machine, core, core);
        vdpa = new VdpaComponent(machine, core, core, core);
    }

    @AfterEach
    void stopAdapters() {
        vdpa.deactivate();
        vfio.deactivate();
    }

    private long gpa(long offset) {
        return backend().aperture().start() + offset;
    }

    /** HWPT id to the ids it depends on, from the context's object list. */
    private static Map<Integer, List<Integer>> hwptDeps(Context c) {
        Map<Integer, List<Integer>> out = new TreeMap<>();
        for (ObjectInfo o : c.objects()) {
            if (o.type() == ObjectType.HWPT_PAGING) {
                out.put(o.id(), o.dependsOn());
            }
        }
        return out;
    }

    @Test
    void oneVfioAndOneVdpaDeviceShareOneIoasAndOneAllocator() {
        Context vm = ctx;
        // the VMM: the guest's RAM in one IOAS, a second IOAS for the control virtqueue, two PASIDs from the core
        int ioas = core.ioasAlloc(vm);
        long ram = vm.memory().mmap(RAM);
        core.ioasMap(vm, ioas, ram, RAM, gpa(0), MapFlags.FIXED_IOVA | MapFlags.READABLE | MapFlags.WRITEABLE);
        int cvqIoas = core.ioasAlloc(vm);
        Ioasid wqPasid = core.alloc(vm);
        Ioasid cvqPasid = core.alloc(vm);

        // VFIO: the RID and work queue 0's PASID on the shared IOAS
        VfioDevice dsa = vfio.device("dsa0");
        int dsaId = dsa.bindIommufd(vm);
        int dsaHwpt = core.hwptAlloc(vm, HwptAlloc.paging(dsaId, ioas, HwptFlags.PASID));
        assertEquals(dsaHwpt, dsa.attachPt(dsaHwpt));
        assertEquals(dsaHwpt, dsa.attachPt(dsaHwpt, wqPasid.hwId()));
        dsa.wqEnable(0, wqPasid.hwId());

        // vDPA: AS 0 (rx, tx) on the same IOAS by RID, AS 1 (ctrl) on its own IOAS with the other PASID
        VdpaDevice net = vdpa.device("vdpa0");
        int netId = net.bindIommufd(vm);
        int netHwpt = net.attachAs(0, ioas);
        int cvqHwpt = net.attachAs(1, cvqIoas, cvqPasid.hwId());
        net.setGroupAsid(VirtioNet.GROUP_CTRL, 1);

        // the core's state: two devices, three paging HWPTs made by the same core call, two on the one IOAS
        List<Integer> devices = vm.objects().stream().filter(o -> o.type() == ObjectType.DEVICE).map(ObjectInfo::id).collect(Collectors.toList());
        assertEquals(List.of(dsaId, netId), devices);
        assertEquals(new TreeMap<>(Map.of(dsaHwpt, List.of(ioas), netHwpt, List.of(ioas), cvqHwpt, List.of(cvqIoas))), hwptDeps(vm));
        DeviceInfo dsaInfo = core.device(vm, dsaId);
        DeviceInfo netInfo = core.device(vm, netId);
        assertEquals(dsaHwpt, dsaInfo.ridHwpt());
        assertEquals(Map.of(wqPasid.hwId(), dsaHwpt), dsaInfo.pasidHwpts());
        assertEquals(netHwpt, netInfo.ridHwpt());
        assertEquals(Map.of(cvqPasid.hwId(), cvqHwpt), netInfo.pasidHwpts());
        // every PASID in use is one the VMM asked the core for: neither adapter allocated one
        assertEquals(List.of(wqPasid, cvqPasid), core.list(vm));
        assertEquals(2, core.hwIdsInUse(), "the machine-wide hardware id space holds exactly the VMM's two");
        assertNotEquals(wqPasid.hwId(), cvqPasid.hwId());

        // a vDPA IOTLB UPDATE on AS 0 is an IOAS map: it shows in the IOAS, and the VFIO work queue reaches it
        long extra = vm.memory().mmap(EXTRA);
        String text = "mapped by a vDPA IOTLB message";
        vm.memory().write(extra, text.getBytes(StandardCharsets.UTF_8));
        net.processIotlbMsg(VhostIotlbMsg.update(0, gpa(RAM), EXTRA, extra, VhostIotlbMsg.RW));
        assertTrue(core.ioasAreas(vm, ioas).contains(new Area(gpa(RAM), EXTRA, MapFlags.READABLE | MapFlags.WRITEABLE, extra, null, 0)));
        WqCompletion c = dsa.submit(0, WqDescriptor.memmove(gpa(RAM), gpa(0x30000), text.length()));
        assertTrue(c.ok(), c::toString);
        assertEquals(text, new String(vm.memory().read(ram + 0x30000, text.length()), StandardCharsets.UTF_8));

        // the net device's rings in guest RAM (the VMM's mapping), the ctrl ring in memory mapped on AS 1
        NetDriver drv = new NetDriver(vm.memory(), net);
        NetDriver.Region data = drv.adopt(ram, gpa(0), NetDriver.REGION);
        NetDriver.Region control = drv.region(gpa(0x100000), NetDriver.REGION);
        net.processIotlbMsg(NetDriver.update(1, control));
        assertEquals(List.of(control.iova()), core.ioasAreas(vm, cvqIoas).stream().map(Area::iova).collect(Collectors.toList()));
        drv.start(data, control);
        byte[] mac = { 0x52, 0x54, 0, 0x12, 0x34, 0x56 };
        long ack = drv.setMac(mac);
        drv.postRx();
        drv.send(NetDriver.frame(mac, "through the shared IOAS"));
        assertEquals(3, net.kick(VirtioNet.TX));
        assertEquals(VirtioNet.CTRL_OK, drv.read(ack, 1)[0]);
        List<int[]> used = drv.rx.takeUsed();
        assertEquals(1, used.size());
        // the VFIO device copies the received frame out of the rx buffer: both devices DMA the same guest RAM
        long rxBuffer = drv.rx.bufferOf(used.get(0)[0]);
        int len = used.get(0)[1];
        assertTrue(dsa.submit(0, WqDescriptor.memmove(rxBuffer, gpa(0x38000), len)).ok());
        assertEquals("through the shared IOAS", NetDriver.payload(vm.memory().read(ram + 0x38000, len)));

        // a vDPA INVALIDATE is an IOAS unmap: the VFIO work queue loses the range too
        net.processIotlbMsg(VhostIotlbMsg.invalidate(0, gpa(RAM), EXTRA));
        c = dsa.submit(0, WqDescriptor.memmove(gpa(RAM), gpa(0x30000), 4));
        assertEquals(WqCompletion.PAGE_FAULT, c.status());
        assertEquals(gpa(RAM), c.faultAddress());

        // closing both leaves exactly what the VMM made
        dsa.close();
        net.close();
        assertEquals(new TreeMap<>(Map.of(dsaHwpt, List.of(ioas))), hwptDeps(vm));
        assertEquals(List.of(), vm.objects().stream().filter(o -> o.type() == ObjectType.DEVICE).collect(Collectors.toList()));
        assertEquals(List.of(wqPasid, cvqPasid), core.list(vm));
    }

    @Test
    void aPasidIsUsableOnlyInTheContextThatGotIt() {
        Context other = core.open("other");
        Ioasid mine = core.alloc(ctx);
        int ioas = core.ioasAlloc(other);
        VdpaDevice net = vdpa.device("vdpa0");
        VfioDevice dsa = vfio.device("dsa0");
        int netId = net.bindIommufd(other);
        int dsaId = dsa.bindIommufd(other);
        int hwpt = core.hwptAlloc(other, HwptAlloc.paging(dsaId, ioas, HwptFlags.PASID));
        expectErrno(Errno.ENOENT, () -> net.attachAs(1, ioas, mine.hwId()));
        expectErrno(Errno.ENOENT, () -> dsa.attachPt(hwpt, mine.hwId()));
        assertEquals(Map.of(), core.device(other, netId).pasidHwpts());
        assertEquals(Map.of(), core.device(other, dsaId).pasidHwpts());
        Ioasid theirs = core.alloc(other);
        assertNotEquals(mine.hwId(), theirs.hwId(), "one global space");
        net.attachAs(1, ioas, theirs.hwId());
        dsa.attachPt(hwpt, theirs.hwId());
        expectErrno(Errno.EBUSY, () -> net.bindIommufd(ctx));
        expectErrno(Errno.EBUSY, () -> dsa.bindIommufd(ctx));
    }
}
