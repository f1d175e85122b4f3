package dev.ioasid.backend.smmuv3.internal;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.List;

import org.junit.jupiter.api.Test;

import dev.ioasid.machine.Access;
import dev.ioasid.machine.TranslatedPage;

/**
 * The command queue as software sees it: PROD and CONS in registers, commands in memory, CMDQ_CONS.ERR and
 * GERROR.CMDQ_ERR on an illegal command, the queue stopped until GERRORN acknowledges, and the invalidations
 * the commands perform.
 */
class CommandQueueTest {
    private final SmmuHarness h = new SmmuHarness(Profile.server());
    private static final int SID = 5;
    private static final long CD = SmmuHarness.NS + 0x100000;
    private static final long TABLES = SmmuHarness.NS + 0x200000;
    private static final long DATA = SmmuHarness.NS + 0x400000;

    /** Stream SID through stage 1, ASID 9: 16 pages at VA 0 mapped to DATA. */
    private void stream() {
        h.writeSte(SID, new Ste.Builder().V(true).Config(Ste.CONFIG_S1).S1ContextPtr(CD).build());
        h.write(CD, new Cd.Builder().V(true).AA64(true).A(true).R(true).T0SZ(16).EPD1(true).IPS(5).ASID(9).TTB0(TABLES).build().dwords());
        for (int l = 0; l < 3; l++) {
            h.memory.store64(TABLES + l * 4096L, Lpae.tableDescriptor(TABLES + (l + 1) * 4096L, Lpae.Granule.G4K));
        }
        for (int p = 0; p < 16; p++) {
            h.memory.store64(TABLES + 3 * 4096L + 8 * p, Lpae.s1Leaf(DATA + p * 4096L, Lpae.Granule.G4K, 3, true, true, false, false));
        }
    }

    private boolean translates(long va) {
        return h.smmu.translate(SID, -1, va, Access.READ, false) instanceof TranslatedPage;
    }

    private int err() {
        return h.smmu.read32(Registers.CMDQ_CONS) >>> 24 & 0x7f;
    }

    private boolean gerrorCmdq() {
        return ((h.smmu.read32(Registers.GERROR) ^ h.smmu.read32(Registers.GERRORN)) & Registers.GERROR_CMDQ_ERR) != 0;
    }

    private void acknowledge() {
        h.smmu.write32(Registers.GERRORN, h.smmu.read32(Registers.GERROR));
    }

    @Test
    void an_unknown_opcode_stops_the_queue_with_cerror_ill_until_acknowledged() {
        stream();
        assertTrue(translates(0));
        assertNotNull(h.smmu.configCache.ste(SID));
        int cons = h.command(new long[] { 0x7f, 0 }, Commands.cfgiSte(SID, false));
        assertEquals(Registers.CERROR_ILL, cons >>> 24 & 0x7f, "CMDQ_CONS.ERR = ILL");
        assertEquals(0, cons & 0xffff, "CONS points at the illegal command");
        assertTrue(gerrorCmdq(), "GERROR.CMDQ_ERR is active");
        assertNotNull(h.smmu.configCache.ste(SID), "the CFGI_STE behind it did not run");
        // more commands do not move it
        h.command(Commands.tlbiNsnhAll());
        assertEquals(Registers.CERROR_ILL, err());
        assertFalse(h.smmu.tlb.entries().isEmpty(), "the TLBI behind it did not run either");
        // software replaces the bad command (as Linux does, with a CMD_SYNC) and acknowledges
        h.write(SmmuHarness.CMDQ, Commands.sync());
        acknowledge();
        assertFalse(gerrorCmdq());
        assertEquals(Registers.CERROR_NONE, err());
        assertEquals(3, h.smmu.read32(Registers.CMDQ_CONS) & 0xffff, "the queue ran to PROD");
        assertNull(h.smmu.configCache.ste(SID), "CFGI_STE ran");
        assertTrue(h.smmu.tlb.entries().isEmpty(), "TLBI_NSNH_ALL ran");
    }

    @Test
    void reserved_bits_are_illegal() {
        h.command(new long[] { Commands.CFGI_STE | 1L << 8, 0 });
        assertEquals(Registers.CERROR_ILL, err());
        h.write(SmmuHarness.CMDQ, Commands.sync());
        acknowledge();
        h.command(new long[] { Commands.cfgiSte(SID, true)[0], 1L << 5 });
        assertEquals(Registers.CERROR_ILL, err());
        assertEquals(1, h.smmu.read32(Registers.CMDQ_CONS) & 0xffff);
    }

    @Test
    void cmd_sync_with_cs_3_is_illegal_and_a_good_sync_writes_its_msi() {
        long word = SmmuHarness.NS + 0x300000;
        h.command(Commands.sync(Commands.SYNC_CS_IRQ, word, 0x2a));
        assertEquals(Registers.CERROR_NONE, err());
        assertEquals(0x2a, h.memory.load32(word), "MSIDATA written to MSIADDR");
        h.command(new long[] { Commands.CMD_SYNC | 3L << 12, 0 });
        assertEquals(Registers.CERROR_ILL, err());
    }

    @Test
    void a_command_the_smmu_cannot_read_is_cerror_abt() {
        h.smmu.write32(Registers.CR0, 0);
        h.smmu.write64(Registers.CMDQ_BASE, 0x1_0000_0000L | 4);
        h.smmu.write32(Registers.CR0, 0xd);
        h.smmu.write32(Registers.CMDQ_PROD, 1);
        assertEquals(Registers.CERROR_ABT, err());
        assertTrue(gerrorCmdq());
    }

    @Test
    void commands_of_features_the_profile_lacks_are_illegal() {
        SmmuHarness minimal = new SmmuHarness(Profile.minimal());
        minimal.command(Commands.priResp(1, -1, 0, Commands.PRI_RESP_SUCC));
        assertEquals(Registers.CERROR_ILL, minimal.smmu.read32(Registers.CMDQ_CONS) >>> 24 & 0x7f);
    }

    @Test
    void range_tlbi_invalidates_exactly_num_plus_one_times_two_to_the_scale_granules() {
        stream();
        for (int p = 0; p < 16; p++) {
            assertTrue(translates(p * 4096L));
        }
        assertEquals(16, h.smmu.tlb.occupancy());
        // from page 4: NUM 1, SCALE 2 -> (1 + 1) x 2^2 = 8 pages, 4..11
        h.command(Commands.tlbiRange(Commands.TLBI_NH_VA, 0, 9, 4 * 4096L, true, 1, 2, 1, 3));
        assertEquals(Registers.CERROR_NONE, err());
        List<Long> left = h.smmu.tlb.entries().stream().map(e -> e.base >>> 12).sorted().toList();
        assertEquals(List.of(0L, 1L, 2L, 3L, 12L, 13L, 14L, 15L), left);
        // the same command on a v3.0 part without RIL is illegal
        SmmuHarness minimal = new SmmuHarness(Profile.minimal());
        minimal.command(Commands.tlbiRange(Commands.TLBI_NH_VA, 0, 9, 0, true, 1, 2, 1, 0));
        assertEquals(Registers.CERROR_ILL, minimal.smmu.read32(Registers.CMDQ_CONS) >>> 24 & 0x7f);
    }

    @Test
    void tlbi_by_asid_spares_other_asids_and_global_entries() {
        stream();
        // page 1 is global (nG = 0)
        h.memory.store64(TABLES + 3 * 4096L + 8, Lpae.s1Leaf(DATA + 4096, Lpae.Granule.G4K, 3, true, true, false, false) & ~Lpae.NG);
        translates(0);
        translates(4096);
        h.command(Commands.tlbiNhAsid(0, 8));
        assertEquals(2, h.smmu.tlb.occupancy(), "another ASID: nothing goes");
        h.command(Commands.tlbiNhAsid(0, 9));
        assertEquals(1, h.smmu.tlb.occupancy(), "the global entry stays");
        assertTrue(h.smmu.tlb.entries().get(0).global);
        h.command(Commands.tlbiNhVaa(0, 4096, true));
        assertEquals(0, h.smmu.tlb.occupancy(), "NH_VAA takes every ASID's entries of the address");
    }

    @Test
    void cfgi_ste_range_and_cfgi_all() {
        stream();
        translates(0);
        h.command(Commands.cfgiSteRange(0, 1)); // StreamIDs 0..3
        assertNotNull(h.smmu.configCache.ste(SID));
        h.command(Commands.cfgiSteRange(4, 1)); // 4..7
        assertNull(h.smmu.configCache.ste(SID));
        assertNull(h.smmu.configCache.cd(SID, 0), "and their CDs");
        translates(0);
        h.command(Commands.cfgiAll());
        assertNull(h.smmu.configCache.ste(SID));
    }

    @Test
    void the_driver_reports_how_many_commands_ran_before_a_refused_one() {
        try (UnitFixture f = new UnitFixture()) {
            Smmuv3Unit u = f.unit;
            int ran = u.issue(List.of(Commands.tlbiNhAll(1), Commands.tlbiNhAll(2), new long[] { 0x7f, 0 }, Commands.tlbiNhAll(3)));
            assertEquals(2, ran);
            assertEquals(1L, u.stats().caches().get("cmdq.errors"));
            assertEquals(Registers.CERROR_NONE, u.smmu.read32(Registers.CMDQ_CONS) >>> 24 & 0x7f, "acknowledged, running again");
            assertEquals(1, u.issue(List.of(Commands.cfgiAll())));
            assertInstanceOf(Integer.class, ran);
        }
    }
}
