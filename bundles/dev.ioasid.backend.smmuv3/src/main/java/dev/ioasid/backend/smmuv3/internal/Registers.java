package dev.ioasid.backend.smmuv3.internal;

/** SMMUv3 register offsets and bits (Linux arm-smmu-v3.h ARM_SMMU_*; page 1 registers at 0x10000). */
final class Registers {
    private Registers() {
    }

    static final int IDR0 = 0x0;
    static final int IDR1 = 0x4;
    static final int IDR2 = 0x8;
    static final int IDR3 = 0xc;
    static final int IDR4 = 0x10;
    static final int IDR5 = 0x14;
    static final int IIDR = 0x18;
    static final int AIDR = 0x1c;
    static final int CR0 = 0x20;
    static final int CR0ACK = 0x24;
    static final int CR1 = 0x28;
    static final int CR2 = 0x2c;
    static final int GBPA = 0x44;
    static final int IRQ_CTRL = 0x50;
    static final int IRQ_CTRLACK = 0x54;
    static final int GERROR = 0x60;
    static final int GERRORN = 0x64;
    static final int STRTAB_BASE = 0x80;
    static final int STRTAB_BASE_CFG = 0x88;
    static final int CMDQ_BASE = 0x90;
    static final int CMDQ_PROD = 0x98;
    static final int CMDQ_CONS = 0x9c;
    static final int EVTQ_BASE = 0xa0;
    static final int EVTQ_PROD = 0x100a8;
    static final int EVTQ_CONS = 0x100ac;
    static final int PRIQ_BASE = 0xc0;
    static final int PRIQ_PROD = 0x100c8;
    static final int PRIQ_CONS = 0x100cc;

    // CR0
    static final int CR0_SMMUEN = 1;
    static final int CR0_PRIQEN = 1 << 1;
    static final int CR0_EVTQEN = 1 << 2;
    static final int CR0_CMDQEN = 1 << 3;
    static final int CR0_ATSCHK = 1 << 4;
    // GBPA
    static final int GBPA_ABORT = 1 << 20;
    static final int GBPA_UPDATE = 1 << 31;
    // IRQ_CTRL
    static final int IRQ_GERROR = 1;
    static final int IRQ_PRIQ = 1 << 1;
    static final int IRQ_EVTQ = 1 << 2;
    // GERROR
    static final int GERROR_CMDQ_ERR = 1;
    static final int GERROR_EVTQ_ABT_ERR = 1 << 2;
    static final int GERROR_PRIQ_ABT_ERR = 1 << 3;
    static final int GERROR_MSI_CMDQ_ABT_ERR = 1 << 4;
    // STRTAB_BASE_CFG
    static final int STRTAB_FMT_LINEAR = 0;
    static final int STRTAB_FMT_2LVL = 1;
    // CMDQ_CONS.ERR
    static final int CERROR_NONE = 0;
    static final int CERROR_ILL = 1;
    static final int CERROR_ABT = 2;
    static final int CERROR_ATC_INV_SYNC = 3;
    /** EVTQ_PROD.OVFLG / EVTQ_CONS.OVACKFLG, and the same bits of the PRI queue */
    static final int Q_OVERFLOW = 1 << 31;

    /** STRTAB_BASE_CFG: FMT 17:16, SPLIT 10:6, LOG2SIZE 5:0. */
    static int strtabBaseCfg(int fmt, int split, int log2size) {
        return fmt << 16 | split << 6 | log2size;
    }

    /** A queue base register: ADDR 51:5, LOG2SIZE 4:0. */
    static long queueBase(long pa, int log2size) {
        return (pa & Bits.mask(51, 5)) | log2size;
    }
}
