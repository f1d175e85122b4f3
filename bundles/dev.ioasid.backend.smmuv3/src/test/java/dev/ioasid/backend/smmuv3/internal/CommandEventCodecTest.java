package dev.ioasid.backend.smmuv3.internal;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import org.junit.jupiter.api.Test;

/**
 * Every command and every event record against words computed by hand from hw-formats.md 2.2 and 3.2 (Linux
 * CMDQ_* and EVTQ_*), both ways.
 */
class CommandEventCodecTest {

    private static void cmd(long[] got, long dw0, long dw1) {
        assertArrayEquals(new long[] { dw0, dw1 }, got, () -> Commands.describe(got[0], got[1]));
    }

    @Test
    void configuration_commands() {
        cmd(Commands.prefetchConfig(0x100), 0x0000_0100_0000_0001L, 0);
        cmd(Commands.cfgiSte(0x1234, true), 0x0000_1234_0000_0003L, 1);
        cmd(Commands.cfgiSte(0x1234, false), 0x0000_1234_0000_0003L, 0);
        cmd(Commands.cfgiSteRange(0x100, 7), 0x0000_0100_0000_0004L, 7);
        cmd(Commands.cfgiAll(), 0x04L, 31);
        cmd(Commands.cfgiCd(0x100, 5, true), 0x0000_0100_0000_5005L, 1);
        cmd(Commands.cfgiCdAll(0x100), 0x0000_0100_0000_0006L, 0);
    }

    @Test
    void tlb_invalidation_commands() {
        cmd(Commands.tlbiNhAll(3), 0x0000_0003_0000_0010L, 0);
        cmd(Commands.tlbiNhAsid(3, 0x1e20), 0x1e20_0003_0000_0011L, 0);
        cmd(Commands.tlbiNhVa(0, 5, 0x80_8060_4000L, true), 0x0005_0000_0000_0012L, 0x80_8060_4001L);
        cmd(Commands.tlbiNhVaa(7, 0x2000, false), 0x0000_0007_0000_0013L, 0x2000);
        // a range: NUM 3 (16:12), SCALE 2 (24:20), VMID 1, ASID 2; TG 1 (4K) in dw1 11:10
        cmd(Commands.tlbiRange(Commands.TLBI_NH_VA, 1, 2, 0x10000, false, 3, 2, 1, 0), 0x0002_0001_0020_3012L, 0x10400L);
        // TTL 9:8
        cmd(Commands.tlbiRange(Commands.TLBI_NH_VAA, 1, 0, 0x10000, true, 0, 0, 1, 3), 0x0000_0001_0000_0013L, 0x10701L);
        cmd(Commands.tlbiS2Ipa(9, 0x4000_0000L, true), 0x0000_0009_0000_002aL, 0x4000_0001L);
        cmd(Commands.tlbiS12Vmall(9), 0x0000_0009_0000_0028L, 0);
        cmd(Commands.tlbiNsnhAll(), 0x30L, 0);
    }

    @Test
    void ats_pri_stall_and_sync_commands() {
        // ATC_INV: SSV 11, SSID 31:12, SID 63:32; dw1 SIZE 5:0, ADDR 63:12
        cmd(Commands.atcInv(0x100, 7, 0x5000, 52, false), 0x0000_0100_0000_7840L, 0x5034L);
        cmd(Commands.atcInv(0x100, -1, 0, 52, true), 0x0000_0100_0000_0240L, 52);
        // PRI_RESP: GRPID 8:0, RESP 13:12 (2 success)
        cmd(Commands.priResp(0x100, 3, 0x1ab, Commands.PRI_RESP_SUCC), 0x0000_0100_0000_3841L, 0x21abL);
        cmd(Commands.priResp(0x100, -1, 1, Commands.PRI_RESP_DENY), 0x0000_0100_0000_0041L, 1);
        // RESUME: RESP (action) 13:12 in dw0, STAG 15:0 in dw1
        cmd(Commands.resume(0x100, 0x42, Commands.RESUME_RETRY), 0x0000_0100_0000_1044L, 0x42);
        cmd(Commands.resume(0x100, 0x42, Commands.RESUME_ABORT), 0x0000_0100_0000_2044L, 0x42);
        cmd(Commands.stallTerm(0x100), 0x0000_0100_0000_0045L, 0);
        // CMD_SYNC: CS 13:12, MSIDATA 63:32; MSIADDR 51:2
        cmd(Commands.sync(Commands.SYNC_CS_IRQ, 0x1000, 0x2a), 0x0000_002a_0000_1046L, 0x1000);
        cmd(Commands.sync(), 0x46L, 0);
    }

    @Test
    void command_fields_decode() {
        long[] c = Commands.tlbiRange(Commands.TLBI_NH_VA, 1, 2, 0x10000, true, 3, 2, 1, 2);
        assertEquals(Commands.TLBI_NH_VA, Commands.opcode(c[0]));
        assertEquals(3, Commands.NUM(c[0]));
        assertEquals(2, Commands.SCALE(c[0]));
        assertEquals(1, Commands.VMID(c[0]));
        assertEquals(2, Commands.ASID(c[0]));
        assertTrue(Commands.LEAF(c[1]));
        assertEquals(2, Commands.TTL(c[1]));
        assertEquals(1, Commands.TG(c[1]));
        assertEquals(0x10000, Commands.VA(c[1]));
        // range = (NUM + 1) x 2^SCALE granules: 4 x 4 x 4K from 0x10000
        assertArrayEquals(new long[] { 0x10000, 0x10000 + 16 * 4096 - 1 }, CommandQueue.tlbiRange(c[0], Commands.VA(c[1]), c[1]));
        long[] p = Commands.priResp(0x100, 3, 0x1ab, 2);
        assertTrue(Commands.SSV(p[0]));
        assertEquals(3, Commands.SSID(p[0]));
        assertEquals(0x100, Commands.SID(p[0]));
        assertEquals(0x1ab, Commands.GRPID(p[1]));
        assertEquals(2, Commands.RESP(p[1]));
        long[] s = Commands.sync(1, 0x1000, 0x2a);
        assertEquals(1, Commands.CS(s[0]));
        assertEquals(0x2a, Commands.MSIDATA(s[0]));
        assertEquals(0x1000, Commands.MSIADDR(s[1]));
    }

    @Test
    void reserved_bits_unknown_opcodes_and_cs3_are_illegal() {
        Profile server = Profile.server();
        Profile minimal = Profile.minimal();
        assertEquals(Registers.CERROR_NONE, CommandQueue.check(0x46, 0, server));
        assertEquals(Registers.CERROR_ILL, CommandQueue.check(0x7f, 0, server), "unknown opcode");
        assertEquals(Registers.CERROR_ILL, CommandQueue.check(0x03 | 1L << 8, 0, server), "CFGI_STE with a reserved dw0 bit");
        assertEquals(Registers.CERROR_ILL, CommandQueue.check(0x03, 1L << 5, server), "CFGI_STE with a reserved dw1 bit");
        assertEquals(Registers.CERROR_ILL, CommandQueue.check(0x46 | 3L << 12, 0, server), "CMD_SYNC CS = 3");
        assertEquals(Registers.CERROR_ILL, CommandQueue.check(Commands.TLBI_EL2_ALL, 0, server), "no EL2");
        long[] range = Commands.tlbiRange(Commands.TLBI_NH_VA, 0, 1, 0x1000, false, 1, 0, 1, 0);
        assertEquals(Registers.CERROR_NONE, CommandQueue.check(range[0], range[1], server), "range TLBI with RIL");
        assertEquals(Registers.CERROR_ILL, CommandQueue.check(range[0], range[1], minimal), "NUM/SCALE are RES0 without RIL");
        long[] pri = Commands.priResp(1, -1, 0, 2);
        assertEquals(Registers.CERROR_ILL, CommandQueue.check(pri[0], pri[1], minimal), "no PRI");
        long[] resume = Commands.resume(1, 1, 1);
        assertEquals(Registers.CERROR_ILL, CommandQueue.check(resume[0], resume[1], minimal), "terminate-only: no RESUME");
        long[] s2 = Commands.tlbiS12Vmall(1);
        assertEquals(Registers.CERROR_ILL, CommandQueue.check(s2[0], s2[1], minimal), "no stage 2");
    }

    @Test
    void translation_fault_record() {
        // F_TRANSLATION, SID 0x100, SSID 5, a read, stage 2 while walking the stage 1 tables (CLASS TT), IPA 0x4e4d0008
        EventRecord r = new EventRecord.Builder(EventRecord.F_TRANSLATION, 0x100).substream(5).RnW(true).S2(true)
                .CLASS(EventRecord.CLASS_TT).InputAddr(0x80_8060_4567L).IPA(0x4e4d0008L).build();
        assertEquals(0x0000_0100_0000_5810L, r.dword(0));
        assertEquals(1L << 35 | 1L << 39 | 1L << 40, r.dword(1));
        assertEquals(0x0188_0000_0000L, r.dword(1));
        assertEquals(0x80_8060_4567L, r.dword(2));
        assertEquals(0x4e4d0000L, r.dword(3));
        EventRecord back = EventRecord.fromBytes(r.toBytes());
        assertEquals(EventRecord.F_TRANSLATION, back.ID());
        assertTrue(back.SSV());
        assertEquals(5, back.SubstreamID());
        assertEquals(0x100, back.StreamID());
        assertTrue(back.RnW());
        assertTrue(back.S2());
        assertEquals(EventRecord.CLASS_TT, back.CLASS());
        assertEquals(0x80_8060_4567L, back.InputAddr());
        assertEquals(0x4e4d0000L, back.IPA());
        assertFalse(back.Stall() || back.PnU() || back.InD());
    }

    @Test
    void stalled_permission_fault_record() {
        // STAG 0x33, Stall 31, PnU 33, InD 34, write (RnW 0)
        EventRecord r = new EventRecord.Builder(EventRecord.F_PERMISSION, 0x200).STAG(0x33).Stall(true).PnU(true).InD(true)
                .RnW(false).InputAddr(0x1000).build();
        assertEquals(0x0000_0200_0000_0013L, r.dword(0));
        assertEquals(0x6_8000_0033L, r.dword(1));
        assertEquals(0x33, r.STAG());
        assertTrue(r.Stall() && r.PnU() && r.InD());
        assertFalse(r.RnW());
    }

    @Test
    void configuration_and_fetch_records() {
        assertEquals(0x0000_0300_0000_0002L, new EventRecord.Builder(EventRecord.C_BAD_STREAMID, 0x300).build().dword(0));
        assertEquals(0x0000_0300_0000_0004L, new EventRecord.Builder(EventRecord.C_BAD_STE, 0x300).build().dword(0));
        assertEquals(0x0000_0300_0000_0006L, new EventRecord.Builder(EventRecord.F_STREAM_DISABLED, 0x300).build().dword(0));
        assertEquals(0x0000_0300_0000_7808L, new EventRecord.Builder(EventRecord.C_BAD_SUBSTREAMID, 0x300).substream(7).build().dword(0));
        assertEquals(0x0000_0300_0000_780aL, new EventRecord.Builder(EventRecord.C_BAD_CD, 0x300).substream(7).build().dword(0));
        // FetchAddr 51:3 in dw3
        EventRecord f = new EventRecord.Builder(EventRecord.F_STE_FETCH, 0x300).FetchAddr(0x1234_5678L).build();
        assertEquals(0x0000_0300_0000_0003L, f.dword(0));
        assertEquals(0x1234_5678L, f.dword(3));
        assertEquals(0x1234_5678L, f.FetchAddr());
        assertEquals(0x9L, new EventRecord.Builder(EventRecord.F_CD_FETCH, 0).build().dword(0));
        assertEquals(0xbL, new EventRecord.Builder(EventRecord.F_WALK_EABT, 0).build().dword(0));
        EventRecord t = new EventRecord.Builder(EventRecord.F_TRANS_FORBIDDEN, 0x300).InputAddr(0xabc000).RnW(true).build();
        assertEquals(0x0000_0300_0000_0007L, t.dword(0));
        assertEquals(1L << 35, t.dword(1));
        assertEquals(0xabc000L, t.dword(2));
        assertEquals(0x11L, new EventRecord.Builder(EventRecord.F_ADDR_SIZE, 0).build().dword(0));
        assertEquals(0x12L, new EventRecord.Builder(EventRecord.F_ACCESS, 0).build().dword(0));
        // a vEVENTQ gets the record with the guest's StreamID
        assertEquals(0x0000_0007_0000_0004L, new EventRecord.Builder(EventRecord.C_BAD_STE, 0x300).build().withStreamID(7).dword(0));
    }

    @Test
    void event_names_are_the_specs() {
        int[] ids = { 0x01, 0x02, 0x03, 0x04, 0x05, 0x06, 0x07, 0x08, 0x09, 0x0a, 0x0b, 0x10, 0x11, 0x12, 0x13, 0x20, 0x21, 0x24 };
        String[] names = { "F_UUT", "C_BAD_STREAMID", "F_STE_FETCH", "C_BAD_STE", "F_BAD_ATS_TREQ", "F_STREAM_DISABLED",
            "F_TRANS_FORBIDDEN", "C_BAD_SUBSTREAMID", "F_CD_FETCH", "C_BAD_CD", "F_WALK_EABT", "F_TRANSLATION", "F_ADDR_SIZE",
            "F_ACCESS", "F_PERMISSION", "F_TLB_CONFLICT", "F_CFG_CONFLICT", "E_PAGE_REQUEST" };
        for (int i = 0; i < ids.length; i++) {
            assertEquals(names[i], EventRecord.name(ids[i]));
        }
    }

    @Test
    void pri_queue_entry() {
        // SID 31:0, SSID 51:32, PRIV 58, EXEC 59, READ 60, WRITE 61, LAST 62, SSV 63; dw1 PRGI 8:0, ADDR 63:12
        long[] e = TranslationEngine.priEntry(0x100, 3, dev.ioasid.machine.Access.READ | dev.ioasid.machine.Access.WRITE, true, 0x1ab, 0x7000);
        assertEquals(0x0000_0100L | 3L << 32 | 1L << 60 | 1L << 61 | 1L << 62 | 1L << 63, e[0]);
        assertEquals(0xf000_0003_0000_0100L, e[0]);
        assertEquals(0x71abL, e[1]);
        assertEquals(0x0000_0100L, TranslationEngine.priEntry(0x100, -1, 0, false, 0, 0)[0]);
    }
}
