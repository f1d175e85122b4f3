package dev.ioasid.backend.vtd.internal;

import static dev.ioasid.backend.vtd.internal.Rig.NO_PASID;
import static dev.ioasid.backend.vtd.internal.Rig.R;
import static dev.ioasid.backend.vtd.internal.Rig.W;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;

import org.junit.jupiter.api.Test;

import dev.ioasid.api.HwptAlloc;
import dev.ioasid.api.HwptFlags;
import dev.ioasid.api.MapFlags;
import dev.ioasid.api.PageFault;
import dev.ioasid.api.PageResponse;
import dev.ioasid.machine.DmaResult;
import dev.ioasid.machine.PendingFault;
import dev.ioasid.machine.TranslationFault;
import dev.ioasid.spi.PagingDomain;

/**
 * Page requests: a PRI device's fault on a domain allocated with a fault queue becomes a page request
 * descriptor in the page request queue and goes to the host; the answer is a page group response descriptor
 * through the invalidation queue.
 */
class PageRequestTest {
    static final int RW = MapFlags.READABLE | MapFlags.WRITEABLE;

    private static PagingDomain iopfDomain(Rig rig, String device) {
        PagingDomain d = rig.unit.allocPaging(rig.dev(device), HwptFlags.FAULT_ID_VALID | HwptFlags.PASID, 0, new byte[0]);
        rig.unit.attach(rig.dev(device), NO_PASID, d);
        return d;
    }

    @Test
    void a_fault_becomes_a_page_request_descriptor_and_the_response_a_page_group_response() {
        Rig rig = Rig.server();
        PagingDomain d = iopfDomain(rig, "dsa0");
        long page = rig.frames.allocate();
        // the handler maps the page, then answers SUCCESS
        rig.pending = timeout -> {
            d.map(0x7000, page, 0x1000, RW, false);
            return PendingFault.Outcome.SUCCESS;
        };
        long pqa = rig.unit.readRegister(Registers.PQA) & -4096L;
        DmaResult r = rig.machine.dma().write(rig.dev("dsa0").address(), NO_PASID, 0x7123, new byte[] { 7 });
        assertTrue(r.ok(), r::toString);
        assertEquals(7, rig.mem.load8(page + 0x123));
        assertEquals(1, rig.requests.size());
        // the page request descriptor the hardware wrote at PQT
        PageRequestDescriptor q = PageRequestDescriptor.decode(rig.mem.load64(pqa), rig.mem.load64(pqa + 8), rig.mem.load64(pqa + 16),
                rig.mem.load64(pqa + 24));
        assertEquals(rig.dev("dsa0").rid(), q.rid());
        assertFalse(q.pasidPresent());
        assertTrue(q.write() && !q.read() && q.lpig());
        assertEquals(0x7000, q.address());
        assertEquals(7, q.prgi());
        assertEquals(32, rig.unit.readRegister(Registers.PQH), "the driver consumed it");
        assertEquals(32, rig.unit.readRegister(Registers.PQT));
        assertEquals(0, rig.events.size(), "a page request is not a fault record");
        // the page group response the host's answer became, through the invalidation queue: it released the DMA
        assertEquals(1, rig.unit.pageGroupResponses().size());
        assertEquals(0, rig.unit.held.size(), "nothing is held any more");
        Descriptor resp = rig.unit.pageGroupResponses().get(0);
        assertEquals(Descriptor.PAGE_GROUP_RESPONSE, resp.type());
        assertEquals(Descriptor.RESP_SUCCESS, resp.resp());
        assertEquals(rig.dev("dsa0").rid(), resp.rid());
        assertEquals(7, resp.prgi());
        assertTrue(resp.lpig());
    }

    @Test
    void a_retry_that_faults_again_is_recorded_and_requests_without_an_iopf_domain_are_faults() {
        Rig rig = Rig.server();
        iopfDomain(rig, "dsa0");
        rig.pending = timeout -> PendingFault.Outcome.SUCCESS; // "success" without mapping anything
        DmaResult r = rig.machine.dma().read(rig.dev("dsa0").address(), NO_PASID, 0x9000, 4);
        assertFalse(r.ok());
        assertEquals(1, rig.requests.size(), "one page request; the retry does not ask again");
        assertEquals(1, rig.events.size(), "the retry's fault is recorded");
        assertEquals("READ", rig.events.get(0).reason());
        // a device without PRI: no page request, a recorded fault
        iopfDomain(rig, "nic0");
        TranslationFault f = rig.expectFault(FaultReason.READ, "nic0", NO_PASID, 0x9000, R);
        assertFalse(f.recoverable());
        assertEquals(1, rig.requests.size());
        // a domain without FAULT_ID_VALID: no page request either
        PagingDomain plain = rig.unit.allocPaging(rig.dev("acc1"), HwptFlags.PASID, 0, new byte[0]);
        rig.unit.attach(rig.dev("acc1"), NO_PASID, plain);
        rig.expectFault(FaultReason.WRITE, "acc1", NO_PASID, 0x9000, W);
        assertEquals(1, rig.requests.size());
    }

    @Test
    void a_request_nobody_queues_is_answered_invalid_by_a_page_group_response() {
        Rig rig = Rig.server();
        iopfDomain(rig, "dsa0");
        rig.pending = null; // the host has no fault queue for it: it answers INVALID through the unit
        DmaResult r = rig.machine.dma().read(rig.dev("dsa0").address(), NO_PASID, 0x4000, 4);
        assertFalse(r.ok());
        assertEquals(1, rig.requests.size());
        Descriptor resp = rig.unit.pageGroupResponses().get(0);
        assertEquals(Descriptor.RESP_INVALID, resp.resp());
        assertEquals(4, resp.prgi());
        assertEquals(1L, rig.unit.stats().caches().get("prq.responses.invalid"));
    }

    @Test
    void a_full_page_request_queue_sets_pro_and_the_request_is_a_fault() {
        Rig rig = Rig.server();
        iopfDomain(rig, "dsa0");
        // software has not consumed: PQH sits one descriptor past PQT, the ring is full
        rig.unit.writeRegister(Registers.PQH, 32);
        TranslationFault f = rig.expectFault(FaultReason.READ, "dsa0", NO_PASID, 0x3000, R);
        assertFalse(f.recoverable());
        assertEquals(Registers.PRS_PRO, rig.unit.readRegister(Registers.PRS) & Registers.PRS_PRO);
        assertEquals(0, rig.requests.size());
        assertEquals(1, rig.events.size());
        rig.unit.writeRegister(Registers.PRS, Registers.PRS_PRO);
        assertEquals(0, rig.unit.readRegister(Registers.PRS));
    }

    @Test
    void through_the_core_a_page_request_reaches_the_fault_queue_and_success_lets_the_dma_finish() throws Exception {
        try (CoreRig c = new CoreRig()) {
            int ioas = c.core.ioasAlloc(c.ctx);
            int dev = c.core.bind(c.ctx, c.addr("dsa0"));
            int q = c.core.faultQueueAlloc(c.ctx);
            int hwpt = c.core.hwptAlloc(c.ctx, HwptAlloc.paging(dev, ioas, HwptFlags.PASID).withFault(q));
            c.core.attach(c.ctx, dev, hwpt);
            long buf = c.ctx.memory().mmap(4096);
            c.ctx.memory().write(buf + 0x10, "paged in".getBytes(StandardCharsets.UTF_8));
            long iova = 0x40_0000;

            CompletableFuture<DmaResult> dma = CompletableFuture.supplyAsync(() -> c.read("dsa0", NO_PASID, iova + 0x10, 8));
            List<PageFault> faults = c.core.faultRead(c.ctx, q, 8, TimeUnit.SECONDS.toMillis(30));
            assertEquals(1, faults.size());
            PageFault pf = faults.get(0);
            assertEquals(iova, pf.address());
            assertEquals(PageFault.PERM_READ, pf.perm());
            assertEquals((int) ((iova >>> 12) & 0x1ff), pf.groupId());
            c.core.ioasMap(c.ctx, ioas, buf, 4096, iova, MapFlags.FIXED_IOVA | RW);
            c.core.faultRespond(c.ctx, q, pf.cookie(), PageResponse.SUCCESS);
            DmaResult r = dma.get(30, TimeUnit.SECONDS);
            assertTrue(r.ok(), r::toString);
            assertArrayEquals("paged in".getBytes(StandardCharsets.UTF_8), r.data());
            Descriptor resp = c.unit.pageGroupResponses().get(0);
            assertEquals(Descriptor.RESP_SUCCESS, resp.resp());

            // INVALID fails the DMA; the response descriptor says so
            CompletableFuture<DmaResult> dma2 = CompletableFuture.supplyAsync(() -> c.read("dsa0", NO_PASID, 0x80_0000, 8));
            PageFault pf2 = c.core.faultRead(c.ctx, q, 8, TimeUnit.SECONDS.toMillis(30)).get(0);
            c.core.faultRespond(c.ctx, q, pf2.cookie(), PageResponse.INVALID);
            assertFalse(dma2.get(30, TimeUnit.SECONDS).ok());
            assertEquals(Descriptor.RESP_INVALID, c.unit.pageGroupResponses().get(1).resp());
            assertEquals(2L, c.unit.stats().caches().get("prq.requests"));
        }
    }

    @Test
    void through_the_core_a_domain_without_a_fault_queue_records_the_fault() {
        try (CoreRig c = new CoreRig()) {
            int ioas = c.core.ioasAlloc(c.ctx);
            int dev = c.core.bind(c.ctx, c.addr("dsa0"));
            c.core.attach(c.ctx, dev, ioas);
            DmaResult r = c.read("dsa0", NO_PASID, 0x1000, 4);
            assertFalse(r.ok());
            assertEquals(16, r.fault().record().length, "a recorded fault: the automatic domain has no fault queue");
            assertEquals(0L, c.unit.stats().caches().get("prq.requests"));
        }
    }
}
