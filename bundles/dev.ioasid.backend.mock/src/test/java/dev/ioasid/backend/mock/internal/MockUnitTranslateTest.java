package dev.ioasid.backend.mock.internal;

import static dev.ioasid.backend.mock.internal.TestMachines.expectErrno;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertNotSame;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.util.ArrayList;
import java.util.List;

import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

import dev.ioasid.api.Errno;
import dev.ioasid.api.HwptDataType;
import dev.ioasid.api.HwptFlags;
import dev.ioasid.api.MapFlags;
import dev.ioasid.machine.Access;
import dev.ioasid.machine.Machine;
import dev.ioasid.machine.PciDevice;
import dev.ioasid.machine.TranslatedPage;
import dev.ioasid.machine.Translation;
import dev.ioasid.machine.TranslationFault;
import dev.ioasid.spi.NestedDomain;
import dev.ioasid.spi.PageRequest;
import dev.ioasid.spi.UnitEvent;
import dev.ioasid.spi.UnitStats;

/** DMA translation through a mock unit: faults and their records, the IOTLB, A and D bits. */
class MockUnitTranslateTest {
    static final int RW = MapFlags.READABLE | MapFlags.WRITEABLE;
    static final int RWXP = Access.READ | Access.WRITE | Access.EXEC | Access.PRIV;
    static final long K2 = 2048;
    static final long MIB = 1L << 20;
    static final long IOVA = 0x0123_4800L;
    static final long PA = 0x0020_0800L;

    Machine machine;
    MockUnit unit;
    PciDevice d0;
    PciDevice d1;
    TestMachines.RecordingHost host;
    List<UnitEvent> hosted;

    @BeforeEach
    void setUp() {
        machine = TestMachines.machine();
        unit = TestMachines.unit(machine, "u0");
        d0 = machine.device("d0");
        d1 = machine.device("d1");
        host = new TestMachines.RecordingHost();
        hosted = host.events;
        unit.start(host);
    }

    private MockDomain paging(int flags) {
        return (MockDomain) unit.allocPaging(d0, flags, HwptDataType.NONE, null);
    }

    private TranslationFault fault(Translation t) {
        return assertInstanceOf(TranslationFault.class, t);
    }

    private TranslatedPage page(Translation t) {
        return assertInstanceOf(TranslatedPage.class, t, () -> "expected a page, got " + t);
    }

    /** The leaf entry for iova in the domain's table, as it is in physical memory. */
    private long leaf(MockDomain d, long iova) {
        long[] slot = new long[1];
        assertTrue(d.table.walk(iova, slot, null) != 0, "no leaf");
        return machine.memory().load64(slot[0]);
    }

    // ---- faults and the event record

    @Test
    void blockedEndpointFaultsWithA32ByteLittleEndianRecord() {
        TranslationFault f = fault(unit.translate(d0, Access.NO_PASID, IOVA, Access.READ | Access.WRITE));
        assertEquals("u0", f.unit());
        assertEquals("BLOCKED", f.reason());
        assertEquals(1, f.code());
        assertEquals(IOVA, f.iova());
        assertEquals(Access.NO_PASID, f.pasid());
        assertEquals(3, f.access());
        assertFalse(f.recoverable());
        assertEquals(0x08, d0.rid());
        // reason 1, rid 0x08, pasid 0xffffffff, access 3, iova 0x1234800, sequence 0
        byte[] want = {
                1, 0, 0, 0,
                8, 0, 0, 0,
                -1, -1, -1, -1,
                3, 0, 0, 0,
                0x00, 0x48, 0x23, 0x01, 0, 0, 0, 0,
                0, 0, 0, 0, 0, 0, 0, 0 };
        assertArrayEquals(want, f.record());

        List<UnitEvent> events = unit.events();
        assertEquals(1, events.size());
        UnitEvent e = events.get(0);
        assertEquals(0, e.sequence());
        assertEquals("u0", e.unit());
        assertEquals(0x08, e.rid());
        assertEquals(Access.NO_PASID, e.pasid());
        assertEquals(IOVA, e.iova());
        assertEquals("BLOCKED", e.reason());
        assertEquals(1, e.code());
        assertArrayEquals(want, e.record());
        assertEquals(List.of(e), hosted, "the host is told of the event");

        // a PASID request of another device, still blocked: sequence 1
        TranslationFault g = fault(unit.translate(d1, 5, 0x7654_3000L, Access.EXEC));
        ByteBuffer b = ByteBuffer.wrap(g.record()).order(ByteOrder.LITTLE_ENDIAN);
        assertEquals(1, b.getInt());
        assertEquals(0x10, b.getInt());
        assertEquals(5, b.getInt());
        assertEquals(Access.EXEC, b.getInt());
        assertEquals(0x7654_3000L, b.getLong());
        assertEquals(1L, b.getLong());
        assertEquals(2, unit.events().size());
        UnitStats s = unit.stats();
        assertEquals(2, s.faults());
        assertEquals(0, s.iotlbHits());
        assertEquals(0, s.iotlbMisses());
    }

    @Test
    void notPresentPermissionAndApertureFaults() {
        MockDomain d = paging(0);
        unit.attach(d0, Access.NO_PASID, d);
        d.map(IOVA, PA, K2, MapFlags.READABLE, false);

        TranslationFault np = fault(unit.translate(d0, Access.NO_PASID, IOVA + K2, Access.READ));
        assertEquals("NOT_PRESENT", np.reason());
        assertEquals(2, np.code());
        assertFalse(np.recoverable(), "the domain has no IOPF");

        TranslationFault perm = fault(unit.translate(d0, Access.NO_PASID, IOVA + 0x10, Access.WRITE));
        assertEquals("PERMISSION", perm.reason());
        assertEquals(3, perm.code());
        assertEquals(Access.WRITE, perm.access());

        TranslationFault below = fault(unit.translate(d0, Access.NO_PASID, MockUnit.APERTURE_START - 1, Access.READ));
        assertEquals("APERTURE", below.reason());
        assertEquals(4, below.code());
        TranslationFault above = fault(unit.translate(d0, Access.NO_PASID, MockUnit.APERTURE_LAST + 1, Access.READ));
        assertEquals("APERTURE", above.reason());

        List<UnitEvent> events = unit.events();
        assertEquals(4, events.size());
        assertEquals(List.of(2, 3, 4, 4), events.stream().map(UnitEvent::code).toList());
        for (int i = 0; i < 4; i++) {
            ByteBuffer b = ByteBuffer.wrap(events.get(i).record()).order(ByteOrder.LITTLE_ENDIAN);
            assertEquals(events.get(i).code(), b.getInt(0));
            assertEquals(i, b.getLong(24), "sequence");
        }
        assertEquals(events.get(1).iova(), ByteBuffer.wrap(perm.record()).order(ByteOrder.LITTLE_ENDIAN).getLong(16));
        assertEquals(4, unit.stats().faults());

        // read is allowed, with X and P: the mock does not police them
        TranslatedPage p = page(unit.translate(d0, Access.NO_PASID, IOVA + 0x10, Access.READ | Access.EXEC | Access.PRIV));
        assertEquals(PA, p.physBase());
        assertEquals(11, p.pageShift());
        assertEquals(Access.READ | Access.EXEC | Access.PRIV, p.access());
        assertEquals(PA + 0x10, p.physical(IOVA + 0x10));
    }

    @Test
    void pasidAndRidAttachmentsAreSeparate() {
        MockDomain d = paging(HwptFlags.PASID);
        d.map(IOVA, PA, K2, RW, false);
        unit.attach(d0, 3, d);
        assertEquals("BLOCKED", fault(unit.translate(d0, Access.NO_PASID, IOVA, Access.READ)).reason());
        assertEquals("BLOCKED", fault(unit.translate(d0, 4, IOVA, Access.READ)).reason());
        assertEquals(PA, page(unit.translate(d0, 3, IOVA, Access.READ)).physBase());
        unit.detach(d0, 3);
        assertEquals("BLOCKED", fault(unit.translate(d0, 3, IOVA, Access.READ)).reason());
        assertEquals(3, fault(unit.translate(d0, 3, IOVA, Access.READ)).pasid());
    }

    @Test
    void recoverableNotPresentBecomesAPageRequestNotAnEvent() {
        MockDomain d = paging(HwptFlags.FAULT_ID_VALID);
        unit.attach(d0, 9, d);
        unit.attach(d1, Access.NO_PASID, d);
        TranslationFault f = fault(unit.translate(d0, 9, IOVA + 0x10, Access.READ));
        assertEquals("NOT_PRESENT", f.reason());
        assertTrue(f.recoverable(), "IOPF domain and a PRI device");
        assertEquals(0, f.record().length);
        assertSame(host.pending, f.pending());
        assertTrue(unit.events().isEmpty());
        assertTrue(hosted.isEmpty());
        assertEquals(1, host.requests.size());
        PageRequest r = host.requests.get(0);
        assertEquals(d0, r.device());
        assertEquals(9, r.pasid());
        assertEquals(Access.READ, r.access());
        assertEquals(IOVA, r.address(), "granule aligned");
        assertTrue(r.lastPage());
        assertEquals(1, unit.stats().faults());

        // the retry after a page response faults for good, and is logged
        TranslationFault retry = fault(unit.translate(d0, 9, IOVA + 0x10, Access.READ | Access.RETRY));
        assertFalse(retry.recoverable());
        assertEquals(Access.READ, retry.access(), "RETRY is not an access right");
        assertEquals(1, unit.events().size());
        assertEquals(Access.READ, ByteBuffer.wrap(retry.record()).order(ByteOrder.LITTLE_ENDIAN).getInt(12));
        assertEquals(1, host.requests.size());

        TranslationFault g = fault(unit.translate(d1, Access.NO_PASID, IOVA, Access.READ));
        assertFalse(g.recoverable(), "d1 has no PRI");
        assertEquals(32, g.record().length);
        assertEquals(2, unit.events().size());
    }

    @Test
    void permissionFaultRecoverabilityDoesNotDependOnTheIotlb() {
        MockDomain d = paging(HwptFlags.FAULT_ID_VALID);
        unit.attach(d0, Access.NO_PASID, d);
        d.map(IOVA, PA, K2, MapFlags.READABLE, false);
        TranslationFault walked = fault(unit.translate(d0, Access.NO_PASID, IOVA, Access.WRITE));
        assertEquals("PERMISSION", walked.reason());
        assertTrue(walked.recoverable());
        assertEquals(1, host.requests.size());
        page(unit.translate(d0, Access.NO_PASID, IOVA, Access.READ)); // now cached
        TranslationFault hit = fault(unit.translate(d0, Access.NO_PASID, IOVA, Access.WRITE));
        assertEquals("PERMISSION", hit.reason());
        assertTrue(hit.recoverable(), "same request, same answer, cached or not");
        assertEquals(2, host.requests.size());
        assertTrue(unit.events().isEmpty());
    }

    // ---- the IOTLB

    @Test
    void aHitReturnsTheSameTranslatedPage() {
        MockDomain d = paging(0);
        unit.attach(d0, Access.NO_PASID, d);
        d.map(IOVA, PA, K2, RW, false);
        TranslatedPage first = page(unit.translate(d0, Access.NO_PASID, IOVA, Access.READ));
        assertEquals(new TranslatedPage(PA, 11, RWXP), first);
        UnitStats s = unit.stats();
        assertEquals(0, s.iotlbHits());
        assertEquals(1, s.iotlbMisses());
        assertEquals(1L, s.caches().get("iotlb.valid"));
        assertEquals(16L, s.caches().get("iotlb.entries"));

        TranslatedPage second = page(unit.translate(d0, Access.NO_PASID, IOVA + 0x7ff, Access.WRITE));
        assertSame(first, second);
        TranslatedPage third = page(unit.translate(d0, Access.NO_PASID, IOVA, Access.READ));
        assertSame(first, third);
        s = unit.stats();
        assertEquals(2, s.iotlbHits());
        assertEquals(1, s.iotlbMisses());
        assertEquals(0, s.invalidations());
        assertEquals(0, s.faults());
    }

    @Test
    void hugeLeafTranslatesAsOnePageCachedPerGranule() {
        MockDomain d = paging(0);
        unit.attach(d0, Access.NO_PASID, d);
        long iova = 0x2350_0000L;
        long pa = 0x2000_0000L;
        d.map(iova, pa, MIB, RW, true);
        TranslatedPage p = page(unit.translate(d0, Access.NO_PASID, iova + 0x4_0010L, Access.READ));
        assertEquals(new TranslatedPage(pa, 20, RWXP), p);
        assertEquals(pa + 0x4_0010L, p.physical(iova + 0x4_0010L));
        TranslatedPage q = page(unit.translate(d0, Access.NO_PASID, iova + 0x8_0000L, Access.READ));
        assertEquals(p, q);
        assertNotSame(p, q, "another granule: another IOTLB entry");
        assertEquals(2, unit.stats().iotlbMisses());
    }

    @Test
    void iotlbEntriesStayStaleAfterUnmapUntilFlush() {
        MockDomain d = paging(0);
        unit.attach(d0, Access.NO_PASID, d);
        d.map(IOVA, PA, 2 * K2, RW, false);
        TranslatedPage a = page(unit.translate(d0, Access.NO_PASID, IOVA, Access.WRITE));
        TranslatedPage b = page(unit.translate(d0, Access.NO_PASID, IOVA + K2, Access.WRITE));

        assertEquals(2 * K2, d.unmap(IOVA, 2 * K2));
        assertEquals(-1, d.iovaToPhys(IOVA), "the table no longer maps it");
        // hardware-faithful: the IOTLB still does
        assertSame(a, unit.translate(d0, Access.NO_PASID, IOVA, Access.WRITE));
        assertSame(b, unit.translate(d0, Access.NO_PASID, IOVA + K2, Access.READ));
        assertEquals(0, unit.stats().invalidations());

        // a flush of the first granule only
        d.flush(IOVA, K2);
        assertEquals(1, unit.stats().invalidations());
        assertEquals("NOT_PRESENT", fault(unit.translate(d0, Access.NO_PASID, IOVA, Access.WRITE)).reason());
        assertSame(b, unit.translate(d0, Access.NO_PASID, IOVA + K2, Access.READ));
        d.flush(IOVA, 2 * K2);
        assertEquals("NOT_PRESENT", fault(unit.translate(d0, Access.NO_PASID, IOVA + K2, Access.READ)).reason());
        assertEquals(0L, unit.stats().caches().get("iotlb.valid"));
        assertEquals(2, unit.stats().invalidations());
    }

    @Test
    void remapWithoutFlushStillTranslatesToTheOldPage() {
        MockDomain d = paging(0);
        unit.attach(d0, Access.NO_PASID, d);
        d.map(IOVA, PA, K2, RW, false);
        TranslatedPage old = page(unit.translate(d0, Access.NO_PASID, IOVA, Access.READ));
        d.unmap(IOVA, K2);
        d.map(IOVA, PA + 0x10_0000L, K2, RW, false);
        assertSame(old, unit.translate(d0, Access.NO_PASID, IOVA, Access.READ));
        d.flush(IOVA, K2);
        assertEquals(PA + 0x10_0000L, page(unit.translate(d0, Access.NO_PASID, IOVA, Access.READ)).physBase());
    }

    @Test
    void flushOfAParentInvalidatesItsNestedDomainsToo() {
        MockDomain parent = paging(HwptFlags.NEST_PARENT);
        NestedDomain n = unit.allocNested(d0, parent, HwptFlags.PASID, HwptDataType.SELFTEST, TestMachines.selftest(0, 0));
        unit.attach(d0, 7, n);
        parent.map(IOVA, PA, K2, RW, false);
        TranslatedPage p = page(unit.translate(d0, 7, IOVA, Access.READ));
        assertEquals(PA, p.physBase());
        parent.unmap(IOVA, K2);
        assertSame(p, unit.translate(d0, 7, IOVA, Access.READ));
        long inv = unit.stats().invalidations();
        parent.flush(IOVA, K2);
        assertEquals(inv + 2, unit.stats().invalidations(), "the parent's tag and the nested tag");
        assertEquals("NOT_PRESENT", fault(unit.translate(d0, 7, IOVA, Access.READ)).reason());
    }

    @Test
    void nestedInvalidationDropsTheNestedDomainsEntries() {
        MockDomain parent = paging(HwptFlags.NEST_PARENT);
        NestedDomain n = unit.allocNested(d0, parent, 0, HwptDataType.SELFTEST, TestMachines.selftest(0, 0));
        unit.attach(d0, Access.NO_PASID, n);
        parent.map(IOVA, PA, K2, RW, false);
        TranslatedPage p = page(unit.translate(d0, Access.NO_PASID, IOVA, Access.READ));
        parent.unmap(IOVA, K2);
        assertSame(p, unit.translate(d0, Access.NO_PASID, IOVA, Access.READ));
        assertEquals(1, n.invalidate(HwptDataType.INVALIDATE_SELFTEST, 8, TestMachines.inv(0, 2), 1));
        assertEquals("NOT_PRESENT", fault(unit.translate(d0, Access.NO_PASID, IOVA, Access.READ)).reason());
    }

    @Test
    void freeingADomainDropsItsIotlbEntries() {
        MockDomain d = paging(0);
        unit.attach(d0, Access.NO_PASID, d);
        d.map(IOVA, PA, K2, RW, false);
        page(unit.translate(d0, Access.NO_PASID, IOVA, Access.READ));
        assertEquals(1L, unit.stats().caches().get("iotlb.valid"));
        unit.detach(d0, Access.NO_PASID);
        d.free();
        assertEquals(0L, unit.stats().caches().get("iotlb.valid"));
    }

    @Test
    void iotlbSizeIsAUnitSetting() {
        Machine m = TestMachines.machine("memory 1G\nunit u0 mock iotlb=4\ndevice 0000:00:01.0 u0 name=d0\n");
        MockUnit u = TestMachines.unit(m, "u0");
        assertEquals(4L, u.stats().caches().get("iotlb.entries"));
    }

    // ---- A and D bits

    @Test
    void aWalkSetsTheAccessedBitOnly() {
        MockDomain d = paging(0);
        unit.attach(d0, Access.NO_PASID, d);
        d.map(IOVA, PA, K2, RW, false);
        assertEquals(PA | 0xf, leaf(d, IOVA));
        page(unit.translate(d0, Access.NO_PASID, IOVA, Access.WRITE));
        assertEquals(PA | MockPageTable.A | 0xf, leaf(d, IOVA), "A set; D not without dirty tracking");
    }

    @Test
    void dirtyTrackingSetsDAndReadDirtyReportsAndClears() {
        MockDomain d = paging(HwptFlags.DIRTY_TRACKING);
        assertTrue(d.supportsDirtyTracking());
        unit.attach(d0, Access.NO_PASID, d);
        d.map(IOVA, PA, 2 * K2, RW, false);

        // before tracking, a write leaves no D
        page(unit.translate(d0, Access.NO_PASID, IOVA, Access.WRITE));
        assertEquals(0, leaf(d, IOVA) & MockPageTable.D);

        d.setDirtyTracking(true);
        // the cached entry was dropped: the write walks again and sets D
        page(unit.translate(d0, Access.NO_PASID, IOVA, Access.WRITE));
        assertEquals(PA | MockPageTable.A | MockPageTable.D | 0xf, leaf(d, IOVA));
        // a read of the other granule sets A only
        page(unit.translate(d0, Access.NO_PASID, IOVA + K2, Access.READ));
        assertEquals((PA + K2) | MockPageTable.A | 0xf, leaf(d, IOVA + K2));

        List<long[]> seen = new ArrayList<>();
        d.readDirty(IOVA, 2 * K2, true, (v, s) -> seen.add(new long[] { v, s }));
        assertEquals(1, seen.size());
        assertArrayEquals(new long[] { IOVA, K2 }, seen.get(0));
        assertTrue((leaf(d, IOVA) & MockPageTable.D) != 0, "keep=true does not clear");

        seen.clear();
        d.readDirty(IOVA, 2 * K2, false, (v, s) -> seen.add(new long[] { v, s }));
        assertEquals(1, seen.size());
        assertEquals(0, leaf(d, IOVA) & MockPageTable.D);
        seen.clear();
        d.readDirty(IOVA, 2 * K2, false, (v, s) -> seen.add(new long[] { v, s }));
        assertTrue(seen.isEmpty());

        // the next write of a page that was cached dirty must walk and set D again
        page(unit.translate(d0, Access.NO_PASID, IOVA, Access.WRITE));
        assertTrue((leaf(d, IOVA) & MockPageTable.D) != 0);
        // a write to the page that was cached clean walks and sets D
        page(unit.translate(d0, Access.NO_PASID, IOVA + K2, Access.WRITE));
        d.readDirty(IOVA, 2 * K2, false, (v, s) -> seen.add(new long[] { v, s }));
        assertEquals(2, seen.size());

        // after tracking stops, writes set no D
        d.setDirtyTracking(false);
        page(unit.translate(d0, Access.NO_PASID, IOVA, Access.WRITE));
        d.flush(IOVA, 2 * K2);
        page(unit.translate(d0, Access.NO_PASID, IOVA + K2, Access.WRITE));
        assertEquals(0, leaf(d, IOVA) & MockPageTable.D);
        assertEquals(0, leaf(d, IOVA + K2) & MockPageTable.D);
    }

    @Test
    void dirtyTrackingNeedsTheFlag() {
        MockDomain d = paging(0);
        assertFalse(d.supportsDirtyTracking());
        expectErrno(Errno.EINVAL, () -> d.setDirtyTracking(true));
        expectErrno(Errno.EINVAL, () -> d.setDirtyTracking(false));
        assertFalse(d.dirtyTracking);
    }

    @Test
    void readDirtyOfPartOfAHugeLeafDoesNotLoseLaterWrites() {
        MockDomain d = paging(HwptFlags.DIRTY_TRACKING);
        unit.attach(d0, Access.NO_PASID, d);
        long iova = 0x2350_0000L;
        d.map(iova, 0x2000_0000L, MIB, RW, true);
        d.setDirtyTracking(true);
        page(unit.translate(d0, Access.NO_PASID, iova + 0x8_0000L, Access.WRITE));
        List<long[]> seen = new ArrayList<>();
        d.readDirty(iova, K2, false, (v, s) -> seen.add(new long[] { v, s }));
        assertEquals(1, seen.size());
        assertArrayEquals(new long[] { iova, MIB }, seen.get(0));

        page(unit.translate(d0, Access.NO_PASID, iova + 0x8_0000L, Access.WRITE));
        seen.clear();
        d.readDirty(iova, MIB, false, (v, s) -> seen.add(new long[] { v, s }));
        assertEquals(1, seen.size(), "the second write must be reported");
    }

    // ---- the event log

    @Test
    void eventLogOverflowDropsAndDrainClears() {
        Machine m = TestMachines.machine("memory 1G\nunit u0 mock events=4\ndevice 0000:00:01.0 u0 name=d0\n");
        MockUnit u = TestMachines.unit(m, "u0");
        TestMachines.RecordingHost host = new TestMachines.RecordingHost();
        u.start(host);
        PciDevice d = m.device("d0");
        for (int i = 0; i < 4; i++) {
            assertEquals(32, fault(u.translate(d, Access.NO_PASID, IOVA + i * K2, Access.READ)).record().length);
        }
        assertFalse(u.eventOverflow());
        assertEquals(0L, u.stats().caches().get("events.overflow"));

        TranslationFault dropped = fault(u.translate(d, Access.NO_PASID, IOVA + 4 * K2, Access.READ));
        assertEquals("BLOCKED", dropped.reason());
        assertEquals(0, dropped.record().length, "nothing was logged");
        fault(u.translate(d, Access.NO_PASID, IOVA + 5 * K2, Access.READ));
        assertTrue(u.eventOverflow());
        UnitStats s = u.stats();
        assertEquals(2L, s.caches().get("events.dropped"));
        assertEquals(1L, s.caches().get("events.overflow"));
        assertEquals(6, s.faults());
        assertEquals(4, u.events().size());
        assertEquals(4, host.events.size(), "dropped events are not reported");

        List<UnitEvent> drained = u.drainEvents();
        assertEquals(List.of(0L, 1L, 2L, 3L), drained.stream().map(UnitEvent::sequence).toList());
        assertEquals(List.of(IOVA, IOVA + K2, IOVA + 2 * K2, IOVA + 3 * K2), drained.stream().map(UnitEvent::iova).toList());
        assertFalse(u.eventOverflow());
        assertTrue(u.events().isEmpty());
        assertEquals(0L, u.stats().caches().get("events.overflow"));
        assertEquals(2L, u.stats().caches().get("events.dropped"), "a counter since start");

        // logging resumes; the sequence counted the dropped ones
        TranslationFault next = fault(u.translate(d, Access.NO_PASID, IOVA, Access.READ));
        assertEquals(6L, ByteBuffer.wrap(next.record()).order(ByteOrder.LITTLE_ENDIAN).getLong(24));
        assertEquals(1, u.events().size());
        assertEquals(6L, u.events().get(0).sequence());
    }
}
