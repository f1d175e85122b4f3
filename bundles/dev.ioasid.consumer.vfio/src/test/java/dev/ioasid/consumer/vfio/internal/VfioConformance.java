package dev.ioasid.consumer.vfio.internal;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.Map;
import java.util.stream.Collectors;

import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

import dev.ioasid.api.Context;
import dev.ioasid.api.Errno;
import dev.ioasid.api.HwptAlloc;
import dev.ioasid.api.HwptFlags;
import dev.ioasid.api.Ioasid;
import dev.ioasid.api.MapFlags;
import dev.ioasid.api.ObjectInfo;
import dev.ioasid.api.ObjectType;
import dev.ioasid.api.PciAddress;
import dev.ioasid.consumer.vfio.VfioDevice;
import dev.ioasid.consumer.vfio.WqCompletion;
import dev.ioasid.consumer.vfio.WqDescriptor;
import dev.ioasid.consumer.vfio.WqState;
import dev.ioasid.core.conformance.ConformanceBase;
import dev.ioasid.machine.Access;

/**
 * The VFIO cdev flow over the core, on whatever backend drives unit u0: bind, attach, DMA through a work queue,
 * replace, detach, and DMA blocked, by RID and by PASID. A backend runs it by naming itself in a subclass, as the
 * core's conformance suite does ({@link dev.ioasid.core.conformance.ConformanceBackend}).
 */
public abstract class VfioConformance extends ConformanceBase {
    protected static final PciAddress DSA0 = PciAddress.parse("00:01.0");
    protected static final PciAddress NIC0 = PciAddress.parse("00:02.0");
    protected static final PciAddress VDPA0 = PciAddress.parse("00:03.0");
    /** Every buffer of these tests is one 64 KiB block, aligned for any backend's granule. */
    protected static final int BLOCK = 0x10000;

    protected VfioComponent vfio;

    @Override
    protected String machineText() {
        return "memory 8G\n" + backend().unitLine() + "\n"
                + "device 0000:00:01.0 u0 name=dsa0 pasid=20 wqs=4\n"
                + "device 0000:00:02.0 u0 name=nic0 wqs=1\n"
                + "device 0000:00:03.0 u0 name=vdpa0 pasid=20 vdpa=net\n";
    }

    @BeforeEach
    void startVfio() {
        vfio = new VfioComponent(machine, core, core);
    }

    @AfterEach
    void stopVfio() {
        vfio.deactivate();
    }

    /** The n-th 64 KiB block of device addresses inside the backend's aperture. */
    protected long iova(int n) {
        return backend().aperture().start() + (long) n * BLOCK;
    }

    /** A block of user memory holding {@code content}, mapped read-write at {@code iova} in an IOAS. Returns its VA. */
    protected long block(int ioas, long iova, String content) {
        long va = buffer(BLOCK);
        if (content != null) {
            ctx.memory().write(va, bytes(content));
        }
        mapFixed(ioas, va, BLOCK, iova);
        return va;
    }

    protected static byte[] bytes(String s) {
        return s.getBytes(StandardCharsets.UTF_8);
    }

    private String read(long va, int length) {
        return new String(ctx.memory().read(va, length), StandardCharsets.UTF_8);
    }

    private List<Integer> idsOf(Context c, ObjectType type) {
        return c.objects().stream().filter(o -> o.type() == type).map(ObjectInfo::id).collect(Collectors.toList());
    }

    @Test
    void everyAssignableDeviceHasACdev() {
        assertEquals(List.of(DSA0, NIC0), vfio.devices().stream().map(VfioDevice::address).collect(Collectors.toList()));
        assertEquals(4, vfio.device("dsa0").wqCount());
        assertEquals(1, vfio.device("0000:00:02.0").wqCount());
        assertEquals(DSA0, vfio.device("00:01.0").address());
        expectErrno(Errno.ENODEV, () -> vfio.device("vdpa0"));
        expectErrno(Errno.ENODEV, () -> vfio.device("nosuch"));
        expectErrno(Errno.ENODEV, () -> vfio.device("00:1f.0"));
        VfioDevice dsa = vfio.device("dsa0");
        assertFalse(dsa.isBound());
        expectErrno(Errno.EINVAL, dsa::devId);
        assertEquals(List.of(new WqState(0, false, VfioDevice.NO_PASID), new WqState(1, false, VfioDevice.NO_PASID),
                new WqState(2, false, VfioDevice.NO_PASID), new WqState(3, false, VfioDevice.NO_PASID)), dsa.wqs());
    }

    @Test
    void ridBindAttachDmaReplaceDetach() {
        VfioDevice nic = vfio.device("nic0");
        int ioasA = ioas();
        int ioasB = ioas();
        String text = "copied through IOAS A";
        block(ioasA, iova(0), text);
        long aDst = block(ioasA, iova(1), null);
        block(ioasB, iova(0), "copied through IOAS B");
        long bDst = block(ioasB, iova(1), null);
        WqDescriptor copy = WqDescriptor.memmove(iova(0), iova(1), text.length());

        int dev = nic.bindIommufd(ctx);
        assertEquals(dev, nic.devId());
        assertTrue(nic.isBound());
        assertEquals(0, core.device(ctx, dev).ridHwpt(), "bound and blocked");
        assertFalse(machine.dma().read(NIC0, Access.NO_PASID, iova(0), 8).ok(), "blocked until attached");
        expectErrno(Errno.EINVAL, () -> nic.wqEnable(0));
        expectErrno(Errno.EPERM, () -> nic.submit(0, copy));

        int hwptA = nic.attachPt(ioasA);
        assertEquals(hwptA, core.device(ctx, dev).ridHwpt());
        nic.wqEnable(0);
        assertEquals(new WqState(0, true, VfioDevice.NO_PASID), nic.wqs().get(0));
        WqCompletion c = nic.submit(0, copy);
        assertTrue(c.ok(), c::toString);
        assertEquals(text.length(), c.bytesCompleted());
        assertEquals(text, read(aDst, text.length()));

        // a second attach replaces the first: the automatic HWPT of IOAS A goes with its last endpoint
        int hwptB = nic.attachPt(ioasB);
        assertNotEquals(hwptA, hwptB);
        assertEquals(hwptB, core.device(ctx, dev).ridHwpt());
        assertFalse(idsOf(ctx, ObjectType.HWPT_PAGING).contains(hwptA));
        c = nic.submit(0, copy);
        assertTrue(c.ok(), c::toString);
        assertEquals("copied through IOAS B", read(bDst, text.length()));

        ctx.memory().write(bDst, new byte[text.length()]);
        nic.detachPt();
        assertEquals(0, core.device(ctx, dev).ridHwpt());
        c = nic.submit(0, copy);
        assertEquals(WqCompletion.PAGE_FAULT, c.status(), c::toString);
        assertEquals(0, c.bytesCompleted());
        assertEquals(iova(0), c.faultAddress());
        assertArrayEquals(new byte[text.length()], ctx.memory().read(bDst, text.length()), "nothing was written");
        assertTrue(nic.wqs().get(0).enabled(), "the queue is still programmed: the IOMMU blocks it");
    }

    @Test
    void pasidBindAttachDmaReplaceDetach() {
        VfioDevice dsa = vfio.device("dsa0");
        int ioasA = ioas();
        int ioasB = ioas();
        String text = "WQ1 with PASID through A";
        block(ioasA, iova(0), text);
        long aDst = block(ioasA, iova(1), null);
        block(ioasB, iova(0), "WQ1 with PASID through B");
        long bDst = block(ioasB, iova(1), null);
        WqDescriptor copy = WqDescriptor.memmove(iova(0), iova(1), text.length());

        int dev = dsa.bindIommufd(ctx);
        int pasid = core.alloc(ctx).hwId();
        int hwptA = core.hwptAlloc(ctx, HwptAlloc.paging(dev, ioasA, HwptFlags.PASID));
        int hwptB = core.hwptAlloc(ctx, HwptAlloc.paging(dev, ioasB, HwptFlags.PASID));
        expectErrno(Errno.EINVAL, () -> dsa.wqEnable(1, pasid));

        assertEquals(hwptA, dsa.attachPt(hwptA, pasid));
        assertEquals(Map.of(pasid, hwptA), core.device(ctx, dev).pasidHwpts());
        assertEquals(0, core.device(ctx, dev).ridHwpt(), "the RID stays blocked");
        expectErrno(Errno.EINVAL, () -> dsa.wqEnable(0));
        dsa.wqEnable(1, pasid);
        assertEquals(new WqState(1, true, pasid), dsa.wqs().get(1));
        WqCompletion c = dsa.submit(1, copy);
        assertTrue(c.ok(), c::toString);
        assertEquals(text, read(aDst, text.length()));
        assertFalse(machine.dma().read(DSA0, Access.NO_PASID, iova(0), 8).ok(), "untagged DMA is blocked");

        assertEquals(hwptB, dsa.attachPt(hwptB, pasid), "a second attach replaces the first");
        assertEquals(Map.of(pasid, hwptB), core.device(ctx, dev).pasidHwpts());
        c = dsa.submit(1, copy);
        assertTrue(c.ok(), c::toString);
        assertEquals("WQ1 with PASID through B", read(bDst, text.length()));

        ctx.memory().write(bDst, new byte[text.length()]);
        dsa.detachPt(pasid);
        assertEquals(Map.of(), core.device(ctx, dev).pasidHwpts());
        c = dsa.submit(1, copy);
        assertEquals(WqCompletion.PAGE_FAULT, c.status(), c::toString);
        assertEquals(iova(0), c.faultAddress());
        assertArrayEquals(new byte[text.length()], ctx.memory().read(bDst, text.length()));

        // the same flow by RID on the same device: the RID's HWPT must be PASID-compatible to sit beside PASIDs
        assertEquals(hwptA, dsa.attachPt(hwptA));
        assertEquals(hwptA, dsa.attachPt(hwptA, pasid));
        dsa.wqEnable(0);
        assertTrue(dsa.submit(0, copy).ok());
        assertTrue(dsa.submit(1, copy).ok());
        dsa.detachPt();
        assertEquals(WqCompletion.PAGE_FAULT, dsa.submit(0, copy).status());
        assertTrue(dsa.submit(1, copy).ok(), "detaching the RID leaves the PASID attached");
    }

    @Test
    void eachWorkQueueDmasThroughItsOwnPasid() {
        // [T2]'s RID1: the RID on the host's IOVA space, WQ1 with PASID-x for VM1, WQ2 with PASID-y for VM2
        VfioDevice dsa = vfio.device("dsa0");
        int host = ioas();
        int vm1 = ioas();
        int vm2 = ioas();
        block(host, iova(0), "host buffer");
        long hostDst = block(host, iova(1), null);
        block(vm1, iova(0), "VM1 memory!");
        long vm1Dst = block(vm1, iova(1), null);
        block(vm2, iova(0), "VM2 memory!");
        long vm2Dst = block(vm2, iova(1), null);
        int dev = dsa.bindIommufd(ctx);
        int d1 = core.hwptAlloc(ctx, HwptAlloc.paging(dev, host, HwptFlags.PASID));
        int d2 = core.hwptAlloc(ctx, HwptAlloc.paging(dev, vm1, HwptFlags.PASID));
        int d3 = core.hwptAlloc(ctx, HwptAlloc.paging(dev, vm2, HwptFlags.PASID));
        int x = core.alloc(ctx).hwId();
        int y = core.alloc(ctx).hwId();
        dsa.attachPt(d1);
        dsa.attachPt(d2, x);
        dsa.attachPt(d3, y);
        dsa.wqEnable(0);
        dsa.wqEnable(1, x);
        dsa.wqEnable(2, y);
        WqDescriptor copy = WqDescriptor.memmove(iova(0), iova(1), 11);
        for (int wq = 0; wq < 3; wq++) {
            WqCompletion c = dsa.submit(wq, copy);
            assertTrue(c.ok(), c::toString);
        }
        assertEquals("host buffer", read(hostDst, 11));
        assertEquals("VM1 memory!", read(vm1Dst, 11));
        assertEquals("VM2 memory!", read(vm2Dst, 11));
        assertEquals(Map.of(x, d2, y, d3), core.device(ctx, dev).pasidHwpts());
        assertEquals(d1, core.device(ctx, dev).ridHwpt());
        assertEquals(new WqState(3, false, VfioDevice.NO_PASID), dsa.wqs().get(3));
    }

    @Test
    void aDeviceBoundToAnotherContextCannotAttachThere() {
        Context other = core.open("other");
        core.ioasAlloc(other);
        core.ioasAlloc(other);
        int theirs = core.ioasAlloc(other);
        VfioDevice dsa = vfio.device("dsa0");
        int dev = dsa.bindIommufd(ctx);
        assertEquals(List.of(dev), idsOf(ctx, ObjectType.DEVICE));

        // the ids of the other context mean nothing in the context the device is bound to
        expectErrno(Errno.ENOENT, () -> dsa.attachPt(theirs));
        assertEquals(0, core.device(ctx, dev).ridHwpt());
        // and the other VMM can take neither the cdev nor the device
        expectErrno(Errno.EBUSY, () -> dsa.bindIommufd(other));
        expectErrno(Errno.EBUSY, () -> core.bind(other, DSA0));
        expectErrno(Errno.ENOENT, () -> core.attach(other, dev, theirs));
        assertEquals(List.of(), idsOf(other, ObjectType.DEVICE));

        // a PASID of the other context is refused, for an attach and for a work queue
        int mine = ioas();
        int hwpt = core.hwptAlloc(ctx, HwptAlloc.paging(dev, mine, HwptFlags.PASID));
        Ioasid foreign = core.alloc(other);
        expectErrno(Errno.ENOENT, () -> dsa.attachPt(hwpt, foreign.hwId()));
        assertEquals(Map.of(), core.device(ctx, dev).pasidHwpts());
        expectErrno(Errno.ENOENT, () -> dsa.wqEnable(0, foreign.hwId()));
        assertFalse(dsa.wqs().get(0).enabled());
    }

    @Test
    void aWorkQueueTakesOnlyAnAttachedPasidOfItsContext() {
        VfioDevice dsa = vfio.device("dsa0");
        expectErrno(Errno.EINVAL, () -> dsa.wqEnable(0, 5));
        int dev = dsa.bindIommufd(ctx);
        int io = ioas();
        int hwpt = core.hwptAlloc(ctx, HwptAlloc.paging(dev, io, HwptFlags.PASID));
        Ioasid p = core.alloc(ctx);
        Ioasid q = core.alloc(ctx);

        // a number the core never handed out is not the context's, even when attached by the core directly
        int invented = p.hwId() + q.hwId() + 1;
        core.attach(ctx, dev, hwpt, invented);
        expectErrno(Errno.ENOENT, () -> dsa.wqEnable(0, invented));
        expectErrno(Errno.ENOENT, () -> dsa.attachPt(hwpt, invented));
        core.detach(ctx, dev, invented);

        dsa.attachPt(hwpt, p.hwId());
        expectErrno(Errno.EINVAL, () -> dsa.wqEnable(0, q.hwId()));
        expectErrno(Errno.EINVAL, () -> dsa.wqEnable(4, p.hwId()));
        expectErrno(Errno.EINVAL, () -> dsa.wqEnable(-1, p.hwId()));
        expectErrno(Errno.EINVAL, () -> dsa.submit(4, WqDescriptor.noop()));
        for (int wq = 0; wq < 4; wq++) {
            int w = wq;
            expectErrno(Errno.EPERM, () -> dsa.submit(w, WqDescriptor.noop()));
        }
        dsa.wqEnable(2, p.hwId());
        dsa.wqEnable(3, p.hwId());
        assertTrue(dsa.submit(2, WqDescriptor.noop()).ok());
        dsa.wqDisable(2);
        expectErrno(Errno.EPERM, () -> dsa.submit(2, WqDescriptor.noop()));
        assertTrue(dsa.submit(3, WqDescriptor.noop()).ok(), "two queues may share a PASID");
        assertEquals(List.of(p, q), core.list(ctx), "the device allocated nothing");
    }

    @Test
    void faultsAndBadDescriptorsCompleteWithAnErrorStatus() {
        VfioDevice dsa = vfio.device("dsa0");
        int dev = dsa.bindIommufd(ctx);
        int io = ioas();
        int hwpt = core.hwptAlloc(ctx, HwptAlloc.paging(dev, io, HwptFlags.PASID));
        int pasid = core.alloc(ctx).hwId();
        dsa.attachPt(hwpt, pasid);
        dsa.wqEnable(0, pasid);
        block(io, iova(0), "x".repeat(64));
        long dst = block(io, iova(1), null);
        long ro = buffer(BLOCK);
        core.ioasMap(ctx, io, ro, BLOCK, iova(2), MapFlags.FIXED_IOVA | MapFlags.READABLE);

        // an unmapped destination: nothing is written
        WqCompletion c = dsa.submit(0, WqDescriptor.memmove(iova(0), iova(3), 64));
        assertEquals(WqCompletion.PAGE_FAULT, c.status());
        assertEquals(0, c.bytesCompleted());
        assertEquals(iova(3), c.faultAddress());
        // a source that runs past its mapping into an unmapped block: the bytes before the fault are copied
        ctx.memory().write(ro + BLOCK - 16, bytes("y".repeat(16)));
        c = dsa.submit(0, WqDescriptor.memmove(iova(3) - 16, iova(1), 64));
        assertEquals(WqCompletion.PAGE_FAULT, c.status(), c::toString);
        assertEquals(16, c.bytesCompleted());
        assertEquals(iova(3), c.faultAddress());
        assertEquals("y".repeat(16), read(dst, 16));
        assertEquals(0, ctx.memory().read(dst + 16, 1)[0]);
        // writing a read-only mapping faults on the write
        c = dsa.submit(0, WqDescriptor.fill(iova(2), 8, -1L));
        assertEquals(WqCompletion.PAGE_FAULT, c.status());
        assertEquals(iova(2), c.faultAddress());
        assertArrayEquals(new byte[8], ctx.memory().read(ro, 8));
        // a fill that runs into the read-only block fills what it may write
        c = dsa.submit(0, WqDescriptor.fill(iova(2) - 8, 24, 0x0807060504030201L));
        assertEquals(WqCompletion.PAGE_FAULT, c.status());
        assertEquals(8, c.bytesCompleted());
        assertArrayEquals(new byte[] { 1, 2, 3, 4, 5, 6, 7, 8 }, ctx.memory().read(dst + BLOCK - 8, 8));

        assertEquals(WqCompletion.BAD_OPCODE, dsa.submit(0, new WqDescriptor(0x7f, 0, 0, 8, 0, WqDescriptor.NO_COMPLETION)).status());
        assertEquals(WqCompletion.TRANSFER_RANGE, dsa.submit(0, WqDescriptor.memmove(iova(0), iova(1), 0)).status());
        assertEquals(WqCompletion.TRANSFER_RANGE,
                dsa.submit(0, WqDescriptor.memmove(iova(0), iova(1), WqDescriptor.MAX_TRANSFER + 1)).status());
    }

    @Test
    void theCompletionRecordIsWrittenThroughTheQueuesPasid() {
        VfioDevice dsa = vfio.device("dsa0");
        int dev = dsa.bindIommufd(ctx);
        int io = ioas();
        int hwpt = core.hwptAlloc(ctx, HwptAlloc.paging(dev, io, HwptFlags.PASID));
        int pasid = core.alloc(ctx).hwId();
        dsa.attachPt(hwpt, pasid);
        dsa.wqEnable(0, pasid);
        long comp = block(io, iova(0), null);
        block(io, iova(1), "abc");

        assertTrue(dsa.submit(0, WqDescriptor.memmove(iova(1), iova(1) + 8, 3).withCompletion(iova(0))).ok());
        ByteBuffer rec = ByteBuffer.wrap(ctx.memory().read(comp, WqDescriptor.COMPLETION_RECORD_SIZE)).order(ByteOrder.LITTLE_ENDIAN);
        assertEquals(WqCompletion.SUCCESS, rec.get(0));
        assertEquals(3, rec.getInt(4));

        WqCompletion c = dsa.submit(0, WqDescriptor.memmove(iova(5), iova(1), 3).withCompletion(iova(0) + 32));
        assertEquals(WqCompletion.PAGE_FAULT, c.status());
        rec = ByteBuffer.wrap(ctx.memory().read(comp + 32, WqDescriptor.COMPLETION_RECORD_SIZE)).order(ByteOrder.LITTLE_ENDIAN);
        assertEquals(WqCompletion.PAGE_FAULT, rec.get(0));
        assertEquals(iova(5), rec.getLong(8));

        c = dsa.submit(0, WqDescriptor.noop().withCompletion(iova(7)));
        assertTrue(c.ok());
        assertTrue(c.detail().contains("completion record not written"), c::toString);
    }

    @Test
    void closeReleasesEverythingTheDeviceHeld() {
        int io = ioas();
        block(io, iova(0), "data");
        block(io, iova(1), null);
        long frames = machine.frames().framesInUse();
        long pins = machine.pins().total();
        List<ObjectInfo> before = ctx.objects();

        VfioDevice dsa = vfio.device("dsa0");
        VfioDevice nic = vfio.device("nic0");
        int dev = dsa.bindIommufd(ctx);
        Ioasid p = core.alloc(ctx);
        int hwpt = core.hwptAlloc(ctx, HwptAlloc.paging(dev, io, HwptFlags.PASID));
        dsa.attachPt(hwpt);
        dsa.attachPt(hwpt, p.hwId());
        nic.bindIommufd(ctx);
        int auto = nic.attachPt(io);
        dsa.wqEnable(0);
        dsa.wqEnable(1, p.hwId());
        nic.wqEnable(0);
        assertTrue(dsa.submit(0, WqDescriptor.memmove(iova(0), iova(1), 4)).ok());
        assertTrue(dsa.submit(1, WqDescriptor.memmove(iova(0), iova(1), 4)).ok());
        assertTrue(nic.submit(0, WqDescriptor.memmove(iova(0), iova(1), 4)).ok());
        assertTrue(machine.frames().framesInUse() > frames, "the domains hold table frames");
        assertEquals(List.of(hwpt, auto), idsOf(ctx, ObjectType.HWPT_PAGING));

        dsa.close();
        nic.close();
        assertFalse(dsa.isBound());
        assertTrue(dsa.wqs().stream().noneMatch(WqState::enabled));
        expectErrno(Errno.EPERM, () -> dsa.submit(1, WqDescriptor.noop()));
        expectErrno(Errno.EPERM, () -> nic.submit(0, WqDescriptor.noop()));
        assertEquals(List.of(), idsOf(ctx, ObjectType.DEVICE));
        assertEquals(List.of(hwpt), idsOf(ctx, ObjectType.HWPT_PAGING), "the automatic HWPT went with the device");
        ctx.destroy(hwpt);
        assertEquals(before, ctx.objects());
        assertEquals(frames, machine.frames().framesInUse(), "frames in use are back to the baseline");
        assertEquals(pins, machine.pins().total(), "pins are back to the baseline");
        assertEquals(List.of(p), core.list(ctx), "the PASID is the VMM's, not the device's");

        // the cdev can be opened again, by another VMM
        Context other = core.open("other");
        assertEquals(1, dsa.bindIommufd(other));
        dsa.close();
        dsa.close();
    }

    @Test
    void closingTheContextUnbindsTheCdev() {
        VfioDevice nic = vfio.device("nic0");
        Context vm = core.open("vm");
        int io = core.ioasAlloc(vm);
        int dev = nic.bindIommufd(vm);
        nic.attachPt(io);
        nic.wqEnable(0);
        vm.close();
        assertFalse(nic.isBound());
        expectErrno(Errno.EINVAL, nic::devId);
        expectErrno(Errno.EINVAL, () -> nic.attachPt(io));
        expectErrno(Errno.EPERM, () -> nic.submit(0, WqDescriptor.noop()));
        int again = nic.bindIommufd(ctx);
        assertEquals(again, nic.devId());
        assertTrue(nic.isBound());
        assertEquals(ctx, nic.context());
    }

    @Test
    void bindAndAttachErrnos() {
        VfioDevice dsa = vfio.device("dsa0");
        expectErrno(Errno.EINVAL, () -> dsa.attachPt(1));
        expectErrno(Errno.EINVAL, () -> dsa.attachPt(1, 1));
        expectErrno(Errno.EINVAL, dsa::detachPt);
        expectErrno(Errno.EINVAL, () -> dsa.detachPt(1));
        int dev = dsa.bindIommufd(ctx);
        expectErrno(Errno.EBUSY, () -> dsa.bindIommufd(ctx));
        expectErrno(Errno.ENOENT, () -> dsa.attachPt(99));
        expectErrno(Errno.EINVAL, () -> dsa.attachPt(dev)); // a device is not a page table
        int io = ioas();
        int p = core.alloc(ctx).hwId();
        expectErrno(Errno.EINVAL, () -> dsa.attachPt(io, p)); // a PASID needs an HWPT with the PASID flag
        dsa.detachPt();
        dsa.detachPt(p);
        VfioDevice nic = vfio.device("nic0");
        int nicDev = nic.bindIommufd(ctx);
        int hwpt = core.hwptAlloc(ctx, HwptAlloc.paging(nicDev, io, HwptFlags.PASID));
        expectErrno(Errno.EINVAL, () -> nic.attachPt(hwpt, p)); // nic0 has no PASID capability
    }
}
