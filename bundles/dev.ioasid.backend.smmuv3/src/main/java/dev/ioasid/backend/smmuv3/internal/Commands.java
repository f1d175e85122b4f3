package dev.ioasid.backend.smmuv3.internal;

/**
 * Command queue entries: 16 bytes, two little-endian 64-bit words, opcode in dw0 7:0 (hw-formats.md 2.2; Linux
 * CMDQ_*). Encoders for every command the model executes, the fields by name, and for each opcode the bits a
 * well-formed command may set: any other bit is reserved, and the command is then illegal (CERROR_ILL).
 */
final class Commands {
    private Commands() {
    }

    static final int SIZE = 16;

    static final int PREFETCH_CONFIG = 0x01;
    static final int PREFETCH_ADDR = 0x02;
    static final int CFGI_STE = 0x03;
    static final int CFGI_STE_RANGE = 0x04;
    static final int CFGI_CD = 0x05;
    static final int CFGI_CD_ALL = 0x06;
    static final int TLBI_NH_ALL = 0x10;
    static final int TLBI_NH_ASID = 0x11;
    static final int TLBI_NH_VA = 0x12;
    static final int TLBI_NH_VAA = 0x13;
    static final int TLBI_EL3_ALL = 0x18;
    static final int TLBI_EL3_VA = 0x1a;
    static final int TLBI_EL2_ALL = 0x20;
    static final int TLBI_EL2_ASID = 0x21;
    static final int TLBI_EL2_VA = 0x22;
    static final int TLBI_EL2_VAA = 0x23;
    static final int TLBI_S12_VMALL = 0x28;
    static final int TLBI_S2_IPA = 0x2a;
    static final int TLBI_NSNH_ALL = 0x30;
    static final int ATC_INV = 0x40;
    static final int PRI_RESP = 0x41;
    static final int RESUME = 0x44;
    static final int STALL_TERM = 0x45;
    static final int CMD_SYNC = 0x46;

    /** CFGI_STE_RANGE with RANGE 31 invalidates every STE: CFGI_ALL. */
    static final int RANGE_ALL = 31;

    // PRI_RESP.RESP
    static final int PRI_RESP_DENY = 0;
    static final int PRI_RESP_FAIL = 1;
    static final int PRI_RESP_SUCC = 2;

    // RESUME.RESP (Action)
    static final int RESUME_TERM = 0;
    static final int RESUME_RETRY = 1;
    static final int RESUME_ABORT = 2;

    // CMD_SYNC.CS
    static final int SYNC_CS_NONE = 0;
    static final int SYNC_CS_IRQ = 1;
    static final int SYNC_CS_SEV = 2;

    // ---------------------------------------------------------------- field masks per opcode
    private static final long OP = Bits.mask(7, 0);
    private static final long SSV = 1L << 11;
    private static final long SSID = Bits.mask(31, 12);
    private static final long SID = Bits.mask(63, 32);
    private static final long LEAF = 1L;
    private static final long NUM = Bits.mask(16, 12);
    private static final long SCALE = Bits.mask(24, 20);
    private static final long VMID = Bits.mask(47, 32);
    private static final long ASID = Bits.mask(63, 48);
    private static final long TTL = Bits.mask(9, 8);
    private static final long TG = Bits.mask(11, 10);
    private static final long VA = Bits.mask(63, 12);
    private static final long IPA = Bits.mask(51, 12);

    /** The bits of dw0 and dw1 a command may set, or null for an opcode this model does not know. */
    static long[] definedBits(int op) {
        switch (op) {
        case PREFETCH_CONFIG:
            return new long[] { OP | SSV | SSID | SID, 0 };
        case PREFETCH_ADDR:
            return new long[] { OP | SSV | SSID | SID, Bits.mask(4, 0) | VA };
        case CFGI_STE:
            return new long[] { OP | SID, LEAF };
        case CFGI_STE_RANGE:
            return new long[] { OP | SID, Bits.mask(4, 0) };
        case CFGI_CD:
            return new long[] { OP | SSID | SID, LEAF };
        case CFGI_CD_ALL:
            return new long[] { OP | SID, 0 };
        case TLBI_NH_ALL:
        case TLBI_S12_VMALL:
            return new long[] { OP | VMID, 0 };
        case TLBI_NH_ASID:
            return new long[] { OP | VMID | ASID, 0 };
        case TLBI_NH_VA:
            return new long[] { OP | NUM | SCALE | VMID | ASID, LEAF | TTL | TG | VA };
        case TLBI_NH_VAA:
            return new long[] { OP | NUM | SCALE | VMID, LEAF | TTL | TG | VA };
        case TLBI_EL2_ALL:
            return new long[] { OP, 0 };
        case TLBI_EL2_ASID:
            return new long[] { OP | ASID, 0 };
        case TLBI_EL2_VA:
            return new long[] { OP | NUM | SCALE | ASID, LEAF | TTL | TG | VA };
        case TLBI_EL2_VAA:
            return new long[] { OP | NUM | SCALE, LEAF | TTL | TG | VA };
        case TLBI_S2_IPA:
            return new long[] { OP | NUM | SCALE | VMID, LEAF | TTL | TG | IPA };
        case TLBI_NSNH_ALL:
            return new long[] { OP, 0 };
        case ATC_INV:
            return new long[] { OP | (1L << 9) | SSV | SSID | SID, Bits.mask(5, 0) | VA };
        case PRI_RESP:
            return new long[] { OP | SSV | SSID | SID, Bits.mask(8, 0) | Bits.mask(13, 12) };
        case RESUME:
            return new long[] { OP | Bits.mask(13, 12) | SID, Bits.mask(15, 0) };
        case STALL_TERM:
            return new long[] { OP | SID, 0 };
        case CMD_SYNC:
            return new long[] { OP | Bits.mask(13, 12) | Bits.mask(23, 22) | Bits.mask(27, 24) | Bits.mask(63, 32), Bits.mask(51, 2) };
        default:
            return null;
        }
    }

    static String name(int op) {
        switch (op) {
        case PREFETCH_CONFIG: return "PREFETCH_CONFIG";
        case PREFETCH_ADDR: return "PREFETCH_ADDR";
        case CFGI_STE: return "CFGI_STE";
        case CFGI_STE_RANGE: return "CFGI_STE_RANGE";
        case CFGI_CD: return "CFGI_CD";
        case CFGI_CD_ALL: return "CFGI_CD_ALL";
        case TLBI_NH_ALL: return "TLBI_NH_ALL";
        case TLBI_NH_ASID: return "TLBI_NH_ASID";
        case TLBI_NH_VA: return "TLBI_NH_VA";
        case TLBI_NH_VAA: return "TLBI_NH_VAA";
        case TLBI_EL3_ALL: return "TLBI_EL3_ALL";
        case TLBI_EL3_VA: return "TLBI_EL3_VA";
        case TLBI_EL2_ALL: return "TLBI_EL2_ALL";
        case TLBI_EL2_ASID: return "TLBI_EL2_ASID";
        case TLBI_EL2_VA: return "TLBI_EL2_VA";
        case TLBI_EL2_VAA: return "TLBI_EL2_VAA";
        case TLBI_S12_VMALL: return "TLBI_S12_VMALL";
        case TLBI_S2_IPA: return "TLBI_S2_IPA";
        case TLBI_NSNH_ALL: return "TLBI_NSNH_ALL";
        case ATC_INV: return "ATC_INV";
        case PRI_RESP: return "PRI_RESP";
        case RESUME: return "RESUME";
        case STALL_TERM: return "STALL_TERM";
        case CMD_SYNC: return "CMD_SYNC";
        default: return String.format("OP_0x%02x", op);
        }
    }

    // ---------------------------------------------------------------- field accessors
    static int opcode(long dw0) { return (int) Bits.get(dw0, 7, 0); }
    static boolean SSV(long dw0) { return Bits.bit(dw0, 11); }
    static int SSID(long dw0) { return (int) Bits.get(dw0, 31, 12); }
    static int SID(long dw0) { return (int) Bits.get(dw0, 63, 32); }
    static boolean LEAF(long dw1) { return Bits.bit(dw1, 0); }
    static int RANGE(long dw1) { return (int) Bits.get(dw1, 4, 0); }
    static int NUM(long dw0) { return (int) Bits.get(dw0, 16, 12); }
    static int SCALE(long dw0) { return (int) Bits.get(dw0, 24, 20); }
    static int VMID(long dw0) { return (int) Bits.get(dw0, 47, 32); }
    static int ASID(long dw0) { return (int) Bits.get(dw0, 63, 48); }
    static int TTL(long dw1) { return (int) Bits.get(dw1, 9, 8); }
    static int TG(long dw1) { return (int) Bits.get(dw1, 11, 10); }
    static long VA(long dw1) { return dw1 & VA; }
    static long IPA(long dw1) { return dw1 & IPA; }
    static boolean GLOBAL(long dw0) { return Bits.bit(dw0, 9); }
    static int SIZE(long dw1) { return (int) Bits.get(dw1, 5, 0); }
    static long ADDR(long dw1) { return dw1 & VA; }
    static int GRPID(long dw1) { return (int) Bits.get(dw1, 8, 0); }
    static int RESP(long dw1OrDw0) { return (int) Bits.get(dw1OrDw0, 13, 12); }
    static int STAG(long dw1) { return (int) Bits.get(dw1, 15, 0); }
    static int CS(long dw0) { return (int) Bits.get(dw0, 13, 12); }
    static int MSH(long dw0) { return (int) Bits.get(dw0, 23, 22); }
    static int MSIATTR(long dw0) { return (int) Bits.get(dw0, 27, 24); }
    static int MSIDATA(long dw0) { return (int) Bits.get(dw0, 63, 32); }
    static long MSIADDR(long dw1) { return dw1 & Bits.mask(51, 2); }

    // ---------------------------------------------------------------- encoders
    private static long op(int op) {
        return op;
    }

    private static long sid(long dw0, int sid) {
        return Bits.set(dw0, 63, 32, Integer.toUnsignedLong(sid));
    }

    static long[] prefetchConfig(int sid) {
        return new long[] { sid(op(PREFETCH_CONFIG), sid), 0 };
    }

    static long[] cfgiSte(int sid, boolean leaf) {
        return new long[] { sid(op(CFGI_STE), sid), leaf ? 1 : 0 };
    }

    static long[] cfgiSteRange(int sid, int range) {
        return new long[] { sid(op(CFGI_STE_RANGE), sid), range };
    }

    static long[] cfgiAll() {
        return cfgiSteRange(0, RANGE_ALL);
    }

    static long[] cfgiCd(int sid, int ssid, boolean leaf) {
        return new long[] { Bits.set(sid(op(CFGI_CD), sid), 31, 12, ssid), leaf ? 1 : 0 };
    }

    static long[] cfgiCdAll(int sid) {
        return new long[] { sid(op(CFGI_CD_ALL), sid), 0 };
    }

    static long[] tlbiNhAll(int vmid) {
        return new long[] { Bits.set(op(TLBI_NH_ALL), 47, 32, vmid), 0 };
    }

    static long[] tlbiNhAsid(int vmid, int asid) {
        return new long[] { Bits.set(Bits.set(op(TLBI_NH_ASID), 47, 32, vmid), 63, 48, asid), 0 };
    }

    /** TLBI_NH_VA of one address (TG 0: no range, no TTL). */
    static long[] tlbiNhVa(int vmid, int asid, long va, boolean leaf) {
        return tlbiRange(TLBI_NH_VA, vmid, asid, va, leaf, 0, 0, 0, 0);
    }

    static long[] tlbiNhVaa(int vmid, long va, boolean leaf) {
        return tlbiRange(TLBI_NH_VAA, vmid, 0, va, leaf, 0, 0, 0, 0);
    }

    /** A TLBI by address with the range fields of SMMUv3.2 (IDR3.RIL): (NUM+1) x 2^SCALE granules of TG. */
    static long[] tlbiRange(int opcode, int vmid, int asid, long addr, boolean leaf, int num, int scale, int tg, int ttl) {
        long dw0 = op(opcode);
        dw0 = Bits.set(dw0, 16, 12, num);
        dw0 = Bits.set(dw0, 24, 20, scale);
        if (opcode != TLBI_EL2_VA && opcode != TLBI_EL2_VAA) {
            dw0 = Bits.set(dw0, 47, 32, vmid);
        }
        if (opcode == TLBI_NH_VA || opcode == TLBI_EL2_VA) {
            dw0 = Bits.set(dw0, 63, 48, asid);
        }
        long dw1 = (leaf ? 1 : 0) | (long) ttl << 8 | (long) tg << 10;
        dw1 |= opcode == TLBI_S2_IPA ? addr & IPA : addr & VA;
        return new long[] { dw0, dw1 };
    }

    static long[] tlbiS2Ipa(int vmid, long ipa, boolean leaf) {
        return tlbiRange(TLBI_S2_IPA, vmid, 0, ipa, leaf, 0, 0, 0, 0);
    }

    static long[] tlbiS12Vmall(int vmid) {
        return new long[] { Bits.set(op(TLBI_S12_VMALL), 47, 32, vmid), 0 };
    }

    static long[] tlbiNsnhAll() {
        return new long[] { op(TLBI_NSNH_ALL), 0 };
    }

    /** ATC_INV of 2^size granules at addr; size 52 invalidates everything. ssid -1: no substream. */
    static long[] atcInv(int sid, int ssid, long addr, int size, boolean global) {
        long dw0 = sid(op(ATC_INV), sid);
        if (ssid >= 0) {
            dw0 = Bits.set(Bits.set(dw0, 11, true), 31, 12, ssid);
        }
        dw0 = Bits.set(dw0, 9, global);
        return new long[] { dw0, (addr & VA) | size };
    }

    /** PRI_RESP; ssid -1 for a request without PASID. */
    static long[] priResp(int sid, int ssid, int grpid, int resp) {
        long dw0 = sid(op(PRI_RESP), sid);
        if (ssid >= 0) {
            dw0 = Bits.set(Bits.set(dw0, 11, true), 31, 12, ssid);
        }
        return new long[] { dw0, Bits.set(Bits.set(0, 8, 0, grpid), 13, 12, resp) };
    }

    static long[] resume(int sid, int stag, int resp) {
        return new long[] { Bits.set(sid(op(RESUME), sid), 13, 12, resp), stag };
    }

    static long[] stallTerm(int sid) {
        return new long[] { sid(op(STALL_TERM), sid), 0 };
    }

    static long[] sync(int cs, long msiAddr, int msiData) {
        long dw0 = Bits.set(op(CMD_SYNC), 13, 12, cs);
        dw0 = Bits.set(dw0, 63, 32, Integer.toUnsignedLong(msiData));
        return new long[] { dw0, msiAddr & Bits.mask(51, 2) };
    }

    static long[] sync() {
        return sync(SYNC_CS_NONE, 0, 0);
    }

    static String describe(long dw0, long dw1) {
        return String.format("%s [0x%016x 0x%016x]", name(opcode(dw0)), dw0, dw1);
    }
}
