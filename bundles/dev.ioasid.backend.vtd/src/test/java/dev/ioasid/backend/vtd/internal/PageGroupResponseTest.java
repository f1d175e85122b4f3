package dev.ioasid.backend.vtd.internal;

import static dev.ioasid.backend.vtd.internal.Rig.NO_PASID;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;

import org.junit.jupiter.api.Test;

import dev.ioasid.api.HwptFlags;
import dev.ioasid.api.MapFlags;
import dev.ioasid.machine.DmaResult;
import dev.ioasid.machine.PendingFault;
import dev.ioasid.spi.PagingDomain;

/**
 * The DMA that raised a page request waits on the unit's held request of its group (RID, PASID if present,
 * PRGI); only a page group response descriptor the invalidation queue processes releases it, whoever wrote it.
 * Nothing the host returns from {@code pageRequest} does.
 */
class PageGroupResponseTest {
    static final int RW = MapFlags.READABLE | MapFlags.WRITEABLE;
    static final long LONG = TimeUnit.SECONDS.toNanos(30);

    private static PagingDomain iopfDomain(Rig rig, String device) {
        PagingDomain d = rig.unit.allocPaging(rig.dev(device), HwptFlags.FAULT_ID_VALID | HwptFlags.PASID, 0, new byte[0]);
        rig.unit.attach(rig.dev(device), NO_PASID, d);
        return d;
    }

    /** Writes raw descriptors at IQT and moves IQT past them, as software does. */
    private static void post(Rig rig, Descriptor... ds) {
        InvalidationQueue iq = rig.unit.iq;
        long base = iq.iqa() & -4096L;
        int dsize = iq.descriptorSize();
        long t = rig.unit.readRegister(Registers.IQT);
        for (Descriptor d : ds) {
            write(rig, base + t, d, dsize);
            t = (t + dsize) % iq.queueBytes();
        }
        rig.unit.writeRegister(Registers.IQT, t);
    }

    private static void write(Rig rig, long at, Descriptor d, int dsize) {
        rig.mem.store64(at, d.qw0());
        rig.mem.store64(at + 8, d.qw1());
        if (dsize == 32) {
            rig.mem.store64(at + 16, d.qw2());
            rig.mem.store64(at + 24, d.qw3());
        }
    }

    private static void awaitRequests(Rig rig, int n) throws InterruptedException {
        long end = System.nanoTime() + LONG;
        while (rig.requests.size() < n && System.nanoTime() < end) {
            Thread.sleep(5);
        }
        assertEquals(n, rig.requests.size());
    }

    /** The host never answers: the DMA has only the unit's held request to wait on. */
    private static final PendingFault HOST_NEVER_ANSWERS = timeout -> PendingFault.Outcome.TIMEOUT;

    @Test
    void the_dma_stays_pending_until_a_page_group_response_is_posted_to_the_queue_by_hand() throws Exception {
        Rig rig = Rig.server();
        PagingDomain d = iopfDomain(rig, "dsa0");
        int rid = rig.dev("dsa0").rid();
        long page = rig.frames.allocate();
        rig.pending = HOST_NEVER_ANSWERS;
        CompletableFuture<DmaResult> dma = CompletableFuture
                .supplyAsync(() -> rig.machine.dma().write(rig.dev("dsa0").address(), NO_PASID, 0x7123, new byte[] { 7 }, 0, LONG));
        awaitRequests(rig, 1);
        HeldPageRequests.Held h = rig.unit.held.find(rid, false, 0, 7);
        assertNotNull(h, "the unit holds the request of group (RID, no PASID, PRGI 7)");
        assertNull(h.outcome());
        Thread.sleep(200);
        assertFalse(dma.isDone(), "no response yet: the DMA waits");
        assertEquals(1L, rig.unit.stats().caches().get("prq.held"));

        // responses to other groups do not release it: another PRGI, or PASID_P set for a request without PASID
        post(rig, Descriptor.pageGroupResponse(rid, false, 0, Descriptor.RESP_SUCCESS, 8, true, false, 0, 0),
                Descriptor.pageGroupResponse(rid, true, 0, Descriptor.RESP_SUCCESS, 7, true, false, 0, 0),
                Descriptor.pageGroupResponse(rid + 1, false, 0, Descriptor.RESP_SUCCESS, 7, true, false, 0, 0));
        assertEquals(rig.unit.readRegister(Registers.IQT), rig.unit.readRegister(Registers.IQH), "all three were processed");
        assertEquals(3L, rig.unit.stats().caches().get("prq.responses.unmatched"));
        Thread.sleep(100);
        assertFalse(dma.isDone());
        assertSame(h, rig.unit.held.find(rid, false, 0, 7));

        // software maps the page and writes the group's Success response into the ring by hand
        d.map(0x7000, page, 0x1000, RW, false);
        post(rig, Descriptor.pageGroupResponse(rid, false, 0, Descriptor.RESP_SUCCESS, 7, true, false, 0, 0));
        DmaResult r = dma.get(30, TimeUnit.SECONDS);
        assertTrue(r.ok(), r::toString);
        assertEquals(7, rig.mem.load8(page + 0x123), "the retried translation reached the page");
        assertEquals(PendingFault.Outcome.SUCCESS, h.outcome());
        assertNull(rig.unit.held.find(rid, false, 0, 7));
        assertEquals(0L, rig.unit.stats().caches().get("prq.held"));
        assertEquals(4L, rig.unit.stats().caches().get("prq.responses.success"));
        assertEquals(1, rig.requests.size(), "one page request");
        assertEquals(0, rig.events.size(), "no fault record");
    }

    @Test
    void an_invalid_or_failure_response_fails_the_dma() throws Exception {
        for (int code : new int[] { Descriptor.RESP_INVALID, Descriptor.RESP_FAILURE }) {
            Rig rig = Rig.server();
            PagingDomain d = iopfDomain(rig, "dsa0");
            int rid = rig.dev("dsa0").rid();
            rig.pending = HOST_NEVER_ANSWERS;
            CompletableFuture<DmaResult> dma = CompletableFuture
                    .supplyAsync(() -> rig.machine.dma().read(rig.dev("dsa0").address(), NO_PASID, 0x4010, 8, 0, LONG));
            awaitRequests(rig, 1);
            // even with the page mapped, a response other than Success fails the request
            d.map(0x4000, rig.frames.allocate(), 0x1000, RW, false);
            post(rig, Descriptor.pageGroupResponse(rid, false, 0, code, 4, true, false, 0, 0));
            DmaResult r = dma.get(30, TimeUnit.SECONDS);
            assertFalse(r.ok(), () -> "response " + code + ": " + r);
            assertTrue(r.fault().detail().contains("page response INVALID"), r.fault()::detail);
            assertEquals(0, rig.unit.held.size());
        }
    }

    @Test
    void a_malformed_response_sets_iqe_and_does_not_release_the_dma() throws Exception {
        Rig rig = Rig.server();
        PagingDomain d = iopfDomain(rig, "dsa0");
        int rid = rig.dev("dsa0").rid();
        rig.pending = HOST_NEVER_ANSWERS;
        CompletableFuture<DmaResult> dma = CompletableFuture
                .supplyAsync(() -> rig.machine.dma().read(rig.dev("dsa0").address(), NO_PASID, 0x5000, 4, 0, LONG));
        awaitRequests(rig, 1);
        HeldPageRequests.Held h = rig.unit.held.find(rid, false, 0, 5);
        assertNotNull(h);
        long head = rig.unit.readRegister(Registers.IQH);
        // response code 2 is reserved
        post(rig, Descriptor.pageGroupResponse(rid, false, 0, 2, 5, true, false, 0, 0));
        assertEquals(Registers.FSTS_IQE, rig.unit.readRegister(Registers.FSTS) & Registers.FSTS_IQE);
        assertEquals(head, rig.unit.readRegister(Registers.IQH), "IQH stays at the bad descriptor");
        Thread.sleep(200);
        assertFalse(dma.isDone(), "a malformed response releases nothing");
        assertNull(h.outcome());
        assertSame(h, rig.unit.held.find(rid, false, 0, 5));
        assertEquals(0, rig.unit.pageGroupResponses().size());

        // a reserved bit set in an otherwise valid response: IQE too, once software clears the first error
        long base = rig.unit.iq.iqa() & -4096L;
        Descriptor ok = Descriptor.pageGroupResponse(rid, false, 0, Descriptor.RESP_SUCCESS, 5, true, false, 0, 0);
        Descriptor reservedBit = new Descriptor(ok.qw0(), ok.qw1() | 1L << 12, 0, 0);
        write(rig, base + head, reservedBit, rig.unit.iq.descriptorSize());
        rig.unit.writeRegister(Registers.FSTS, Registers.FSTS_IQE);
        assertEquals(Registers.FSTS_IQE, rig.unit.readRegister(Registers.FSTS) & Registers.FSTS_IQE);
        assertFalse(dma.isDone());
        assertNull(h.outcome());

        // software repairs it and clears IQE: the queue resumes at IQH and the response releases the DMA
        d.map(0x5000, rig.frames.allocate(), 0x1000, RW, false);
        write(rig, base + head, ok, rig.unit.iq.descriptorSize());
        rig.unit.writeRegister(Registers.FSTS, Registers.FSTS_IQE);
        DmaResult r = dma.get(30, TimeUnit.SECONDS);
        assertTrue(r.ok(), r::toString);
        assertEquals(PendingFault.Outcome.SUCCESS, h.outcome());
        assertEquals(rig.unit.readRegister(Registers.IQT), rig.unit.readRegister(Registers.IQH));
        assertEquals(2L, rig.unit.stats().caches().get("iq.errors"));
    }

    @Test
    void two_requests_of_one_group_share_one_held_request_and_one_response_releases_both() throws Exception {
        Rig rig = Rig.server();
        PagingDomain d = iopfDomain(rig, "dsa0");
        int rid = rig.dev("dsa0").rid();
        rig.pending = HOST_NEVER_ANSWERS;
        // 0x6000 and 0x206000 have the same PRGI (bits 20:12 of the address): 6
        CompletableFuture<DmaResult> a = CompletableFuture
                .supplyAsync(() -> rig.machine.dma().read(rig.dev("dsa0").address(), NO_PASID, 0x6000, 4, 0, LONG));
        awaitRequests(rig, 1);
        CompletableFuture<DmaResult> b = CompletableFuture
                .supplyAsync(() -> rig.machine.dma().read(rig.dev("dsa0").address(), NO_PASID, 0x20_6000, 4, 0, LONG));
        awaitRequests(rig, 2);
        assertEquals(1, rig.unit.held.size());
        d.map(0x6000, rig.frames.allocate(), 0x1000, RW, false);
        d.map(0x20_6000, rig.frames.allocate(), 0x1000, RW, false);
        post(rig, Descriptor.pageGroupResponse(rid, false, 0, Descriptor.RESP_SUCCESS, 6, true, false, 0, 0));
        assertTrue(a.get(30, TimeUnit.SECONDS).ok());
        assertTrue(b.get(30, TimeUnit.SECONDS).ok());
        assertEquals(0, rig.unit.held.size());
    }

    @Test
    void the_driver_path_answers_the_held_request_and_shutdown_fails_what_is_left() throws Exception {
        Rig rig = Rig.server();
        iopfDomain(rig, "dsa0");
        rig.pending = HOST_NEVER_ANSWERS;
        CompletableFuture<DmaResult> a = CompletableFuture
                .supplyAsync(() -> rig.machine.dma().read(rig.dev("dsa0").address(), NO_PASID, 0x9000, 4, 0, LONG));
        awaitRequests(rig, 1);
        // the core's path: IommuUnit.pageResponse submits the descriptor through the driver's invalidator
        rig.unit.pageResponse(rig.requests.get(0), dev.ioasid.spi.IommuUnit.RESPONSE_INVALID);
        assertFalse(a.get(30, TimeUnit.SECONDS).ok());
        assertEquals(Descriptor.RESP_INVALID, rig.unit.pageGroupResponses().get(0).resp());

        CompletableFuture<DmaResult> b = CompletableFuture
                .supplyAsync(() -> rig.machine.dma().read(rig.dev("dsa0").address(), NO_PASID, 0xa000, 4, 0, LONG));
        awaitRequests(rig, 2);
        rig.unit.shutdown();
        assertFalse(b.get(30, TimeUnit.SECONDS).ok());
        assertEquals(0, rig.unit.held.size());
    }
}
