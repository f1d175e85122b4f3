package dev.ioasid.backend.vtd.internal;

import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.List;

import dev.ioasid.machine.Access;
import dev.ioasid.spi.UnitEvent;

/**
 * Primary fault logging: NFR fault-recording registers used in turn, FSTS.PPF while any record is pending, FRI
 * at the first pending one, and FSTS.PFO when the next register is still pending (the fault is dropped, and no
 * new fault is recorded until software clears PFO). Each recorded fault is also kept as a {@link UnitEvent}.
 */
final class FaultRecorder {
    private final String unit;
    private final Registers regs;
    private final int nfr;
    private final int eventCapacity;
    /** lo, hi of each FRCD; guarded by this */
    private final long[] frcd;
    /** the register the next fault goes to; guarded by this */
    private int next;
    /** guarded by this */
    private long sequence;
    /** guarded by this */
    private long dropped;
    /** guarded by this */
    private final ArrayDeque<UnitEvent> events = new ArrayDeque<>();

    FaultRecorder(String unit, Registers regs, int nfr, int eventCapacity) {
        this.unit = unit;
        this.regs = regs;
        this.nfr = nfr;
        this.eventCapacity = eventCapacity;
        this.frcd = new long[2 * nfr];
    }

    int nfr() {
        return nfr;
    }

    /**
     * Records a fault in the next register. Returns the event, or null when the fault was dropped (overflow).
     */
    synchronized UnitEvent record(FaultReason reason, int sid, int pasid, long iova, int access, String detail) {
        if ((regs.fsts.get() & Registers.FSTS_PFO) != 0 || (frcd[2 * next + 1] & FaultRecord.F) != 0) {
            Registers.set(regs.fsts, Registers.FSTS_PFO);
            dropped++;
            return null;
        }
        boolean pp = pasid != Access.NO_PASID;
        FaultRecord r = new FaultRecord(iova, sid, (access & Access.PRIV) != 0, (access & Access.EXEC) != 0, pp, reason.code,
                pp ? pasid : 0, 0, (access & Access.WRITE) == 0, true);
        frcd[2 * next] = r.lo();
        frcd[2 * next + 1] = r.hi();
        int index = next;
        next = (next + 1) % nfr;
        updatePending();
        UnitEvent e = new UnitEvent(sequence++, unit, sid, pasid, iova, reason.name(), reason.code, r.bytes(),
                String.format("FRCD[%d]: %s; %s", index, reason.description, detail));
        if (events.size() == eventCapacity) {
            events.removeFirst();
        }
        events.addLast(e);
        return e;
    }

    /** PPF while any F is set; FRI names the first pending record from the oldest. */
    private void updatePending() {
        int first = -1;
        for (int i = 0; i < nfr; i++) {
            int idx = (next + i) % nfr;
            if ((frcd[2 * idx + 1] & FaultRecord.F) != 0) {
                first = idx;
                break;
            }
        }
        int f = first;
        regs.fsts.getAndUpdate(v -> {
            v &= ~(Registers.FSTS_PPF | 0xff << Registers.FSTS_FRI_SHIFT);
            return f < 0 ? v : v | Registers.FSTS_PPF | f << Registers.FSTS_FRI_SHIFT;
        });
    }

    synchronized long readLo(int index) {
        return frcd[2 * index];
    }

    synchronized long readHi(int index) {
        return frcd[2 * index + 1];
    }

    synchronized FaultRecord read(int index) {
        return FaultRecord.decode(frcd[2 * index], frcd[2 * index + 1]);
    }

    /** A write to the upper half of FRCD[index]: F is write-1-to-clear. */
    synchronized void writeHi(int index, long value) {
        if ((value & FaultRecord.F) != 0) {
            frcd[2 * index + 1] &= ~FaultRecord.F;
            updatePending();
        }
    }

    synchronized List<UnitEvent> events() {
        return new ArrayList<>(events);
    }

    synchronized long dropped() {
        return dropped;
    }

    synchronized long recorded() {
        return sequence;
    }
}
