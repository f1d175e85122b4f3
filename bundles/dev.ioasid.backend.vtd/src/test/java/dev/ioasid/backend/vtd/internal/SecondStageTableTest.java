package dev.ioasid.backend.vtd.internal;

import static dev.ioasid.backend.vtd.internal.Rig.NO_PASID;
import static dev.ioasid.backend.vtd.internal.Rig.R;
import static dev.ioasid.backend.vtd.internal.Rig.W;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import org.junit.jupiter.api.Test;

import dev.ioasid.api.Errno;
import dev.ioasid.api.HwptFlags;
import dev.ioasid.api.IommuException;
import dev.ioasid.api.IovaRange;
import dev.ioasid.api.MapFlags;
import dev.ioasid.machine.TranslatedPage;
import dev.ioasid.spi.PagingDomain;

/** The host's second-stage format: 3, 4 and 5 levels, 4 KiB, 2 MiB and 1 GiB leaves, and its frames. */
class SecondStageTableTest {
    static final int RW = MapFlags.READABLE | MapFlags.WRITEABLE;

    private static PagingDomain domain(Rig rig) {
        PagingDomain d = rig.unit.allocPaging(rig.dev("dsa0"), HwptFlags.PASID, 0, new byte[0]);
        rig.unit.attach(rig.dev("dsa0"), NO_PASID, d);
        return d;
    }

    @Test
    void five_levels_reach_57_bit_addresses() {
        Rig rig = new Rig("profile=server aw=57");
        PagingDomain d = domain(rig);
        assertEquals(new IovaRange(0, (1L << 57) - 1), d.aperture());
        assertEquals(5, ((VtdDomain) d).table.levels);
        assertEquals(3, rig.unit.tables.pasidEntry(rig.dev("dsa0").rid(), 0).aw(), "AW 3 in the PASID entry");
        long pa = rig.frames.allocate();
        long iova = 0x0123_4567_8000_0000L;
        d.map(iova, pa, 4096, RW, true);
        assertEquals(pa + 0x42, rig.physical("dsa0", NO_PASID, iova + 0x42, W));
        assertEquals(pa + 0x42, d.iovaToPhys(iova + 0x42));
        rig.expectFault(FaultReason.ADDR_BEYOND_MGAW, "dsa0", NO_PASID, 1L << 57, R);
    }

    @Test
    void three_levels_on_the_legacy_profile() {
        Rig rig = Rig.legacy();
        PagingDomain d = domain(rig);
        assertEquals(new IovaRange(0, (1L << 39) - 1), d.aperture());
        assertEquals(1L << 12 | 1L << 21, d.pageSizes(), "4 KiB and 2 MiB (SLLPS 1)");
        d.map(0x40_0000, 0x20_0000, 2L << 20, RW, true);
        TranslatedPage p = rig.page("dsa0", NO_PASID, 0x40_1234, R);
        assertEquals(21, p.pageShift());
        assertEquals(0x20_1234, p.physical(0x40_1234));
        assertEquals(Errno.EINVAL, assertThrows(IommuException.class, () -> d.map(1L << 39, 0, 4096, RW, false)).errno());
    }

    @Test
    void large_leaves_are_used_when_aligned_and_split_when_cut() {
        Rig rig = Rig.server();
        PagingDomain d = domain(rig);
        VtdDomain v = (VtdDomain) d;
        assertEquals(1L << 12 | 1L << 21 | 1L << 30, d.pageSizes());
        long frames = v.table.tableFrames();
        // 1 GiB at 1 GiB (physical 0 to 1 GiB: the mapping is not checked against memory)
        d.map(1L << 30, 0, 1L << 30, RW, true);
        assertEquals(3, v.table.leaf((1L << 30) + 5)[1], "a level-3 leaf");
        assertEquals(frames + 1, v.table.tableFrames(), "one level-3 table under the root holds the 1 GiB leaf");
        TranslatedPage p = rig.page("dsa0", NO_PASID, (1L << 30) + 0x1234_5678L, R);
        assertEquals(30, p.pageShift());
        // cutting 4 KiB out of the 1 GiB leaf splits it into 2 MiB leaves and one table of 4 KiB leaves
        assertEquals(4096, d.unmap((1L << 30) + (4L << 20), 4096));
        assertEquals(2, v.table.leaf((1L << 30) + (6L << 20))[1]);
        assertEquals(1, v.table.leaf((1L << 30) + (4L << 20) + 4096)[1]);
        assertEquals(-1, d.iovaToPhys((1L << 30) + (4L << 20)));
        assertEquals((4L << 20) + 4096, d.iovaToPhys((1L << 30) + (4L << 20) + 4096));
        assertEquals(Errno.EEXIST, assertThrows(IommuException.class, () -> d.map((1L << 30) + (8L << 20), 0, 4096, RW, false)).errno());
        // without large pages: 2 MiB of 4 KiB leaves
        d.map(8L << 30, 2L << 20, 2L << 20, RW, false);
        assertEquals(1, v.table.leaf((8L << 30) + 0x1000)[1]);
    }

    @Test
    void emptied_tables_are_freed_after_the_flush_and_a_failed_map_leaves_nothing() {
        Rig rig = Rig.server();
        PagingDomain d = domain(rig);
        VtdDomain v = (VtdDomain) d;
        long before = rig.frames.framesInUse();
        d.map(0x4000_0000L, rig.frames.allocate(), 4096, RW, false);
        long data = 1;
        assertEquals(before + data + 3, rig.frames.framesInUse(), "levels 3, 2 and 1 tables");
        d.unmap(0x4000_0000L, 4096);
        assertEquals(before + data + 3, rig.frames.framesInUse(), "unlinked tables wait for the flush");
        d.flush(0x4000_0000L, 4096);
        assertEquals(before + data, rig.frames.framesInUse());
        // the third table allocation fails: nothing of the call stays
        long used = rig.frames.framesInUse();
        rig.frames.failNth(3);
        assertEquals(Errno.ENOMEM, assertThrows(IommuException.class, () -> d.map(0x8000_0000L, 0, 4096, RW, false)).errno());
        rig.frames.failNth(0);
        assertEquals(used, rig.frames.framesInUse());
        assertEquals(0, rig.mem.load64(v.table.root + 8L * SsPte.index(0x8000_0000L, 4)) & 3, "no table was left linked");
    }

    @Test
    void a_run_of_4k_pages_that_meets_a_mapped_page_fails_whole_and_names_it() {
        Rig rig = Rig.server();
        PagingDomain d = domain(rig);
        VtdDomain v = (VtdDomain) d;
        long base = 0x1_0000_0000L;
        d.map(base + 0x7000, 0x7000, 4096, RW, false);
        long tables = v.table.tableFrames();
        IommuException e = assertThrows(IommuException.class, () -> d.map(base, 0x100_0000, 64 * 4096, RW, false));
        assertEquals(Errno.EEXIST, e.errno());
        assertTrue(e.getMessage().contains("0x100007000"), e.getMessage());
        for (int i = 0; i < 64; i++) {
            assertEquals(i == 7 ? 0x7000 : -1, d.iovaToPhys(base + 4096L * i), "page " + i);
        }
        assertEquals(tables, v.table.tableFrames());
        // a run that crosses two last-level tables lands whole, each page where it belongs
        long run = base + (2L << 20) - 8 * 4096;
        d.map(run, 0x200_0000, 16 * 4096, MapFlags.READABLE, false);
        for (int i = 0; i < 16; i++) {
            assertEquals(0x200_0000 + 4096L * i + 8, d.iovaToPhys(run + 4096L * i + 8));
            assertEquals(1, v.table.leaf(run + 4096L * i)[1]);
        }
        assertEquals(0x200_0000 + 15 * 4096L + 0x10, rig.physical("dsa0", NO_PASID, run + 15 * 4096L + 0x10, R));
        rig.expectFault(FaultReason.WRITE, "dsa0", NO_PASID, run, W);
    }
}
