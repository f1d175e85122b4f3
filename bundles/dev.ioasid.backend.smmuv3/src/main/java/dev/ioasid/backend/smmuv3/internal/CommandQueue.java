package dev.ioasid.backend.smmuv3.internal;

import dev.ioasid.backend.smmuv3.internal.Lpae.Granule;
import dev.ioasid.machine.BusError;

/**
 * The command queue as the SMMU consumes it: 16-byte commands in simulated memory between CONS and PROD. Each
 * command is checked (known opcode, implemented feature, no reserved bit set, CMD_SYNC CS != 3) and executed; an
 * illegal one sets CMDQ_CONS.ERR = CERROR_ILL, leaves CONS pointing at it, raises GERROR.CMDQ_ERR and stops the
 * queue until software acknowledges through GERRORN. A command that cannot be read is CERROR_ABT. Nothing here
 * throws on guest or software garbage.
 */
final class CommandQueue {
    private final Smmu smmu;
    /** guarded by this */
    private long base;
    private int log2size;
    private int prod;
    /** index and wrap; ERR in 30:24 */
    private int cons;
    private long executed;

    CommandQueue(Smmu smmu) {
        this.smmu = smmu;
    }

    synchronized void writeBase(long value, int maxLog2) {
        base = value & Bits.mask(51, 5);
        log2size = (int) Math.min(Bits.get(value, 4, 0), maxLog2);
        prod = 0;
        cons = 0;
    }

    synchronized long readBase() {
        return base | log2size;
    }

    synchronized int prod() {
        return prod;
    }

    synchronized int cons() {
        return cons;
    }

    synchronized void writeProd(int v) {
        prod = v & wrapMask();
    }

    synchronized void writeCons(int v) {
        if (!smmu.commandQueueEnabled()) {
            cons = v & wrapMask();
        }
    }

    synchronized long executed() {
        return executed;
    }

    private int wrapMask() {
        return (2 << log2size) - 1;
    }

    /** Consumes commands until the queue is empty or a command fails. At most one queue's worth per call. */
    synchronized void process() {
        if (!smmu.commandQueueEnabled() || smmu.commandErrorPending()) {
            return;
        }
        cons &= wrapMask(); // a new pass clears ERR
        for (int guard = 0; guard <= 1 << log2size && (cons & wrapMask()) != (prod & wrapMask()); guard++) {
            long at = base + (long) (cons & ((1 << log2size) - 1)) * Commands.SIZE;
            long dw0;
            long dw1;
            try {
                dw0 = smmu.memory.load64(at);
                dw1 = smmu.memory.load64(at + 8);
            } catch (BusError e) {
                fail(Registers.CERROR_ABT);
                return;
            }
            int err = execute(dw0, dw1);
            if (err != Registers.CERROR_NONE) {
                fail(err);
                return;
            }
            executed++;
            smmu.commands.increment();
            cons = (cons + 1) & wrapMask();
        }
    }

    private void fail(int err) {
        cons = (cons & wrapMask()) | err << 24;
        smmu.raiseGlobalError(Registers.GERROR_CMDQ_ERR);
    }

    /** Whether a command is illegal for this implementation: unknown, unimplemented, or reserved bits set. */
    static int check(long dw0, long dw1, Profile p) {
        int op = Commands.opcode(dw0);
        long[] ok = Commands.definedBits(op);
        if (ok == null || (dw0 & ~ok[0]) != 0 || (dw1 & ~ok[1]) != 0) {
            return Registers.CERROR_ILL;
        }
        switch (op) {
        case Commands.TLBI_EL2_ALL: case Commands.TLBI_EL2_ASID: case Commands.TLBI_EL2_VA: case Commands.TLBI_EL2_VAA:
            return Registers.CERROR_ILL; // no EL2 (IDR0.HYP = 0)
        case Commands.TLBI_S12_VMALL: case Commands.TLBI_S2_IPA:
            if (!p.s2p()) {
                return Registers.CERROR_ILL;
            }
            break;
        case Commands.ATC_INV:
            if (!p.ats()) {
                return Registers.CERROR_ILL;
            }
            break;
        case Commands.PRI_RESP:
            if (!p.pri()) {
                return Registers.CERROR_ILL;
            }
            break;
        case Commands.RESUME: case Commands.STALL_TERM:
            if (p.stallModel() == Profile.TERMINATE_ONLY) {
                return Registers.CERROR_ILL;
            }
            break;
        case Commands.CMD_SYNC:
            if (Commands.CS(dw0) == 3) {
                return Registers.CERROR_ILL;
            }
            break;
        default:
            break;
        }
        if (op == Commands.TLBI_NH_VA || op == Commands.TLBI_NH_VAA || op == Commands.TLBI_S2_IPA) {
            boolean range = Commands.NUM(dw0) != 0 || Commands.SCALE(dw0) != 0;
            if (range && !p.ril()) {
                return Registers.CERROR_ILL; // NUM and SCALE are RES0 without IDR3.RIL
            }
            if (range && Commands.TG(dw1) == 0) {
                return Registers.CERROR_ILL;
            }
            Granule g = Granule.ofTlbiTg(Commands.TG(dw1));
            if (Commands.TG(dw1) != 0 && (g == null || !p.granule(g))) {
                return Registers.CERROR_ILL;
            }
        }
        return Registers.CERROR_NONE;
    }

    /** First and last address a TLBI by address covers: one address, or (NUM+1) x 2^SCALE granules with RIL. */
    static long[] tlbiRange(long dw0, long addr, long dw1) {
        int tg = Commands.TG(dw1);
        if (tg == 0) {
            return new long[] { addr, addr };
        }
        Granule g = Granule.ofTlbiTg(tg);
        long span = (long) (Commands.NUM(dw0) + 1) << (Commands.SCALE(dw0) + g.pageShift);
        long start = addr & -g.pageSize();
        long last = span <= 0 || start + span - 1 < start ? -1L : start + span - 1;
        return new long[] { start, last };
    }

    private int execute(long dw0, long dw1) {
        int err = check(dw0, dw1, smmu.profile);
        if (err != Registers.CERROR_NONE) {
            return err;
        }
        ConfigCache cfg = smmu.configCache;
        Tlb tlb = smmu.tlb;
        int op = Commands.opcode(dw0);
        switch (op) {
        case Commands.PREFETCH_CONFIG:
        case Commands.PREFETCH_ADDR:
            return Registers.CERROR_NONE;
        case Commands.CFGI_STE:
            cfg.invalidateSte(Commands.SID(dw0), !Commands.LEAF(dw1));
            return Registers.CERROR_NONE;
        case Commands.CFGI_STE_RANGE: {
            int range = Commands.RANGE(dw1);
            if (range == Commands.RANGE_ALL) {
                cfg.invalidateStes(0, 0xffffffffL, true);
            } else {
                long n = 1L << (range + 1);
                long first = Integer.toUnsignedLong(Commands.SID(dw0)) & -n;
                cfg.invalidateStes(first, first + n - 1, true);
            }
            return Registers.CERROR_NONE;
        }
        case Commands.CFGI_CD:
            cfg.invalidateCd(Commands.SID(dw0), Commands.SSID(dw0));
            return Registers.CERROR_NONE;
        case Commands.CFGI_CD_ALL:
            cfg.invalidateCds(Commands.SID(dw0));
            return Registers.CERROR_NONE;
        case Commands.TLBI_NH_ALL: {
            int vmid = Commands.VMID(dw0);
            tlb.invalidate(e -> e.vmid == vmid && e.stage != Tlb.STAGE2);
            return Registers.CERROR_NONE;
        }
        case Commands.TLBI_NH_ASID: {
            int vmid = Commands.VMID(dw0);
            int asid = Commands.ASID(dw0);
            tlb.invalidate(e -> e.vmid == vmid && e.stage != Tlb.STAGE2 && !e.global && e.asid == asid);
            return Registers.CERROR_NONE;
        }
        case Commands.TLBI_NH_VA:
        case Commands.TLBI_NH_VAA: {
            int vmid = Commands.VMID(dw0);
            int asid = Commands.ASID(dw0);
            boolean all = op == Commands.TLBI_NH_VAA;
            long[] r = tlbiRange(dw0, Commands.VA(dw1), dw1);
            tlb.invalidate(e -> e.vmid == vmid && e.stage != Tlb.STAGE2 && (all || e.global || e.asid == asid) && e.intersects(r[0], r[1]));
            return Registers.CERROR_NONE;
        }
        case Commands.TLBI_S2_IPA: {
            int vmid = Commands.VMID(dw0);
            long[] r = tlbiRange(dw0, Commands.IPA(dw1), dw1);
            tlb.invalidate(e -> e.vmid == vmid && e.stage == Tlb.STAGE2 && e.intersects(r[0], r[1]));
            return Registers.CERROR_NONE;
        }
        case Commands.TLBI_S12_VMALL: {
            int vmid = Commands.VMID(dw0);
            tlb.invalidate(e -> e.vmid == vmid);
            return Registers.CERROR_NONE;
        }
        case Commands.TLBI_NSNH_ALL:
            tlb.invalidate(e -> true);
            return Registers.CERROR_NONE;
        case Commands.ATC_INV:
            // the devices of this machine keep no address translation cache: nothing to invalidate
            return Registers.CERROR_NONE;
        case Commands.PRI_RESP:
            smmu.held.respond(Commands.SID(dw0), Commands.SSV(dw0) ? Commands.SSID(dw0) : -1, Commands.GRPID(dw1), Commands.RESP(dw1));
            return Registers.CERROR_NONE;
        case Commands.RESUME:
            smmu.held.resume(Commands.SID(dw0), Commands.STAG(dw1), Commands.RESP(dw0));
            return Registers.CERROR_NONE;
        case Commands.STALL_TERM:
            smmu.held.terminate(Commands.SID(dw0));
            return Registers.CERROR_NONE;
        case Commands.CMD_SYNC:
            if (Commands.CS(dw0) == Commands.SYNC_CS_IRQ && Commands.MSIADDR(dw1) != 0 && smmu.profile.msi()) {
                try {
                    smmu.memory.store32(Commands.MSIADDR(dw1), Commands.MSIDATA(dw0));
                } catch (BusError e) {
                    smmu.raiseGlobalError(Registers.GERROR_MSI_CMDQ_ABT_ERR);
                }
            }
            return Registers.CERROR_NONE;
        default:
            return Registers.CERROR_ILL;
        }
    }
}
