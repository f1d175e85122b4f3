package dev.ioasid.backend.smmuv3.internal;

import java.util.Arrays;

/**
 * A Context Descriptor: 64 bytes, eight little-endian 64-bit words, with accessors named by the spec's fields
 * (hw-formats.md 1.2; Linux CTXDESC_CD_*). Immutable; {@link Builder} writes one.
 */
final class Cd {
    static final int SIZE = 64;
    static final int DWORDS = 8;
    /** CDs per leaf table of a 2-level CD table. */
    static final int L2_ENTRIES = 1024;

    private final long[] dw;

    Cd(long... dwords) {
        if (dwords.length != DWORDS) {
            throw new IllegalArgumentException("a CD is 8 dwords");
        }
        this.dw = dwords.clone();
    }

    long dword(int i) {
        return dw[i];
    }

    long[] dwords() {
        return dw.clone();
    }

    int T0SZ() { return (int) Bits.get(dw[0], 5, 0); }
    int TG0() { return (int) Bits.get(dw[0], 7, 6); }
    int IRGN0() { return (int) Bits.get(dw[0], 9, 8); }
    int ORGN0() { return (int) Bits.get(dw[0], 11, 10); }
    int SH0() { return (int) Bits.get(dw[0], 13, 12); }
    boolean EPD0() { return Bits.bit(dw[0], 14); }
    boolean ENDI() { return Bits.bit(dw[0], 15); }
    int T1SZ() { return (int) Bits.get(dw[0], 21, 16); }
    int TG1() { return (int) Bits.get(dw[0], 23, 22); }
    boolean EPD1() { return Bits.bit(dw[0], 30); }
    boolean V() { return Bits.bit(dw[0], 31); }
    int IPS() { return (int) Bits.get(dw[0], 34, 32); }
    boolean AFFD() { return Bits.bit(dw[0], 35); }
    boolean WXN() { return Bits.bit(dw[0], 36); }
    boolean UWXN() { return Bits.bit(dw[0], 37); }
    boolean TBI0() { return Bits.bit(dw[0], 38); }
    boolean TBI1() { return Bits.bit(dw[0], 39); }
    boolean PAN() { return Bits.bit(dw[0], 40); }
    boolean AA64() { return Bits.bit(dw[0], 41); }
    boolean HD() { return Bits.bit(dw[0], 42); }
    boolean HA() { return Bits.bit(dw[0], 43); }
    boolean S() { return Bits.bit(dw[0], 44); }
    boolean R() { return Bits.bit(dw[0], 45); }
    boolean A() { return Bits.bit(dw[0], 46); }
    boolean ASET() { return Bits.bit(dw[0], 47); }
    int ASID() { return (int) Bits.get(dw[0], 63, 48); }
    long TTB0() { return Bits.address(dw[1], 51, 4); }
    long TTB1() { return Bits.address(dw[2], 51, 4); }
    long MAIR() { return dw[3]; }

    @Override
    public boolean equals(Object o) {
        return o instanceof Cd && Arrays.equals(dw, ((Cd) o).dw);
    }

    @Override
    public int hashCode() {
        return Arrays.hashCode(dw);
    }

    @Override
    public String toString() {
        return String.format("CD{V=%d ASID=0x%x T0SZ=%d TG0=%d IPS=%d TTB0=0x%x EPD0=%d EPD1=%d AA64=%d R=%d A=%d S=%d HA=%d HD=%d}",
                V() ? 1 : 0, ASID(), T0SZ(), TG0(), IPS(), TTB0(), EPD0() ? 1 : 0, EPD1() ? 1 : 0, AA64() ? 1 : 0, R() ? 1 : 0,
                A() ? 1 : 0, S() ? 1 : 0, HA() ? 1 : 0, HD() ? 1 : 0);
    }

    /** Writes a CD field by field; every field starts at zero. */
    static final class Builder {
        private final long[] dw = new long[DWORDS];

        Builder T0SZ(int v) { dw[0] = Bits.set(dw[0], 5, 0, v); return this; }
        Builder TG0(int v) { dw[0] = Bits.set(dw[0], 7, 6, v); return this; }
        Builder IRGN0(int v) { dw[0] = Bits.set(dw[0], 9, 8, v); return this; }
        Builder ORGN0(int v) { dw[0] = Bits.set(dw[0], 11, 10, v); return this; }
        Builder SH0(int v) { dw[0] = Bits.set(dw[0], 13, 12, v); return this; }
        Builder EPD0(boolean v) { dw[0] = Bits.set(dw[0], 14, v); return this; }
        Builder ENDI(boolean v) { dw[0] = Bits.set(dw[0], 15, v); return this; }
        Builder T1SZ(int v) { dw[0] = Bits.set(dw[0], 21, 16, v); return this; }
        Builder TG1(int v) { dw[0] = Bits.set(dw[0], 23, 22, v); return this; }
        Builder EPD1(boolean v) { dw[0] = Bits.set(dw[0], 30, v); return this; }
        Builder V(boolean v) { dw[0] = Bits.set(dw[0], 31, v); return this; }
        Builder IPS(int v) { dw[0] = Bits.set(dw[0], 34, 32, v); return this; }
        Builder AFFD(boolean v) { dw[0] = Bits.set(dw[0], 35, v); return this; }
        Builder TBI0(boolean v) { dw[0] = Bits.set(dw[0], 38, v); return this; }
        Builder AA64(boolean v) { dw[0] = Bits.set(dw[0], 41, v); return this; }
        Builder HD(boolean v) { dw[0] = Bits.set(dw[0], 42, v); return this; }
        Builder HA(boolean v) { dw[0] = Bits.set(dw[0], 43, v); return this; }
        Builder S(boolean v) { dw[0] = Bits.set(dw[0], 44, v); return this; }
        Builder R(boolean v) { dw[0] = Bits.set(dw[0], 45, v); return this; }
        Builder A(boolean v) { dw[0] = Bits.set(dw[0], 46, v); return this; }
        Builder ASET(boolean v) { dw[0] = Bits.set(dw[0], 47, v); return this; }
        Builder ASID(int v) { dw[0] = Bits.set(dw[0], 63, 48, v); return this; }
        Builder TTB0(long pa) { dw[1] = (dw[1] & ~Bits.mask(51, 4)) | (pa & Bits.mask(51, 4)); return this; }
        Builder TTB1(long pa) { dw[2] = (dw[2] & ~Bits.mask(51, 4)) | (pa & Bits.mask(51, 4)); return this; }
        Builder MAIR(long v) { dw[3] = v; return this; }

        Cd build() {
            return new Cd(dw);
        }
    }
}
