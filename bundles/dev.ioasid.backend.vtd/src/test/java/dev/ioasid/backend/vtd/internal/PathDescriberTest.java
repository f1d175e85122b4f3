package dev.ioasid.backend.vtd.internal;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.SplittableRandom;
import java.util.stream.Collectors;

import org.junit.jupiter.api.Test;

import dev.ioasid.api.MapFlags;
import dev.ioasid.machine.Access;
import dev.ioasid.spi.DecodedEntry;
import dev.ioasid.spi.NestedDomain;
import dev.ioasid.spi.PagingDomain;

/**
 * describePath, the {@code tables} view: each structure of a walk in order, its physical address and its fields
 * by the spec's names, checked against configurations whose values are worked out by hand in the comments.
 */
class PathDescriberTest {
    private static final int RW = MapFlags.READABLE | MapFlags.WRITEABLE;

    private static List<String> structures(List<DecodedEntry> path) {
        return path.stream().map(DecodedEntry::structure).collect(Collectors.toList());
    }

    private static DecodedEntry find(List<DecodedEntry> path, String structure) {
        return path.stream().filter(e -> e.structure().equals(structure)).findFirst()
                .orElseThrow(() -> new AssertionError("no " + structure + " in " + structures(path)));
    }

    private static DecodedEntry last(List<DecodedEntry> path) {
        return path.get(path.size() - 1);
    }

    private static String raw(long v) {
        return String.format("0x%016x", v);
    }

    private static String hex(long v) {
        return "0x" + Long.toHexString(v);
    }

    /** The three second-stage entries of a GPA below 8 MiB of the guest: its parent maps RAM with 2 MiB pages. */
    private static List<String> ss(String label, int pde) {
        return List.of("SS-PML4E[0]" + label, "SS-PDPE[0]" + label, "SS-PDE[" + pde + "]" + label);
    }

    @Test
    void a_nested_walk_shows_the_configuration_the_first_stage_and_the_second_stage_walk_of_every_table_pointer() {
        NestedTranslationTest.Guest g = new NestedTranslationTest.Guest(Rig.server(), 0);
        GuestTables fs = g.tables(0x10_0000, 4); // root at GPA 0x100000, then PDPT 0x101000, PD 0x102000, PT 0x103000
        fs.map(0x7000_0000L, 0x30_0000, PageTables.FS_USER_RW);
        NestedDomain n = g.nested(0, fs.root, 48);
        g.rig.unit.attach(g.rig.dev("dsa0"), 5, n);

        // VA 0x7000_0123: PML4 index 0, PDPT index 1 (bit 30), PD index 0x180 (bits 29:21 = 0x380 & 0x1ff), PT index 0
        List<DecodedEntry> path = g.rig.unit.describePath(g.rig.dev("dsa0"), 5, 0x7000_0123L);
        List<String> expected = new ArrayList<>(List.of("RTADDR_REG", "root entry (bus 0x00)", "scalable-mode context entry (devfn 0x20)",
                "PASID directory entry 0", "PASID entry 5"));
        expected.addAll(ss(" (nested: FS-PML4E[0] at GPA 0x100000)", 0));
        expected.add("FS-PML4E[0]");
        expected.addAll(ss(" (nested: FS-PDPE[1] at GPA 0x101008)", 0));
        expected.add("FS-PDPE[1]");
        expected.addAll(ss(" (nested: FS-PDE[384] at GPA 0x102c00)", 0));
        expected.add("FS-PDE[384]");
        expected.addAll(ss(" (nested: FS-PTE[0] at GPA 0x103000)", 0));
        expected.add("FS-PTE[0]");
        expected.addAll(ss(" (nested: the output GPA 0x300123)", 1)); // GPA 0x300123 is in the second 2 MiB page
        expected.add("output");
        assertEquals(expected, structures(path));

        assertEquals("01 (scalable mode)", path.get(0).fields().get("TTM"));
        assertEquals("1", path.get(1).fields().get("LP"));
        Map<String, String> ctx = path.get(2).fields();
        assertEquals(List.of("P", "FPD", "DTE", "PASIDE", "PRE", "PDTS", "PASIDDIRPTR", "RID_PASID", "RID_PRIV"), List.copyOf(ctx.keySet()));
        assertEquals("1", ctx.get("PASIDE"));
        assertEquals("1", ctx.get("DTE"), "dsa0 has ATS");
        assertEquals("7 (16384 entries)", ctx.get("PDTS"), "20-bit PASIDs: 2^20 / 64 directory entries");
        assertEquals(ctx.get("PASIDDIRPTR"), hex(path.get(3).address()), "PASID 5 is in directory entry 0, at PASIDDIRPTR");
        Map<String, String> pe = path.get(4).fields();
        assertEquals(List.of("P", "FPD", "AW", "PGTT", "SSADE", "SSPTPTR", "DID", "PWSNP", "PGSNP", "SRE", "FSPM", "WPE", "EAFE", "FSPTPTR"),
                List.copyOf(pe.keySet()));
        assertEquals("3 (nested)", pe.get("PGTT"));
        assertEquals("2 (48-bit, 4-level)", pe.get("AW"));
        assertEquals("0 (4-level)", pe.get("FSPM"));
        assertEquals("0x100000", pe.get("FSPTPTR"), "the guest-physical pgtbl_addr");
        assertEquals(hex(((VtdDomain) g.parent).table.root), pe.get("SSPTPTR"));
        assertEquals(Long.toString(n.tag()), pe.get("DID"));
        long table = Long.parseLong(path.get(3).fields().get("SMPTBLPTR").substring(2), 16);
        assertEquals(table + 5 * 64, path.get(4).address(), "entry 5 of the PASID table, 64 bytes each");

        // the first stage lives in guest RAM: each entry is read at the host address its GPA translates to
        DecodedEntry pml4e = find(path, "FS-PML4E[0]");
        assertEquals(g.host(0x10_0000), pml4e.address());
        assertEquals(Map.of("GPA", "0x100000", "raw", raw(0x101007), "P", "1", "R/W", "1", "U/S", "1", "A", "0", "D", "0", "PS", "0", "XD", "0",
                "ADDR", "0x101000"), pml4e.fields());
        DecodedEntry pde = find(path, "FS-PDE[384]");
        assertEquals(g.host(0x10_2c00), pde.address());
        DecodedEntry pte = find(path, "FS-PTE[0]");
        assertEquals(raw(0x30_0007), pte.fields().get("raw"));
        assertEquals("0x300000", pte.fields().get("ADDR"));
        assertEquals("4K page", pte.fields().get("maps"));
        DecodedEntry ssLeaf = find(path, "SS-PDE[1] (nested: the output GPA 0x300123)");
        assertEquals(raw(g.host(0x20_0000) | SsPte.R | SsPte.W | SsPte.PS), ssLeaf.fields().get("raw"));
        assertEquals("2M page", ssLeaf.fields().get("maps"));
        assertEquals(Map.of("HPA", hex(g.host(0x30_0123)), "page", "4K"), last(path).fields());

        // the view reads memory as it is now: after a write through the PASID the walk set A and D in guest RAM
        g.rig.page("dsa0", 5, 0x7000_0123L, Access.WRITE);
        path = g.rig.unit.describePath(g.rig.dev("dsa0"), 5, 0x7000_0123L);
        assertEquals("1", find(path, "FS-PML4E[0]").fields().get("A"));
        assertEquals("1", find(path, "FS-PTE[0]").fields().get("D"));
    }

    @Test
    void a_not_present_entry_ends_the_walk_with_the_fault_the_hardware_would_report() {
        NestedTranslationTest.Guest g = new NestedTranslationTest.Guest(Rig.server(), 0);
        GuestTables fs = g.tables(0x10_0000, 4);
        fs.map(0x7000_0000L, 0x30_0000, PageTables.FS_USER_RW);
        g.rig.unit.attach(g.rig.dev("dsa0"), 5, g.nested(0, fs.root, 48));

        // the page after the mapped one: its PTE (index 2 of the same table, at GPA 0x103010) is clear
        List<DecodedEntry> path = g.rig.unit.describePath(g.rig.dev("dsa0"), 5, 0x7000_2000L);
        DecodedEntry pte = path.get(path.size() - 2);
        assertEquals("FS-PTE[2] (not present)", pte.structure());
        assertEquals(g.host(0x10_3010), pte.address());
        assertEquals("0", pte.fields().get("P"));
        assertEquals("FS_PAGING_ENTRY_P (0x71)", last(path).fields().get("fault"));

        // a PASID nothing is attached to: its entry in the same PASID table is clear
        path = g.rig.unit.describePath(g.rig.dev("dsa0"), 9, 0);
        assertEquals(List.of("RTADDR_REG", "root entry (bus 0x00)", "scalable-mode context entry (devfn 0x20)", "PASID directory entry 0",
                "PASID entry 9 (not present)", "walk stops"), structures(path));
        assertEquals("0 (reserved)", path.get(4).fields().get("PGTT"));
        assertEquals("PASID_ENTRY_P (0x59)", last(path).fields().get("fault"));

        // a request without PASID uses RID_PASID (0), which is not attached here
        path = g.rig.unit.describePath(g.rig.dev("dsa0"), Access.NO_PASID, 0);
        assertEquals("PASID entry 0 (RID_PASID: the request has no PASID) (not present)", path.get(4).structure());

        // a device never attached has no context entry: nic0 is devfn 0x28
        path = g.rig.unit.describePath(g.rig.dev("nic0"), Access.NO_PASID, 0);
        assertEquals(List.of("RTADDR_REG", "root entry (bus 0x00)", "scalable-mode context entry (devfn 0x28) (not present)", "walk stops"),
                structures(path));
        assertEquals("CONTEXT_ENTRY_P (0x2)", last(path).fields().get("fault"));
        // a device on a bus without a context table: the root entry's LP is clear
        path = g.rig.unit.describePath(g.rig.dev("far"), Access.NO_PASID, 0);
        assertEquals("root entry (bus 0x02) (not present)", path.get(1).structure());
        assertEquals("ROOT_ENTRY_P (0x1)", last(path).fields().get("fault"));
    }

    @Test
    void a_request_without_pasid_walks_the_second_stage_of_the_rid_pasid_entry() {
        Rig rig = Rig.server();
        PagingDomain d = rig.unit.allocPaging(rig.dev("nic0"), 0, 0, new byte[0]);
        long page = rig.frames.allocate();
        d.map(0x1234_5000L, page, 4096, RW, false);
        rig.unit.attach(rig.dev("nic0"), Access.NO_PASID, d);

        // IOVA 0x1234_5678, 4 levels: PML4 0, PDPT 0, PD 0x91 (bits 29:21), PT 0x145 (bits 20:12)
        List<DecodedEntry> path = rig.unit.describePath(rig.dev("nic0"), Access.NO_PASID, 0x1234_5678L);
        assertEquals(List.of("RTADDR_REG", "root entry (bus 0x00)", "scalable-mode context entry (devfn 0x28)", "PASID directory entry 0",
                "PASID entry 0 (RID_PASID: the request has no PASID)", "SS-PML4E[0]", "SS-PDPE[0]", "SS-PDE[145]", "SS-PTE[325]", "output"),
                structures(path));
        assertEquals("0", path.get(2).fields().get("PASIDE"), "nic0 has no PASID capability");
        assertEquals("2 (second-stage)", path.get(4).fields().get("PGTT"));
        assertEquals(Long.toString(d.tag()), path.get(4).fields().get("DID"));
        DecodedEntry pml4e = path.get(5);
        assertEquals(((VtdDomain) d).table.root, pml4e.address(), "SSPTPTR + 8 * 0");
        DecodedEntry leaf = path.get(8);
        assertEquals(Map.of("raw", raw(page | SsPte.R | SsPte.W), "R", "1", "W", "1", "A", "0", "D", "0", "SNP", "0", "ADDR", hex(page),
                "maps", "4K page"), leaf.fields());
        assertEquals(Long.parseLong(path.get(7).fields().get("ADDR").substring(2), 16) + 8 * 325, leaf.address());
        assertEquals(Map.of("HPA", hex(page + 0x678), "page", "4K"), last(path).fields());
    }

    @Test
    void legacy_mode_shows_the_root_and_context_entry_and_a_three_level_second_stage() {
        Rig rig = Rig.legacy();
        PagingDomain d = rig.unit.allocPaging(rig.dev("nic0"), 0, 0, new byte[0]);
        long page = rig.frames.allocate();
        d.map(0x1234_5000L, page, 4096, RW, false);
        rig.unit.attach(rig.dev("nic0"), Access.NO_PASID, d);

        // AW 1: 39 bits, 3 levels: PDPT 0, PD 0x91, PT 0x145
        List<DecodedEntry> path = rig.unit.describePath(rig.dev("nic0"), Access.NO_PASID, 0x1234_5678L);
        assertEquals(List.of("RTADDR_REG", "root entry (bus 0x00)", "context entry (devfn 0x28)", "SS-PDPE[0]", "SS-PDE[145]", "SS-PTE[325]",
                "output"), structures(path));
        assertEquals("00 (legacy mode)", path.get(0).fields().get("TTM"));
        assertEquals(List.of("P", "CTP"), List.copyOf(path.get(1).fields().keySet()));
        Map<String, String> c = path.get(2).fields();
        assertEquals(List.of("P", "FPD", "TT", "SLPTPTR", "AW", "DID"), List.copyOf(c.keySet()));
        assertEquals("0 (untranslated requests)", c.get("TT"));
        assertEquals("1 (39-bit, 3-level)", c.get("AW"));
        assertEquals(hex(((VtdDomain) d).table.root), c.get("SLPTPTR"));
        assertEquals(Long.toString(d.tag()), c.get("DID"));
        assertEquals(Long.parseLong(path.get(1).fields().get("CTP").substring(2), 16) + 0x28 * 16, path.get(2).address());
        assertEquals(raw(page | SsPte.R | SsPte.W), path.get(5).fields().get("raw"));
        assertEquals(hex(page + 0x678), last(path).fields().get("HPA"));

        // legacy mode has no PASIDs
        path = rig.unit.describePath(rig.dev("nic0"), 3, 0x1234_5678L);
        assertEquals("context entry (devfn 0x28)", path.get(path.size() - 2).structure());
        assertEquals("CONTEXT_ENTRY_INV (0x3)", last(path).fields().get("fault"));
    }

    @Test
    void garbage_ends_the_walk_with_a_decoded_line_never_an_exception() {
        Rig rig = Rig.server();
        Rig.Scalable s = rig.new Scalable("dsa0", false, false);
        // reserved bits: quadword 3 of a PASID entry must be zero
        long[] q = Rig.ssEntry(rig.frames.allocate(), 3).encode();
        q[3] = 0x10;
        for (int i = 0; i < 8; i++) {
            rig.mem.store64(s.table + 64L * 7 + 8L * i, q[i]);
        }
        List<DecodedEntry> path = rig.unit.describePath(rig.dev("dsa0"), 7, 0);
        assertEquals("PASID entry 7 (reserved bits set)", path.get(path.size() - 2).structure());
        assertEquals("0x10", path.get(path.size() - 2).fields().get("reserved"));
        assertEquals("PASID_TABLE_ENTRY_INV (0x5b)", last(path).fields().get("fault"));

        // a second-stage root beyond the machine's 1 GiB of memory
        s.entry(8, Rig.ssEntry(1L << 40, 3));
        path = rig.unit.describePath(rig.dev("dsa0"), 8, 0);
        assertEquals("SS-PML4E[0] (unreadable)", path.get(path.size() - 2).structure());
        assertEquals(1L << 40, path.get(path.size() - 2).address());
        assertTrue(path.get(path.size() - 2).fields().get("error").contains("no memory at physical 0x10000000000"));
        assertEquals("PAGING_ENTRY_INV (0x7)", last(path).fields().get("fault"));

        // a first-stage table whose entry 0 points at itself: four levels, and the last reads it as a 4 KiB leaf
        long loop = rig.frames.allocate();
        rig.mem.store64(loop, loop | PageTables.FS_TABLE);
        s.entry(9, Rig.fsEntry(loop, 4, false, false));
        path = rig.unit.describePath(rig.dev("dsa0"), 9, 0x123);
        assertEquals(List.of("FS-PML4E[0]", "FS-PDPE[0]", "FS-PDE[0]", "FS-PTE[0]", "output"), structures(path).subList(5, 10));
        assertEquals(hex(loop + 0x123), last(path).fields().get("HPA"));

        // a root table beyond memory: nothing can be read
        rig.rootTable(1L << 40);
        path = rig.unit.describePath(rig.dev("dsa0"), 9, 0);
        assertEquals(List.of("RTADDR_REG", "root entry (bus 0x00) (unreadable)", "walk stops"), structures(path));
        assertEquals("ROOT_TABLE_INV (0x8)", last(path).fields().get("fault"));
    }

    @Test
    void random_tables_give_a_bounded_path_that_ends_in_an_output_or_a_stop() {
        for (long seed = 1; seed <= 20; seed++) {
            Rig rig = Rig.server();
            SplittableRandom r = new SplittableRandom(seed);
            long[] frames = new long[16];
            for (int i = 0; i < frames.length; i++) {
                frames[i] = rig.frames.allocate();
            }
            for (long f : frames) {
                for (int i = 0; i < 512; i++) {
                    long v = r.nextInt(3) == 0 ? r.nextLong() : frames[r.nextInt(frames.length)] | (r.nextLong() & 0x8ff);
                    rig.mem.store64(f + 8L * i, v);
                }
            }
            Rig.Scalable s = rig.new Scalable("dsa0", false, false);
            for (int pasid = 0; pasid < 64; pasid++) {
                PasidEntry e = new PasidEntry(r.nextInt(8) != 0, false, r.nextInt(5), r.nextInt(6), r.nextBoolean(),
                        frames[r.nextInt(frames.length)], r.nextInt(1 << 16), false, false, r.nextBoolean(), r.nextInt(3), r.nextBoolean(),
                        r.nextBoolean(), frames[r.nextInt(frames.length)]);
                s.entry(pasid, e);
            }
            for (int i = 0; i < 200; i++) {
                int pasid = r.nextInt(8) == 0 ? Access.NO_PASID : r.nextInt(64);
                long iova = r.nextBoolean() ? r.nextLong() : r.nextLong(1L << 48);
                List<DecodedEntry> path = rig.unit.describePath(rig.dev("dsa0"), pasid, iova);
                // configuration (5) + five first-stage levels with a 5-level second-stage walk each (30) + the output's (6)
                assertTrue(path.size() <= 41, () -> path.size() + " lines");
                String end = last(path).structure();
                assertTrue(end.equals("output") || end.equals("walk stops"), () -> String.join("\n", structures(path)));
            }
        }
    }
}
