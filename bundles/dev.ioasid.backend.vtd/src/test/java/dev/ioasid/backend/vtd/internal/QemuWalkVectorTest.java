package dev.ioasid.backend.vtd.internal;

import static dev.ioasid.backend.vtd.internal.Rig.NO_PASID;
import static dev.ioasid.backend.vtd.internal.Rig.R;
import static dev.ioasid.backend.vtd.internal.Rig.W;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;

import org.junit.jupiter.api.Test;

import dev.ioasid.machine.TranslatedPage;

/**
 * QEMU's VT-d walk vector (tests/qtest/libqos/qos-intel-iommu.h, iommu-intel-test.c): structures at fixed
 * guest-physical addresses from QVTD_MEM_BASE 0x10000000, IOVA 0x10200567 through a 4-level table with indices
 * 0/0/129/0 and offset 0x567, expected address QVTD_PT_VAL + 0x567 = 0x10100567. The modes of the qtest:
 * legacy translated, legacy pass-through, scalable second-stage, scalable first-stage, scalable pass-through.
 */
class QemuWalkVectorTest {
    static final long MEM_BASE = 0x1000_0000L;
    static final long ROOT = MEM_BASE;
    static final long CONTEXT = MEM_BASE + 0x1000;
    static final long L4 = MEM_BASE + 0x10000;
    static final long L3 = MEM_BASE + 0x11000;
    static final long L2 = MEM_BASE + 0x12000;
    static final long L1 = MEM_BASE + 0x13000;
    static final long PASID_DIR = MEM_BASE + 0x30000;
    static final long PASID_TABLE = MEM_BASE + 0x31000;
    static final long IOVA = 0x0000_0000_1020_0567L;
    static final long PT_VAL = MEM_BASE + 0x100000;
    static final int DID = 0;

    @Test
    void the_iova_splits_into_indices_0_0_129_0_and_offset_0x567() {
        assertEquals(0, SsPte.index(IOVA, 4));
        assertEquals(0, SsPte.index(IOVA, 3));
        assertEquals(129, SsPte.index(IOVA, 2));
        assertEquals(0, SsPte.index(IOVA, 1));
        assertEquals(0x567, IOVA & 0xfff);
    }

    /** qvtd_setup_translation_tables: second-level entries R|W at every level. */
    private static void secondLevelTables(Rig rig) {
        long rw = SsPte.R | SsPte.W;
        rig.mem.store64(L4 + 8L * 0, L3 | rw);
        rig.mem.store64(L3 + 8L * 0, L2 | rw);
        rig.mem.store64(L2 + 8L * 129, L1 | rw);
        rig.mem.store64(L1 + 8L * 0, PT_VAL | rw);
    }

    /** First-level entries P|RW|US|A, the leaf with D too. */
    private static void firstLevelTables(Rig rig) {
        long a = FsPte.P | FsPte.RW | FsPte.US | FsPte.A;
        rig.mem.store64(L4, L3 | a);
        rig.mem.store64(L3, L2 | a);
        rig.mem.store64(L2 + 8L * 129, L1 | a);
        rig.mem.store64(L1, PT_VAL | a | FsPte.D);
    }

    private static void dmaLandsAt(Rig rig, long expected) {
        TranslatedPage p = rig.page("dsa0", NO_PASID, IOVA, W);
        assertEquals(expected, p.physical(IOVA));
        assertEquals(12, p.pageShift());
        // a DMA write through the machine lands at the expected physical address
        byte[] data = { 1, 2, 3, 4 };
        assertEquals(true, rig.machine.dma().write(rig.dev("dsa0").address(), NO_PASID, IOVA, data).ok());
        assertArrayEquals(data, rig.mem.read(expected, 4));
    }

    @Test
    void legacy_translated_mode_walks_the_four_level_table() {
        // the legacy profile is 39-bit only (SAGAW 0x2); QEMU's vector needs AW 2, so a server unit runs in
        // legacy mode (RTADDR.TTM 00), as scalable-capable hardware may
        Rig rig = Rig.server();
        int sid = rig.dev("dsa0").rid();
        rig.unit.writeRegister(Registers.RTADDR, ROOT);
        rig.rootEntry(ROOT, 0, RootEntry.legacy(CONTEXT));
        rig.legacyContext(CONTEXT, sid & 0xff, new LegacyContextEntry(true, false, LegacyContextEntry.TT_MULTI_LEVEL, L4, 2, DID));
        secondLevelTables(rig);
        dmaLandsAt(rig, PT_VAL + 0x567);
        assertEquals(0, rig.events.size(), "no fault was recorded");
    }

    @Test
    void legacy_pass_through_mode_returns_the_input_address() {
        Rig rig = Rig.legacy();
        int sid = rig.dev("dsa0").rid();
        rig.rootTable(ROOT);
        rig.rootEntry(ROOT, 0, RootEntry.legacy(CONTEXT));
        rig.legacyContext(CONTEXT, sid & 0xff, new LegacyContextEntry(true, false, LegacyContextEntry.TT_PASS_THROUGH, 0, 1, DID));
        dmaLandsAt(rig, IOVA);
    }

    private static Rig scalable(PasidEntry e) {
        Rig rig = Rig.server();
        int sid = rig.dev("dsa0").rid();
        rig.rootTable(ROOT);
        rig.rootEntry(ROOT, 0, new RootEntry(true, CONTEXT, false, 0));
        rig.smContext(CONTEXT, sid & 0xff, new ScalableContextEntry(true, false, false, false, false, 0, PASID_DIR, 0, false));
        rig.pasidDir(PASID_DIR, 0, new PasidDirEntry(true, false, PASID_TABLE));
        rig.pasidEntry(PASID_TABLE, 0, e);
        return rig;
    }

    @Test
    void scalable_second_stage_mode_walks_the_table_through_rid_pasid() {
        Rig rig = scalable(Rig.ssEntry(L4, DID));
        secondLevelTables(rig);
        dmaLandsAt(rig, PT_VAL + 0x567);
    }

    @Test
    void scalable_first_stage_mode_walks_the_x86_table() {
        Rig rig = scalable(Rig.fsEntry(L4, DID, false, false));
        firstLevelTables(rig);
        dmaLandsAt(rig, PT_VAL + 0x567);
        assertEquals(PT_VAL + 0x567, rig.physical("dsa0", NO_PASID, IOVA, R));
    }

    @Test
    void scalable_pass_through_mode_returns_the_input_address() {
        Rig rig = scalable(new PasidEntry(true, false, 0, PasidEntry.PGTT_PASS_THROUGH, false, 0, DID, false, false, false, 0, false, false, 0));
        dmaLandsAt(rig, IOVA);
    }
}
