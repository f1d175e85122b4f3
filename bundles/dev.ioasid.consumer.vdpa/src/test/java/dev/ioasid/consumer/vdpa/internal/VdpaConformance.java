package dev.ioasid.consumer.vdpa.internal;

import static dev.ioasid.consumer.vdpa.VirtioNet.CTRL;
import static dev.ioasid.consumer.vdpa.VirtioNet.GROUP_CTRL;
import static dev.ioasid.consumer.vdpa.VirtioNet.GROUP_DATA;
import static dev.ioasid.consumer.vdpa.VirtioNet.RX;
import static dev.ioasid.consumer.vdpa.VirtioNet.TX;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.List;
import java.util.Map;
import java.util.stream.Collectors;

import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

import dev.ioasid.api.Area;
import dev.ioasid.api.DeviceInfo;
import dev.ioasid.api.Errno;
import dev.ioasid.api.Ioasid;
import dev.ioasid.api.IommuException;
import dev.ioasid.api.MapFlags;
import dev.ioasid.api.MemFile;
import dev.ioasid.api.ObjectType;
import dev.ioasid.api.PciAddress;
import dev.ioasid.consumer.vdpa.AddressSpace;
import dev.ioasid.consumer.vdpa.VdpaDevice;
import dev.ioasid.consumer.vdpa.VhostIotlbMsg;
import dev.ioasid.consumer.vdpa.VirtioNet;
import dev.ioasid.core.conformance.ConformanceBase;
import dev.ioasid.machine.Access;

/**
 * The vhost-vdpa device over the core, on whatever backend drives unit u0: address spaces backed by IOASes,
 * IOTLB messages as IOAS map and unmap, the loopback, the ctrl virtqueue in its own PASID-tagged address space.
 */
public abstract class VdpaConformance extends ConformanceBase {
    protected static final PciAddress VDPA0 = PciAddress.parse("00:03.0");
    protected static final byte[] MAC0 = { 0x52, 0x54, 0, 0, 0, 3 };
    protected static final byte[] MAC2 = { 0x52, 0x54, 0, 0x12, 0x34, 0x56 };
    protected static final long REGION = NetDriver.REGION;
    protected static final int RW = MapFlags.READABLE | MapFlags.WRITEABLE;

    protected VdpaComponent vdpa;
    protected VdpaDevice dev;
    protected NetDriver drv;

    @Override
    protected String machineText() {
        return "memory 8G\n" + backend().unitLine() + "\n"
                + "device 0000:00:01.0 u0 name=dsa0 pasid=20 wqs=4\n"
                + "device 0000:00:03.0 u0 name=vdpa0 pasid=20 vdpa=net mac=52:54:00:00:00:03\n"
                + "device 0000:00:04.0 u0 name=vdpa1 vdpa=net\n"
                + "device 0000:00:05.0 u0 name=blk0 vdpa=blk\n";
    }

    @BeforeEach
    void startVdpa() {
        vdpa = new VdpaComponent(machine, core, core, core);
        dev = vdpa.device("vdpa0");
        drv = new NetDriver(ctx.memory(), dev);
    }

    @AfterEach
    void stopVdpa() {
        vdpa.deactivate();
    }

    /** The n-th region of device addresses inside the backend's aperture. */
    protected long iova(int n) {
        return backend().aperture().start() + n * REGION;
    }

    /** Binds vdpa0 and backs AS 0 with a new IOAS by RID; returns the IOAS. */
    protected int boundWithAs0() {
        dev.bindIommufd(ctx);
        int ioas = ioas();
        dev.attachAs(0, ioas);
        return ioas;
    }

    /** A bound device, AS 0 on an IOAS, and every ring in one region mapped by an IOTLB UPDATE. */
    protected NetDriver.Region mappedDataPath() {
        int ioas = boundWithAs0();
        NetDriver.Region data = drv.region(iova(0), REGION);
        drv.start(data, data);
        dev.processIotlbMsg(NetDriver.update(0, data));
        assertEquals(1, core.ioasAreas(ctx, ioas).size());
        return data;
    }

    private List<String> payloads() {
        return drv.received().stream().map(NetDriver::payload).collect(Collectors.toList());
    }

    @Test
    void theDeviceHasVdpaSimNetsLayout() {
        assertEquals(List.of("vdpa0", "vdpa1"), vdpa.devices().stream().map(VdpaDevice::name).collect(Collectors.toList()));
        expectErrno(Errno.ENODEV, () -> vdpa.device("dsa0"));
        expectErrno(Errno.ENODEV, () -> vdpa.device("blk0"));
        expectErrno(Errno.ENODEV, () -> vdpa.device("nosuch"));
        assertEquals(VDPA0, vdpa.device("0000:00:03.0").address());
        assertEquals(VirtioNet.VIRTIO_ID_NET, dev.getDeviceId());
        assertEquals(3, dev.getVqsCount());
        assertEquals(2, dev.getGroupNum());
        assertEquals(2, dev.getAsNum());
        assertEquals(GROUP_DATA, dev.getVringGroup(RX));
        assertEquals(GROUP_DATA, dev.getVringGroup(TX));
        assertEquals(GROUP_CTRL, dev.getVringGroup(CTRL));
        expectErrno(Errno.EINVAL, () -> dev.getVringGroup(3));
        expectErrno(Errno.EINVAL, () -> dev.getVringGroup(-1));
        assertEquals(0, dev.getGroupAsid(GROUP_DATA));
        assertEquals(0, dev.getGroupAsid(GROUP_CTRL));
        // SET_GROUP_ASID: asid >= the AS count and group >= the group count are EINVAL
        expectErrno(Errno.EINVAL, () -> dev.setGroupAsid(GROUP_CTRL, 2));
        expectErrno(Errno.EINVAL, () -> dev.setGroupAsid(2, 1));
        expectErrno(Errno.EINVAL, () -> dev.setGroupAsid(-1, 0));
        assertEquals(0, dev.getGroupAsid(GROUP_CTRL));
        dev.setGroupAsid(GROUP_CTRL, 1);
        assertEquals(1, dev.getGroupAsid(GROUP_CTRL));
        assertEquals(0, dev.getGroupAsid(GROUP_DATA));
        assertArrayEquals(MAC0, dev.getConfig(0, 6));
        assertArrayEquals(new byte[] { 0x52, 0x54, 0, 0, 0, 0x20 }, vdpa.device("vdpa1").getConfig(0, 6), "a MAC made from the RID");
        assertArrayEquals(new byte[] { 1, 0, 1, 0, (byte) 0xdc, 5 }, dev.getConfig(6, 6), "link up, 1 queue pair, MTU 1500");
    }

    @Test
    void theLoopbackPassesTrafficOnlyAfterTheDataGroupIsMapped() {
        NetDriver.Region data = drv.region(iova(0), REGION);
        drv.start(data, data);
        drv.postRx();
        drv.send(NetDriver.frame(MAC0, "hello"));

        // not bound: no address space reaches anything, and nothing leaves the device
        assertEquals(0, dev.kick(TX));
        assertTrue(dev.vring(TX).lastFault().contains("no IOAS"), dev.vring(TX)::toString);

        int devId = dev.bindIommufd(ctx);
        int ioas = ioas();
        int hwpt = dev.attachAs(0, ioas);
        assertEquals(new AddressSpace(0, ioas, hwpt, VdpaDevice.NO_PASID), dev.addressSpace(0));
        assertEquals(hwpt, core.device(ctx, devId).ridHwpt());
        // attached, nothing mapped: the IOMMU faults on the first ring access
        assertEquals(0, dev.kick(TX));
        assertTrue(dev.vring(TX).lastFault().startsWith("DMA read fault"), dev.vring(TX)::toString);
        assertEquals(0, dev.vring(TX).lastAvail());
        assertEquals(List.of(), payloads());
        assertEquals(0, dev.stats().txPackets());

        dev.processIotlbMsg(NetDriver.update(0, data));
        assertEquals(List.of(new Area(data.iova(), REGION, RW, data.va(), null, 0)), core.ioasAreas(ctx, ioas), "the UPDATE is an IOAS map");
        assertEquals(2, dev.kick(TX));
        assertNull(dev.vring(TX).lastFault());
        assertEquals(List.of("hello"), payloads());
        assertEquals(1, drv.tx.takeUsed().size());
        assertEquals(1, dev.stats().txPackets());
        assertEquals(1, dev.stats().rxPackets());
        assertEquals(NetDriver.frame(MAC0, "hello").length, dev.stats().rxBytes());

        // INVALIDATE is an IOAS unmap: the device is cut off again
        dev.processIotlbMsg(VhostIotlbMsg.invalidate(0, data.iova(), data.length()));
        assertEquals(List.of(), core.ioasAreas(ctx, ioas));
        drv.postRx();
        drv.send(NetDriver.frame(MAC0, "again"));
        assertEquals(0, dev.kick(TX));
        assertNotNull(dev.vring(TX).lastFault());
        dev.processIotlbMsg(NetDriver.update(0, data));
        assertEquals(2, dev.kick(RX), "a kick on any virtqueue runs the device's work");
        assertEquals(List.of("again"), payloads());
    }

    @Test
    void theReceiveFilterDropsOtherMacsAndNoRxBufferIsAnOverrun() {
        mappedDataPath();
        drv.postRx();
        drv.send(NetDriver.frame(MAC2, "not for us"));
        assertEquals(1, dev.kick(TX), "the tx chain completes");
        assertEquals(List.of(), payloads());
        assertEquals(1, dev.stats().rxDrops());
        drv.send(NetDriver.frame(new byte[] { -1, -1, -1, -1, -1, -1 }, "broadcast"));
        assertEquals(2, dev.kick(TX));
        assertEquals(List.of("broadcast"), payloads());
        drv.send(NetDriver.frame(MAC0, "no buffer"));
        assertEquals(1, dev.kick(TX));
        assertEquals(1, dev.stats().rxOverruns());
        assertEquals(3, dev.stats().txPackets());
        assertEquals(1, dev.stats().rxPackets());
    }

    @Test
    void theCtrlVirtqueueSetsTheMac() {
        mappedDataPath();
        long ack = drv.setMac(MAC2);
        assertEquals(1, dev.kick(CTRL));
        assertEquals(VirtioNet.CTRL_OK, drv.read(ack, 1)[0]);
        assertEquals(1, drv.ctrl.takeUsed().get(0)[1], "the device wrote one byte");
        assertArrayEquals(MAC2, dev.getConfig(0, 6));
        // the receive filter follows the new MAC
        drv.postRx();
        drv.send(NetDriver.frame(MAC0, "old mac"));
        drv.send(NetDriver.frame(MAC2, "new mac"));
        dev.kick(TX);
        assertEquals(List.of("new mac"), payloads());
        assertEquals(1, dev.stats().rxDrops());
        // an unknown command is acked with an error
        ack = drv.command(new byte[] { 9, 9 }, drv.ctrl.slot(), drv.ctrl.slot());
        assertEquals(1, dev.kick(CTRL));
        assertEquals(VirtioNet.CTRL_ERR, drv.read(ack, 1)[0]);
        assertEquals(2, dev.stats().ctrlCommands());
        assertEquals(1, dev.stats().ctrlErrors());
    }

    @Test
    void movingTheCtrlGroupToAs1IsolatesIt() {
        int devId = dev.bindIommufd(ctx);
        Ioasid p = core.alloc(ctx);
        int ioas0 = ioas();
        int ioas1 = ioas();
        int h0 = dev.attachAs(0, ioas0);
        int h1 = dev.attachAs(1, ioas1, p.hwId());
        DeviceInfo info = core.device(ctx, devId);
        assertEquals(h0, info.ridHwpt());
        assertEquals(Map.of(p.hwId(), h1), info.pasidHwpts(), "AS 1 is (RID, PASID) on its own HWPT");
        NetDriver.Region data = drv.region(iova(0), REGION);
        NetDriver.Region control = drv.region(iova(1), REGION);
        drv.start(data, control);
        dev.processIotlbMsg(NetDriver.update(0, data));
        dev.processIotlbMsg(NetDriver.update(1, control));
        assertEquals(List.of(data.iova()), core.ioasAreas(ctx, ioas0).stream().map(Area::iova).collect(Collectors.toList()));
        assertEquals(List.of(control.iova()), core.ioasAreas(ctx, ioas1).stream().map(Area::iova).collect(Collectors.toList()));

        // while the ctrl group is in AS 0, its ring (in AS 1's memory) is out of reach; the data path works
        long ack = drv.setMac(MAC2);
        drv.postRx();
        drv.send(NetDriver.frame(MAC0, "data path"));
        assertEquals(2, dev.kick(TX));
        assertEquals(List.of("data path"), payloads());
        assertNotNull(dev.vring(CTRL).lastFault());
        assertArrayEquals(MAC0, dev.getConfig(0, 6));

        dev.setGroupAsid(GROUP_CTRL, 1);
        assertEquals(1, dev.kick(CTRL));
        assertEquals(VirtioNet.CTRL_OK, drv.read(ack, 1)[0]);
        assertArrayEquals(MAC2, dev.getConfig(0, 6));

        // the data path cannot reach ctrl buffers: a tx buffer at a ctrl address faults, nothing is delivered
        long ctrlBuffer = control.iova() + REGION - NetDriver.SLOT;
        drv.postRx();
        drv.send(NetDriver.frame(MAC2, "leak"), ctrlBuffer);
        assertEquals(0, dev.kick(TX));
        assertTrue(dev.vring(TX).lastFault().contains(String.format("at iova 0x%x", ctrlBuffer)), dev.vring(TX)::toString);
        assertEquals(List.of(), payloads());
        // and the reverse: a command in a data buffer faults, and the MAC stays
        long dataBuffer = data.iova() + REGION - NetDriver.SLOT;
        drv.command(new byte[] { VirtioNet.CTRL_MAC, VirtioNet.CTRL_MAC_ADDR_SET, 1, 2, 3, 4, 5, 6 }, dataBuffer, drv.ctrl.slot());
        assertEquals(0, dev.kick(CTRL));
        assertTrue(dev.vring(CTRL).lastFault().contains(String.format("at iova 0x%x", dataBuffer)), dev.vring(CTRL)::toString);
        assertArrayEquals(MAC2, dev.getConfig(0, 6));

        // what the IOMMU itself says about the two tags
        assertTrue(machine.dma().read(VDPA0, Access.NO_PASID, data.iova(), 4).ok());
        assertTrue(machine.dma().read(VDPA0, p.hwId(), control.iova(), 4).ok());
        assertFalse(machine.dma().read(VDPA0, Access.NO_PASID, control.iova(), 4).ok());
        assertFalse(machine.dma().read(VDPA0, p.hwId(), data.iova(), 4).ok());
    }

    @Test
    void aBatchAppliesAtEndAndOneThatFailsMidwayAppliesNothing() {
        int ioas = boundWithAs0();
        NetDriver.Region a = drv.region(iova(0), REGION);
        NetDriver.Region b = drv.region(iova(1), REGION);
        NetDriver.Region c = drv.region(iova(2), REGION);
        NetDriver.Region e = drv.region(iova(3), REGION);
        NetDriver.Region f = drv.region(iova(5), REGION);
        MemFile file = ctx.memory().createFile("guest-ram", REGION);
        core.ioasMapFile(ctx, ioas, file, 0, REGION, iova(4), MapFlags.FIXED_IOVA | RW);
        dev.processIotlbMsg(NetDriver.update(0, c));
        dev.processIotlbMsg(NetDriver.update(0, e));
        List<Area> before = core.ioasAreas(ctx, ioas);
        long pins = machine.pins().total();
        long frames = machine.frames().framesInUse();
        List<String> objects = objectIds();

        dev.processIotlbMsg(VhostIotlbMsg.batchBegin(0));
        dev.processIotlbMsg(NetDriver.update(0, a));
        dev.processIotlbMsg(NetDriver.update(0, b));
        dev.processIotlbMsg(VhostIotlbMsg.invalidate(0, c.iova(), REGION));
        dev.processIotlbMsg(VhostIotlbMsg.invalidate(0, iova(4), REGION));
        dev.processIotlbMsg(VhostIotlbMsg.update(0, e.iova(), REGION, a.va(), VhostIotlbMsg.RO));
        dev.processIotlbMsg(NetDriver.update(0, f));
        assertEquals(before, core.ioasAreas(ctx, ioas), "nothing is applied before BATCH_END");
        IommuException x = expectErrno(Errno.EEXIST, () -> dev.processIotlbMsg(VhostIotlbMsg.batchEnd(0)));
        assertEquals(4, x.progress(), "the fifth message failed");
        assertEquals(before, core.ioasAreas(ctx, ioas), "the four before it were undone, the memfd area too");
        assertEquals(pins, machine.pins().total());
        assertEquals(frames, machine.frames().framesInUse());
        assertEquals(objects, objectIds(), "the stash IOAS is gone");

        // the batch is closed: the same messages without the bad one apply, all at BATCH_END
        dev.processIotlbMsg(VhostIotlbMsg.batchBegin(0));
        dev.processIotlbMsg(NetDriver.update(0, a));
        dev.processIotlbMsg(VhostIotlbMsg.invalidate(0, c.iova(), REGION));
        dev.processIotlbMsg(VhostIotlbMsg.update(0, c.iova(), REGION, b.va(), VhostIotlbMsg.RO));
        dev.processIotlbMsg(VhostIotlbMsg.invalidate(0, iova(4), REGION));
        assertEquals(before, core.ioasAreas(ctx, ioas));
        dev.processIotlbMsg(VhostIotlbMsg.batchEnd(0));
        assertEquals(List.of(new Area(a.iova(), REGION, RW, a.va(), null, 0), new Area(c.iova(), REGION, MapFlags.READABLE, b.va(), null, 0),
                new Area(e.iova(), REGION, RW, e.va(), null, 0)), core.ioasAreas(ctx, ioas));
        assertEquals(objects, objectIds());
    }

    @Test
    void iotlbMessageErrnoRules() {
        int ioas = boundWithAs0();
        NetDriver.Region a = drv.region(iova(0), REGION);
        dev.processIotlbMsg(NetDriver.update(0, a));
        List<Area> before = core.ioasAreas(ctx, ioas);
        // vhost's own checks
        expectErrno(Errno.EINVAL, () -> dev.processIotlbMsg(NetDriver.update(2, a)));
        expectErrno(Errno.EINVAL, () -> dev.processIotlbMsg(NetDriver.update(1, a)));
        expectErrno(Errno.EINVAL, () -> dev.processIotlbMsg(VhostIotlbMsg.update(0, iova(1), 0, a.va(), VhostIotlbMsg.RW)));
        expectErrno(Errno.EINVAL, () -> dev.processIotlbMsg(VhostIotlbMsg.update(0, -4096, 8192, a.va(), VhostIotlbMsg.RW)));
        expectErrno(Errno.EINVAL, () -> dev.processIotlbMsg(VhostIotlbMsg.update(0, iova(1), REGION, a.va(), 0)));
        expectErrno(Errno.EINVAL, () -> dev.processIotlbMsg(VhostIotlbMsg.update(0, iova(1), REGION, a.va(), 4)));
        expectErrno(Errno.EINVAL, () -> dev.processIotlbMsg(new VhostIotlbMsg(0, VhostIotlbMsg.MISS, iova(1), REGION, a.va(), 3)));
        expectErrno(Errno.EINVAL, () -> dev.processIotlbMsg(new VhostIotlbMsg(0, VhostIotlbMsg.ACCESS_FAIL, iova(1), REGION, a.va(), 3)));
        expectErrno(Errno.EINVAL, () -> dev.processIotlbMsg(new VhostIotlbMsg(0, 99, iova(1), REGION, a.va(), 3)));
        expectErrno(Errno.EINVAL, () -> dev.processIotlbMsg(VhostIotlbMsg.invalidate(0, iova(1), 0)));
        expectErrno(Errno.EINVAL, () -> dev.processIotlbMsg(VhostIotlbMsg.batchBegin(1)));
        // the IOAS's answers
        expectErrno(Errno.EEXIST, () -> dev.processIotlbMsg(VhostIotlbMsg.update(0, a.iova() + 0x1000, 0x1000, a.va(), VhostIotlbMsg.RW)));
        expectErrno(Errno.EFAULT, () -> dev.processIotlbMsg(VhostIotlbMsg.update(0, iova(1), REGION, 0x7000_0000_0000L, VhostIotlbMsg.RW)));
        expectErrno(Errno.ENOENT, () -> dev.processIotlbMsg(VhostIotlbMsg.invalidate(0, a.iova(), 0x1000)));
        assertEquals(before, core.ioasAreas(ctx, ioas), "no failed message changed anything");
        // an INVALIDATE of a range with nothing in it does nothing, as vhost's
        dev.processIotlbMsg(VhostIotlbMsg.invalidate(0, iova(3), REGION));
        // BATCH_END outside a batch does nothing; inside one, another asid is EINVAL
        dev.processIotlbMsg(VhostIotlbMsg.batchEnd(0));
        dev.processIotlbMsg(VhostIotlbMsg.batchBegin(0));
        expectErrno(Errno.EINVAL, () -> dev.processIotlbMsg(VhostIotlbMsg.batchEnd(1)));
        expectErrno(Errno.EINVAL, () -> dev.processIotlbMsg(VhostIotlbMsg.update(0, iova(1), 0, a.va(), VhostIotlbMsg.RW)));
        dev.processIotlbMsg(VhostIotlbMsg.invalidate(0, a.iova(), REGION));
        dev.processIotlbMsg(VhostIotlbMsg.batchEnd(0));
        assertEquals(List.of(), core.ioasAreas(ctx, ioas));
        // not bound: EINVAL
        dev.close();
        expectErrno(Errno.EINVAL, () -> dev.processIotlbMsg(NetDriver.update(0, a)));
        // the wire format
        VhostIotlbMsg m = VhostIotlbMsg.update(1, 0x1000_0000L, 0x2000, 0x7f00_0000_0000L, VhostIotlbMsg.WO);
        byte[] wire = m.toBytes();
        assertEquals(VhostIotlbMsg.SIZE, wire.length);
        assertArrayEquals(new byte[] { 2, 0, 0, 0, 1, 0, 0, 0 }, java.util.Arrays.copyOf(wire, 8));
        assertEquals(VhostIotlbMsg.WO, wire[32]);
        assertEquals(VhostIotlbMsg.UPDATE, wire[33]);
        assertEquals(m, VhostIotlbMsg.fromBytes(wire));
        expectErrno(Errno.EINVAL, () -> VhostIotlbMsg.fromBytes(new byte[64]));
        expectErrno(Errno.EINVAL, () -> VhostIotlbMsg.fromBytes(new byte[VhostIotlbMsg.SIZE]));
    }

    @Test
    void addressSpaceAttachRules() {
        expectErrno(Errno.EINVAL, () -> dev.attachAs(0, 1));
        int devId = dev.bindIommufd(ctx);
        expectErrno(Errno.EBUSY, () -> dev.bindIommufd(ctx));
        expectErrno(Errno.EBUSY, () -> core.bind(ctx, VDPA0));
        int ioas0 = ioas();
        int ioas1 = ioas();
        Ioasid p = core.alloc(ctx);
        Ioasid q = core.alloc(ctx);
        List<String> objects = objectIds();
        expectErrno(Errno.EINVAL, () -> dev.attachAs(2, ioas0));
        expectErrno(Errno.EINVAL, () -> dev.attachAs(-1, ioas0));
        expectErrno(Errno.EINVAL, () -> dev.attachAs(0, 99)); // HWPT_ALLOC of a bad pt_id
        expectErrno(Errno.ENOENT, () -> dev.attachAs(1, ioas1, p.hwId() + q.hwId() + 1)); // not the context's PASID
        assertEquals(objects, objectIds(), "nothing made for the failed attaches");

        int h0 = dev.attachAs(0, ioas0);
        expectErrno(Errno.EBUSY, () -> dev.attachAs(1, ioas1));
        assertEquals(objects.size() + 1, objectIds().size(), "the HWPT made for the refused attach is gone");
        dev.attachAs(1, ioas1, p.hwId());
        expectErrno(Errno.EBUSY, () -> dev.attachAs(0, ioas0, p.hwId()));
        assertEquals(new AddressSpace(0, ioas0, h0, VdpaDevice.NO_PASID), dev.addressSpace(0));

        // a second attach replaces: same tag, another IOAS; or another tag
        int h2 = dev.attachAs(1, ioas0, p.hwId());
        assertEquals(Map.of(p.hwId(), h2), core.device(ctx, devId).pasidHwpts());
        int h3 = dev.attachAs(1, ioas1, q.hwId());
        assertEquals(Map.of(q.hwId(), h3), core.device(ctx, devId).pasidHwpts());
        List<Integer> hwpts = ctx.objects().stream().filter(o -> o.type() == ObjectType.HWPT_PAGING).map(o -> o.id()).collect(Collectors.toList());
        assertEquals(List.of(h0, h3), hwpts, "replaced HWPTs are destroyed");

        dev.detachAs(1);
        dev.detachAs(1);
        assertEquals(Map.of(), core.device(ctx, devId).pasidHwpts());
        assertFalse(dev.addressSpace(1).attached());
        expectErrno(Errno.EINVAL, () -> vdpa.device("vdpa1").attachAs(0, ioas1));
        vdpa.device("vdpa1").bindIommufd(ctx);
        expectErrno(Errno.EINVAL, () -> vdpa.device("vdpa1").attachAs(1, ioas1, p.hwId()));
    }

    @Test
    void vringStatusAndConfigRules() {
        expectErrno(Errno.EINVAL, () -> dev.setVringNum(0, 0));
        expectErrno(Errno.EINVAL, () -> dev.setVringNum(0, 6));
        expectErrno(Errno.EINVAL, () -> dev.setVringNum(0, 512));
        expectErrno(Errno.EINVAL, () -> dev.setVringNum(3, 8));
        expectErrno(Errno.EINVAL, () -> dev.setVringAddr(0, 8, 0, 0));
        expectErrno(Errno.EINVAL, () -> dev.setVringAddr(0, 0, 1, 0));
        expectErrno(Errno.EINVAL, () -> dev.setVringAddr(0, 0, 0, 2));
        expectErrno(Errno.EINVAL, () -> dev.kick(3));
        expectErrno(Errno.EINVAL, () -> dev.getConfig(0, 0));
        expectErrno(Errno.EINVAL, () -> dev.getConfig(13, 1));
        expectErrno(Errno.E2BIG, () -> dev.getConfig(6, 7));
        dev.setVringNum(1, 256);
        dev.setVringAddr(1, 0x1000, 0x2002, 0x3004);
        dev.setVringEnable(1, true);
        assertEquals(new dev.ioasid.consumer.vdpa.VringState(1, GROUP_DATA, 256, 0x1000, 0x2002, 0x3004, true, 0, 0, null), dev.vring(1));
        dev.setStatus(VirtioNet.STATUS_ACKNOWLEDGE | VirtioNet.STATUS_DRIVER);
        expectErrno(Errno.EINVAL, () -> dev.setStatus(VirtioNet.STATUS_ACKNOWLEDGE));
        dev.setGroupAsid(GROUP_CTRL, 1);
        dev.setStatus(0);
        assertEquals(0, dev.getStatus());
        assertEquals(0, dev.getGroupAsid(GROUP_CTRL), "a reset puts every group back in AS 0");
        assertEquals(0, dev.vring(1).num());
        assertFalse(dev.vring(1).ready());
    }

    @Test
    void closeReleasesEverythingTheDeviceHeld() {
        int ioas0 = ioas();
        int ioas1 = ioas();
        Ioasid p = core.alloc(ctx);
        NetDriver.Region data = drv.region(iova(0), REGION);
        ctx.memory().write(data.va(), new byte[(int) REGION]);
        long frames = machine.frames().framesInUse();
        long pins = machine.pins().total();
        List<String> objects = objectIds();

        dev.bindIommufd(ctx);
        dev.attachAs(0, ioas0);
        dev.attachAs(1, ioas1, p.hwId());
        drv.start(data, data);
        dev.processIotlbMsg(NetDriver.update(0, data));
        dev.processIotlbMsg(VhostIotlbMsg.batchBegin(0));
        drv.postRx();
        drv.send(NetDriver.frame(MAC0, "x"));
        assertEquals(2, dev.kick(TX));
        assertTrue(machine.frames().framesInUse() > frames, "the domains hold table frames");

        dev.close();
        assertFalse(dev.isBound());
        assertEquals(0, dev.getStatus());
        assertFalse(dev.addressSpace(0).attached());
        assertEquals(objects, objectIds(), "the device and the HWPTs made for it are gone");
        assertEquals(frames, machine.frames().framesInUse(), "table frames are back");
        // the IOAS and the mapping the UPDATE made are the VMM's
        assertEquals(1, core.ioasAreas(ctx, ioas0).size());
        core.ioasUnmap(ctx, ioas0, data.iova(), data.length());
        assertEquals(pins, machine.pins().total());
        assertEquals(List.of(p), core.list(ctx), "the PASID is the VMM's");
        // a new open finds a fresh device, and no open batch
        dev.bindIommufd(ctx);
        dev.attachAs(0, ioas0);
        dev.processIotlbMsg(NetDriver.update(0, data));
        assertEquals(1, core.ioasAreas(ctx, ioas0).size(), "applied at once: the batch did not survive the close");
    }

    @Test
    void losingTheBindingBehindTheDevicesBackResetsIt() {
        int ioas = ioas();
        List<String> objects = objectIds();
        int devId = dev.bindIommufd(ctx);
        dev.attachAs(0, ioas);
        dev.setGroupAsid(GROUP_CTRL, 1);
        core.unbind(ctx, devId);
        assertFalse(dev.isBound(), "the device noticed that the core unbound it");
        assertEquals(objects, objectIds(), "and destroyed the HWPT it had made");
        assertEquals(0, dev.getGroupAsid(GROUP_CTRL));
        assertFalse(dev.addressSpace(0).attached());

        dev.bindIommufd(ctx);
        dev.attachAs(0, ioas);
        ctx.close();
        assertFalse(dev.isBound());
        expectErrno(Errno.EINVAL, dev::devId);
        ctx = core.open("again");
        assertEquals(1, dev.bindIommufd(ctx));
    }

    /** The context's objects as "id type", without their details (which change with areas and alignment). */
    private List<String> objectIds() {
        return ctx.objects().stream().map(o -> o.id() + " " + o.type()).collect(Collectors.toList());
    }
}
