package dev.ioasid.backend.vtd.internal;

import static dev.ioasid.backend.vtd.internal.Rig.NO_PASID;
import static dev.ioasid.backend.vtd.internal.Rig.R;
import static dev.ioasid.backend.vtd.internal.Rig.W;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.EnumSet;
import java.util.Set;

import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

import dev.ioasid.api.HwptFlags;
import dev.ioasid.api.MapFlags;
import dev.ioasid.machine.Access;
import dev.ioasid.machine.TranslationFault;
import dev.ioasid.spi.PagingDomain;

/**
 * Every fault reason the model implements, reached by a request, with the fault record it leaves. Garbage in
 * the tables is a fault, never an exception.
 */
class FaultReasonTest {
    /** Far beyond the 1 GiB of the rig's memory, below every address width. */
    static final long NOWHERE = 0x40_0000_0000L;
    static final Set<FaultReason> REACHED = EnumSet.noneOf(FaultReason.class);

    private static TranslationFault expect(Rig rig, FaultReason reason, String device, int pasid, long iova, int access) {
        TranslationFault f = rig.expectFault(reason, device, pasid, iova, access);
        REACHED.add(reason);
        return f;
    }

    /** A server rig with dsa0 attached (RID) to a 48-bit paging domain mapping 0x1000 -> a data frame read-only. */
    private static Rig attachedRig(PagingDomain[] out) {
        Rig rig = Rig.server();
        PagingDomain d = rig.unit.allocPaging(rig.dev("dsa0"), HwptFlags.PASID, 0, new byte[0]);
        d.map(0x1000, rig.frames.allocate(), 0x1000, MapFlags.READABLE, false);
        rig.unit.attach(rig.dev("dsa0"), NO_PASID, d);
        if (out != null) {
            out[0] = d;
        }
        return rig;
    }

    @Test
    void root_entry_not_present_is_recorded_even_with_fpd() {
        Rig rig = Rig.server();
        TranslationFault f = expect(rig, FaultReason.ROOT_ENTRY_P, "far", NO_PASID, 0x1000, R);
        FaultRecord r = FaultRecord.decode(f.record());
        assertEquals(0x1000, r.fi());
        assertEquals(rig.dev("far").rid(), r.sid());
        assertEquals(0x1, r.fr());
        assertTrue(r.read() && r.f() && !r.pp());
        assertEquals(1, rig.events.size(), "reported to the host");
        assertEquals("ROOT_ENTRY_P", rig.events.get(0).reason());
    }

    @Test
    void context_entry_not_present() {
        Rig rig = attachedRig(null);
        expect(rig, FaultReason.CONTEXT_ENTRY_P, "nic0", NO_PASID, 0x1000, R);
    }

    @Test
    void context_entry_invalid() {
        Rig rig = attachedRig(null);
        PagingDomain d = rig.unit.allocPaging(rig.dev("nic0"), 0, 0, new byte[0]);
        rig.unit.attach(rig.dev("nic0"), NO_PASID, d);
        // nic0 has no PASID capability: its context entry has PASIDE clear
        expect(rig, FaultReason.CONTEXT_ENTRY_INV, "nic0", 3, 0x1000, R);
        // a legacy context entry with the reserved TT 3
        Rig legacy = Rig.legacy();
        long root = legacy.frames.allocate();
        long ct = legacy.frames.allocate();
        legacy.rootTable(root);
        legacy.rootEntry(root, 0, RootEntry.legacy(ct));
        legacy.legacyContext(ct, legacy.dev("dsa0").rid() & 0xff, new LegacyContextEntry(true, false, 3, legacy.frames.allocate(), 1, 1));
        expect(legacy, FaultReason.CONTEXT_ENTRY_INV, "dsa0", NO_PASID, 0, R);
    }

    @Test
    void address_above_the_address_width() {
        Rig rig = attachedRig(null);
        expect(rig, FaultReason.ADDR_BEYOND_MGAW, "dsa0", NO_PASID, 1L << 48, R);
    }

    @Test
    void write_and_read_denied_by_the_second_stage() {
        Rig rig = attachedRig(null);
        rig.page("dsa0", NO_PASID, 0x1000, R);
        TranslationFault w = expect(rig, FaultReason.WRITE, "dsa0", NO_PASID, 0x1000, W);
        assertFalse(FaultRecord.decode(w.record()).read(), "T = 0: a write");
        expect(rig, FaultReason.READ, "dsa0", NO_PASID, 0x2000, R);
        expect(rig, FaultReason.READ, "dsa0", NO_PASID, 0x7000_0000L, R);
    }

    @Test
    void second_stage_table_access_and_reserved_bits() {
        Rig rig = Rig.server();
        Rig.Scalable s = rig.new Scalable("dsa0", false, false);
        s.entry(0, Rig.ssEntry(NOWHERE, 1));
        expect(rig, FaultReason.PAGING_ENTRY_INV, "dsa0", NO_PASID, 0x1000, R);
        PageTables ss = PageTables.secondStage(rig);
        ss.map(0x1000, rig.frames.allocate(), SsPte.R | SsPte.SNP); // SNP is fine with ECAP.SC
        ss.map(0x20_0000, 0x40_1000, 2, SsPte.R | SsPte.PS); // a 2 MiB leaf with address bit 12 set
        s.entry(1, Rig.ssEntry(ss.root, 2));
        rig.page("dsa0", 1, 0x1000, R);
        expect(rig, FaultReason.PAGING_ENTRY_RSVD, "dsa0", 1, 0x20_0000, R);
        // PS in a level-4 entry is reserved
        rig.pte(ss.root, 0, rig.mem.load64(ss.root) | SsPte.PS);
        expect(rig, FaultReason.PAGING_ENTRY_RSVD, "dsa0", 1, 0x2000, R);
    }

    @Test
    void snp_is_reserved_without_snoop_control() {
        Rig legacy = Rig.legacy();
        PagingDomain d = legacy.unit.allocPaging(legacy.dev("dsa0"), 0, 0, new byte[0]);
        d.map(0x1000, legacy.frames.allocate(), 0x1000, MapFlags.READABLE, false);
        legacy.unit.attach(legacy.dev("dsa0"), NO_PASID, d);
        legacy.page("dsa0", NO_PASID, 0x1000, R);
        long slot = ((VtdDomain) d).table.leaf(0x1000)[2];
        legacy.mem.store64(slot, legacy.mem.load64(slot) | SsPte.SNP);
        d.flush(0x1000, 0x1000);
        expect(legacy, FaultReason.PAGING_ENTRY_RSVD, "dsa0", NO_PASID, 0x1000, R);
    }

    @Test
    void root_and_context_table_access_and_reserved_bits() {
        Rig rig = Rig.server();
        rig.rootTable(NOWHERE);
        expect(rig, FaultReason.ROOT_TABLE_INV, "dsa0", NO_PASID, 0, R);
        long root = rig.frames.allocate();
        rig.rootTable(root);
        rig.rootEntry(root, 0, new RootEntry(true, NOWHERE, false, 0));
        expect(rig, FaultReason.CONTEXT_TABLE_INV, "dsa0", NO_PASID, 0, R);
        rig.mem.store64(root + 16 * 2, rig.frames.allocate() | 0x3);
        expect(rig, FaultReason.ROOT_ENTRY_RSVD, "far", NO_PASID, 0, R);
        long ct = rig.frames.allocate();
        rig.rootEntry(root, 0, new RootEntry(true, ct, false, 0));
        long[] q = new ScalableContextEntry(true, false, false, true, false, 0, rig.frames.allocate(), 0, false).encode();
        rig.mem.store64(ct + 32L * (rig.dev("nic0").rid() & 0x7f), q[0] | 0x20);
        expect(rig, FaultReason.CONTEXT_ENTRY_RSVD, "nic0", NO_PASID, 0, R);
    }

    @Test
    void pasid_directory_and_table_faults() {
        Rig rig = Rig.server();
        Rig.Scalable s = rig.new Scalable("dsa0", false, false);
        expect(rig, FaultReason.PASID_ENTRY_P, "dsa0", 5, 0, R);
        expect(rig, FaultReason.PASID_DIR_ENTRY_P, "dsa0", 64, 0, R);
        expect(rig, FaultReason.PASID_DIR_ENTRY_P, "dsa0", 128 * 64, 0, R); // beyond the PDTS 0 directory
        rig.pasidDir(s.dir, 2, new PasidDirEntry(true, false, NOWHERE));
        expect(rig, FaultReason.PASID_TABLE_ACCESS_ERR, "dsa0", 2 * 64 + 1, 0, R);
        s.entry(6, new PasidEntry(true, false, 2, 5, false, rig.frames.allocate(), 1, false, false, false, 0, false, false, 0));
        expect(rig, FaultReason.PASID_TABLE_ENTRY_INV, "dsa0", 6, 0, R);
        s.entry(7, new PasidEntry(true, false, 0, PasidEntry.PGTT_FIRST_STAGE, false, 0, 1, false, false, false, 2, false, false, 0));
        expect(rig, FaultReason.PASID_TABLE_ENTRY_INV, "dsa0", 7, 0, R); // FSPM 2 is reserved
        long[] q = Rig.ssEntry(rig.frames.allocate(), 1).encode();
        rig.mem.store64(s.table + 64 * 8 + 8 * 5, 1); // qw5 of PASID 8 is reserved
        for (int i = 0; i < 5; i++) {
            rig.mem.store64(s.table + 64 * 8 + 8 * i, q[i]);
        }
        expect(rig, FaultReason.PASID_TABLE_ENTRY_INV, "dsa0", 8, 0, R);
        // a context entry whose PASID directory pointer is nowhere
        Rig other = Rig.server();
        Rig.Scalable t = other.new Scalable("dsa0", false, false);
        other.smContext(t.context, other.dev("dsa0").rid(), new ScalableContextEntry(true, false, false, true, false, 0, NOWHERE, 0, false));
        expect(other, FaultReason.PASID_DIR_ACCESS_ERR, "dsa0", NO_PASID, 0, R);
    }

    @Test
    void first_stage_faults() {
        Rig rig = Rig.server();
        Rig.Scalable s = rig.new Scalable("dsa0", false, false);
        PageTables fs = PageTables.firstStage(rig);
        long data = rig.frames.allocate();
        fs.map(0x1000, data, PageTables.FS_USER_RW);
        fs.map(0x2000, data, FsPte.P | FsPte.US); // read-only
        fs.map(0x3000, data, FsPte.P | FsPte.RW); // supervisor
        fs.map(0x4000, data, PageTables.FS_USER_RW | FsPte.XD);
        s.entry(1, Rig.fsEntry(fs.root, 3, false, false));
        assertEquals(data + 0x10, rig.physical("dsa0", 1, 0x1010, W));
        expect(rig, FaultReason.FS_PAGING_ENTRY_P, "dsa0", 1, 0x5000, R);
        expect(rig, FaultReason.SM_WRITE, "dsa0", 1, 0x2000, W);
        expect(rig, FaultReason.FS_PAGING_ENTRY_US, "dsa0", 1, 0x3000, R);
        expect(rig, FaultReason.FS_EXECUTE, "dsa0", 1, 0x4000, R | Access.EXEC);
        rig.page("dsa0", 1, 0x4000, R);
        expect(rig, FaultReason.FS_PRIVILEGE, "dsa0", 1, 0x1000, R | Access.PRIV);
        expect(rig, FaultReason.FS_NON_CANONICAL, "dsa0", 1, 0x0000_8000_0000_0000L, R);
        // a PML4 entry with PS set: reserved
        rig.pte(fs.root, 1, rig.frames.allocate() | PageTables.FS_TABLE | FsPte.PS);
        expect(rig, FaultReason.FS_PAGING_ENTRY_RSVD, "dsa0", 1, 1L << 39, R);
        // a PML4 entry that points nowhere: the next level cannot be read
        rig.pte(fs.root, 2, NOWHERE | PageTables.FS_TABLE);
        expect(rig, FaultReason.FS_PAGING_ENTRY_INV, "dsa0", 1, 2L << 39, R);
        // FSPTPTR nowhere
        s.entry(2, Rig.fsEntry(NOWHERE, 4, false, false));
        expect(rig, FaultReason.PASID_ENTRY_FSPTPTR_INV, "dsa0", 2, 0x1000, R);
    }

    @Test
    void interrupt_range_outputs() {
        Rig rig = Rig.server();
        Rig.Scalable s = rig.new Scalable("dsa0", false, false);
        s.entry(1, new PasidEntry(true, false, 0, PasidEntry.PGTT_PASS_THROUGH, false, 0, 1, false, false, false, 0, false, false, 0));
        assertEquals(0x1234, rig.physical("dsa0", 1, 0x1234, R));
        expect(rig, FaultReason.SM_INTERRUPT_ADDR, "dsa0", 1, 0xFEE0_0010L, W);
        Rig legacy = Rig.legacy();
        long root = legacy.frames.allocate();
        long ct = legacy.frames.allocate();
        legacy.rootTable(root);
        legacy.rootEntry(root, 0, RootEntry.legacy(ct));
        legacy.legacyContext(ct, legacy.dev("dsa0").rid() & 0xff, new LegacyContextEntry(true, false, LegacyContextEntry.TT_PASS_THROUGH, 0, 1, 1));
        expect(legacy, FaultReason.INTERRUPT_ADDR, "dsa0", NO_PASID, 0xFEEF_FFF0L, W);
    }

    @Test
    void a_page_request_without_pre_is_a_fault() {
        Rig rig = Rig.server();
        PagingDomain d = rig.unit.allocPaging(rig.dev("dsa0"), HwptFlags.FAULT_ID_VALID, 0, new byte[0]);
        Rig.Scalable s = rig.new Scalable("dsa0", false, false);
        s.entry(0, Rig.ssEntry(((VtdDomain) d).table.root, (int) d.tag()));
        expect(rig, FaultReason.SM_PRE_ABS, "dsa0", NO_PASID, 0x1000, R);
        assertEquals(0, rig.requests.size(), "no page request without PRE");
    }

    @Test
    void a_first_stage_a_bit_that_cannot_be_written_fails_the_walk() {
        // nested: the guest's first-stage table lies in a guest page the second stage maps read-only
        Rig rig = Rig.server();
        Rig.Scalable s = rig.new Scalable("dsa0", false, false);
        PageTables fs = PageTables.firstStage(rig);
        long data = rig.frames.allocate();
        fs.map(0x1000, data, PageTables.FS_USER_RW);
        PageTables ss = PageTables.secondStage(rig);
        // identity second stage for the first-stage tables and the data page; the PML4 page read-only
        ss.map(fs.root, fs.root, SsPte.R);
        for (int level = 3; level >= 1; level--) {
            long t = fs.entry(0x1000, level + 1) & FsPte.ADDR;
            ss.map(t, t, SsPte.R | SsPte.W);
        }
        ss.map(data, data, SsPte.R | SsPte.W);
        s.entry(1, new PasidEntry(true, false, 2, PasidEntry.PGTT_NESTED, false, ss.root, 9, false, false, false, 0, false, false, fs.root));
        expect(rig, FaultReason.FS_BIT_UPDATE_FAILED, "dsa0", 1, 0x1000, R);
        // once the guest sets A itself, the walk needs no update of that entry
        rig.pte(fs.root, 0, rig.mem.load64(fs.root) | FsPte.A);
        assertEquals(data, rig.physical("dsa0", 1, 0x1000, R));
    }

    private static int finished;

    @AfterEach
    void count() {
        finished++;
    }

    /** The DMA-remapping fault reason codes of the reference, hw-formats.md 3.1, as it lists them. */
    static final Set<Integer> REFERENCE_CODES = Set.of(0x1, 0x2, 0x3, 0x4, 0x5, 0x6, 0x7, 0x8, 0x9, 0xA, 0xB, 0xC, 0xD, 0xE, 0x20, 0x21,
            0x22, 0x23, 0x24, 0x25, 0x26, 0x50, 0x51, 0x58, 0x59, 0x5B, 0x70, 0x71, 0x72, 0x73, 0x80, 0x81, 0x85, 0x87, 0x91);
    /**
     * Reference codes the model does not implement, with why (see {@link FaultReason}): no request of the model
     * can cause them.
     */
    static final java.util.Map<Integer, String> NOT_MODELLED = java.util.Map.of(0xD,
            "TT blocked: only for ATS Translation/Translated Requests, which the model's devices do not send", 0x20, "interrupt remapping",
            0x21, "interrupt remapping", 0x22, "interrupt remapping", 0x23, "interrupt remapping", 0x24, "interrupt remapping", 0x25,
            "interrupt remapping", 0x26, "interrupt remapping");
    /** Codes the model has that the reference does not list: 0x47 from QEMU, 0x82 and 0x83 chosen by the model. */
    static final Set<Integer> BEYOND_REFERENCE = Set.of(0x47, 0x82, 0x83);

    @Test
    void the_model_implements_every_reference_code_it_can_reach_and_documents_the_rest() {
        Set<Integer> claimed = new java.util.TreeSet<>(REFERENCE_CODES);
        claimed.removeAll(NOT_MODELLED.keySet());
        Set<Integer> model = new java.util.TreeSet<>();
        for (FaultReason r : FaultReason.values()) {
            assertTrue(model.add(r.code), () -> "code 0x" + Integer.toHexString(r.code) + " is used twice");
            assertEquals(r, FaultReason.of(r.code));
        }
        for (int code : claimed) {
            assertTrue(model.contains(code), () -> "reference code 0x" + Integer.toHexString(code) + " is claimed but has no FaultReason");
        }
        Set<Integer> extra = new java.util.TreeSet<>(model);
        extra.removeAll(REFERENCE_CODES);
        assertEquals(BEYOND_REFERENCE, extra, "codes outside the reference's list");
        assertTrue(REFERENCE_CODES.containsAll(NOT_MODELLED.keySet()));
        for (int code : NOT_MODELLED.keySet()) {
            assertEquals(null, FaultReason.of(code), () -> "0x" + Integer.toHexString(code) + " is said not to be modelled");
        }
    }

    @Test
    void a_translation_type_the_hardware_blocks_is_invalid_programming_not_tt_blocked() {
        // the TT values a legacy context entry can hold: 3 is reserved; 1 (device-TLB) without ECAP.DT is unsupported.
        // Both are 0x3, CONTEXT_ENTRY_INV (0xD is for ATS Translation/Translated Requests, which no device sends here)
        Rig legacy = Rig.legacy();
        long root = legacy.frames.allocate();
        long ct = legacy.frames.allocate();
        legacy.rootTable(root);
        int sid = legacy.dev("nic0").rid();
        legacy.rootEntry(root, sid >>> 8, RootEntry.legacy(ct));
        long ss = legacy.frames.allocate();
        for (int tt : new int[] { 3, 1 }) {
            legacy.legacyContext(ct, sid & 0xff, new LegacyContextEntry(true, false, tt, ss, 1, 4));
            legacy.flushAll();
            if (tt == 1 && legacy.unit.caps.dt()) {
                continue;
            }
            TranslationFault f = expect(legacy, FaultReason.CONTEXT_ENTRY_INV, "nic0", NO_PASID, 0x1000, R);
            assertEquals(0x3, FaultRecord.decode(f.record()).fr(), () -> "TT " + tt);
        }
        // a reserved PGTT (5 to 7) of a PASID entry is 0x5B
        Rig rig = Rig.server();
        Rig.Scalable s = rig.new Scalable("dsa0", false, false);
        for (int pgtt = 5; pgtt <= 7; pgtt++) {
            s.entry(1, new PasidEntry(true, false, 2, pgtt, false, rig.frames.allocate(), 3, false, false, false, 0, false, false, 0));
            rig.flushAll();
            expect(rig, FaultReason.PASID_TABLE_ENTRY_INV, "dsa0", 1, 0x1000, R);
        }
    }

    /** When the whole class ran (not a selection of its tests), every reason was reached. */
    @AfterAll
    static void everyReasonIsReached() {
        long tests = java.util.Arrays.stream(FaultReasonTest.class.getDeclaredMethods()).filter(m -> m.isAnnotationPresent(Test.class)).count();
        if (finished < tests) {
            return;
        }
        assertEquals(EnumSet.allOf(FaultReason.class), REACHED, "every fault reason the model has is reached by a test");
        Set<Integer> reachedCodes = new java.util.TreeSet<>();
        REACHED.forEach(r -> reachedCodes.add(r.code));
        Set<Integer> claimed = new java.util.TreeSet<>(REFERENCE_CODES);
        claimed.removeAll(NOT_MODELLED.keySet());
        assertTrue(reachedCodes.containsAll(claimed), () -> "every reference code the model claims is reached; missing " + missing(claimed, reachedCodes));
    }

    private static Set<Integer> missing(Set<Integer> want, Set<Integer> have) {
        Set<Integer> m = new java.util.TreeSet<>(want);
        m.removeAll(have);
        return m;
    }
}
