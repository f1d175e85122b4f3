package dev.ioasid.backend.smmuv3.internal;

import static org.junit.jupiter.api.Assertions.assertEquals;

import org.junit.jupiter.api.Test;

import dev.ioasid.backend.smmuv3.internal.Lpae.Granule;

/** VMSAv8-64 descriptors and geometry against hand-computed values (hw-formats.md 1.2; io-pgtable-arm.c). */
class LpaeFormatTest {

    @Test
    void qtest_descriptors_decode() {
        // table descriptor NSTable | table | valid, pointing at 0x4e4d1000
        long table = 0x8000_0000_0000_0003L | 0x4e4d1000L;
        assertEquals(0x4e4d1000L, Lpae.outputAddress(table, Granule.G4K));
        // leaf RW 0x0400000000000763: valid, page, NS, AP[1], SH, AF, and the software bit 58
        long leaf = 0x0400_0000_0000_0763L | 0x4ecba000L;
        assertEquals(0x4ecba000L, Lpae.outputAddress(leaf, Granule.G4K));
        assertEquals(Lpae.VALID | Lpae.TABLE | Lpae.NS | Lpae.AP_UNPRIV | Lpae.SH_IS | Lpae.AF, leaf & 0xfff);
    }

    @Test
    void stage1_leaf_as_io_pgtable_writes_it() {
        // page: valid | page | AttrIndx 1 | AP[1] unprivileged | SH inner | AF | nG = 0xf47
        assertEquals(0x4ecba000L | 0xf47L, Lpae.s1Leaf(0x4ecba000L, Granule.G4K, 3, true, true, false, false));
        // read-only adds AP[2] (bit 7); privileged-only drops AP[1]; no-exec adds PXN and UXN (54:53)
        assertEquals(0x4ecba000L | 0xfc7L, Lpae.s1Leaf(0x4ecba000L, Granule.G4K, 3, true, false, false, false));
        assertEquals(0x4ecba000L | 0xf07L, Lpae.s1Leaf(0x4ecba000L, Granule.G4K, 3, true, true, true, false));
        assertEquals(0x0060_0000_4ecb_af47L, Lpae.s1Leaf(0x4ecba000L, Granule.G4K, 3, true, true, false, true));
        // a 2M block at level 2: bit 1 clear
        assertEquals(0x4ec00000L | 0xf45L, Lpae.s1Leaf(0x4ec00000L, Granule.G4K, 2, true, true, false, false));
    }

    @Test
    void stage2_leaf_as_io_pgtable_writes_it() {
        // valid | page | MemAttr 0b1111 | S2AP read | S2AP write | SH | AF = 0x7ff
        assertEquals(0x1000L | 0x7ffL, Lpae.s2Leaf(0x1000L, Granule.G4K, 3, true, true, false));
        assertEquals(0x1000L | 0x77fL, Lpae.s2Leaf(0x1000L, Granule.G4K, 3, true, false, false));
        assertEquals(0x1000L | 0x7bfL, Lpae.s2Leaf(0x1000L, Granule.G4K, 3, false, true, false));
        assertEquals(1L << 54 | 0x1000L | 0x7ffL, Lpae.s2Leaf(0x1000L, Granule.G4K, 3, true, true, true));
    }

    @Test
    void a_64k_granule_keeps_pa_bits_51_48_in_descriptor_bits_15_12() {
        long desc = 0x1234_0000L | 0xaL << 12 | 3;
        assertEquals(0x000a_0000_1234_0000L, Lpae.outputAddress(desc, Granule.G64K));
        assertEquals(0x1234_0000L | 0xaL << 12, Lpae.encodeOutputAddress(0x000a_0000_1234_0000L, Granule.G64K));
        // 4K and 16K do not: bits 15:12 are address bits
        assertEquals(0x1234_a000L, Lpae.outputAddress(desc, Granule.G4K));
    }

    @Test
    void granule_geometry() {
        assertEquals(39, Granule.G4K.levelShift(0));
        assertEquals(30, Granule.G4K.levelShift(1));
        assertEquals(21, Granule.G4K.levelShift(2));
        assertEquals(12, Granule.G4K.levelShift(3));
        assertEquals(25, Granule.G16K.levelShift(2));
        assertEquals(29, Granule.G64K.levelShift(2));
        assertEquals(1L << 12 | 1L << 21 | 1L << 30, Granule.G4K.pageSizes());
        assertEquals(1L << 14 | 1L << 25, Granule.G16K.pageSizes());
        assertEquals(1L << 16 | 1L << 29, Granule.G64K.pageSizes());
        // IOVA 0x8080604567 with a 4K granule: L0 1, L1 2, L2 3, L3 4, offset 0x567 (the qtest's walk)
        long iova = 0x80_8060_4567L;
        assertEquals(1, iova >>> 39 & 0x1ff);
        assertEquals(2, iova >>> 30 & 0x1ff);
        assertEquals(3, iova >>> 21 & 0x1ff);
        assertEquals(4, iova >>> 12 & 0x1ff);
        assertEquals(0, Granule.G4K.startLevel(48));
        assertEquals(1, Granule.G4K.startLevel(39));
        assertEquals(0, Granule.G16K.startLevel(48));
        assertEquals(1, Granule.G64K.startLevel(48));
        assertEquals(2, Granule.G64K.startLevel(32));
    }

    @Test
    void size_and_granule_encodings() {
        int[] bits = { 32, 36, 40, 42, 44, 48, 52 };
        for (int ps = 0; ps < bits.length; ps++) {
            assertEquals(bits[ps], Lpae.psBits(ps));
            assertEquals(ps, Lpae.psEncoding(bits[ps]));
        }
        assertEquals(-1, Lpae.psBits(7));
        // TG0: 0 4K, 1 64K, 2 16K; S2TG the same; TLBI TG: 1 4K, 2 16K, 3 64K
        assertEquals(Granule.G64K, Granule.ofTg0(1));
        assertEquals(Granule.G16K, Granule.ofS2tg(2));
        assertEquals(Granule.G64K, Granule.ofTlbiTg(3));
        // S2SL0: with 4K 2 means level 0; with 64K 2 means level 1
        assertEquals(0, Lpae.startLevelOfSl0(Granule.G4K, 2));
        assertEquals(1, Lpae.startLevelOfSl0(Granule.G64K, 2));
        assertEquals(2, Lpae.sl0(Granule.G4K, 0));
    }

    @Test
    void stage2_concatenates_small_level0_start_tables_as_linux() {
        // 40-bit IPA, 4K: level 0 would hold 2 entries, so 2 concatenated level-1 tables (10 index bits)
        LpaePageTable.Config c = LpaePageTable.Config.s2(Granule.G4K, 40, 40);
        assertEquals(1, c.startLevel());
        assertEquals(10, c.startBits());
        assertEquals(2, c.concatenated());
        // 44-bit: 32 level-0 entries, more than 16 tables: no concatenation
        c = LpaePageTable.Config.s2(Granule.G4K, 44, 44);
        assertEquals(0, c.startLevel());
        assertEquals(5, c.startBits());
        // stage 1 never concatenates
        assertEquals(0, LpaePageTable.Config.s1(Granule.G4K, 40, 40).startLevel());
    }
}
