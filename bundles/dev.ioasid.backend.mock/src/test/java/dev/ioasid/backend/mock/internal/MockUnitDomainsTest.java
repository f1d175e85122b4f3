package dev.ioasid.backend.mock.internal;

import static dev.ioasid.backend.mock.internal.TestMachines.expectErrno;
import static dev.ioasid.backend.mock.internal.TestMachines.selftest;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.List;

import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

import dev.ioasid.api.Errno;
import dev.ioasid.api.HwInfo;
import dev.ioasid.api.HwInfoType;
import dev.ioasid.api.HwptDataType;
import dev.ioasid.api.HwptFlags;
import dev.ioasid.api.IovaRange;
import dev.ioasid.api.MapFlags;
import dev.ioasid.machine.Access;
import dev.ioasid.machine.FrameAllocator;
import dev.ioasid.machine.Machine;
import dev.ioasid.machine.PciDevice;
import dev.ioasid.machine.TranslationFault;
import dev.ioasid.spi.Domain;
import dev.ioasid.spi.NestedDomain;
import dev.ioasid.spi.PagingDomain;

/** Allocation, attach and hw_info errno rules of the mock unit, and freeing at shutdown. */
class MockUnitDomainsTest {
    static final int RW = MapFlags.READABLE | MapFlags.WRITEABLE;
    static final long K2 = 2048;

    Machine machine;
    FrameAllocator frames;
    MockUnit unit;
    MockUnit other;
    PciDevice d0;
    PciDevice d1;
    PciDevice d2;
    PciDevice d3;
    long before;

    @BeforeEach
    void setUp() {
        machine = TestMachines.machine();
        frames = machine.frames();
        unit = TestMachines.unit(machine, "u0");
        other = TestMachines.unit(machine, "u1");
        d0 = machine.device("d0");
        d1 = machine.device("d1");
        d2 = machine.device("d2");
        d3 = machine.device("d3");
        before = frames.framesInUse();
    }

    @AfterEach
    void tearDown() {
        frames.failNth(0);
    }

    private PagingDomain paging(int flags) {
        return unit.allocPaging(d0, flags, HwptDataType.NONE, null);
    }

    // ---- allocPaging

    @Test
    void allocPagingMakesAnEmptyDomainWithTheSelftestGeometry() {
        PagingDomain d = paging(HwptFlags.ALL);
        MockDomain m = assertInstanceOf(MockDomain.class, d);
        assertSame(unit, d.unit());
        assertEquals(new IovaRange(1L << 24, (1L << 31) - 1), d.aperture());
        assertEquals((1L << 11) | (1L << 20) | (1L << 29), d.pageSizes());
        assertTrue(d.isNestParent());
        assertTrue(d.supportsDirtyTracking());
        assertTrue(m.pasidCompatible);
        assertTrue(m.iopf);
        assertFalse(m.dirtyTracking);
        assertEquals(before + 1, frames.framesInUse(), "the root table");
        assertEquals(1, unit.tableFrames());
        assertEquals(-1, d.iovaToPhys(MockUnit.APERTURE_START));

        PagingDomain plain = paging(0);
        assertFalse(plain.isNestParent());
        assertFalse(plain.supportsDirtyTracking());
        assertTrue(plain.tag() > d.tag(), "tags are new for every domain");
        assertEquals(2, unit.tableFrames());
        assertEquals("selftest", unit.profile());
        assertEquals(2048, unit.pageSize());
    }

    @Test
    void granule4kUnit() {
        MockUnit u4 = TestMachines.unit(machine, "u4");
        assertEquals(4096, u4.pageSize());
        PagingDomain d = u4.allocPaging(machine.device("d4"), 0, HwptDataType.NONE, null);
        assertEquals((1L << 12) | (1L << 21) | (1L << 30), d.pageSizes());
        d.map(0x4000_0000L, 0x0003_4000_0000L, 1L << 30, RW, true);
        assertEquals(0x0003_4000_0000L + 0x1234, d.iovaToPhys(0x4000_1234L));
        expectErrno(Errno.EINVAL, () -> d.map(0x0100_0800L, 0x20_0000L, 2048, RW, false));
    }

    @Test
    void unitSettingsAreChecked() {
        Machine m = TestMachines.machine("memory 1G\nunit a mock pagesize=8192\nunit b mock iotlb=3\n"
                + "unit c mock reserved=0x8000000-0x80fffff\ndevice 0000:00:01.0 c\n");
        assertThrows(IllegalArgumentException.class, () -> TestMachines.unit(m, "a"));
        assertThrows(IllegalArgumentException.class, () -> TestMachines.unit(m, "b"));
        MockUnit c = TestMachines.unit(m, "c");
        assertEquals(List.of(new IovaRange(0x800_0000L, 0x80f_ffffL)), c.reservedRegions(m.device("0000:00:01.0")));
        assertEquals(List.of(), unit.reservedRegions(d0));
        assertEquals("u0", unit.description().id());
    }

    @Test
    void allocPagingFlagAndDataRules() {
        expectErrno(Errno.EOPNOTSUPP, () -> unit.allocPaging(d0, 0x10, HwptDataType.NONE, null));
        expectErrno(Errno.EOPNOTSUPP, () -> unit.allocPaging(d0, HwptFlags.NEST_PARENT | 0x100, HwptDataType.NONE, null));
        assertFalse(unit.supportsDirtyTracking(d2));
        assertTrue(unit.supportsDirtyTracking(d0));
        expectErrno(Errno.EOPNOTSUPP, () -> unit.allocPaging(d2, HwptFlags.DIRTY_TRACKING, HwptDataType.NONE, null));
        expectErrno(Errno.EOPNOTSUPP, () -> unit.allocPaging(d0, 0, HwptDataType.VTD_S1, new byte[24]));
        expectErrno(Errno.EOPNOTSUPP, () -> unit.allocPaging(d0, 0, HwptDataType.SELFTEST + 1, selftest(0, 0)));
        expectErrno(Errno.EINVAL, () -> unit.allocPaging(d0, 0, HwptDataType.SELFTEST, null));
        expectErrno(Errno.EINVAL, () -> unit.allocPaging(d0, 0, HwptDataType.SELFTEST, new byte[3]));
        expectErrno(Errno.EINVAL, () -> unit.allocPaging(d0, 0, HwptDataType.SELFTEST, new byte[9]));
        expectErrno(Errno.EOPNOTSUPP, () -> unit.allocPaging(d0, 0, HwptDataType.SELFTEST, selftest(0, 2)));
        expectErrno(Errno.EOPNOTSUPP, () -> unit.allocPaging(d0, 0, HwptDataType.SELFTEST, selftest(0, -1)));
        assertEquals(before, frames.framesInUse(), "failed allocations hold no frame");
        assertEquals(0, unit.tableFrames());

        // 4 bytes (pagetable_type 0 implied), 8 bytes with type 0 and type 1
        unit.allocPaging(d0, 0, HwptDataType.SELFTEST, new byte[4]);
        unit.allocPaging(d0, 0, HwptDataType.SELFTEST, selftest(7, 0));
        unit.allocPaging(d0, HwptFlags.DIRTY_TRACKING, HwptDataType.SELFTEST, selftest(7, 1));
        // d2 without dirty tracking still gets plain domains
        unit.allocPaging(d2, HwptFlags.NEST_PARENT | HwptFlags.PASID, HwptDataType.NONE, null);
        assertEquals(before + 4, frames.framesInUse());
    }

    @Test
    void allocPagingOutOfMemory() {
        frames.failNth(1);
        expectErrno(Errno.ENOMEM, () -> paging(0));
        assertEquals(before, frames.framesInUse());
        assertEquals(0, unit.tableFrames());
        unit.shutdown();
    }

    @Test
    void domainMapChecksAlignmentAndAperture() {
        PagingDomain d = paging(0);
        long s = MockUnit.APERTURE_START;
        expectErrno(Errno.EINVAL, () -> d.map(s + 1024, 0x20_0000L, K2, RW, false));
        expectErrno(Errno.EINVAL, () -> d.map(s, 0x20_0000L, 1024, RW, false));
        expectErrno(Errno.EINVAL, () -> d.map(s, 0x20_0000L, 0, RW, false));
        expectErrno(Errno.EINVAL, () -> d.map(s, 0x20_0400L, K2, RW, false));
        expectErrno(Errno.EINVAL, () -> d.map(s - K2, 0x20_0000L, K2, RW, false));
        expectErrno(Errno.EINVAL, () -> d.map(s - K2, 0x20_0000L, 2 * K2, RW, false));
        expectErrno(Errno.EINVAL, () -> d.map(MockUnit.APERTURE_LAST + 1 - K2, 0x20_0000L, 2 * K2, RW, false));
        assertEquals(before + 1, frames.framesInUse());
        d.map(MockUnit.APERTURE_LAST + 1 - K2, 0x20_0000L, K2, RW, false);
        assertEquals(0x20_07ffL, d.iovaToPhys(MockUnit.APERTURE_LAST));
        assertEquals(-1, d.iovaToPhys(MockUnit.APERTURE_LAST + 1));
        expectErrno(Errno.EEXIST, () -> d.map(MockUnit.APERTURE_LAST + 1 - K2, 0x30_0000L, K2, RW, false));
        assertEquals(K2, d.unmap(MockUnit.APERTURE_LAST + 1 - K2, K2));
        assertEquals(before + 1, frames.framesInUse());
    }

    @Test
    void unalignedUnmapIsRejectedAndLeavesTheTableIntact() {
        MockDomain d = (MockDomain) paging(0);
        long s = MockUnit.APERTURE_START;
        d.map(s, 0x20_0000L, K2, RW, false);
        long inUse = frames.framesInUse();
        expectErrno(Errno.EINVAL, () -> d.unmap(s + 1024, 1024));
        assertEquals(0x20_0000L, d.iovaToPhys(s));
        assertEquals(inUse, frames.framesInUse());
    }

    @Test
    void freedDomainIsDeadAndFreeIsIdempotent() {
        MockDomain d = (MockDomain) paging(0);
        d.map(MockUnit.APERTURE_START, 0x20_0000L, 4 * K2, RW, false);
        assertEquals(before + 3, frames.framesInUse());
        d.free();
        assertTrue(d.isFreed());
        assertEquals(before, frames.framesInUse());
        d.free();
        assertEquals(before, frames.framesInUse());
        assertThrows(IllegalStateException.class, () -> d.map(MockUnit.APERTURE_START, 0x20_0000L, K2, RW, false));
        assertThrows(IllegalStateException.class, () -> d.unmap(MockUnit.APERTURE_START, K2));
        assertThrows(IllegalStateException.class, () -> d.flush(MockUnit.APERTURE_START, K2));
        assertEquals(0, unit.tableFrames());
    }

    // ---- allocNested

    @Test
    void allocNestedRules() {
        PagingDomain parent = paging(HwptFlags.NEST_PARENT);
        PagingDomain foreign = other.allocPaging(d3, HwptFlags.NEST_PARENT, HwptDataType.NONE, null);
        byte[] data = selftest(MockUnit.IOTLB_DEFAULT, 0);
        expectErrno(Errno.EINVAL, () -> unit.allocNested(d0, foreign, 0, HwptDataType.SELFTEST, data));
        expectErrno(Errno.EINVAL, () -> unit.allocNested(d0, null, 0, HwptDataType.SELFTEST, data));
        expectErrno(Errno.EOPNOTSUPP, () -> unit.allocNested(d0, parent, HwptFlags.NEST_PARENT, HwptDataType.SELFTEST, data));
        expectErrno(Errno.EOPNOTSUPP, () -> unit.allocNested(d0, parent, HwptFlags.DIRTY_TRACKING, HwptDataType.SELFTEST, data));
        expectErrno(Errno.EOPNOTSUPP, () -> unit.allocNested(d0, parent, 0x20, HwptDataType.SELFTEST, data));
        expectErrno(Errno.EOPNOTSUPP, () -> unit.allocNested(d0, parent, 0, HwptDataType.NONE, data));
        expectErrno(Errno.EOPNOTSUPP, () -> unit.allocNested(d0, parent, 0, HwptDataType.VTD_S1, new byte[24]));
        expectErrno(Errno.EINVAL, () -> unit.allocNested(d0, parent, 0, HwptDataType.SELFTEST, new byte[3]));
        expectErrno(Errno.EINVAL, () -> unit.allocNested(d0, parent, 0, HwptDataType.SELFTEST, new byte[9]));
        expectErrno(Errno.EINVAL, () -> unit.allocNested(d0, parent, 0, HwptDataType.SELFTEST, null));
        long inUse = frames.framesInUse();

        NestedDomain n = unit.allocNested(d0, parent, HwptFlags.PASID | HwptFlags.FAULT_ID_VALID, HwptDataType.SELFTEST, data);
        assertEquals(inUse, frames.framesInUse(), "a nested domain has no table of its own");
        assertSame(parent, n.parent());
        assertSame(unit, n.unit());
        assertEquals(HwptDataType.SELFTEST, n.dataType());
        assertArrayEquals(data, n.data());
        byte[] copy = n.data();
        copy[0] = 0x55;
        assertArrayEquals(data, n.data(), "data() is a copy");
        for (int i = 0; i < 4; i++) {
            assertEquals(0xbadbeef, MockUnit.nestedIotlb(n, i));
        }
        assertTrue(n.tag() > parent.tag());
        MockNestedDomain m = (MockNestedDomain) n;
        assertTrue(m.pasidCompatible);
        assertTrue(m.iopf);

        // 4 bytes: iotlb only
        NestedDomain four = unit.allocNested(d0, parent, 0, HwptDataType.SELFTEST, new byte[] { 0x78, 0x56, 0x34, 0x12 });
        assertEquals(0x1234_5678, MockUnit.nestedIotlb(four, 3));
    }

    // ---- attach

    @Test
    void attachReplacesAndDetachBlocks() {
        PagingDomain a = paging(0);
        PagingDomain b = paging(0);
        assertNull(unit.attached(d0, Access.NO_PASID));
        unit.attach(d0, Access.NO_PASID, a);
        assertSame(a, unit.attached(d0, Access.NO_PASID));
        unit.attach(d0, Access.NO_PASID, b);
        assertSame(b, unit.attached(d0, Access.NO_PASID));
        assertNull(unit.attached(d0, 1));
        unit.detach(d0, Access.NO_PASID);
        assertNull(unit.attached(d0, Access.NO_PASID));
        unit.detach(d1, Access.NO_PASID);
        unit.detach(d1, 3);
        assertNull(unit.attached(d1, Access.NO_PASID));
    }

    @Test
    void attachOfAForeignOrFreedDomainIsEinvalAndKeepsTheOldOne() {
        PagingDomain a = paging(0);
        unit.attach(d0, Access.NO_PASID, a);
        unit.attach(d0, 5, a);
        PagingDomain foreign = other.allocPaging(d3, 0, HwptDataType.NONE, null);
        expectErrno(Errno.EINVAL, () -> unit.attach(d0, Access.NO_PASID, foreign));
        expectErrno(Errno.EINVAL, () -> unit.attach(d0, 5, foreign));
        PagingDomain freed = paging(0);
        freed.free();
        expectErrno(Errno.EINVAL, () -> unit.attach(d0, Access.NO_PASID, freed));
        PagingDomain parent = paging(HwptFlags.NEST_PARENT);
        NestedDomain n = unit.allocNested(d0, parent, 0, HwptDataType.SELFTEST, selftest(0, 0));
        n.free();
        expectErrno(Errno.EINVAL, () -> unit.attach(d0, 5, n));
        assertSame(a, unit.attached(d0, Access.NO_PASID));
        assertSame(a, unit.attached(d0, 5));
    }

    @Test
    void dirtyTrackingDomainDoesNotFitANoDirtyDevice() {
        PagingDomain dirty = unit.allocPaging(d0, HwptFlags.DIRTY_TRACKING | HwptFlags.NEST_PARENT, HwptDataType.NONE, null);
        expectErrno(Errno.EINVAL, () -> unit.attach(d2, Access.NO_PASID, dirty));
        NestedDomain n = unit.allocNested(d0, dirty, 0, HwptDataType.SELFTEST, selftest(0, 0));
        expectErrno(Errno.EINVAL, () -> unit.attach(d2, Access.NO_PASID, n));
        assertNull(unit.attached(d2, Access.NO_PASID));
        unit.attach(d0, Access.NO_PASID, n);
        assertSame(n, unit.attached(d0, Access.NO_PASID));
    }

    @Test
    void pasidAttachMustFitTheDevicesWidth() {
        PagingDomain a = paging(HwptFlags.PASID);
        expectErrno(Errno.EINVAL, () -> unit.attach(d1, 1, a));
        expectErrno(Errno.EINVAL, () -> unit.attach(d1, 0, a));
        expectErrno(Errno.EINVAL, () -> unit.attach(d0, 1 << 20, a));
        expectErrno(Errno.EINVAL, () -> unit.attach(d0, -2, a));
        expectErrno(Errno.EINVAL, () -> unit.attach(d2, 32, a));
        assertNull(unit.attached(d1, 1));
        assertNull(unit.attached(d2, 32));
        unit.attach(d0, (1 << 20) - 1, a);
        unit.attach(d0, 0, a);
        unit.attach(d2, 31, a);
        assertSame(a, unit.attached(d0, (1 << 20) - 1));
        assertSame(a, unit.attached(d0, 0));
        assertSame(a, unit.attached(d2, 31));
        // the RID is a separate endpoint
        unit.attach(d1, Access.NO_PASID, a);
        assertSame(a, unit.attached(d1, Access.NO_PASID));
    }

    @Test
    void failPasidTogglesLikeTheSelftest() {
        PagingDomain a = paging(HwptFlags.PASID);
        PagingDomain b = paging(HwptFlags.PASID);
        unit.attach(d0, 1024, a);
        assertSame(a, unit.attached(d0, 1024));
        expectErrno(Errno.ENOMEM, () -> unit.attach(d0, 1024, b));
        assertSame(a, unit.attached(d0, 1024), "the old attachment stays");
        // the third call succeeds: the failure cleared the toggle
        unit.attach(d0, 1024, b);
        assertSame(b, unit.attached(d0, 1024));
        expectErrno(Errno.ENOMEM, () -> unit.attach(d0, 1024, a));
        assertSame(b, unit.attached(d0, 1024));

        // other PASIDs and devices are not affected
        unit.attach(d0, 1023, a);
        unit.attach(d0, 1023, b);
        unit.attach(d2, 7, a);

        // detach resets the toggle
        unit.attach(d0, 1024, a); // sets it
        unit.detach(d0, 1024);
        assertNull(unit.attached(d0, 1024));
        unit.attach(d0, 1024, b);
        assertSame(b, unit.attached(d0, 1024));
        expectErrno(Errno.ENOMEM, () -> unit.attach(d0, 1024, a));
        assertSame(b, unit.attached(d0, 1024));
    }

    @Test
    void failPasidIsOffWithoutTheSetting() {
        Machine m = TestMachines.machine("memory 1G\nunit u0 mock\ndevice 0000:00:01.0 u0 name=d0 pasid=20 pri\n");
        MockUnit u = TestMachines.unit(m, "u0");
        PciDevice d = m.device("d0");
        PagingDomain x = u.allocPaging(d, 0, HwptDataType.NONE, null);
        PagingDomain y = u.allocPaging(d, 0, HwptDataType.NONE, null);
        for (int i = 0; i < 4; i++) {
            u.attach(d, 1024, i % 2 == 0 ? x : y);
        }
        assertSame(y, u.attached(d, 1024));
    }

    // ---- hw_info

    @Test
    void hwInfo() {
        HwInfo i0 = unit.hwInfo(d0, HwInfoType.DEFAULT);
        assertEquals(0xfeedbeef, i0.type());
        assertArrayEquals(new byte[] { 0, 0, 0, 0, (byte) 0xef, (byte) 0xbe, (byte) 0xad, (byte) 0xde }, i0.data());
        assertEquals(20, i0.maxPasidLog2());
        assertEquals(HwInfo.CAP_DIRTY_TRACKING | HwInfo.CAP_PCI_PASID_EXEC | HwInfo.CAP_PCI_PASID_PRIV, i0.capabilities());
        assertEquals(i0.type(), unit.hwInfo(d0, HwInfoType.SELFTEST).type());
        assertArrayEquals(i0.data(), unit.hwInfo(d0, HwInfoType.SELFTEST).data());

        HwInfo i1 = unit.hwInfo(d1, HwInfoType.DEFAULT);
        assertEquals(0, i1.maxPasidLog2());
        assertEquals(HwInfo.CAP_DIRTY_TRACKING, i1.capabilities());
        HwInfo i2 = unit.hwInfo(d2, HwInfoType.DEFAULT);
        assertEquals(5, i2.maxPasidLog2());
        assertEquals(0, i2.capabilities(), "nodirty=1, no exec, no priv");

        expectErrno(Errno.EOPNOTSUPP, () -> unit.hwInfo(d0, HwInfoType.INTEL_VTD));
        expectErrno(Errno.EOPNOTSUPP, () -> unit.hwInfo(d0, HwInfoType.ARM_SMMUV3));
        expectErrno(Errno.EOPNOTSUPP, () -> unit.hwInfo(d0, HwInfoType.SELFTEST + 1));
    }

    // ---- shutdown

    @Test
    void shutdownFreesEveryDomain() {
        PagingDomain a = paging(HwptFlags.NEST_PARENT | HwptFlags.DIRTY_TRACKING);
        PagingDomain b = paging(HwptFlags.PASID);
        NestedDomain n = unit.allocNested(d0, a, 0, HwptDataType.SELFTEST, selftest(1, 0));
        a.map(MockUnit.APERTURE_START, 0x20_0000L, 16 * K2, RW, false);
        b.map(0x2350_0000L, 0x30_0000L, 1L << 20, RW, true);
        b.map(0x4000_0000L, 0x0002_0000_0000L, 512L << 20, RW, true);
        b.unmap(0x4000_0000L + K2, K2);
        unit.attach(d0, Access.NO_PASID, n);
        unit.attach(d1, Access.NO_PASID, b);
        unit.attach(d0, 3, b);
        assertTrue(frames.framesInUse() > before + 4);
        assertEquals(frames.framesInUse() - before, unit.tableFrames());

        unit.shutdown();
        assertEquals(before, frames.framesInUse());
        assertEquals(0, unit.tableFrames());
        assertTrue(((MockDomain) a).isFreed());
        assertTrue(((MockDomain) b).isFreed());
        assertNull(unit.attached(d0, Access.NO_PASID));
        assertNull(unit.attached(d0, 3));
        assertNull(unit.attached(d1, Access.NO_PASID));
        TranslationFault f = assertInstanceOf(TranslationFault.class,
                unit.translate(d0, Access.NO_PASID, MockUnit.APERTURE_START, Access.READ));
        assertEquals("BLOCKED", f.reason());
        expectErrno(Errno.EINVAL, () -> unit.attach(d0, Access.NO_PASID, n));
        expectErrno(Errno.EINVAL, () -> unit.attach(d0, Access.NO_PASID, a));
        // a second shutdown has nothing to do
        unit.shutdown();
        assertEquals(before, frames.framesInUse());
    }

    @Test
    void shutdownLeavesOtherUnitsAlone() {
        Domain mine = paging(0);
        PagingDomain theirs = other.allocPaging(d3, 0, HwptDataType.NONE, null);
        theirs.map(MockUnit.APERTURE_START, 0x20_0000L, K2, RW, false);
        long withTheirs = frames.framesInUse();
        unit.shutdown();
        assertEquals(withTheirs - 1, frames.framesInUse());
        assertEquals(0x20_0000L, theirs.iovaToPhys(MockUnit.APERTURE_START));
        assertTrue(((MockDomain) mine).isFreed());
        other.shutdown();
        assertEquals(before, frames.framesInUse());
    }
}
