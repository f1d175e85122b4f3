package dev.ioasid.backend.vtd.internal;

import static dev.ioasid.backend.vtd.internal.Rig.NO_PASID;
import static dev.ioasid.backend.vtd.internal.Rig.R;
import static dev.ioasid.backend.vtd.internal.Rig.W;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.ArrayList;
import java.util.List;

import org.junit.jupiter.api.Test;

import dev.ioasid.api.HwptFlags;
import dev.ioasid.api.MapFlags;
import dev.ioasid.machine.TranslatedPage;
import dev.ioasid.spi.PagingDomain;

/**
 * The caches stay stale until invalidated, as in hardware, and the invalidation queue removes exactly what its
 * descriptors name; a malformed descriptor stops the queue with IQE.
 */
class InvalidationTest {
    static final int RW = MapFlags.READABLE | MapFlags.WRITEABLE;

    /** dsa0's RID on a paging domain with 16 pages mapped at 0x10000 to consecutive frames. */
    private static PagingDomain domain(Rig rig, long[] pa) {
        PagingDomain d = rig.unit.allocPaging(rig.dev("dsa0"), HwptFlags.PASID, 0, new byte[0]);
        long base = rig.frames.allocate(16, 16);
        d.map(0x10000, base, 16 * 4096, RW, false);
        rig.unit.attach(rig.dev("dsa0"), NO_PASID, d);
        pa[0] = base;
        return d;
    }

    private static long hits(Rig rig) {
        return rig.unit.stats().iotlbHits();
    }

    @Test
    void after_an_unmap_without_invalidation_a_dma_hits_the_stale_iotlb_entry_and_after_flush_it_faults() {
        Rig rig = Rig.server();
        long[] pa = new long[1];
        PagingDomain d = domain(rig, pa);
        TranslatedPage first = rig.page("dsa0", NO_PASID, 0x10000, R);
        assertEquals(pa[0], first.physBase());
        assertEquals(4096, d.unmap(0x10000, 4096));
        assertEquals(-1, d.iovaToPhys(0x10000), "the table has no entry");
        long before = hits(rig);
        assertSame(first, rig.page("dsa0", NO_PASID, 0x10000, R), "the stale IOTLB entry, the same instance");
        assertEquals(before + 1, hits(rig));
        assertTrue(rig.machine.dma().read(rig.dev("dsa0").address(), NO_PASID, 0x10000, 8).ok(), "a DMA still reaches the page");
        d.flush(0x10000, 4096);
        rig.expectFault(FaultReason.READ, "dsa0", NO_PASID, 0x10000, R);
        assertEquals(pa[0] + 0x1000, rig.physical("dsa0", NO_PASID, 0x11000, R), "the next page still translates");
    }

    @Test
    void page_selective_invalidation_with_am_removes_exactly_the_aligned_block() {
        Rig rig = Rig.server();
        long[] pa = new long[1];
        PagingDomain d = domain(rig, pa);
        int did = (int) d.tag();
        for (int i = 0; i < 16; i++) {
            rig.page("dsa0", NO_PASID, 0x10000 + 0x1000L * i, R);
        }
        for (int i = 0; i < 16; i++) {
            assertNotNull(rig.unit.iotlb.find(did, IommuDriver.RID_PASID, 0x10000 + 0x1000L * i));
        }
        // ADDR 0x15000 with AM 2: the 16 KiB block 0x14000-0x17fff (the low ADDR bits under the mask are ignored)
        rig.unit.invalidator.submit(Descriptor.iotlb(Descriptor.IOTLB_PAGE, false, false, did, 0x15000, 2, false));
        for (int i = 0; i < 16; i++) {
            long iova = 0x10000 + 0x1000L * i;
            boolean inBlock = iova >= 0x14000 && iova <= 0x17fff;
            assertEquals(!inBlock, rig.unit.iotlb.find(did, IommuDriver.RID_PASID, iova) != null, String.format("entry 0x%x", iova));
        }
        // another DID's PSI touches nothing of this one
        rig.unit.invalidator.submit(Descriptor.iotlb(Descriptor.IOTLB_PAGE, false, false, did + 1, 0x10000, 4, false));
        assertEquals(12, rig.unit.iotlb.entries(e -> e.did() == did).size());
        // domain-selective drops the rest of the DID, global everything
        rig.unit.invalidator.submit(Descriptor.iotlb(Descriptor.IOTLB_DOMAIN, false, false, did, 0, 0, false));
        assertEquals(0, rig.unit.iotlb.entries(e -> e.did() == did).size());
        rig.page("dsa0", NO_PASID, 0x10000, R);
        rig.unit.invalidator.submit(Descriptor.iotlb(Descriptor.IOTLB_GLOBAL, false, false, 0, 0, 0, false));
        assertEquals(0, rig.unit.iotlb.occupancy());
    }

    @Test
    void pasid_based_iotlb_invalidation_is_selective_by_pasid_and_page() {
        Rig rig = Rig.server();
        Rig.Scalable s = rig.new Scalable("dsa0", false, false);
        PageTables fs = PageTables.firstStage(rig);
        long data = rig.frames.allocate(8, 8);
        for (int i = 0; i < 8; i++) {
            fs.map(0x1000L * i, data + 0x1000L * i, PageTables.FS_USER_RW);
        }
        s.entry(1, Rig.fsEntry(fs.root, 7, false, false));
        s.entry(2, Rig.fsEntry(fs.root, 7, false, false));
        for (int i = 0; i < 8; i++) {
            rig.page("dsa0", 1, 0x1000L * i, R);
            rig.page("dsa0", 2, 0x1000L * i, R);
        }
        // PASID 1, ADDR 0x2000, AM 1: pages 0x2000 and 0x3000 of PASID 1 only
        rig.unit.invalidator.submit(Descriptor.pasidIotlb(Descriptor.PIOTLB_PAGE, 7, 1, 0x2000, 1, true));
        for (int i = 0; i < 8; i++) {
            assertEquals(i != 2 && i != 3, rig.unit.iotlb.find(7, 1, 0x1000L * i) != null, "PASID 1 page " + i);
            assertNotNull(rig.unit.iotlb.find(7, 2, 0x1000L * i), "PASID 2 page " + i);
        }
        // an IOTLB (not PASID-based) domain-selective invalidation leaves first-stage entries alone
        rig.unit.invalidator.submit(Descriptor.iotlb(Descriptor.IOTLB_DOMAIN, false, false, 7, 0, 0, false));
        assertEquals(14, rig.unit.iotlb.entries(e -> e.did() == 7).size());
        rig.unit.invalidator.submit(Descriptor.pasidIotlb(Descriptor.PIOTLB_PASID, 7, 2, 0, 0, false));
        assertEquals(6, rig.unit.iotlb.entries(e -> e.did() == 7).size());
    }

    @Test
    void context_and_pasid_caches_stay_stale_until_invalidated() {
        Rig rig = Rig.server();
        Rig.Scalable s = rig.new Scalable("dsa0", false, false);
        PageTables a = PageTables.secondStage(rig);
        PageTables b = PageTables.secondStage(rig);
        long pa = rig.frames.allocate();
        long pb = rig.frames.allocate();
        a.map(0x1000, pa, SsPte.R | SsPte.W);
        b.map(0x1000, pb, SsPte.R | SsPte.W);
        s.entry(1, Rig.ssEntry(a.root, 10));
        assertEquals(pa, rig.physical("dsa0", 1, 0x1000, R));
        // the PASID entry changes to another table and DID: the PASID cache still holds the old one
        s.entry(1, Rig.ssEntry(b.root, 11));
        assertEquals(pa, rig.physical("dsa0", 1, 0x1000, R));
        rig.unit.invalidator.submit(Descriptor.pasidCache(Descriptor.PC_PASID, 10, 2));
        assertEquals(pa, rig.physical("dsa0", 1, 0x1000, R), "another PASID's invalidation changes nothing");
        rig.unit.invalidator.submit(Descriptor.pasidCache(Descriptor.PC_PASID, 10, 1));
        assertEquals(pb, rig.physical("dsa0", 1, 0x1000, R));
        // the context entry goes away: the context cache still knows it
        rig.smContext(s.context, s.sid, new ScalableContextEntry(false, false, false, false, false, 0, 0, 0, false));
        rig.unit.invalidator.submit(Descriptor.pasidCache(Descriptor.PC_GLOBAL, 0, 0));
        assertEquals(pb, rig.physical("dsa0", 1, 0x1000, W));
        rig.unit.invalidator.submit(Descriptor.contextCache(Descriptor.CC_DEVICE, 0, s.sid ^ 0x4, 0));
        rig.unit.invalidator.submit(Descriptor.pasidCache(Descriptor.PC_GLOBAL, 0, 0));
        assertEquals(pb, rig.physical("dsa0", 1, 0x1000, W), "device-selective for function 4 of the slot, no mask");
        rig.unit.invalidator.submit(Descriptor.contextCache(Descriptor.CC_DEVICE, 0, s.sid ^ 0x4, 1));
        rig.unit.invalidator.submit(Descriptor.pasidCache(Descriptor.PC_GLOBAL, 0, 0));
        rig.expectFault(FaultReason.CONTEXT_ENTRY_P, "dsa0", 1, 0x1000, R);
    }

    private static long[] ring(Rig rig) {
        InvalidationQueue iq = rig.unit.iq;
        return new long[] { iq.iqa() & -4096L, iq.descriptorSize(), iq.queueBytes() };
    }

    /** Writes raw descriptors at IQT and moves IQT past them, as software does. */
    private static void post(Rig rig, Descriptor... ds) {
        long[] r = ring(rig);
        long t = rig.unit.readRegister(Registers.IQT);
        for (Descriptor d : ds) {
            rig.mem.store64(r[0] + t, d.qw0());
            rig.mem.store64(r[0] + t + 8, d.qw1());
            if (r[1] == 32) {
                rig.mem.store64(r[0] + t + 16, d.qw2());
                rig.mem.store64(r[0] + t + 24, d.qw3());
            }
            t = (t + r[1]) % r[2];
        }
        rig.unit.writeRegister(Registers.IQT, t);
    }

    @Test
    void a_malformed_descriptor_sets_iqe_and_stops_the_queue() {
        for (Rig rig : List.of(Rig.server(), Rig.legacy())) {
            long status = rig.frames.allocate();
            long head = rig.unit.readRegister(Registers.IQH);
            // a reserved bit (qw0 bit 8 of an IOTLB descriptor), then a wait that would write the status
            post(rig, Descriptor.of(Descriptor.iotlb(Descriptor.IOTLB_GLOBAL, false, false, 0, 0, 0, false).qw0() | 0x100, 0),
                    Descriptor.waitDesc(false, true, false, false, 0x55, status));
            assertEquals(Registers.FSTS_IQE, rig.unit.readRegister(Registers.FSTS) & Registers.FSTS_IQE);
            assertEquals(head, rig.unit.readRegister(Registers.IQH), "IQH stays at the bad descriptor");
            assertEquals(0, rig.mem.load32(status), "nothing after it was fetched");
            // more descriptors are not fetched either
            post(rig, Descriptor.waitDesc(false, true, false, false, 0x66, status + 4));
            assertEquals(0, rig.mem.load32(status + 4));
            // software repairs the descriptor and clears IQE: the queue resumes at IQH
            long[] r = ring(rig);
            Descriptor fixed = Descriptor.iotlb(Descriptor.IOTLB_GLOBAL, false, false, 0, 0, 0, false);
            rig.mem.store64(r[0] + head, fixed.qw0());
            rig.unit.writeRegister(Registers.FSTS, Registers.FSTS_IQE);
            assertEquals(0, rig.unit.readRegister(Registers.FSTS) & Registers.FSTS_IQE);
            assertEquals(0x55, rig.mem.load32(status));
            assertEquals(0x66, rig.mem.load32(status + 4));
            assertEquals(rig.unit.readRegister(Registers.IQT), rig.unit.readRegister(Registers.IQH));
        }
    }

    @Test
    void an_am_above_mamv_and_other_bad_descriptors_set_iqe_and_never_throw() {
        Rig rig = Rig.server();
        List<Descriptor> bad = new ArrayList<>();
        bad.add(Descriptor.iotlb(Descriptor.IOTLB_PAGE, false, false, 1, 0, 19, false)); // MAMV is 18
        bad.add(Descriptor.iotlb(Descriptor.IOTLB_PAGE, false, false, 1, 0, 63, false)); // QEMU's shift-out-of-bounds AM
        bad.add(Descriptor.pasidIotlb(Descriptor.PIOTLB_PAGE, 1, 1, 0, 52, false));
        bad.add(Descriptor.iotlb(0, false, false, 1, 0, 0, false)); // granularity 0
        bad.add(Descriptor.pasidIotlb(1, 1, 1, 0, 0, false)); // PASID-IOTLB granularity 1
        bad.add(Descriptor.pasidCache(2, 1, 1)); // PASID-cache granularity 2
        bad.add(Descriptor.contextCache(0, 0, 0, 0));
        bad.add(Descriptor.interruptEntryCache(true, 0, 0)); // no interrupt remapping (ECAP.IR)
        bad.add(Descriptor.of(0xA, 0)); // unknown type
        bad.add(Descriptor.of(0x202, 0)); // type bits 11:9
        bad.add(Descriptor.waitDesc(false, true, false, false, 1, 0x40_0000_0000L)); // status write to no memory
        bad.add(new Descriptor(Descriptor.iotlb(Descriptor.IOTLB_GLOBAL, false, false, 0, 0, 0, false).qw0(), 0, 1, 0)); // qw2
        bad.add(Descriptor.pageGroupResponse(0x20, false, 0, 5, 0, true, false, 0, 0)); // response code 5
        for (Descriptor d : bad) {
            long errors = rig.unit.stats().caches().get("iq.errors");
            post(rig, d);
            assertTrue(rig.unit.iq.stopped(), () -> "IQE for " + d);
            assertEquals(errors + 1, rig.unit.stats().caches().get("iq.errors"));
            assertNotNull(rig.unit.iq.lastError());
            // the driver skips it (as Linux's qi_check_fault does) and its own descriptors complete
            rig.unit.invalidator.submit(Descriptor.iotlb(Descriptor.IOTLB_GLOBAL, false, false, 0, 0, 0, false));
            assertFalse(rig.unit.iq.stopped());
        }
        // IQT not 256-bit aligned in 256-bit mode
        rig.unit.writeRegister(Registers.IQT, rig.unit.readRegister(Registers.IQT) + 16);
        assertTrue(rig.unit.iq.stopped());
        rig.unit.writeRegister(Registers.FSTS, Registers.FSTS_IQE);
        // legacy mode knows no PASID-based descriptors
        Rig legacy = Rig.legacy();
        post(legacy, Descriptor.pasidCache(Descriptor.PC_GLOBAL, 0, 0));
        assertTrue(legacy.unit.iq.stopped());
    }

    @Test
    void a_wait_descriptor_writes_its_status_and_sets_iwc_and_the_ring_wraps() {
        Rig rig = Rig.server();
        long status = rig.frames.allocate();
        post(rig, Descriptor.waitDesc(true, true, true, true, 0x1234, status));
        assertEquals(0x1234, rig.mem.load32(status));
        assertEquals(Registers.ICS_IWC, rig.unit.readRegister(Registers.ICS));
        rig.unit.writeRegister(Registers.ICS, Registers.ICS_IWC);
        assertEquals(0, rig.unit.readRegister(Registers.ICS));
        // more descriptors than the ring holds go through in batches, around the ring
        List<Descriptor> many = new ArrayList<>();
        for (int i = 0; i < 1000; i++) {
            many.add(Descriptor.iotlb(Descriptor.IOTLB_DOMAIN, false, false, i, 0, 0, false));
        }
        long before = rig.unit.stats().invalidations();
        rig.unit.invalidator.submit(many);
        assertTrue(rig.unit.stats().invalidations() >= before + 1000);
        assertFalse(rig.unit.iq.stopped());
    }
}
