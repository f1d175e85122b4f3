package dev.ioasid.backend.smmuv3.internal;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.List;

import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

import dev.ioasid.machine.Access;
import dev.ioasid.machine.TranslatedPage;
import dev.ioasid.machine.Translation;

/**
 * QEMU's SMMUv3 qtest walk (tests/qtest/iommu-smmuv3-test.c with libqos/qos-smmuv3.c): IOVA 0x8080604567
 * through tables at 0x0e4d0000..0x0e4d3000 plus the non-secure offset 0x40000000 gives PA 0x4ECBA567, in the
 * S1-only, S2-only and nested variants. The structures are built exactly as qsmmu_build_translation builds them:
 * stage 1 and stage 2 share the table pages, stage 2 maps every IPA it sees to itself.
 */
class QemuWalkTest {
    static final long IOVA = 0x0000_0080_8060_4567L;
    static final long VTTB = 0x0e4d0000L;
    static final long CD_GPA = 0x0e179000L - 0x40;
    static final long L0_PTE = 0x0e4d1000L;
    static final long L1_PTE = 0x0e4d2000L;
    static final long L2_PTE = 0x0e4d3000L;
    static final long L3_PTE = 0x0ecba000L;
    static final long NON_LEAF = 0x8000_0000_0000_0003L;
    static final long LEAF_RO = 0x0400_0000_0000_07e3L;
    static final long LEAF_RW = 0x0400_0000_0000_0763L;
    static final long PTE_MASK = 0x0000_ffff_ffff_f000L;
    static final long NS = SmmuHarness.NS;
    static final int SID = 0x10;

    enum Mode {
        S1_ONLY(5), S2_ONLY(6), NESTED(7);

        final int config;

        Mode(int config) {
            this.config = config;
        }
    }

    private final SmmuHarness h = new SmmuHarness(Profile.server());

    private static int index(long addr, int level) {
        return (int) (addr >>> (39 - 9 * level) & 0x1ff);
    }

    private static long tableAddr(long base, int level, long iova) {
        return (base & PTE_MASK) + index(iova, level) * 8L;
    }

    private long attrs(Mode mode, boolean leaf) {
        if (!leaf) {
            return NON_LEAF;
        }
        return mode == Mode.S2_ONLY ? LEAF_RO : LEAF_RW;
    }

    /** qsmmu_setup_s2_walk_for_ipa */
    private void s2Walk(long ipa, long s2vttb, Mode mode, boolean isFinal) {
        long l0 = NS + (L0_PTE | attrs(mode, false));
        long l1 = NS + (L1_PTE | attrs(mode, false));
        long l2 = NS + (L2_PTE | attrs(mode, false));
        h.memory.store64(tableAddr(s2vttb, 0, ipa), l0);
        h.memory.store64(tableAddr(l0, 1, ipa), l1);
        h.memory.store64(tableAddr(l1, 2, ipa), l2);
        long l3 = (ipa & PTE_MASK) | (isFinal ? attrs(Mode.S2_ONLY, true) : attrs(Mode.NESTED, true));
        h.memory.store64(tableAddr(l2, 3, ipa), l3);
    }

    /** qsmmu_setup_translation_tables */
    private void tables(long iova, Mode mode, boolean isCd) {
        long l0 = NS + (L0_PTE | attrs(mode, false));
        long l1 = NS + (L1_PTE | attrs(mode, false));
        long l2 = NS + (L2_PTE | attrs(mode, false));
        long vttb = NS + (VTTB & PTE_MASK);
        long s1Leaf;
        if (!isCd) {
            long a0 = tableAddr(vttb, 0, iova);
            s2Walk(a0, vttb, mode, false);
            h.memory.store64(a0, l0);
            long a1 = tableAddr(l0 & PTE_MASK, 1, iova);
            s2Walk(a1, vttb, mode, false);
            h.memory.store64(a1, l1);
            long a2 = tableAddr(l1 & PTE_MASK, 2, iova);
            s2Walk(a2, vttb, mode, false);
            h.memory.store64(a2, l2);
            long a3 = tableAddr(l2 & PTE_MASK, 3, iova);
            s1Leaf = NS + (L3_PTE | attrs(mode, true));
            s2Walk(a3, vttb, mode, false);
            h.memory.store64(a3, s1Leaf);
        } else {
            s1Leaf = iova | attrs(Mode.NESTED, false);
        }
        s2Walk(s1Leaf, vttb, mode, !isCd);
    }

    /** qsmmu_build_translation */
    private void build(Mode mode) {
        long cdAddr = NS + CD_GPA;
        Ste ste = new Ste.Builder().V(true).Config(mode.config).S2T0SZ(0x14).S2SL0(2).S2TG(0).S2PS(5).S2AA64(true)
                .S1ContextPtr(cdAddr).S2TTB(NS + VTTB).build();
        h.writeSte(SID, ste);
        if (mode != Mode.S2_ONLY) {
            Cd cd = new Cd.Builder().ASID(0x1e20).AA64(true).V(true).A(true).IPS(4).EPD1(true).T0SZ(0x10).TG0(0).R(true)
                    .TTB0(NS + VTTB).build();
            h.write(cdAddr, cd.dwords());
        }
        tables(IOVA, mode, false);
        if (mode == Mode.NESTED) {
            tables(cdAddr, mode, true);
        }
    }

    @ParameterizedTest
    @EnumSource(Mode.class)
    void iova_0x8080604567_translates_to_0x4ecba567(Mode mode) {
        build(mode);
        Translation t = h.smmu.translate(SID, -1, IOVA, Access.READ | Access.WRITE, false);
        TranslatedPage p = assertInstanceOf(TranslatedPage.class, t, () -> t + " " + h.events());
        assertEquals(0x4ECBA567L, p.physical(IOVA));
        assertEquals(12, p.pageShift());
        assertEquals(List.of(), h.events(), "no event");
        // the DMA of the qtest device: a write through the translation lands at the PA
        h.memory.store32(p.physical(IOVA), 0x12345678);
        assertEquals(0x12345678, h.memory.load32(0x4ECBA567L));
        // a second translation hits the TLB: same page, no walk
        long misses = h.smmu.tlb.misses.sum();
        assertEquals(p, h.smmu.translate(SID, -1, IOVA + 8, Access.READ, false));
        assertEquals(misses, h.smmu.tlb.misses.sum(), "a TLB hit");
        assertTrue(h.smmu.tlb.hits.sum() >= 1);
    }

    @ParameterizedTest
    @EnumSource(Mode.class)
    void the_tlb_entry_is_tagged_with_the_stage_and_asid(Mode mode) {
        build(mode);
        h.smmu.translate(SID, -1, IOVA, Access.READ, false);
        Tlb.Entry e = h.smmu.tlb.entries().stream().filter(x -> x.base == (IOVA & -4096L)).findFirst().orElseThrow();
        assertEquals(mode == Mode.S1_ONLY ? Tlb.STAGE1 : mode == Mode.S2_ONLY ? Tlb.STAGE2 : Tlb.NESTED, e.stage);
        assertEquals(mode == Mode.S2_ONLY ? 0 : 0x1e20, e.asid);
        assertEquals(3, e.level);
        assertEquals(0x4ECBA000L, e.priv.physBase());
    }
}
