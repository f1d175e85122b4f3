package dev.ioasid.backend.smmuv3.internal;

import java.util.Arrays;

/**
 * A Stream Table Entry: 64 bytes, eight little-endian 64-bit words, with accessors named by the spec's fields
 * (hw-formats.md 1.2; Linux arm-smmu-v3.h STRTAB_STE_*). Immutable; {@link Builder} writes one.
 */
final class Ste {
    static final int SIZE = 64;
    static final int DWORDS = 8;

    // Config values (dw0 3:1)
    static final int CONFIG_ABORT = 0b000;
    static final int CONFIG_BYPASS = 0b100;
    static final int CONFIG_S1 = 0b101;
    static final int CONFIG_S2 = 0b110;
    static final int CONFIG_NESTED = 0b111;

    // S1Fmt (dw0 5:4)
    static final int S1FMT_LINEAR = 0;
    static final int S1FMT_2LVL_4K = 1;
    static final int S1FMT_2LVL_64K = 2;

    // S1DSS (dw1 1:0)
    static final int S1DSS_TERMINATE = 0;
    static final int S1DSS_BYPASS = 1;
    static final int S1DSS_SSID0 = 2;

    // EATS (dw1 29:28)
    static final int EATS_ABT = 0;
    static final int EATS_TRANS = 1;
    static final int EATS_S1CHK = 2;

    private final long[] dw;

    Ste(long... dwords) {
        if (dwords.length != DWORDS) {
            throw new IllegalArgumentException("an STE is 8 dwords");
        }
        this.dw = dwords.clone();
    }

    long dword(int i) {
        return dw[i];
    }

    long[] dwords() {
        return dw.clone();
    }

    // ---------------------------------------------------------------- dw0
    boolean V() {
        return Bits.bit(dw[0], 0);
    }

    int Config() {
        return (int) Bits.get(dw[0], 3, 1);
    }

    int S1Fmt() {
        return (int) Bits.get(dw[0], 5, 4);
    }

    long S1ContextPtr() {
        return Bits.address(dw[0], 51, 6);
    }

    int S1CDMax() {
        return (int) Bits.get(dw[0], 63, 59);
    }

    // ---------------------------------------------------------------- dw1
    int S1DSS() {
        return (int) Bits.get(dw[1], 1, 0);
    }

    int S1CIR() {
        return (int) Bits.get(dw[1], 3, 2);
    }

    int S1COR() {
        return (int) Bits.get(dw[1], 5, 4);
    }

    int S1CSH() {
        return (int) Bits.get(dw[1], 7, 6);
    }

    boolean S1STALLD() {
        return Bits.bit(dw[1], 27);
    }

    int EATS() {
        return (int) Bits.get(dw[1], 29, 28);
    }

    int STRW() {
        return (int) Bits.get(dw[1], 31, 30);
    }

    int SHCFG() {
        return (int) Bits.get(dw[1], 45, 44);
    }

    // ---------------------------------------------------------------- dw2
    int S2VMID() {
        return (int) Bits.get(dw[2], 15, 0);
    }

    int S2T0SZ() {
        return (int) Bits.get(dw[2], 37, 32);
    }

    int S2SL0() {
        return (int) Bits.get(dw[2], 39, 38);
    }

    int S2IR0() {
        return (int) Bits.get(dw[2], 41, 40);
    }

    int S2OR0() {
        return (int) Bits.get(dw[2], 43, 42);
    }

    int S2SH0() {
        return (int) Bits.get(dw[2], 45, 44);
    }

    int S2TG() {
        return (int) Bits.get(dw[2], 47, 46);
    }

    int S2PS() {
        return (int) Bits.get(dw[2], 50, 48);
    }

    boolean S2AA64() {
        return Bits.bit(dw[2], 51);
    }

    boolean S2ENDI() {
        return Bits.bit(dw[2], 52);
    }

    boolean S2AFFD() {
        return Bits.bit(dw[2], 53);
    }

    boolean S2PTW() {
        return Bits.bit(dw[2], 54);
    }

    boolean S2HD() {
        return Bits.bit(dw[2], 55);
    }

    boolean S2HA() {
        return Bits.bit(dw[2], 56);
    }

    boolean S2S() {
        return Bits.bit(dw[2], 57);
    }

    boolean S2R() {
        return Bits.bit(dw[2], 58);
    }

    // ---------------------------------------------------------------- dw3
    long S2TTB() {
        return Bits.address(dw[3], 51, 4);
    }

    /** Stage 1 is enabled by Config (S1 or nested). */
    boolean s1Enabled() {
        int c = Config();
        return c == CONFIG_S1 || c == CONFIG_NESTED;
    }

    /** Stage 2 is enabled by Config (S2 or nested). */
    boolean s2Enabled() {
        int c = Config();
        return c == CONFIG_S2 || c == CONFIG_NESTED;
    }

    boolean isAbort() {
        return (Config() & 0b100) == 0;
    }

    static String configName(int config) {
        switch (config) {
        case CONFIG_BYPASS: return "bypass";
        case CONFIG_S1: return "S1";
        case CONFIG_S2: return "S2";
        case CONFIG_NESTED: return "S1+S2";
        default: return (config & 0b100) == 0 ? "abort" : "reserved";
        }
    }

    /** S1Fmt, for people. */
    static String s1FmtName(int f) {
        switch (f) {
        case S1FMT_LINEAR: return "linear";
        case S1FMT_2LVL_4K: return "2-level, 4K leaves";
        case S1FMT_2LVL_64K: return "2-level, 64K leaves";
        default: return "reserved";
        }
    }

    /** S1DSS, for people. */
    static String s1DssName(int d) {
        switch (d) {
        case S1DSS_TERMINATE: return "terminate";
        case S1DSS_BYPASS: return "bypass";
        case S1DSS_SSID0: return "substream 0";
        default: return "reserved";
        }
    }

    /** EATS, for people. */
    static String eatsName(int e) {
        switch (e) {
        case EATS_ABT: return "ATS aborted";
        case EATS_TRANS: return "full ATS";
        case EATS_S1CHK: return "split-stage ATS";
        default: return "reserved";
        }
    }

    @Override
    public boolean equals(Object o) {
        return o instanceof Ste && Arrays.equals(dw, ((Ste) o).dw);
    }

    @Override
    public int hashCode() {
        return Arrays.hashCode(dw);
    }

    @Override
    public String toString() {
        return String.format("STE{V=%d Config=%s S1ContextPtr=0x%x S1CDMax=%d S1DSS=%d S2VMID=%d S2TTB=0x%x}", V() ? 1 : 0,
                configName(Config()), S1ContextPtr(), S1CDMax(), S1DSS(), S2VMID(), S2TTB());
    }

    /** Writes an STE field by field; every field starts at zero. */
    static final class Builder {
        private final long[] dw = new long[DWORDS];

        Builder() {
        }

        Builder(Ste from) {
            System.arraycopy(from.dw, 0, dw, 0, DWORDS);
        }

        Builder V(boolean v) { dw[0] = Bits.set(dw[0], 0, v); return this; }
        Builder Config(int c) { dw[0] = Bits.set(dw[0], 3, 1, c); return this; }
        Builder S1Fmt(int f) { dw[0] = Bits.set(dw[0], 5, 4, f); return this; }
        Builder S1ContextPtr(long pa) { dw[0] = (dw[0] & ~Bits.mask(51, 6)) | (pa & Bits.mask(51, 6)); return this; }
        Builder S1CDMax(int n) { dw[0] = Bits.set(dw[0], 63, 59, n); return this; }
        Builder S1DSS(int v) { dw[1] = Bits.set(dw[1], 1, 0, v); return this; }
        Builder S1CIR(int v) { dw[1] = Bits.set(dw[1], 3, 2, v); return this; }
        Builder S1COR(int v) { dw[1] = Bits.set(dw[1], 5, 4, v); return this; }
        Builder S1CSH(int v) { dw[1] = Bits.set(dw[1], 7, 6, v); return this; }
        Builder S1STALLD(boolean v) { dw[1] = Bits.set(dw[1], 27, v); return this; }
        Builder EATS(int v) { dw[1] = Bits.set(dw[1], 29, 28, v); return this; }
        Builder STRW(int v) { dw[1] = Bits.set(dw[1], 31, 30, v); return this; }
        Builder SHCFG(int v) { dw[1] = Bits.set(dw[1], 45, 44, v); return this; }
        Builder S2VMID(int v) { dw[2] = Bits.set(dw[2], 15, 0, v); return this; }
        Builder S2T0SZ(int v) { dw[2] = Bits.set(dw[2], 37, 32, v); return this; }
        Builder S2SL0(int v) { dw[2] = Bits.set(dw[2], 39, 38, v); return this; }
        Builder S2IR0(int v) { dw[2] = Bits.set(dw[2], 41, 40, v); return this; }
        Builder S2OR0(int v) { dw[2] = Bits.set(dw[2], 43, 42, v); return this; }
        Builder S2SH0(int v) { dw[2] = Bits.set(dw[2], 45, 44, v); return this; }
        Builder S2TG(int v) { dw[2] = Bits.set(dw[2], 47, 46, v); return this; }
        Builder S2PS(int v) { dw[2] = Bits.set(dw[2], 50, 48, v); return this; }
        Builder S2AA64(boolean v) { dw[2] = Bits.set(dw[2], 51, v); return this; }
        Builder S2ENDI(boolean v) { dw[2] = Bits.set(dw[2], 52, v); return this; }
        Builder S2AFFD(boolean v) { dw[2] = Bits.set(dw[2], 53, v); return this; }
        Builder S2PTW(boolean v) { dw[2] = Bits.set(dw[2], 54, v); return this; }
        Builder S2HD(boolean v) { dw[2] = Bits.set(dw[2], 55, v); return this; }
        Builder S2HA(boolean v) { dw[2] = Bits.set(dw[2], 56, v); return this; }
        Builder S2S(boolean v) { dw[2] = Bits.set(dw[2], 57, v); return this; }
        Builder S2R(boolean v) { dw[2] = Bits.set(dw[2], 58, v); return this; }
        Builder S2TTB(long pa) { dw[3] = (dw[3] & ~Bits.mask(51, 4)) | (pa & Bits.mask(51, 4)); return this; }

        Ste build() {
            return new Ste(dw);
        }
    }
}
