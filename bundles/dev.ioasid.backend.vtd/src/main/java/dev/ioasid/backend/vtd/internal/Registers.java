package dev.ioasid.backend.vtd.internal;

import java.util.concurrent.atomic.AtomicInteger;

/**
 * The remapping unit's register offsets and the status registers that several parts of the unit share. Each
 * part owns its own registers (the invalidation queue IQA/IQH/IQT, the page request queue PQA/PQH/PQT, the
 * fault recorder FRCD); {@link VtdUnit#readRegister} and {@link VtdUnit#writeRegister} dispatch by offset.
 */
final class Registers {
    static final int VER = 0x00;
    static final int CAP = 0x08;
    static final int ECAP = 0x10;
    static final int GCMD = 0x18;
    static final int GSTS = 0x1c;
    static final int RTADDR = 0x20;
    static final int CCMD = 0x28;
    static final int FSTS = 0x34;
    static final int FECTL = 0x38;
    static final int IQH = 0x80;
    static final int IQT = 0x88;
    static final int IQA = 0x90;
    static final int ICS = 0x9c;
    static final int PQH = 0xc0;
    static final int PQT = 0xc8;
    static final int PQA = 0xd0;
    static final int PRS = 0xdc;

    /** VT-d architecture version 3.0 (major 7:4, minor 3:0). */
    static final int VERSION = 0x30;

    // FSTS_REG
    static final int FSTS_PFO = 1;
    static final int FSTS_PPF = 1 << 1;
    static final int FSTS_IQE = 1 << 4;
    static final int FSTS_ICE = 1 << 5;
    static final int FSTS_ITE = 1 << 6;
    static final int FSTS_FRI_SHIFT = 8;
    /** The write-1-to-clear bits of FSTS. */
    static final int FSTS_W1C = FSTS_PFO | FSTS_IQE | FSTS_ICE | FSTS_ITE;

    // GSTS_REG
    static final int GSTS_TES = 1 << 31;
    static final int GSTS_RTPS = 1 << 30;
    static final int GSTS_QIES = 1 << 26;

    // RTADDR_REG: RTA 63:12, TTM 11:10 (00 legacy, 01 scalable)
    static final int RTADDR_TTM_SHIFT = 10;

    // ICS_REG
    static final int ICS_IWC = 1;

    // PRS_REG
    static final int PRS_PPR = 1;
    static final int PRS_PRO = 1 << 1;

    /** FSTS_REG. */
    final AtomicInteger fsts = new AtomicInteger();
    /** ICS_REG. */
    final AtomicInteger ics = new AtomicInteger();
    /** PRS_REG. */
    final AtomicInteger prs = new AtomicInteger();

    /** Sets bits of a status register. */
    static void set(AtomicInteger reg, int bits) {
        reg.getAndUpdate(v -> v | bits);
    }

    /** Write-1-to-clear. */
    static void clear(AtomicInteger reg, int bits) {
        reg.getAndUpdate(v -> v & ~bits);
    }
}
