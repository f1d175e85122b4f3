package dev.ioasid.backend.vtd.internal;

import static dev.ioasid.backend.vtd.internal.Rig.R;
import static dev.ioasid.backend.vtd.internal.Rig.W;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;

import org.junit.jupiter.api.Test;

import dev.ioasid.api.Errno;
import dev.ioasid.api.HwptDataType;
import dev.ioasid.api.HwptFlags;
import dev.ioasid.api.IommuException;
import dev.ioasid.api.MapFlags;
import dev.ioasid.machine.Access;
import dev.ioasid.machine.TranslatedPage;
import dev.ioasid.spi.NestedDomain;
import dev.ioasid.spi.PagingDomain;

/**
 * Nested translation: a guest's first stage (VTD_S1) on a NEST_PARENT second stage. Every first-stage table
 * pointer and the final guest-physical address go through the second stage; the guest's invalidations become
 * PASID-based IOTLB descriptors.
 */
class NestedTranslationTest {
    static final int RW = MapFlags.READABLE | MapFlags.WRITEABLE;
    /** The guest has 8 MiB of RAM at guest-physical 0. */
    static final long RAM = 8L << 20;

    static byte[] s1(long flags, long pgtbl, int addrWidth, int rsvd) {
        return ByteBuffer.allocate(24).order(ByteOrder.LITTLE_ENDIAN).putLong(flags).putLong(pgtbl).putInt(addrWidth).putInt(rsvd).array();
    }

    static byte[] inv(long addr, long npages, int flags, int rsvd) {
        return ByteBuffer.allocate(24).order(ByteOrder.LITTLE_ENDIAN).putLong(addr).putLong(npages).putInt(flags).putInt(rsvd).array();
    }

    /** A guest: a parent domain mapping its RAM (guest-physical 0 to 8 MiB) to contiguous host frames. */
    static final class Guest {
        final Rig rig;
        final PagingDomain parent;
        final long hostRam;

        Guest(Rig rig, int parentFlags) {
            this.rig = rig;
            parent = rig.unit.allocPaging(rig.dev("dsa0"), HwptFlags.NEST_PARENT | HwptFlags.PASID | parentFlags, 0, new byte[0]);
            hostRam = rig.frames.allocate(RAM >> 12, 512);
            parent.map(0, hostRam, RAM, RW, true);
        }

        long host(long gpa) {
            return hostRam + gpa;
        }

        GuestTables tables(long at, int levels) {
            return new GuestTables(rig.mem, this::host, at, levels);
        }

        NestedDomain nested(long flags, long pgtbl, int addrWidth) {
            return rig.unit.allocNested(rig.dev("dsa0"), parent, HwptFlags.PASID, HwptDataType.VTD_S1, s1(flags, pgtbl, addrWidth, 0));
        }
    }

    private static IommuException allocFails(Guest g, PagingDomain parent, int type, byte[] data) {
        return assertThrows(IommuException.class, () -> g.rig.unit.allocNested(g.rig.dev("dsa0"), parent, HwptFlags.PASID, type, data));
    }

    @Test
    void vtd_s1_data_is_checked_with_the_reference_errnos() {
        Guest g = new Guest(Rig.server(), 0);
        byte[] good = s1(0, 0x10000, 48, 0);
        assertEquals(Errno.EOPNOTSUPP, allocFails(g, g.parent, HwptDataType.ARM_SMMUV3, good).errno(), "unknown data type");
        assertEquals(Errno.EINVAL, allocFails(g, g.parent, HwptDataType.VTD_S1, new byte[16]).errno(), "short");
        assertEquals(Errno.EINVAL, allocFails(g, g.parent, HwptDataType.VTD_S1, new byte[32]).errno(), "long");
        assertEquals(Errno.EOPNOTSUPP, allocFails(g, g.parent, HwptDataType.VTD_S1, s1(8, 0x10000, 48, 0)).errno(), "unknown flag");
        assertEquals(Errno.EINVAL, allocFails(g, g.parent, HwptDataType.VTD_S1, s1(0, 0x10000, 39, 0)).errno(), "addr_width 39");
        assertEquals(Errno.EINVAL, allocFails(g, g.parent, HwptDataType.VTD_S1, s1(0, 0x10010, 48, 0)).errno(), "misaligned");
        assertEquals(Errno.EINVAL, allocFails(g, g.parent, HwptDataType.VTD_S1, s1(0, 1L << 48, 48, 0)).errno(), "beyond the parent");
        assertEquals(Errno.EINVAL, allocFails(g, g.parent, HwptDataType.VTD_S1, s1(0, 0x10000, 48, 1)).errno(), "__reserved");
        PagingDomain notParent = g.rig.unit.allocPaging(g.rig.dev("dsa0"), 0, 0, new byte[0]);
        assertEquals(Errno.EINVAL, allocFails(g, notParent, HwptDataType.VTD_S1, good).errno(), "parent without NEST_PARENT");
        NestedDomain ok = g.rig.unit.allocNested(g.rig.dev("dsa0"), g.parent, 0, HwptDataType.VTD_S1,
                s1(VtdNestedDomain.S1_SRE | VtdNestedDomain.S1_EAFE | VtdNestedDomain.S1_WPE, 0x10000, 57, 0));
        assertEquals(HwptDataType.VTD_S1, ok.dataType());
        assertEquals(g.parent, ok.parent());
        // a legacy unit cannot nest
        Rig legacy = Rig.legacy();
        assertEquals(Errno.EOPNOTSUPP, assertThrows(IommuException.class,
                () -> legacy.unit.allocPaging(legacy.dev("dsa0"), HwptFlags.NEST_PARENT, 0, new byte[0])).errno());
    }

    @Test
    void vtd_s1_features_the_unit_lacks_are_einval_as_in_intel_pasid_setup_nested() {
        byte[] sre = s1(VtdNestedDomain.S1_SRE, 0x10000, 48, 0);
        byte[] eafe = s1(VtdNestedDomain.S1_EAFE, 0x10000, 48, 0);
        byte[] five = s1(0, 0x10000, 57, 0);
        // no ECAP.SRS: SRE is EINVAL; EAFE and 5 levels still work
        Guest noSrs = new Guest(new Rig("profile=server srs=0"), 0);
        IommuException e = allocFails(noSrs, noSrs.parent, HwptDataType.VTD_S1, sre);
        assertEquals(Errno.EINVAL, e.errno(), e::getMessage);
        assertTrue(e.getMessage().contains("SRS"), e::getMessage);
        assertEquals(0x10000, ((VtdNestedDomain) noSrs.rig.unit.allocNested(noSrs.rig.dev("dsa0"), noSrs.parent, 0, HwptDataType.VTD_S1, eafe)).pgtblAddr);
        assertEquals(1, ((VtdNestedDomain) noSrs.nested(0, 0x10000, 57)).fspm());
        // no ECAP.EAFS: EAFE is EINVAL; SRE still works
        Guest noEafs = new Guest(new Rig("profile=server eafs=0"), 0);
        e = allocFails(noEafs, noEafs.parent, HwptDataType.VTD_S1, eafe);
        assertEquals(Errno.EINVAL, e.errno(), e::getMessage);
        assertTrue(e.getMessage().contains("EAFS"), e::getMessage);
        assertEquals(VtdNestedDomain.S1_SRE, ((VtdNestedDomain) noEafs.nested(VtdNestedDomain.S1_SRE, 0x10000, 48)).s1Flags);
        // no CAP.FL5LP: addr_width 57 is EINVAL; 48 still works
        Guest noFl5lp = new Guest(new Rig("profile=server fl5lp=0"), 0);
        e = allocFails(noFl5lp, noFl5lp.parent, HwptDataType.VTD_S1, five);
        assertEquals(Errno.EINVAL, e.errno(), e::getMessage);
        assertTrue(e.getMessage().contains("addr_width 57"), e::getMessage);
        assertEquals(0, ((VtdNestedDomain) noFl5lp.nested(0, 0x10000, 48)).fspm());
        // an unknown flag stays EOPNOTSUPP even on a unit lacking the features
        assertEquals(Errno.EOPNOTSUPP, allocFails(noEafs, noEafs.parent, HwptDataType.VTD_S1, s1(8, 0x10000, 48, 0)).errno());
        // nothing of the failed allocations is left: only the successful nested domains and the parent hold DIDs
        assertEquals(3, noSrs.rig.unit.driver.byDid.size(), "parent, EAFE and 5-level domains");
        assertEquals(2, noEafs.rig.unit.driver.byDid.size());
        assertEquals(2, noFl5lp.rig.unit.driver.byDid.size());
    }

    @Test
    void a_nested_walk_translates_table_pointers_and_the_output_through_the_second_stage() {
        Guest g = new Guest(Rig.server(), 0);
        GuestTables fs = g.tables(0x10_0000, 4);
        fs.map(0x7000_0000L, 0x30_0000, PageTables.FS_USER_RW); // GVA -> GPA 3 MiB
        fs.map(0x7000_1000L, 0x30_1000, FsPte.P | FsPte.US); // read-only
        NestedDomain n = g.nested(0, fs.root, 48);
        g.rig.unit.attach(g.rig.dev("dsa0"), 5, n);
        PasidEntry e = g.rig.unit.tables.pasidEntry(g.rig.dev("dsa0").rid(), 5);
        assertEquals(PasidEntry.PGTT_NESTED, e.pgtt());
        assertEquals(fs.root, e.fsptptr(), "FSPTPTR is the guest-physical pgtbl_addr");
        assertEquals(((VtdDomain) g.parent).table.root, e.ssptptr());
        assertEquals(n.tag(), e.did());

        TranslatedPage p = g.rig.page("dsa0", 5, 0x7000_0123L, W);
        assertEquals(g.host(0x30_0000) + 0x123, p.physical(0x7000_0123L));
        assertEquals(12, p.pageShift(), "a 4 KiB first-stage page on a 2 MiB second-stage page is 4 KiB");
        // A and D were set in the guest's tables, in guest memory
        assertEquals(FsPte.A | FsPte.D, fs.entry(0x7000_0000L, 1) & (FsPte.A | FsPte.D));
        assertEquals(FsPte.A, fs.entry(0x7000_0000L, 4) & (FsPte.A | FsPte.D));
        g.rig.expectFault(FaultReason.SM_WRITE, "dsa0", 5, 0x7000_1000L, W);
        g.rig.expectFault(FaultReason.FS_PAGING_ENTRY_P, "dsa0", 5, 0x7000_2000L, R);
        // a first-stage output outside the guest's RAM: the second stage has no entry for it
        fs.map(0x7000_3000L, 0x4000_0000L, PageTables.FS_USER_RW);
        g.rig.expectFault(FaultReason.READ, "dsa0", 5, 0x7000_3000L, R);
        // and a guest-physical address above the second stage's width
        fs.map(0x7000_4000L, 1L << 50, PageTables.FS_USER_RW);
        g.rig.expectFault(FaultReason.ADDR_BEYOND_MGAW, "dsa0", 5, 0x7000_4000L, R);
    }

    @Test
    void large_first_stage_pages_and_five_levels() {
        Guest g = new Guest(Rig.server(), 0);
        GuestTables fs = g.tables(0x10_0000, 5);
        fs.map(0x00FF_0000_0000_0000L, 0x40_0000, 2, PageTables.FS_USER_RW); // a 2 MiB page at a 57-bit GVA
        NestedDomain n = g.nested(0, fs.root, 57);
        g.rig.unit.attach(g.rig.dev("dsa0"), 6, n);
        assertEquals(1, g.rig.unit.tables.pasidEntry(g.rig.dev("dsa0").rid(), 6).fspm(), "FSPM 1: 5-level");
        TranslatedPage p = g.rig.page("dsa0", 6, 0x00FF_0000_0012_3456L, R);
        assertEquals(g.host(0x40_0000) + 0x12_3456, p.physical(0x00FF_0000_0012_3456L));
        assertEquals(21, p.pageShift(), "2 MiB over 2 MiB");
        g.rig.expectFault(FaultReason.FS_NON_CANONICAL, "dsa0", 6, 0x0200_0000_0000_0000L, R);
    }

    @Test
    void supervisor_requests_need_sre_and_wpe_protects_read_only_pages() {
        Guest g = new Guest(Rig.server(), 0);
        GuestTables fs = g.tables(0x10_0000, 4);
        fs.map(0x1000, 0x30_0000, FsPte.P); // supervisor, read-only
        NestedDomain plain = g.nested(0, fs.root, 48);
        NestedDomain sre = g.nested(VtdNestedDomain.S1_SRE, fs.root, 48);
        NestedDomain wpe = g.nested(VtdNestedDomain.S1_SRE | VtdNestedDomain.S1_WPE, fs.root, 48);
        g.rig.unit.attach(g.rig.dev("dsa0"), 1, plain);
        g.rig.unit.attach(g.rig.dev("dsa0"), 2, sre);
        g.rig.unit.attach(g.rig.dev("dsa0"), 3, wpe);
        int priv = Access.PRIV;
        g.rig.expectFault(FaultReason.FS_PRIVILEGE, "dsa0", 1, 0x1000, R | priv);
        g.rig.expectFault(FaultReason.FS_PAGING_ENTRY_US, "dsa0", 2, 0x1000, R);
        assertEquals(g.host(0x30_0000), g.rig.physical("dsa0", 2, 0x1000, R | priv));
        assertEquals(g.host(0x30_0000), g.rig.physical("dsa0", 2, 0x1000, W | priv), "WPE clear: a supervisor may write");
        g.rig.expectFault(FaultReason.SM_WRITE, "dsa0", 3, 0x1000, W | priv);
    }

    @Test
    void guest_invalidations_are_pasid_based_iotlb_descriptors_and_stale_entries_live_until_then() {
        Guest g = new Guest(Rig.server(), 0);
        GuestTables fs = g.tables(0x10_0000, 4);
        fs.map(0x5000, 0x30_0000, PageTables.FS_USER_RW);
        fs.map(0x6000, 0x30_1000, PageTables.FS_USER_RW);
        NestedDomain n = g.nested(0, fs.root, 48);
        g.rig.unit.attach(g.rig.dev("dsa0"), 9, n);
        assertEquals(g.host(0x30_0000), g.rig.physical("dsa0", 9, 0x5000, R));
        assertEquals(g.host(0x30_1000), g.rig.physical("dsa0", 9, 0x6000, R));
        // the guest remaps both pages without telling the IOMMU: the IOTLB keeps the old translations
        fs.map(0x5000, 0x31_0000, PageTables.FS_USER_RW);
        fs.map(0x6000, 0x31_1000, PageTables.FS_USER_RW);
        assertEquals(g.host(0x30_0000), g.rig.physical("dsa0", 9, 0x5000, R));
        // VTD_S1 {addr 0x5000, npages 1, LEAF}: PASID-based IOTLB, page-selective, IH = LEAF
        assertEquals(1, n.invalidate(HwptDataType.INVALIDATE_VTD_S1, 24, inv(0x5000, 1, VtdNestedDomain.INV_FLAGS_LEAF, 0), 1));
        Descriptor last = lastDescriptor(g.rig, Descriptor.PASID_IOTLB);
        assertEquals(Descriptor.PASID_IOTLB, last.type());
        assertEquals(Descriptor.PIOTLB_PAGE, last.granularity());
        assertEquals((int) n.tag(), last.did());
        assertEquals(9, last.pasid());
        assertEquals(0x5000, last.addr());
        assertEquals(0, last.am());
        assertTrue(last.ih());
        assertEquals(g.host(0x31_0000), g.rig.physical("dsa0", 9, 0x5000, R));
        assertEquals(g.host(0x30_1000), g.rig.physical("dsa0", 9, 0x6000, R), "page-selective: the other page is still stale");
        // addr 0 and npages U64_MAX: everything of the PASID
        assertEquals(1, n.invalidate(HwptDataType.INVALIDATE_VTD_S1, 24, inv(0, -1L, 0, 0), 1));
        assertEquals(Descriptor.PIOTLB_PASID, lastDescriptor(g.rig, Descriptor.PASID_IOTLB).granularity());
        assertEquals(Descriptor.PASID_DEVICE_TLB, lastDescriptor(g.rig, Descriptor.PASID_DEVICE_TLB).type(), "dsa0 has ATS: its device TLB too");
        assertEquals(g.host(0x31_1000), g.rig.physical("dsa0", 9, 0x6000, R));
    }

    /** The most recent descriptor of a type in the invalidation queue's ring. */
    static Descriptor lastDescriptor(Rig rig, int type) {
        InvalidationQueue iq = rig.unit.iq;
        long size = iq.queueBytes();
        int ds = iq.descriptorSize();
        for (long back = ds; back <= size; back += ds) {
            long at = (iq.iqa() & -4096L) + (iq.tail() - back + size) % size;
            Descriptor d = new Descriptor(rig.mem.load64(at), rig.mem.load64(at + 8), rig.mem.load64(at + 16), rig.mem.load64(at + 24));
            if (d.type() == type) {
                return d;
            }
        }
        throw new AssertionError("no descriptor of type " + type + " in the ring");
    }

    @Test
    void a_bad_entry_stops_the_array_and_reports_how_many_were_done() {
        Guest g = new Guest(Rig.server(), 0);
        NestedDomain n = g.nested(0, g.tables(0x10_0000, 4).root, 48);
        int t = HwptDataType.INVALIDATE_VTD_S1;
        assertEquals(0, n.invalidate(t, 24, new byte[0], 0));
        IommuException e = assertThrows(IommuException.class, () -> n.invalidate(HwptDataType.INVALIDATE_ARM_SMMUV3, 24, inv(0, 1, 0, 0), 1));
        assertEquals(Errno.EINVAL, e.errno());
        assertEquals(0, e.progress());
        assertEquals(Errno.EINVAL, assertThrows(IommuException.class, () -> n.invalidate(t, 16, inv(0, 1, 0, 0), 1)).errno(), "entry_len");
        byte[] three = new byte[72];
        System.arraycopy(inv(0x1000, 1, 0, 0), 0, three, 0, 24);
        System.arraycopy(inv(0, -1L, 1, 0), 0, three, 24, 24);
        System.arraycopy(inv(0x2000, 1, 2, 0), 0, three, 48, 24);
        e = assertThrows(IommuException.class, () -> n.invalidate(t, 24, three, 3));
        assertEquals(Errno.EOPNOTSUPP, e.errno(), "unknown flag");
        assertEquals(2, e.progress(), "entry_num out: two were done");
        System.arraycopy(inv(0x2000, 1, 0, 5), 0, three, 48, 24);
        assertEquals(2, assertThrows(IommuException.class, () -> n.invalidate(t, 24, three, 3)).progress(), "__reserved");
        System.arraycopy(inv(0x2010, 1, 0, 0), 0, three, 48, 24);
        assertEquals(Errno.EINVAL, assertThrows(IommuException.class, () -> n.invalidate(t, 24, three, 3)).errno(), "misaligned addr");
        System.arraycopy(inv(0x2000, -1L, 0, 0), 0, three, 48, 24);
        assertEquals(Errno.EINVAL, assertThrows(IommuException.class, () -> n.invalidate(t, 24, three, 3)).errno(), "U64_MAX needs addr 0");
        byte[] longer = new byte[32];
        System.arraycopy(inv(0, 1, 0, 0), 0, longer, 0, 24);
        assertEquals(1, n.invalidate(t, 32, longer, 1), "a longer entry with zero tail is fine");
        longer[31] = 1;
        assertEquals(Errno.E2BIG, assertThrows(IommuException.class, () -> n.invalidate(t, 32, longer, 1)).errno());
    }

    @Test
    void unmapping_the_parent_flushes_the_nested_combined_entries() {
        Guest g = new Guest(Rig.server(), 0);
        GuestTables fs = g.tables(0x10_0000, 4);
        fs.map(0x5000, 0x30_0000, PageTables.FS_USER_RW);
        NestedDomain n = g.nested(0, fs.root, 48);
        g.rig.unit.attach(g.rig.dev("dsa0"), 4, n);
        assertEquals(g.host(0x30_0000), g.rig.physical("dsa0", 4, 0x5000, R));
        // the host takes the guest page away (strict unmap: unmap, then flush)
        g.parent.unmap(0x30_0000, 0x1000);
        assertEquals(g.host(0x30_0000), g.rig.physical("dsa0", 4, 0x5000, R), "stale until the flush");
        g.parent.flush(0x30_0000, 0x1000);
        g.rig.expectFault(FaultReason.READ, "dsa0", 4, 0x5000, R);
    }

    @Test
    void the_parents_dirty_tracking_reaches_the_nested_walk() {
        Guest g = new Guest(Rig.server(), HwptFlags.DIRTY_TRACKING);
        GuestTables fs = g.tables(0x10_0000, 4);
        fs.map(0x5000, 0x30_0000, PageTables.FS_USER_RW);
        NestedDomain n = g.nested(0, fs.root, 48);
        g.rig.unit.attach(g.rig.dev("dsa0"), 4, n);
        g.parent.setDirtyTracking(true);
        assertTrue(g.rig.unit.tables.pasidEntry(g.rig.dev("dsa0").rid(), 4).ssade());
        g.rig.page("dsa0", 4, 0x5000, W);
        java.util.List<Long> dirty = new java.util.ArrayList<>();
        g.parent.readDirty(0, RAM, false, (iova, size) -> dirty.add(iova));
        // the data page's 2 MiB leaf was written; the first-stage tables' leaf was read (A), not written
        assertEquals(java.util.List.of(0x20_0000L), dirty);
    }
}
