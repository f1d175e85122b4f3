package dev.ioasid.backend.smmuv3.internal;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertTrue;

import org.junit.jupiter.api.Test;

import dev.ioasid.machine.Access;
import dev.ioasid.machine.TranslatedPage;
import dev.ioasid.machine.Translation;
import dev.ioasid.machine.TranslationFault;

/**
 * The configuration cache and the TLB keep what they hold until invalidated, as hardware does, and are bounded:
 * software that rewrites an STE or a CD and forgets CFGI keeps the old configuration; an unmap without TLBI
 * keeps the old translation.
 */
class CachesTest {
    private final SmmuHarness h = new SmmuHarness(Profile.server());
    private static final int SID = 2;
    private static final long CD = SmmuHarness.NS + 0x100000;
    private static final long TABLES_A = SmmuHarness.NS + 0x200000;
    private static final long TABLES_B = SmmuHarness.NS + 0x300000;
    private static final long PAGE_A = SmmuHarness.NS + 0x500000;
    private static final long PAGE_B = SmmuHarness.NS + 0x600000;

    private void tables(long base, long page) {
        for (int l = 0; l < 3; l++) {
            h.memory.store64(base + l * 4096L, Lpae.tableDescriptor(base + (l + 1) * 4096L, Lpae.Granule.G4K));
        }
        h.memory.store64(base + 3 * 4096L, Lpae.s1Leaf(page, Lpae.Granule.G4K, 3, true, true, false, false));
    }

    private Cd cd(long ttb, int asid) {
        return new Cd.Builder().V(true).AA64(true).A(true).R(true).T0SZ(16).EPD1(true).IPS(5).ASID(asid).TTB0(ttb).build();
    }

    private long pa(long va) {
        Translation t = h.smmu.translate(SID, -1, va, Access.READ, false);
        return assertInstanceOf(TranslatedPage.class, t, t::toString).physical(va);
    }

    @Test
    void a_cd_rewritten_without_cfgi_cd_keeps_translating_with_the_cached_cd() {
        tables(TABLES_A, PAGE_A);
        tables(TABLES_B, PAGE_B);
        h.writeSte(SID, new Ste.Builder().V(true).Config(Ste.CONFIG_S1).S1ContextPtr(CD).build());
        h.write(CD, cd(TABLES_A, 1).dwords());
        assertEquals(PAGE_A + 0x10, pa(0x10));
        // software points the CD at other tables, and invalidates the TLB but not the CD
        h.write(CD, cd(TABLES_B, 1).dwords());
        h.command(Commands.tlbiNhAll(0));
        assertEquals(PAGE_A + 0x10, pa(0x10), "the cached CD still names tables A");
        h.command(Commands.cfgiCd(SID, 0, true));
        h.command(Commands.tlbiNhAll(0));
        assertEquals(PAGE_B + 0x10, pa(0x10), "after CFGI_CD the new CD is fetched");
    }

    @Test
    void an_ste_rewritten_without_cfgi_ste_keeps_its_cached_configuration() {
        tables(TABLES_A, PAGE_A);
        h.writeSte(SID, new Ste.Builder().V(true).Config(Ste.CONFIG_S1).S1ContextPtr(CD).build());
        h.write(CD, cd(TABLES_A, 1).dwords());
        assertEquals(PAGE_A, pa(0));
        h.writeSte(SID, StreamTable.abort());
        h.command(Commands.tlbiNsnhAll());
        assertEquals(PAGE_A, pa(0), "the cached STE still translates");
        h.command(Commands.cfgiSte(SID, true));
        assertEquals("STE_ABORT", ((TranslationFault) h.smmu.translate(SID, -1, 0, Access.READ, false)).reason());
    }

    @Test
    void a_leaf_cleared_without_tlbi_keeps_translating_until_tlbi() {
        tables(TABLES_A, PAGE_A);
        h.writeSte(SID, new Ste.Builder().V(true).Config(Ste.CONFIG_S1).S1ContextPtr(CD).build());
        h.write(CD, cd(TABLES_A, 1).dwords());
        assertEquals(PAGE_A, pa(0));
        h.memory.store64(TABLES_A + 3 * 4096L, 0);
        assertEquals(PAGE_A, pa(0), "stale TLB entry");
        h.command(Commands.tlbiNhVa(0, 1, 0, true));
        assertEquals("F_TRANSLATION", ((TranslationFault) h.smmu.translate(SID, -1, 0, Access.READ, false)).reason());
    }

    @Test
    void the_caches_are_bounded() {
        SmmuHarness small = new SmmuHarness(Profile.server());
        Smmu s = small.smmu;
        assertEquals(64, s.tlb.capacity());
        long base = SmmuHarness.NS + 0x200000;
        for (int l = 0; l < 3; l++) {
            small.memory.store64(base + l * 4096L, Lpae.tableDescriptor(base + (l + 1) * 4096L, Lpae.Granule.G4K));
        }
        for (int p = 0; p < 512; p++) {
            small.memory.store64(base + 3 * 4096L + 8 * p, Lpae.s1Leaf(SmmuHarness.NS + 0x1000000 + p * 4096L, Lpae.Granule.G4K, 3, true, true, false, false));
        }
        small.writeSte(SID, new Ste.Builder().V(true).Config(Ste.CONFIG_S1).S1ContextPtr(CD).build());
        small.write(CD, cd(base, 1).dwords());
        for (int p = 0; p < 512; p++) {
            assertInstanceOf(TranslatedPage.class, s.translate(SID, -1, p * 4096L, Access.READ, false));
        }
        assertTrue(s.tlb.occupancy() <= 64, "at most the configured entries");
        assertEquals(512, s.tlb.misses.sum() + s.tlb.hits.sum());
    }
}
