package dev.ioasid.backend.mock.internal;

import static dev.ioasid.backend.mock.internal.TestMachines.expectErrno;
import static dev.ioasid.backend.mock.internal.TestMachines.inv;
import static dev.ioasid.backend.mock.internal.TestMachines.selftest;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;

import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

import dev.ioasid.api.Errno;
import dev.ioasid.api.HwptDataType;
import dev.ioasid.api.HwptFlags;
import dev.ioasid.api.IommuException;
import dev.ioasid.machine.Machine;
import dev.ioasid.machine.PciDevice;
import dev.ioasid.spi.NestedDomain;
import dev.ioasid.spi.PagingDomain;

/** IOMMU_HWPT_INVALIDATE on the mock nested domain: the selftest's matrix. */
class MockNestedDomainTest {
    static final int TYPE = HwptDataType.INVALIDATE_SELFTEST;
    static final int ALL = MockNestedDomain.INVALIDATE_FLAG_ALL;
    static final int V = 0xbadbeef;

    MockUnit unit;
    PciDevice d0;
    NestedDomain n;

    @BeforeEach
    void setUp() {
        Machine m = TestMachines.machine();
        unit = TestMachines.unit(m, "u0");
        d0 = m.device("d0");
        PagingDomain parent = unit.allocPaging(d0, HwptFlags.NEST_PARENT, HwptDataType.NONE, null);
        n = unit.allocNested(d0, parent, 0, HwptDataType.SELFTEST, selftest(MockUnit.IOTLB_DEFAULT, 0));
    }

    private int[] iotlb() {
        int[] v = new int[4];
        for (int i = 0; i < 4; i++) {
            v[i] = MockUnit.nestedIotlb(n, i);
        }
        return v;
    }

    @Test
    void defaultIotlbValuesComeFromTheData() {
        assertEquals(0xbadbeef, MockUnit.IOTLB_DEFAULT);
        assertArrayEquals(new int[] { V, V, V, V }, iotlb());
    }

    @Test
    void zeroEntriesOfTheRightTypeDoNothing() {
        assertEquals(0, n.invalidate(TYPE, 8, new byte[0], 0));
        assertEquals(0, n.invalidate(TYPE, 8, null, 0));
        assertArrayEquals(new int[] { V, V, V, V }, iotlb());
    }

    @Test
    void wrongDataTypeIsEinvalEvenWithNoEntries() {
        IommuException e = expectErrno(Errno.EINVAL, () -> n.invalidate(HwptDataType.INVALIDATE_VTD_S1, 8, new byte[0], 0));
        assertEquals(0, e.progress());
        e = expectErrno(Errno.EINVAL, () -> n.invalidate(TYPE + 1, 8, inv(0, 1), 1));
        assertEquals(0, e.progress());
        assertArrayEquals(new int[] { V, V, V, V }, iotlb());
    }

    @Test
    void entryLengthMustBe8() {
        IommuException e = expectErrno(Errno.EINVAL, () -> n.invalidate(TYPE, 9, new byte[9], 1));
        assertEquals(0, e.progress());
        e = expectErrno(Errno.EINVAL, () -> n.invalidate(TYPE, 1, new byte[1], 1));
        assertEquals(0, e.progress());
        e = expectErrno(Errno.EINVAL, () -> n.invalidate(TYPE, 4, inv(0, 1), 2));
        assertEquals(0, e.progress());
        assertArrayEquals(new int[] { V, V, V, V }, iotlb());
    }

    @Test
    void unknownFlagsAreEopnotsupp() {
        IommuException e = expectErrno(Errno.EOPNOTSUPP, () -> n.invalidate(TYPE, 8, inv(2, 0), 1));
        assertEquals(0, e.progress());
        e = expectErrno(Errno.EOPNOTSUPP, () -> n.invalidate(TYPE, 8, inv(ALL | 0x8000_0000, 0), 1));
        assertEquals(0, e.progress());
        assertArrayEquals(new int[] { V, V, V, V }, iotlb());
    }

    @Test
    void iotlbIdAbove3IsEinval() {
        IommuException e = expectErrno(Errno.EINVAL, () -> n.invalidate(TYPE, 8, inv(0, 4), 1));
        assertEquals(0, e.progress());
        e = expectErrno(Errno.EINVAL, () -> n.invalidate(TYPE, 8, inv(0, -1), 1));
        assertEquals(0, e.progress(), "iotlb_id is unsigned");
        // checked even when FLAG_ALL ignores the id, as the selftest does
        expectErrno(Errno.EINVAL, () -> n.invalidate(TYPE, 8, inv(ALL, 4), 1));
        assertArrayEquals(new int[] { V, V, V, V }, iotlb());
    }

    @Test
    void entriesClearOneIotlbEach() {
        assertEquals(1, n.invalidate(TYPE, 8, inv(0, 0), 1));
        assertArrayEquals(new int[] { 0, V, V, V }, iotlb());
        assertEquals(2, n.invalidate(TYPE, 8, inv(0, 3, 0, 1), 2));
        assertArrayEquals(new int[] { 0, 0, V, 0 }, iotlb());
        assertEquals(1, n.invalidate(TYPE, 8, inv(0, 2), 1));
        assertArrayEquals(new int[] { 0, 0, 0, 0 }, iotlb());
    }

    @Test
    void flagAllClearsAllFour() {
        assertEquals(1, n.invalidate(TYPE, 8, inv(ALL, 0), 1));
        assertArrayEquals(new int[] { 0, 0, 0, 0 }, iotlb());
        NestedDomain other = unit.allocNested(d0, n.parent(), 0,
                HwptDataType.SELFTEST, selftest(0x1234, 0));
        assertEquals(1, other.invalidate(TYPE, 8, inv(ALL, 3), 1));
        assertEquals(0, MockUnit.nestedIotlb(other, 0));
    }

    @Test
    void progressCountsTheEntriesHandledBeforeTheFailure() {
        // id 1 ok, id 3 ok, id 4 fails, id 0 never handled
        IommuException e = expectErrno(Errno.EINVAL, () -> n.invalidate(TYPE, 8, inv(0, 1, 0, 3, 0, 4, 0, 0), 4));
        assertEquals(2, e.progress());
        assertArrayEquals(new int[] { V, 0, V, 0 }, iotlb());

        setUp();
        e = expectErrno(Errno.EOPNOTSUPP, () -> n.invalidate(TYPE, 8, inv(0, 2, 4, 0, ALL, 0), 3));
        assertEquals(1, e.progress());
        assertArrayEquals(new int[] { V, V, 0, V }, iotlb());
    }

    @Test
    void entriesPastTheBufferAreEfault() {
        IommuException e = expectErrno(Errno.EFAULT, () -> n.invalidate(TYPE, 8, inv(0, 1), 2));
        assertEquals(1, e.progress());
        assertArrayEquals(new int[] { V, 0, V, V }, iotlb());
        e = expectErrno(Errno.EFAULT, () -> n.invalidate(TYPE, 8, null, 1));
        assertEquals(0, e.progress());
    }

    @Test
    void eachEntryInvalidatesTheNestedTagInTheUnitIotlb() {
        long before = unit.stats().invalidations();
        n.invalidate(TYPE, 8, inv(0, 0, 0, 1, ALL, 0), 3);
        assertEquals(before + 3, unit.stats().invalidations());
    }
}
