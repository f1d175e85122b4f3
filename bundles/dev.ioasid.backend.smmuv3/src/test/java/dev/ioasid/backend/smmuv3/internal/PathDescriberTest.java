package dev.ioasid.backend.smmuv3.internal;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.SplittableRandom;
import java.util.stream.Collectors;

import org.junit.jupiter.api.Test;

import dev.ioasid.api.HwptFlags;
import dev.ioasid.machine.Access;
import dev.ioasid.machine.PciDevice;
import dev.ioasid.spi.DecodedEntry;

/**
 * describePath, the {@code tables} view of an SMMUv3: the stream table, STE, CD table, CD and the stage 1 and
 * stage 2 descriptors of a walk in order, with their physical addresses and the spec's field names, checked
 * against configurations whose values are worked out by hand in the comments.
 */
class PathDescriberTest {
    /** The guest's process VA, and where its two processes' data and tables are (GPAs). */
    static final long VA = 0x40_0000;
    static final long TABLES_P1 = 0x20000;
    static final long TABLES_P2 = 0x30000;
    static final long DATA = 0x10_0000;

    private static List<String> structures(List<DecodedEntry> path) {
        return path.stream().map(DecodedEntry::structure).collect(Collectors.toList());
    }

    /** The lines that are not stage 2 descriptors. */
    private static List<DecodedEntry> withoutStage2(List<DecodedEntry> path) {
        return path.stream().filter(e -> !e.structure().startsWith("S2 level")).collect(Collectors.toList());
    }

    /** The stage 2 lines labelled with what they translate, in order. */
    private static List<String> stage2Labels(List<DecodedEntry> path) {
        List<String> out = new ArrayList<>();
        for (DecodedEntry e : path) {
            if (e.structure().startsWith("S2 level")) {
                String label = e.structure().substring(e.structure().indexOf(" (nested: "));
                if (out.isEmpty() || !out.get(out.size() - 1).equals(label)) {
                    out.add(label);
                }
            }
        }
        return out;
    }

    private static DecodedEntry last(List<DecodedEntry> path) {
        return path.get(path.size() - 1);
    }

    private static String hex(long v) {
        return "0x" + Long.toHexString(v);
    }

    /** A VM owning gpu0 whose guest runs process 1 (SSID 1) and process 2 (SSID 2), each mapping VA to its page. */
    private static GuestSmmu guest(CoreFixture f) {
        GuestSmmu g = new GuestSmmu(f.core, "vm1", CoreFixture.GPU);
        g.writeString(DATA + 0x1000, "proc1");
        g.writeString(DATA + 0x2000, "proc2");
        g.s1Tables(TABLES_P1, VA, DATA + 0x1000);
        g.s1Tables(TABLES_P2, VA, DATA + 0x2000);
        g.cd(1, 1, TABLES_P1);
        g.cd(2, 2, TABLES_P2);
        g.attachNested();
        return g;
    }

    @Test
    void a_nested_walk_shows_the_ste_the_guests_cd_and_stage_1_and_the_stage_2_walk_of_every_ipa() {
        try (CoreFixture f = new CoreFixture()) {
            GuestSmmu g = guest(f);
            PciDevice gpu = f.machine.device(CoreFixture.GPU);
            // VA 0x40_0123, 4K granule, T0SZ 16 (48 bits): start level 0; indexes 0, 0, 2 (bits 29:21), 0 (bits 20:12)
            List<DecodedEntry> path = f.unit.describePath(gpu, 1, VA + 0x123);
            assertEquals(List.of("STRTAB_BASE/STRTAB_BASE_CFG", "L1STD[1]", "STE (StreamID 0x100)", "CD (SSID 1)", "S1 level 0 descriptor[0]",
                    "S1 level 1 descriptor[0]", "S1 level 2 descriptor[2]", "S1 level 3 descriptor[0]", "output"),
                    structures(withoutStage2(path)));
            // every IPA the SMMU reads goes through stage 2 first, and the output IPA last: CD 1 is at 0x10000 + 64
            assertEquals(List.of(" (nested: CD at IPA 0x10040)", " (nested: S1 level 0 descriptor[0] at IPA 0x20000)",
                    " (nested: S1 level 1 descriptor[0] at IPA 0x21000)", " (nested: S1 level 2 descriptor[2] at IPA 0x22010)",
                    " (nested: S1 level 3 descriptor[0] at IPA 0x23000)", " (nested: the output IPA 0x101123)"), stage2Labels(path));

            Map<String, String> cfg = path.get(0).fields();
            assertEquals("1 (2-level)", cfg.get("FMT"));
            assertEquals("8", cfg.get("SPLIT"));
            // StreamID 0x100 (bus 1): L1 index 1, then STE 0 of its L2 table
            DecodedEntry l1 = path.get(1);
            assertEquals(Long.parseLong(cfg.get("ADDR").substring(2), 16) + 8, l1.address());
            assertEquals("9 (256 STEs)", l1.fields().get("SPAN"));
            DecodedEntry ste = path.get(2);
            assertEquals(l1.fields().get("L2Ptr"), hex(ste.address()));
            Map<String, String> s = ste.fields();
            assertEquals(List.of("V", "Config", "S1Fmt", "S1ContextPtr", "S1CDMax", "S1DSS", "S1STALLD", "EATS", "S2VMID", "S2T0SZ", "S2SL0",
                    "S2TG", "S2PS", "S2AA64", "S2HA", "S2HD", "S2R", "S2S", "S2TTB"), List.copyOf(s.keySet()));
            assertEquals("1", s.get("V"));
            assertEquals("0b111 (S1+S2)", s.get("Config"));
            assertEquals("0 (linear)", s.get("S1Fmt"));
            assertEquals("0x10000", s.get("S1ContextPtr"), "the guest's CD table, a GPA");
            assertEquals("2 (4 CDs)", s.get("S1CDMax"));
            assertEquals("0 (terminate)", s.get("S1DSS"));
            assertEquals("1", s.get("S1STALLD"), "gpu0 cannot stall: the host sets S1STALLD");
            assertEquals("1", s.get("S2VMID"), "the first VMID");
            assertEquals("16 (48-bit IPA)", s.get("S2T0SZ"));
            assertEquals("2 (start level 0)", s.get("S2SL0"));
            assertEquals("0 (4K)", s.get("S2TG"));
            assertEquals("1", s.get("S2AA64"));
            assertEquals("1", s.get("S2R"));

            DecodedEntry cd = withoutStage2(path).get(3);
            assertEquals(g.hostPhysical(0x10040), cd.address());
            assertEquals(Map.ofEntries(Map.entry("IPA", "0x10040"), Map.entry("V", "1"), Map.entry("T0SZ", "16 (48-bit VA)"),
                    Map.entry("TG0", "0 (4K)"), Map.entry("EPD0", "0"), Map.entry("EPD1", "1"), Map.entry("IPS", "5 (48-bit)"),
                    Map.entry("AA64", "1"), Map.entry("HA", "0"), Map.entry("HD", "0"), Map.entry("ASID", "1"), Map.entry("TTB0", "0x20000"),
                    Map.entry("R", "1"), Map.entry("A", "1"), Map.entry("S", "0")), cd.fields());

            DecodedEntry l0 = withoutStage2(path).get(4);
            assertEquals(g.hostPhysical(TABLES_P1), l0.address());
            // a table descriptor: next table 0x21000 | table (bit 1) | valid
            assertEquals(Map.of("IPA", "0x20000", "raw", "0x0000000000021003", "type", "table", "APTable", "0", "UXNTable", "0", "PXNTable", "0",
                    "table", "0x21000"), l0.fields());
            DecodedEntry leaf = withoutStage2(path).get(7);
            assertEquals(g.hostPhysical(TABLES_P1 + 0x3000), leaf.address());
            // a page: 0x101000 | nG 0x800 | AF 0x400 | SH inner 0x300 | AP[1] (EL0) 0x40 | AttrIndx 1 0x4 | page 0x2 | valid 0x1
            assertEquals("0x0000000000101f47", leaf.fields().get("raw"));
            assertEquals("page", leaf.fields().get("type"));
            assertEquals("01 (read-write)", leaf.fields().get("AP"));
            assertEquals("1", leaf.fields().get("AF"));
            assertEquals("1", leaf.fields().get("nG"));
            assertEquals("0", leaf.fields().get("UXN"));
            assertEquals("0x101000", leaf.fields().get("OA"));
            assertEquals(Map.of("PA", hex(g.hostPhysical(DATA + 0x1123)), "page", "4K"), last(path).fields());

            // the second process: CD 2, its own tables, its own page
            path = f.unit.describePath(gpu, 2, VA + 0x123);
            assertEquals("0x30000", withoutStage2(path).get(3).fields().get("TTB0"));
            assertEquals("2", withoutStage2(path).get(3).fields().get("ASID"));
            assertEquals(hex(g.hostPhysical(DATA + 0x2123)), last(path).fields().get("PA"));
        }
    }

    @Test
    void an_invalid_entry_ends_the_walk_with_the_event_the_smmu_would_record() {
        try (CoreFixture f = new CoreFixture()) {
            GuestSmmu g = guest(f);
            PciDevice gpu = f.machine.device(CoreFixture.GPU);
            // SSID 3 is within S1CDMax 2 but the guest wrote no CD there
            List<DecodedEntry> path = f.unit.describePath(gpu, 3, VA);
            assertEquals("CD (SSID 3) (not valid)", path.get(path.size() - 2).structure());
            assertEquals(g.hostPhysical(0x10000 + 3 * 64), path.get(path.size() - 2).address());
            assertEquals("C_BAD_CD (0x0a)", last(path).fields().get("event"));
            // SSID 4 is beyond S1CDMax 2
            path = f.unit.describePath(gpu, 4, VA);
            assertEquals(List.of("STRTAB_BASE/STRTAB_BASE_CFG", "L1STD[1]", "STE (StreamID 0x100)", "walk stops"), structures(path));
            assertEquals("C_BAD_SUBSTREAMID (0x08)", last(path).fields().get("event"));
            // no SSID: S1DSS terminate
            path = f.unit.describePath(gpu, Access.NO_PASID, VA);
            assertEquals("F_STREAM_DISABLED (0x06)", last(path).fields().get("event"));
            // VA 0x50_0000: the same level 2 table, level 3 index 0x100, which the guest left invalid
            path = f.unit.describePath(gpu, 1, 0x50_0000);
            DecodedEntry invalid = path.get(path.size() - 2);
            assertEquals("S1 level 3 descriptor[256] (invalid)", invalid.structure());
            assertEquals(g.hostPhysical(TABLES_P1 + 0x3000 + 256 * 8), invalid.address());
            assertEquals("invalid", invalid.fields().get("type"));
            assertEquals("F_TRANSLATION (0x10)", last(path).fields().get("event"));
            // a device nothing is attached to has an abort STE: nic0 is StreamID 0x108
            path = f.unit.describePath(f.machine.device(CoreFixture.NIC), Access.NO_PASID, 0);
            assertEquals("STE (StreamID 0x108)", path.get(2).structure());
            assertEquals("0b000 (abort)", path.get(2).fields().get("Config"));
            assertEquals("STE_ABORT", last(path).fields().get("event"));
        }
    }

    @Test
    void host_stage_1_on_a_pasid_reads_a_two_level_cd_table_and_stage_2_alone_walks_the_input() {
        try (UnitFixture f = new UnitFixture()) {
            PciDevice gpu = f.device("gpu0");
            SmmuDomain s1 = f.paging(gpu, HwptFlags.PASID);
            long page = f.memory(0x1000);
            s1.map(0x1000_0000L, page, 0x1000, UnitFixture.RW, false);
            f.unit.attach(gpu, 5, s1);
            // 16 SSID bits: 2-level, 1024 CDs per leaf; SSID 5 is CD 5 of leaf 0. VA indexes 0, 0, 0x80, 0
            List<DecodedEntry> path = f.unit.describePath(gpu, 5, 0x1000_0123L);
            assertEquals(List.of("STRTAB_BASE/STRTAB_BASE_CFG", "L1STD[1]", "STE (StreamID 0x100)", "L1CD[0]", "CD (SSID 5)",
                    "S1 level 0 descriptor[0]", "S1 level 1 descriptor[0]", "S1 level 2 descriptor[128]", "S1 level 3 descriptor[0]", "output"),
                    structures(path));
            Map<String, String> ste = path.get(2).fields();
            assertEquals("0b101 (S1)", ste.get("Config"));
            assertEquals("2 (2-level, 64K leaves)", ste.get("S1Fmt"));
            assertEquals("16 (65536 CDs)", ste.get("S1CDMax"));
            assertEquals(ste.get("S1ContextPtr"), hex(path.get(3).address()), "L1CD[0] is the first of the L1 table");
            assertEquals("1", path.get(3).fields().get("V"));
            assertEquals(Long.parseLong(path.get(3).fields().get("L2Ptr").substring(2), 16) + 5 * 64, path.get(4).address());
            assertEquals(hex(s1.table.root), path.get(4).fields().get("TTB0"));
            assertEquals(Integer.toString(s1.asid()), path.get(4).fields().get("ASID"));
            assertEquals(hex(page), path.get(8).fields().get("OA"));
            assertEquals(hex(page + 0x123), last(path).fields().get("PA"));

            // the RID with the same domain: CD 0, and S1DSS substream 0 for requests without SSID
            f.unit.attach(gpu, Access.NO_PASID, s1);
            path = f.unit.describePath(gpu, Access.NO_PASID, 0x1000_0123L);
            assertEquals("2 (substream 0)", path.get(2).fields().get("S1DSS"));
            assertEquals("CD (SSID 0, the request has none)", path.get(4).structure());
            assertEquals(hex(page + 0x123), last(path).fields().get("PA"));

            // a stage 2 domain on nic0's RID: Config S2, and the input is an IPA, start level 0, indexes 0, 0, 0x80, 0
            PciDevice nic = f.device("nic0");
            SmmuDomain s2 = f.paging(nic, HwptFlags.NEST_PARENT);
            s2.map(0x1000_0000L, page, 0x1000, UnitFixture.RW, false);
            f.unit.attach(nic, Access.NO_PASID, s2);
            path = f.unit.describePath(nic, Access.NO_PASID, 0x1000_0123L);
            assertEquals(List.of("STRTAB_BASE/STRTAB_BASE_CFG", "L1STD[1]", "STE (StreamID 0x108)", "S2 level 0 descriptor[0]",
                    "S2 level 1 descriptor[0]", "S2 level 2 descriptor[128]", "S2 level 3 descriptor[0]", "output"), structures(path));
            assertEquals("0b110 (S2)", path.get(2).fields().get("Config"));
            assertEquals(hex(s2.table.root), path.get(2).fields().get("S2TTB"));
            assertEquals(s2.table.root, path.get(3).address());
            Map<String, String> leaf = path.get(6).fields();
            assertEquals("page", leaf.get("type"));
            assertEquals("11 (read-write)", leaf.get("S2AP"));
            assertEquals(hex(page), leaf.get("OA"));
            assertEquals(hex(page + 0x123), last(path).fields().get("PA"));
            // and with an SSID, which a stream without stage 1 refuses
            path = f.unit.describePath(nic, 1, 0);
            assertEquals("C_BAD_SUBSTREAMID (0x08)", last(path).fields().get("event"));
        }
    }

    @Test
    void garbage_ends_the_walk_with_a_decoded_line_never_an_exception() {
        try (CoreFixture f = new CoreFixture()) {
            GuestSmmu g = guest(f);
            PciDevice gpu = f.machine.device(CoreFixture.GPU);
            // the guest points process 2's TTB0 at an IPA outside its 16 MiB of RAM: stage 2 has nothing there
            g.cd(2, 2, 0x4000_0000L);
            List<DecodedEntry> path = f.unit.describePath(gpu, 2, VA);
            DecodedEntry s2 = path.get(path.size() - 2);
            assertTrue(s2.structure().startsWith("S2 level 1 descriptor[1] (nested: S1 level 0 descriptor[0] at IPA 0x40000000)"), s2::toString);
            assertTrue(s2.structure().endsWith("(invalid)"), s2::toString);
            assertEquals("F_TRANSLATION (0x10)", last(path).fields().get("event"));

            // random guest tables: a bounded path that ends in an output or a stop
            SplittableRandom r = new SplittableRandom(7);
            for (int round = 0; round < 300; round++) {
                long at = r.nextBoolean() ? GuestSmmu.CD_TABLE + r.nextInt(4 * 64) : TABLES_P1 + r.nextInt(0x4000);
                long v = r.nextInt(3) == 0 ? r.nextLong() : (r.nextLong(GuestSmmu.RAM) & -8L) | (r.nextLong() & 0xfff) | 3;
                g.write64(at & -8L, v);
                int ssid = r.nextInt(5) - 1;
                List<DecodedEntry> p = f.unit.describePath(gpu, ssid, r.nextBoolean() ? VA + r.nextInt(0x1000) : r.nextLong());
                // STRTAB, L1STD, STE; L1CD and CD with 4 stage 2 lines each; 4 stage 1 levels with 4 each; the output's 4 and 1
                assertTrue(p.size() <= 38, () -> p.size() + " lines");
                String end = last(p).structure();
                assertTrue(end.equals("output") || end.equals("walk stops"), () -> String.join("\n", structures(p)));
            }

            // a stream table beyond the machine's 4 GiB of memory: the L1 descriptor cannot be read
            f.unit.smmu.write64(Registers.STRTAB_BASE, 1L << 40);
            path = f.unit.describePath(gpu, 1, VA);
            assertEquals(List.of("STRTAB_BASE/STRTAB_BASE_CFG", "L1STD[1] (unreadable)", "walk stops"), structures(path));
            assertEquals((1L << 40) + 8, path.get(1).address());
            assertEquals("F_STE_FETCH (0x03)", last(path).fields().get("event"));
        }
    }
}
