package dev.ioasid.backend.smmuv3.internal;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import org.junit.jupiter.api.Test;

/**
 * STE and CD encodings against words computed by hand from the field positions of hw-formats.md 1.2 (Linux
 * STRTAB_STE_* and CTXDESC_CD_*), both ways: the builder writes them, the accessors read them back.
 */
class SteCdCodecTest {

    // STE of a nested stream: V, Config 0b111, S1ContextPtr 0x4e178fc0, S1CDMax 5 (dw0);
    // S1DSS 2, S1CIR 1, S1COR 1, S1CSH 3, S1STALLD, EATS 1 (dw1);
    // S2VMID 0x1234, S2T0SZ 0x14, S2SL0 2, S2PS 5, S2AA64, S2R (dw2); S2TTB 0x4e4d0000 (dw3).
    static final long STE_DW0 = 0x1L | 0x7L << 1 | 0x4e178fc0L | 5L << 59; // = 0x280000004e178fcf
    static final long STE_DW1 = 2L | 1L << 2 | 1L << 4 | 3L << 6 | 1L << 27 | 1L << 28; // = 0x180000d6
    static final long STE_DW2 = 0x1234L | 0x14L << 32 | 2L << 38 | 5L << 48 | 1L << 51 | 1L << 58; // = 0x040d009400001234
    static final long STE_DW3 = 0x4e4d0000L;

    @Test
    void hand_computed_ste_words() {
        assertEquals(0x2800_0000_4e17_8fcfL, STE_DW0);
        assertEquals(0x1800_00d6L, STE_DW1);
        assertEquals(0x040d_0094_0000_1234L, STE_DW2);
    }

    @Test
    void ste_builder_writes_the_fields_where_the_spec_puts_them() {
        Ste ste = new Ste.Builder().V(true).Config(Ste.CONFIG_NESTED).S1ContextPtr(0x4e178fc0L).S1CDMax(5)
                .S1DSS(Ste.S1DSS_SSID0).S1CIR(1).S1COR(1).S1CSH(3).S1STALLD(true).EATS(Ste.EATS_TRANS)
                .S2VMID(0x1234).S2T0SZ(0x14).S2SL0(2).S2PS(5).S2AA64(true).S2R(true).S2TTB(0x4e4d0000L).build();
        assertEquals(STE_DW0, ste.dword(0));
        assertEquals(STE_DW1, ste.dword(1));
        assertEquals(STE_DW2, ste.dword(2));
        assertEquals(STE_DW3, ste.dword(3));
        for (int i = 4; i < 8; i++) {
            assertEquals(0, ste.dword(i));
        }
    }

    @Test
    void ste_accessors_read_hand_written_words() {
        Ste ste = new Ste(STE_DW0, STE_DW1, STE_DW2, STE_DW3, 0, 0, 0, 0);
        assertTrue(ste.V());
        assertEquals(Ste.CONFIG_NESTED, ste.Config());
        assertTrue(ste.s1Enabled() && ste.s2Enabled());
        assertEquals(0, ste.S1Fmt());
        assertEquals(0x4e178fc0L, ste.S1ContextPtr());
        assertEquals(5, ste.S1CDMax());
        assertEquals(Ste.S1DSS_SSID0, ste.S1DSS());
        assertEquals(1, ste.S1CIR());
        assertEquals(1, ste.S1COR());
        assertEquals(3, ste.S1CSH());
        assertTrue(ste.S1STALLD());
        assertEquals(Ste.EATS_TRANS, ste.EATS());
        assertEquals(0x1234, ste.S2VMID());
        assertEquals(0x14, ste.S2T0SZ());
        assertEquals(2, ste.S2SL0());
        assertEquals(0, ste.S2TG());
        assertEquals(5, ste.S2PS());
        assertTrue(ste.S2AA64());
        assertFalse(ste.S2ENDI());
        assertTrue(ste.S2R());
        assertFalse(ste.S2S());
        assertFalse(ste.S2HA() || ste.S2HD());
        assertEquals(0x4e4d0000L, ste.S2TTB());
    }

    @Test
    void ste_single_bit_fields_sit_at_their_positions() {
        assertEquals(1L << 55, new Ste.Builder().S2HD(true).build().dword(2));
        assertEquals(1L << 56, new Ste.Builder().S2HA(true).build().dword(2));
        assertEquals(1L << 57, new Ste.Builder().S2S(true).build().dword(2));
        assertEquals(1L << 58, new Ste.Builder().S2R(true).build().dword(2));
        assertEquals(1L << 52, new Ste.Builder().S2ENDI(true).build().dword(2));
        assertEquals(1L << 53, new Ste.Builder().S2AFFD(true).build().dword(2));
        assertEquals(1L << 54, new Ste.Builder().S2PTW(true).build().dword(2));
        assertEquals(2L << 46, new Ste.Builder().S2TG(2).build().dword(2));
        assertEquals(2L << 4, new Ste.Builder().S1Fmt(Ste.S1FMT_2LVL_64K).build().dword(0));
        assertEquals(3L << 30, new Ste.Builder().STRW(3).build().dword(1));
        assertEquals(2L << 44, new Ste.Builder().SHCFG(2).build().dword(1));
        // the address fields keep their low bits clear: S1ContextPtr 51:6, S2TTB 51:4
        assertEquals(0x000f_ffff_ffff_ffc0L, new Ste.Builder().S1ContextPtr(-1L).build().dword(0));
        assertEquals(0x000f_ffff_ffff_fff0L, new Ste.Builder().S2TTB(-1L).build().dword(3));
    }

    @Test
    void ste_config_values_are_the_specs() {
        assertEquals("abort", Ste.configName(0b000));
        assertEquals("abort", Ste.configName(0b011));
        assertEquals("bypass", Ste.configName(0b100));
        assertEquals("S1", Ste.configName(0b101));
        assertEquals("S2", Ste.configName(0b110));
        assertEquals("S1+S2", Ste.configName(0b111));
        // the qtest writes Config 5, 6, 7 into dw0 3:1 with V: 0xb, 0xd, 0xf
        assertEquals(0xbL, new Ste.Builder().V(true).Config(5).build().dword(0));
        assertEquals(0xdL, new Ste.Builder().V(true).Config(6).build().dword(0));
        assertEquals(0xfL, new Ste.Builder().V(true).Config(7).build().dword(0));
    }

    // The qtest's CD: ASID 0x1e20, AA64, V, A, IPS 4, EPD1, T0SZ 0x10, TG0 0, R, TTB0 0x4e4d0000.
    static final long CD_DW0 = 0x10L | 1L << 30 | 1L << 31 | 4L << 32 | 1L << 41 | 1L << 45 | 1L << 46 | 0x1e20L << 48;

    @Test
    void hand_computed_cd_word() {
        assertEquals(0x1e20_6204_c000_0010L, CD_DW0);
    }

    @Test
    void cd_builder_writes_the_fields_where_the_spec_puts_them() {
        Cd cd = new Cd.Builder().ASID(0x1e20).AA64(true).V(true).A(true).IPS(4).EPD1(true).T0SZ(0x10).TG0(0).R(true)
                .TTB0(0x4e4d0000L).build();
        assertEquals(CD_DW0, cd.dword(0));
        assertEquals(0x4e4d0000L, cd.dword(1));
        assertEquals(0, cd.dword(2));
    }

    @Test
    void cd_accessors_read_hand_written_words() {
        Cd cd = new Cd(CD_DW0, 0x4e4d0000L, 0, 0x0404ff44L, 0, 0, 0, 0);
        assertEquals(0x10, cd.T0SZ());
        assertEquals(0, cd.TG0());
        assertFalse(cd.EPD0());
        assertTrue(cd.EPD1());
        assertTrue(cd.V());
        assertEquals(4, cd.IPS());
        assertTrue(cd.AA64());
        assertFalse(cd.HD() || cd.HA() || cd.S());
        assertTrue(cd.R());
        assertTrue(cd.A());
        assertEquals(0x1e20, cd.ASID());
        assertEquals(0x4e4d0000L, cd.TTB0());
        assertEquals(0x0404ff44L, cd.MAIR());
    }

    @Test
    void cd_single_bit_fields_sit_at_their_positions() {
        assertEquals(1L << 14, new Cd.Builder().EPD0(true).build().dword(0));
        assertEquals(1L << 15, new Cd.Builder().ENDI(true).build().dword(0));
        assertEquals(1L << 38, new Cd.Builder().TBI0(true).build().dword(0));
        assertEquals(1L << 42, new Cd.Builder().HD(true).build().dword(0));
        assertEquals(1L << 43, new Cd.Builder().HA(true).build().dword(0));
        assertEquals(1L << 44, new Cd.Builder().S(true).build().dword(0));
        assertEquals(1L << 47, new Cd.Builder().ASET(true).build().dword(0));
        assertEquals(2L << 6, new Cd.Builder().TG0(2).build().dword(0));
        assertEquals(1L << 8 | 1L << 10 | 3L << 12, new Cd.Builder().IRGN0(1).ORGN0(1).SH0(3).build().dword(0));
        assertEquals(0x000f_ffff_ffff_fff0L, new Cd.Builder().TTB0(-1L).build().dword(1));
    }
}
