package dev.ioasid.backend.smmuv3.internal;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;

/**
 * An event queue record: 32 bytes, four little-endian 64-bit words (hw-formats.md 3.2; Linux EVTQ_*). Immutable;
 * {@link Builder} writes one.
 *
 * <pre>
 * dw0  ID 7:0, SSV 11, SubstreamID 31:12, StreamID 63:32
 * dw1  STAG 15:0, Stall 31, PnU 33, InD 34, RnW 35, S2 39, CLASS 41:40, TT_READ 44
 * dw2  InputAddr
 * dw3  IPA 51:12 (faults at stage 2) or FetchAddr 51:3 (F_STE_FETCH, F_CD_FETCH, F_WALK_EABT)
 * </pre>
 */
final class EventRecord {
    static final int SIZE = 32;

    static final int F_UUT = 0x01;
    static final int C_BAD_STREAMID = 0x02;
    static final int F_STE_FETCH = 0x03;
    static final int C_BAD_STE = 0x04;
    static final int F_BAD_ATS_TREQ = 0x05;
    static final int F_STREAM_DISABLED = 0x06;
    static final int F_TRANS_FORBIDDEN = 0x07;
    static final int C_BAD_SUBSTREAMID = 0x08;
    static final int F_CD_FETCH = 0x09;
    static final int C_BAD_CD = 0x0a;
    static final int F_WALK_EABT = 0x0b;
    static final int F_TRANSLATION = 0x10;
    static final int F_ADDR_SIZE = 0x11;
    static final int F_ACCESS = 0x12;
    static final int F_PERMISSION = 0x13;
    static final int F_TLB_CONFLICT = 0x20;
    static final int F_CFG_CONFLICT = 0x21;
    static final int E_PAGE_REQUEST = 0x24;

    /** CLASS: what the faulting stage-2 access was for. */
    static final int CLASS_CD = 0;
    static final int CLASS_TT = 1;
    static final int CLASS_IN = 2;

    static String name(int id) {
        switch (id) {
        case F_UUT: return "F_UUT";
        case C_BAD_STREAMID: return "C_BAD_STREAMID";
        case F_STE_FETCH: return "F_STE_FETCH";
        case C_BAD_STE: return "C_BAD_STE";
        case F_BAD_ATS_TREQ: return "F_BAD_ATS_TREQ";
        case F_STREAM_DISABLED: return "F_STREAM_DISABLED";
        case F_TRANS_FORBIDDEN: return "F_TRANS_FORBIDDEN";
        case C_BAD_SUBSTREAMID: return "C_BAD_SUBSTREAMID";
        case F_CD_FETCH: return "F_CD_FETCH";
        case C_BAD_CD: return "C_BAD_CD";
        case F_WALK_EABT: return "F_WALK_EABT";
        case F_TRANSLATION: return "F_TRANSLATION";
        case F_ADDR_SIZE: return "F_ADDR_SIZE";
        case F_ACCESS: return "F_ACCESS";
        case F_PERMISSION: return "F_PERMISSION";
        case F_TLB_CONFLICT: return "F_TLB_CONFLICT";
        case F_CFG_CONFLICT: return "F_CFG_CONFLICT";
        case E_PAGE_REQUEST: return "E_PAGE_REQUEST";
        default: return String.format("EVENT_0x%02x", id);
        }
    }

    /** The translation-class faults: the ones that may stall or become page requests. */
    static boolean isTranslationFault(int id) {
        return id == F_TRANSLATION || id == F_ADDR_SIZE || id == F_ACCESS || id == F_PERMISSION;
    }

    private final long[] dw;

    EventRecord(long dw0, long dw1, long dw2, long dw3) {
        this.dw = new long[] { dw0, dw1, dw2, dw3 };
    }

    static EventRecord fromBytes(byte[] b) {
        ByteBuffer bb = ByteBuffer.wrap(b).order(ByteOrder.LITTLE_ENDIAN);
        return new EventRecord(bb.getLong(), bb.getLong(), bb.getLong(), bb.getLong());
    }

    byte[] toBytes() {
        ByteBuffer bb = ByteBuffer.allocate(SIZE).order(ByteOrder.LITTLE_ENDIAN);
        for (long d : dw) {
            bb.putLong(d);
        }
        return bb.array();
    }

    long dword(int i) {
        return dw[i];
    }

    int ID() { return (int) Bits.get(dw[0], 7, 0); }
    boolean SSV() { return Bits.bit(dw[0], 11); }
    int SubstreamID() { return (int) Bits.get(dw[0], 31, 12); }
    int StreamID() { return (int) Bits.get(dw[0], 63, 32); }
    int STAG() { return (int) Bits.get(dw[1], 15, 0); }
    boolean Stall() { return Bits.bit(dw[1], 31); }
    boolean PnU() { return Bits.bit(dw[1], 33); }
    boolean InD() { return Bits.bit(dw[1], 34); }
    boolean RnW() { return Bits.bit(dw[1], 35); }
    boolean S2() { return Bits.bit(dw[1], 39); }
    int CLASS() { return (int) Bits.get(dw[1], 41, 40); }
    boolean TT_READ() { return Bits.bit(dw[1], 44); }
    long InputAddr() { return dw[2]; }
    long IPA() { return Bits.address(dw[3], 51, 12); }
    long FetchAddr() { return Bits.address(dw[3], 51, 3); }

    /** The same record with another StreamID (a vSID, for a guest's vEVENTQ). */
    EventRecord withStreamID(int sid) {
        return new EventRecord(Bits.set(dw[0], 63, 32, Integer.toUnsignedLong(sid)), dw[1], dw[2], dw[3]);
    }

    @Override
    public String toString() {
        StringBuilder sb = new StringBuilder(name(ID())).append(" sid 0x").append(Integer.toHexString(StreamID()));
        if (SSV()) {
            sb.append(" ssid ").append(SubstreamID());
        }
        if (isTranslationFault(ID()) || ID() == F_WALK_EABT) {
            sb.append(String.format(" addr 0x%x %s%s%s", InputAddr(), RnW() ? "read" : "write", InD() ? " instr" : "", PnU() ? " priv" : ""));
            if (S2()) {
                sb.append(String.format(" S2 class %d ipa 0x%x", CLASS(), IPA()));
            }
            if (Stall()) {
                sb.append(" STALL stag ").append(STAG());
            }
        }
        return sb.toString();
    }

    /** Writes an event record field by field; every field starts at zero. */
    static final class Builder {
        private long dw0;
        private long dw1;
        private long dw2;
        private long dw3;

        Builder(int id, int sid) {
            dw0 = Bits.set(0, 7, 0, id);
            dw0 = Bits.set(dw0, 63, 32, Integer.toUnsignedLong(sid));
        }

        Builder substream(int ssid) {
            dw0 = Bits.set(dw0, 11, true);
            dw0 = Bits.set(dw0, 31, 12, ssid & 0xfffff); // SubstreamIDs are 20 bits on the wire
            return this;
        }

        Builder STAG(int stag) { dw1 = Bits.set(dw1, 15, 0, stag); return this; }
        Builder Stall(boolean v) { dw1 = Bits.set(dw1, 31, v); return this; }
        Builder PnU(boolean v) { dw1 = Bits.set(dw1, 33, v); return this; }
        Builder InD(boolean v) { dw1 = Bits.set(dw1, 34, v); return this; }
        Builder RnW(boolean v) { dw1 = Bits.set(dw1, 35, v); return this; }
        Builder S2(boolean v) { dw1 = Bits.set(dw1, 39, v); return this; }
        Builder CLASS(int v) { dw1 = Bits.set(dw1, 41, 40, v); return this; }
        Builder TT_READ(boolean v) { dw1 = Bits.set(dw1, 44, v); return this; }
        Builder InputAddr(long a) { dw2 = a; return this; }
        Builder IPA(long a) { dw3 = a & Bits.mask(51, 12); return this; }
        Builder FetchAddr(long a) { dw3 = a & Bits.mask(51, 3); return this; }

        EventRecord build() {
            return new EventRecord(dw0, dw1, dw2, dw3);
        }
    }
}
