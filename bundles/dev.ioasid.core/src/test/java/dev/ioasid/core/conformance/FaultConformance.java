package dev.ioasid.core.conformance;

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
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

import dev.ioasid.api.Context;
import dev.ioasid.api.Errno;
import dev.ioasid.api.FaultListener;
import dev.ioasid.api.HwptAlloc;
import dev.ioasid.api.PageFault;
import dev.ioasid.api.PageResponse;
import dev.ioasid.api.UnitEventRecord;
import dev.ioasid.machine.Access;
import dev.ioasid.machine.DmaResult;

/**
 * Recoverable IO page faults end to end (a PRI device's DMA faults, a handler reads the group, maps the page and
 * answers, the DMA completes), and unrecoverable events in event queues. Waits use the queues' own signalling;
 * the timeouts only bound a hang.
 */
public abstract class FaultConformance extends ConformanceBase {
    static final long GUARD_MS = 60_000;
    static final long GUARD_NS = TimeUnit.MILLISECONDS.toNanos(GUARD_MS);

    private ExecutorService device;
    int ioas;
    int dev;
    int queue;
    int hwpt;
    long base;

    @BeforeEach
    void iopfSetup() {
        device = Executors.newSingleThreadExecutor();
        ioas = ioas();
        dev = bind(DP);
        queue = core.faultQueueAlloc(ctx);
        hwpt = core.hwptAlloc(ctx, HwptAlloc.paging(dev, ioas, 0).withFault(queue));
        core.attach(ctx, dev, hwpt);
        base = backend().attachedRanges().get(0).start() + 0x10_0000;
    }

    @AfterEach
    void stopDevice() throws InterruptedException {
        device.shutdownNow();
        assertTrue(device.awaitTermination(GUARD_MS, TimeUnit.MILLISECONDS));
    }

    private Future<DmaResult> dmaReadAsync(long iova, int len) {
        return device.submit(() -> machine.dma().read(DP, Access.NO_PASID, iova, len, 0, GUARD_NS));
    }

    private List<PageFault> readGroup() throws InterruptedException {
        List<PageFault> g = core.faultRead(ctx, queue, 16, GUARD_MS);
        assertFalse(g.isEmpty(), "a fault group arrived");
        return g;
    }

    @Test
    void a_fault_is_read_the_page_mapped_the_response_sent_and_the_dma_completes() throws Exception {
        long buf = buffer(P);
        ctx.memory().write(buf + 0x123, "paged in on demand".getBytes(StandardCharsets.UTF_8));
        Future<DmaResult> dma = dmaReadAsync(base + 0x123, 18);
        List<PageFault> group = readGroup();
        assertEquals(1, group.size());
        PageFault f = group.get(0);
        assertEquals(dev, f.devId());
        assertEquals(PageFault.PERM_READ, f.perm() & PageFault.PERM_READ);
        assertEquals(base, f.address() & ~(backend().granule() - 1));
        assertTrue((f.flags() & PageFault.LAST_PAGE) != 0);
        assertEquals(0, f.flags() & PageFault.PASID_VALID);
        assertTrue(f.cookie() > 0);
        assertEquals(1, core.faultPending(ctx, queue).size());
        mapFixed(ioas, buf, P, base);
        core.faultRespond(ctx, queue, f.cookie(), PageResponse.SUCCESS);
        DmaResult r = dma.get(GUARD_MS, TimeUnit.MILLISECONDS);
        assertTrue(r.ok(), r::toString);
        assertEquals("paged in on demand", new String(r.data(), StandardCharsets.UTF_8));
        assertTrue(core.faultPending(ctx, queue).isEmpty());
        expectErrno(Errno.EINVAL, () -> core.faultRespond(ctx, queue, f.cookie(), PageResponse.SUCCESS));
    }

    @Test
    void an_invalid_response_fails_the_dma() throws Exception {
        Future<DmaResult> dma = dmaReadAsync(base, 8);
        PageFault f = readGroup().get(0);
        core.faultRespond(ctx, queue, f.cookie(), PageResponse.INVALID);
        DmaResult r = dma.get(GUARD_MS, TimeUnit.MILLISECONDS);
        assertFalse(r.ok());
        assertFalse(r.fault().recoverable());
    }

    @Test
    void success_without_a_mapping_faults_unrecoverably_on_the_retry() throws Exception {
        Future<DmaResult> dma = dmaReadAsync(base, 8);
        PageFault f = readGroup().get(0);
        core.faultRespond(ctx, queue, f.cookie(), PageResponse.SUCCESS);
        DmaResult r = dma.get(GUARD_MS, TimeUnit.MILLISECONDS);
        assertFalse(r.ok());
        assertFalse(r.fault().recoverable());
        assertTrue(core.faultRead(ctx, queue, 16).isEmpty(), "the retry raised no second group");
    }

    @Test
    void unknown_cookies_and_queues_are_refused() {
        expectErrno(Errno.EINVAL, () -> core.faultRespond(ctx, queue, 12345, PageResponse.SUCCESS));
        expectErrno(Errno.ENOENT, () -> core.faultRead(ctx, ioas, 4));
        expectErrno(Errno.EINVAL, () -> core.faultRead(ctx, queue, 0));
        expectErrno(Errno.EBUSY, () -> ctx.destroy(queue));
    }

    @Test
    void repeated_faults_on_one_group_do_not_duplicate_it() throws Exception {
        ExecutorService second = Executors.newSingleThreadExecutor();
        try {
            Future<DmaResult> a = dmaReadAsync(base, 8);
            List<PageFault> g = readGroup();
            Future<DmaResult> b = second.submit(() -> machine.dma().read(DP, Access.NO_PASID, base + 16, 8, 0, GUARD_NS));
            // the second request joins the group the handler already read: no new group appears
            long buf = buffer(P);
            mapFixed(ioas, buf, P, base);
            assertTrue(core.faultRead(ctx, queue, 16).isEmpty());
            core.faultRespond(ctx, queue, g.get(0).cookie(), PageResponse.SUCCESS);
            assertTrue(a.get(GUARD_MS, TimeUnit.MILLISECONDS).ok());
            DmaResult rb = b.get(GUARD_MS, TimeUnit.MILLISECONDS);
            assertTrue(rb.ok(), rb::toString);
        } finally {
            second.shutdownNow();
        }
    }

    @Test
    void detaching_the_endpoint_answers_its_pending_groups_invalid() throws Exception {
        Future<DmaResult> dma = dmaReadAsync(base, 8);
        readGroup();
        core.detach(ctx, dev);
        DmaResult r = dma.get(GUARD_MS, TimeUnit.MILLISECONDS);
        assertFalse(r.ok());
        assertTrue(core.faultPending(ctx, queue).isEmpty());
    }

    @Test
    void closing_the_context_with_pending_faults_fails_the_requests_and_nothing_hangs() throws Exception {
        Future<DmaResult> dma = dmaReadAsync(base, 8);
        readGroup();
        Future<DmaResult> unread = device.submit(() -> machine.dma().read(DP, Access.NO_PASID, base + 4 * P, 8, 0, GUARD_NS));
        ctx.close();
        assertFalse(dma.get(GUARD_MS, TimeUnit.MILLISECONDS).ok());
        assertFalse(unread.get(GUARD_MS, TimeUnit.MILLISECONDS).ok());
    }

    @Test
    void a_fault_without_a_queue_is_unrecoverable_and_logged() {
        int other = core.hwptAlloc(ctx, HwptAlloc.paging(dev, ioas, 0));
        core.replace(ctx, dev, other);
        int events = core.eventQueueAlloc(ctx, 8);
        DmaResult r = machine.dma().read(DP, Access.NO_PASID, base, 8, 0, GUARD_NS);
        assertFalse(r.ok());
        assertFalse(r.fault().recoverable());
        assertTrue(core.faultRead(ctx, queue, 16).isEmpty());
        List<UnitEventRecord> ev = core.eventRead(ctx, events, 8);
        assertEquals(1, ev.size(), "the blocked DMA is visible as an event");
        assertArrayEquals(r.fault().record(), ev.get(0).data(), "the raw record of the unit");
    }

    @Test
    void a_listener_service_handles_faults_without_polling() throws Exception {
        long buf = buffer(P);
        ctx.memory().write(buf + 5, "handled by a listener".getBytes(StandardCharsets.UTF_8));
        FaultListener l = (Context c, int q, List<PageFault> group) -> {
            core.ioasMap(c, ioas, buf, P, group.get(0).address() & -P, FIXED_RW);
            core.faultRespond(c, q, group.get(0).cookie(), PageResponse.SUCCESS);
        };
        core.addListener(l);
        try {
            DmaResult r = machine.dma().read(DP, Access.NO_PASID, base + 5, 21, 0, GUARD_NS);
            assertTrue(r.ok(), r::toString);
            assertEquals("handled by a listener", new String(r.data(), StandardCharsets.UTF_8));
        } finally {
            core.removeListener(l);
        }
    }

    @Test
    void a_timeout_fails_the_request_and_a_late_answer_is_still_accepted() throws Exception {
        DmaResult r = machine.dma().read(DP, Access.NO_PASID, base, 8, 0, TimeUnit.MILLISECONDS.toNanos(1));
        assertFalse(r.ok());
        assertTrue(r.fault().detail().contains("TIMEOUT"), r.fault()::detail);
        PageFault f = readGroup().get(0);
        core.faultRespond(ctx, queue, f.cookie(), PageResponse.INVALID);
    }

    @Test
    void event_queues_number_records_and_flag_lost_events() {
        int events = core.eventQueueAlloc(ctx, 2);
        expectErrno(Errno.EINVAL, () -> core.eventQueueAlloc(ctx, 0));
        int d0 = bind(D0);
        for (int i = 0; i < 5; i++) {
            assertFalse(machine.dma().read(D0, Access.NO_PASID, base + i * P, 4).ok(), "an unattached device is blocked");
        }
        List<UnitEventRecord> first = core.eventRead(ctx, events, 16);
        assertEquals(2, first.size(), "the queue kept its depth");
        assertEquals(0, first.get(0).sequence());
        assertEquals(1, first.get(1).sequence());
        assertEquals(0, first.get(0).flags());
        assertFalse(machine.dma().read(D0, Access.NO_PASID, base, 4).ok());
        List<UnitEventRecord> next = core.eventRead(ctx, events, 16);
        assertEquals(1, next.size());
        assertEquals(5, next.get(0).sequence(), "events 2 to 4 were lost: a gap");
        assertEquals(UnitEventRecord.LOST_EVENTS, next.get(0).flags() & UnitEventRecord.LOST_EVENTS);
        assertTrue(d0 > 0);
    }
}
