package dev.ioasid.backend.smmuv3.internal;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;

import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

import dev.ioasid.api.Context;
import dev.ioasid.api.HwptAlloc;
import dev.ioasid.api.HwptFlags;
import dev.ioasid.api.MapFlags;
import dev.ioasid.api.PageFault;
import dev.ioasid.api.PageResponse;
import dev.ioasid.api.PciAddress;
import dev.ioasid.api.UnitEventRecord;
import dev.ioasid.machine.Access;
import dev.ioasid.machine.DmaResult;
import dev.ioasid.spi.UnitEvent;

/**
 * Recoverable faults end to end through the core: a PCIe device with PRI (its page request lands in the PRI
 * queue, the response is CMD_PRI_RESP) and a platform device that can stall (the stall event carries a STAG,
 * the response is CMD_RESUME; CMD_STALL_TERM ends it too). The DMA runs on its own thread and waits for the
 * response as a device does; the test reads the fault queue, maps the page or not, and answers.
 */
class StallAndPriTest {
    static final long P = 4096;
    static final long IOVA = 0x40_0000;
    static final long WAIT_MS = 10_000;

    private final CoreFixture f = new CoreFixture();
    private final Context ctx = f.open("vm");
    private final ExecutorService dmaThread = Executors.newSingleThreadExecutor();
    private int queue;
    private int ioas;
    private long buf;

    @AfterEach
    void close() {
        dmaThread.shutdownNow();
        f.close();
    }

    /** Binds the device and attaches it (RID, or a PASID) to a paging HWPT whose faults go to a fault queue. */
    private int setUp(PciAddress device, int pasid) {
        queue = f.core.faultQueueAlloc(ctx);
        ioas = f.core.ioasAlloc(ctx);
        int dev = f.core.bind(ctx, device);
        int hwpt = f.core.hwptAlloc(ctx, HwptAlloc.paging(dev, ioas, HwptFlags.PASID).withFault(queue));
        if (pasid == Access.NO_PASID) {
            f.core.attach(ctx, dev, hwpt);
        } else {
            f.core.attach(ctx, dev, hwpt, pasid);
        }
        buf = ctx.memory().mmap(P);
        ctx.memory().write(buf, "paged in".getBytes(StandardCharsets.UTF_8));
        return dev;
    }

    private Future<DmaResult> read(PciAddress device, int pasid) {
        return dmaThread.submit(() -> f.machine.dma().read(device, pasid, IOVA, 8));
    }

    private PageFault awaitFault() throws InterruptedException {
        List<PageFault> faults = f.core.faultRead(ctx, queue, 16, WAIT_MS);
        assertEquals(1, faults.size(), faults::toString);
        return faults.get(0);
    }

    private DmaResult done(Future<DmaResult> dma) throws Exception {
        return dma.get(WAIT_MS, TimeUnit.MILLISECONDS);
    }

    @Test
    void pri_page_request_answered_success_completes_the_dma() throws Exception {
        int dev = setUp(CoreFixture.GPU, Access.NO_PASID);
        Future<DmaResult> dma = read(CoreFixture.GPU, Access.NO_PASID);
        PageFault pf = awaitFault();
        assertEquals(IOVA, pf.address());
        assertEquals(PageFault.PERM_READ, pf.perm());
        assertEquals(dev, pf.devId());
        assertEquals(0, pf.flags() & PageFault.PASID_VALID);
        assertEquals(1L, f.unit.stats().caches().get("pri.requests"), "the request went through the PRI queue");
        assertEquals(1L, f.unit.stats().caches().get("pri.held"), "the device waits for its response");
        f.core.ioasMap(ctx, ioas, buf, P, IOVA, MapFlags.FIXED_IOVA | MapFlags.READABLE | MapFlags.WRITEABLE);
        f.core.faultRespond(ctx, queue, pf.cookie(), PageResponse.SUCCESS);
        DmaResult r = done(dma);
        assertTrue(r.ok(), r::toString);
        assertArrayEquals("paged in".getBytes(StandardCharsets.UTF_8), r.data());
        assertEquals(0L, f.unit.stats().caches().get("pri.held"), "CMD_PRI_RESP ended it");
        assertTrue(f.unit.events().isEmpty(), "a page request records no event");
    }

    @Test
    void pri_page_request_answered_invalid_fails_the_dma() throws Exception {
        setUp(CoreFixture.GPU, Access.NO_PASID);
        Future<DmaResult> dma = read(CoreFixture.GPU, Access.NO_PASID);
        PageFault pf = awaitFault();
        f.core.faultRespond(ctx, queue, pf.cookie(), PageResponse.INVALID);
        DmaResult r = done(dma);
        assertFalse(r.ok());
        assertEquals("F_TRANSLATION", r.fault().reason());
        assertEquals(0, r.done());
    }

    @Test
    void pri_with_a_pasid() throws Exception {
        setUp(CoreFixture.GPU, 7);
        Future<DmaResult> dma = read(CoreFixture.GPU, 7);
        PageFault pf = awaitFault();
        assertEquals(PageFault.PASID_VALID, pf.flags() & PageFault.PASID_VALID);
        assertEquals(7, pf.pasid());
        f.core.ioasMap(ctx, ioas, buf, P, IOVA, MapFlags.FIXED_IOVA | MapFlags.READABLE);
        f.core.faultRespond(ctx, queue, pf.cookie(), PageResponse.SUCCESS);
        assertTrue(done(dma).ok());
    }

    private UnitEvent stallEvent() {
        List<UnitEvent> ev = f.unit.events();
        assertEquals(1, ev.size(), ev::toString);
        return ev.get(0);
    }

    @Test
    void a_stalled_transaction_resumes_with_retry() throws Exception {
        setUp(CoreFixture.ACC, Access.NO_PASID);
        var pci = f.machine.device(CoreFixture.ACC);
        assertTrue(f.unit.cdOf(pci, 0).S(), "CD.S: stall on faults");
        Future<DmaResult> dma = read(CoreFixture.ACC, Access.NO_PASID);
        PageFault pf = awaitFault();
        EventRecord r = EventRecord.fromBytes(stallEvent().record());
        assertEquals(EventRecord.F_TRANSLATION, r.ID());
        assertTrue(r.Stall(), "Stall = 1");
        assertEquals(r.STAG(), pf.groupId(), "the fault group is the STAG");
        assertEquals(1L, f.unit.stats().caches().get("stall.held"));
        f.core.ioasMap(ctx, ioas, buf, P, IOVA, MapFlags.FIXED_IOVA | MapFlags.READABLE);
        f.core.faultRespond(ctx, queue, pf.cookie(), PageResponse.SUCCESS);
        DmaResult res = done(dma);
        assertTrue(res.ok(), res::toString);
        assertArrayEquals("paged in".getBytes(StandardCharsets.UTF_8), res.data());
        assertEquals(0L, f.unit.stats().caches().get("stall.held"), "CMD_RESUME ended the stall");
    }

    @Test
    void a_stalled_transaction_resumed_with_abort_fails() throws Exception {
        setUp(CoreFixture.ACC, Access.NO_PASID);
        Future<DmaResult> dma = read(CoreFixture.ACC, Access.NO_PASID);
        PageFault pf = awaitFault();
        f.core.faultRespond(ctx, queue, pf.cookie(), PageResponse.INVALID);
        DmaResult res = done(dma);
        assertFalse(res.ok());
        assertEquals(0L, f.unit.stats().caches().get("stall.held"));
    }

    @Test
    void stall_term_terminates_the_stalled_transactions_of_a_stream() throws Exception {
        setUp(CoreFixture.ACC, Access.NO_PASID);
        Future<DmaResult> dma = read(CoreFixture.ACC, Access.NO_PASID);
        PageFault pf = awaitFault();
        f.unit.issue(List.of(Commands.stallTerm(CoreFixture.ACC.rid())));
        DmaResult res = done(dma);
        assertFalse(res.ok(), "terminated");
        assertEquals(0L, f.unit.stats().caches().get("stall.held"));
        // the handler's late answer is a RESUME of a STAG that is no longer stalled: the SMMU ignores it
        f.core.faultRespond(ctx, queue, pf.cookie(), PageResponse.SUCCESS);
        assertEquals(0L, f.unit.stats().caches().get("cmdq.errors"));
    }

    @Test
    void without_a_fault_queue_faults_are_events_in_the_smmus_record_format() {
        int eq = f.core.eventQueueAlloc(ctx, 8);
        int ioasNo = f.core.ioasAlloc(ctx);
        int dev = f.core.bind(ctx, CoreFixture.GPU);
        f.core.attach(ctx, dev, ioasNo);
        DmaResult r = f.machine.dma().read(CoreFixture.GPU, Access.NO_PASID, IOVA, 8);
        assertFalse(r.ok());
        assertEquals("F_TRANSLATION", r.fault().reason());
        List<UnitEventRecord> events = f.core.eventRead(ctx, eq, 8);
        assertEquals(1, events.size());
        EventRecord rec = EventRecord.fromBytes(events.get(0).data());
        assertEquals(32, events.get(0).data().length);
        assertEquals(EventRecord.F_TRANSLATION, rec.ID());
        assertEquals(CoreFixture.GPU.rid(), rec.StreamID());
        assertEquals(IOVA, rec.InputAddr());
        assertEquals(0L, f.unit.stats().caches().get("pri.requests"), "no PRI without a fault queue");
    }
}
