package dev.ioasid.backend.vtd.internal;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;

import org.junit.jupiter.api.Test;

/**
 * Byte-exact encodings of the VT-d tables, with expected values computed by hand from the layouts in
 * hw-formats.md 1.1 and 3.1; each expected value lists the fields it is made of.
 */
class EntryEncodingTest {

    @Test
    void legacy_root_entry() {
        // lo: P (bit 0) = 1, CTP (63:12) = 0x12345000; hi reserved
        RootEntry e = RootEntry.legacy(0x1234_5000L);
        assertEquals(0x1234_5001L, e.lo());
        assertEquals(0, e.hi());
        assertEquals(e, RootEntry.decode(0x1234_5001L, 0));
        // reserved bits 11:1 of a half, and address bits at or above HAW 39
        assertEquals(0x2L, RootEntry.reservedBits(0x1234_5003L, 39));
        assertEquals(1L << 40, RootEntry.reservedBits(1L << 40 | 1, 39));
    }

    @Test
    void scalable_root_entry() {
        // lo: LP (0) = 1, LCTP (63:12) = 0x1000; hi: UP (0) = 1, UCTP (63:12) = 0x2000
        RootEntry e = new RootEntry(true, 0x1000, true, 0x2000);
        assertEquals(0x1001L, e.lo());
        assertEquals(0x2001L, e.hi());
        assertEquals(e, RootEntry.decode(0x1001L, 0x2001L));
    }

    @Test
    void legacy_context_entry() {
        // lo: P (0) 1, FPD (1) 1, TT (3:2) 2 = 0x8, SLPTPTR (63:12) 0xABCDE000 -> 0xABCDE00B
        // hi: AW (2:0) 2, DID (23:8) 0x1234 -> 0x123402
        LegacyContextEntry e = new LegacyContextEntry(true, true, LegacyContextEntry.TT_PASS_THROUGH, 0xABCD_E000L, 2, 0x1234);
        assertEquals(0xABCD_E00BL, e.lo());
        assertEquals(0x12_3402L, e.hi());
        assertEquals(e, LegacyContextEntry.decode(0xABCD_E00BL, 0x12_3402L));
        // reserved: lo 11:4, hi 7 and 63:24
        assertEquals(0x10L, LegacyContextEntry.reservedBits(0x11, 0, 48));
        assertEquals(0x80L | 1L << 24, LegacyContextEntry.reservedBits(1, 0x80 | 1L << 24, 48));
    }

    @Test
    void scalable_context_entry() {
        // qw0: P (0) 1, DTE (2) 4, PASIDE (3) 8, PRE (4) 0x10, PDTS (11:9) 7 = 0xE00, PASIDDIRPTR (63:12) 0x55555000
        //      -> 0x55555E1D
        // qw1: RID_PASID (19:0) 0xABCDE, RID_PRIV (20) 0x100000 -> 0x1ABCDE; qw2, qw3 zero
        ScalableContextEntry e = new ScalableContextEntry(true, false, true, true, true, 7, 0x5555_5000L, 0xABCDE, true);
        assertArrayEquals(new long[] { 0x5555_5E1DL, 0x1A_BCDEL, 0, 0 }, e.encode());
        assertEquals(e, ScalableContextEntry.decode(0x5555_5E1DL, 0x1A_BCDEL));
        assertEquals(1 << 14, e.directoryEntries(), "2^(PDTS+7) directory entries");
        assertEquals(7, ScalableContextEntry.pdtsFor(20), "20-bit PASIDs need 2^14 directory entries");
        assertEquals(0, ScalableContextEntry.pdtsFor(0));
        // reserved: qw0 8:5, qw1 63:21, qw2 and qw3
        assertEquals(0x20L, ScalableContextEntry.reservedBits(0x21, 0, 0, 0, 48));
        assertEquals(1L << 21 | 5, ScalableContextEntry.reservedBits(1, 1L << 21, 4, 1, 48));
    }

    @Test
    void pasid_directory_entry() {
        // P (0) 1, FPD (1) 1, SMPTBLPTR (63:12) 0x7000 -> 0x7003; index = PASID[19:6], table index = PASID[5:0]
        PasidDirEntry e = new PasidDirEntry(true, true, 0x7000);
        assertEquals(0x7003L, e.encode());
        assertEquals(e, PasidDirEntry.decode(0x7003L));
        assertEquals(0x3FFF, PasidDirEntry.directoryIndex(0xFFFFF));
        assertEquals(0x3F, PasidDirEntry.tableIndex(0xFFFFF));
        assertEquals(1, PasidDirEntry.directoryIndex(64));
        assertEquals(0, PasidDirEntry.tableIndex(64));
    }

    @Test
    void pasid_table_entry() {
        // qw0: P (0) 1, AW (4:2) 2 = 0x8, PGTT (8:6) 3 = 0xC0, SSADE (9) 0x200, SSPTPTR (63:12) 0x12345000 -> 0x123452C9
        // qw1: DID (15:0) 0xBEEF, PWSNP (23) 0x800000, PGSNP (24) 0x1000000 -> 0x180BEEF
        // qw2: SRE (0) 1, FSPM (3:2) 1 = 0x4, WPE (4) 0x10, EAFE (7) 0x80, FSPTPTR (63:12) 0x987654000 -> 0x987654095
        PasidEntry e = new PasidEntry(true, false, 2, PasidEntry.PGTT_NESTED, true, 0x1234_5000L, 0xBEEF, true, true, true, 1, true, true,
                0x9_8765_4000L);
        assertArrayEquals(new long[] { 0x1234_52C9L, 0x180_BEEFL, 0x9_8765_4095L, 0, 0, 0, 0, 0 }, e.encode());
        assertEquals(e, PasidEntry.decode(e.encode()));
        // PGTT values of the spec
        assertEquals(1, PasidEntry.PGTT_FIRST_STAGE);
        assertEquals(2, PasidEntry.PGTT_SECOND_STAGE);
        assertEquals(3, PasidEntry.PGTT_NESTED);
        assertEquals(4, PasidEntry.PGTT_PASS_THROUGH);
        // reserved: qw0 11:10, qw1 22:16, qw2 1, 6:5, 11:8, and qw3..qw7
        assertEquals(0xC00L, PasidEntry.reservedBits(new long[] { 0xC01, 0, 0, 0, 0, 0, 0, 0 }, 48));
        assertEquals(0x7F_0000L, PasidEntry.reservedBits(new long[] { 1, 0x7F_0000, 0, 0, 0, 0, 0, 0 }, 48));
        assertEquals(0xF62L, PasidEntry.reservedBits(new long[] { 1, 0, 0xF62, 0, 0, 0, 0, 0 }, 48));
        assertEquals(9L, PasidEntry.reservedBits(new long[] { 1, 0, 0, 0, 0, 0, 8, 1 }, 48));
    }

    @Test
    void second_stage_entries() {
        // leaf at level 2: ADDR (51:12) 0x40200000, R (0), W (1), PS (7) -> 0x40200083
        assertEquals(0x4020_0083L, SsPte.leaf(0x4020_0000L, true, true, 2));
        // 4 KiB leaf, read-only: 0x5001; a table pointer grants R and W: 0x5003
        assertEquals(0x5001L, SsPte.leaf(0x5000, true, false, 1));
        assertEquals(0x5003L, SsPte.table(0x5000));
        assertEquals(0x100L, SsPte.A);
        assertEquals(0x200L, SsPte.D);
        assertEquals(0x800L, SsPte.SNP);
        assertEquals(1L << 62, SsPte.TM);
        // levels: AW 1/2/3 are 3/4/5 levels of 39/48/57 bits
        assertEquals(3, SsPte.levelsForAw(1));
        assertEquals(5, SsPte.levelsForAw(3));
        assertEquals(48, SsPte.widthForAw(2));
        assertEquals(3, SsPte.awForWidth(57));
        assertEquals(-1, SsPte.awForWidth(52));
    }

    @Test
    void first_stage_entries() {
        // P (0), R/W (1), U/S (2), A (5), D (6), ADDR 0x3000, XD (63) -> 0x8000000000003067
        long pte = FsPte.P | FsPte.RW | FsPte.US | FsPte.A | FsPte.D | 0x3000 | FsPte.XD;
        assertEquals(0x8000_0000_0000_3067L, pte);
        assertEquals(0x80L, FsPte.PS);
        assertEquals(0x400L, FsPte.EA);
        assertEquals(true, FsPte.canonical(0xFFFF_8000_0000_0000L, 4));
        assertEquals(false, FsPte.canonical(0x0000_8000_0000_0000L, 4));
        assertEquals(true, FsPte.canonical(0x0000_8000_0000_0000L, 5));
        assertEquals(false, FsPte.canonical(0x0100_0000_0000_0000L, 5));
    }

    @Test
    void fault_recording_register() {
        // lo: FI (63:12) 0xDEADB000
        // hi: SID (15:0) 0x20, PRIV (29), EXE (30), PP (31), FR (39:32) 0x81, PV (59:40) 0x12345, T (62) read, F (63)
        //     -> 0xC1234581E0000020
        FaultRecord r = new FaultRecord(0xDEAD_B000L, 0x20, true, true, true, 0x81, 0x12345, 0, true, true);
        assertEquals(0xDEAD_B000L, r.lo());
        assertEquals(0xC123_4581_E000_0020L, r.hi());
        assertEquals(r, FaultRecord.decode(r.lo(), r.hi()));
        byte[] b = r.bytes();
        assertEquals(16, b.length);
        assertEquals((byte) 0x00, b[0]);
        assertEquals((byte) 0xB0, b[1], "little-endian: FI first");
        assertEquals((byte) 0xC1, b[15], "F and T in the last byte");
        assertEquals(r, FaultRecord.decode(b));
    }

    @Test
    void page_request_descriptor() {
        // qw0: type (7:0) 1, PASID present (8) 0x100, RID (31:16) 0x20, PASID (51:32) 0x42, EXE (52) -> 0x0010004200200101
        // qw1: W (1) 2, LPIG (2) 4, PRGI (11:3) 0x1FF = 0xFF8, ADDR (63:12) 0x7FFFF000 -> 0x7FFFFFFE
        PageRequestDescriptor d = new PageRequestDescriptor(0x20, true, 0x42, true, false, false, true, true, 0x1ff, 0x7fff_f000L, false, 0, 0);
        assertArrayEquals(new long[] { 0x0010_0042_0020_0101L, 0x7FFF_FFFEL, 0, 0 }, d.encode());
        assertEquals(d, PageRequestDescriptor.decode(0x0010_0042_0020_0101L, 0x7FFF_FFFEL, 0, 0));
        // private data in qw2/qw3 when PDP (9)
        PageRequestDescriptor p = new PageRequestDescriptor(0x20, false, 0, false, true, true, false, false, 1, 0, true, 0x11, 0x22);
        assertArrayEquals(new long[] { 0x0020_0000_0020_0201L, 0x9L, 0x11, 0x22 }, p.encode());
    }
}
