package dev.ioasid.backend.vtd.internal;

/**
 * The unit's MMIO register file: reads and writes at the spec's offsets, dispatched to the part of the unit
 * that owns each register (capabilities, RTADDR, FSTS, the invalidation queue, the page request queue, the
 * fault-recording registers at CAP.FRO).
 */
final class RegisterFile {
    private final Capabilities caps;
    private final Registers regs;
    private final FaultRecorder recorder;
    private final ConfigWalker configWalker;
    private final InvalidationQueue iq;
    private final PageRequestQueue prq;

    RegisterFile(Capabilities caps, Registers regs, FaultRecorder recorder, ConfigWalker configWalker, InvalidationQueue iq,
            PageRequestQueue prq) {
        this.caps = caps;
        this.regs = regs;
        this.recorder = recorder;
        this.configWalker = configWalker;
        this.iq = iq;
        this.prq = prq;
    }

    /** A 64-bit (or 32-bit, zero-extended) register read at a spec offset; unknown offsets read 0. */
    long read(int offset) {
        int fro = caps.fro();
        if (offset >= fro && offset < fro + 16 * caps.nfr()) {
            int i = (offset - fro) / 16;
            return (offset - fro) % 16 == 0 ? recorder.readLo(i) : recorder.readHi(i);
        }
        switch (offset) {
        case Registers.VER: return Registers.VERSION;
        case Registers.CAP: return caps.cap();
        case Registers.ECAP: return caps.ecap();
        case Registers.GSTS: return (Registers.GSTS_TES | Registers.GSTS_RTPS | Registers.GSTS_QIES) & 0xffffffffL;
        case Registers.RTADDR: return configWalker.rtaddr();
        case Registers.FSTS: return regs.fsts.get();
        case Registers.IQH: return iq.head();
        case Registers.IQT: return iq.tail();
        case Registers.IQA: return iq.iqa();
        case Registers.ICS: return regs.ics.get();
        case Registers.PQH: return prq.head();
        case Registers.PQT: return prq.tail();
        case Registers.PQA: return prq.pqa();
        case Registers.PRS: return regs.prs.get();
        default: return 0;
        }
    }

    /**
     * A register write at a spec offset. RTADDR takes effect at once (as if GCMD.SRTP followed); IQT makes the
     * hardware process the queue; FSTS, ICS, PRS and FRCD.F are write-1-to-clear; clearing FSTS.IQE resumes the
     * queue.
     */
    void write(int offset, long value) {
        int fro = caps.fro();
        if (offset >= fro && offset < fro + 16 * caps.nfr()) {
            if ((offset - fro) % 16 == 8) {
                recorder.writeHi((offset - fro) / 16, value);
            }
            return;
        }
        switch (offset) {
        case Registers.RTADDR:
            // TTM 01 (scalable mode) needs ECAP.SMTS; 10 and 11 are reserved: legacy mode then
            long ttm = Bits.get(value, 11, 10) == 1 && caps.smts() ? 1L << 10 : 0;
            configWalker.rtaddr(value & Bits.mask(63, 12) | ttm);
            break;
        case Registers.FSTS:
            int clear = (int) value & Registers.FSTS_W1C;
            Registers.clear(regs.fsts, clear);
            if ((clear & Registers.FSTS_IQE) != 0) {
                iq.resume();
            }
            break;
        case Registers.IQT:
            iq.writeIqt(value);
            break;
        case Registers.IQA:
            iq.writeIqa(value);
            break;
        case Registers.ICS:
            Registers.clear(regs.ics, (int) value & Registers.ICS_IWC);
            break;
        case Registers.PQH:
            prq.writePqh(value);
            break;
        case Registers.PQA:
            prq.writePqa(value);
            break;
        case Registers.PRS:
            Registers.clear(regs.prs, (int) value & (Registers.PRS_PRO | Registers.PRS_PPR));
            break;
        default:
            break;
        }
    }
}
