package dev.ioasid.backend.smmuv3.internal;

import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.LongAdder;
import java.util.function.Predicate;

import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import dev.ioasid.machine.Access;
import dev.ioasid.spi.PageRequest;
import dev.ioasid.spi.UnitEvent;
import dev.ioasid.spi.UnitHost;

/**
 * The driver's interrupt handlers for the event and PRI queues (Linux's arm_smmu_evtq_thread and
 * arm_smmu_priq_thread): read the queue between CONS and PROD through the registers, acknowledge an overflow,
 * and hand each record on. A stall event or a page request becomes a {@link PageRequest} for the core (its
 * token names the STAG or PRG index for the answer); any other event goes to a route of its StreamID (a vIOMMU)
 * or to the core as a {@link UnitEvent}.
 */
final class QueueHandlers {
    private static final Logger LOG = LoggerFactory.getLogger(QueueHandlers.class);

    /** What answers a stall: CMD_RESUME of this StreamID and STAG. */
    record StallToken(int sid, int stag) {
    }

    /** What answers a page request: CMD_PRI_RESP of this StreamID, SubstreamID (-1: none) and PRG index. */
    record PriToken(int sid, int ssid, int prgi) {
    }

    /** A queue the driver reads: where it is and how big. */
    record Queue(int prodReg, int consReg, long base, int log2, int entrySize, String name) {
    }

    private final Smmuv3Unit unit;
    private final Smmu smmu;
    private final Masters masters;
    private final Queue events;
    private final Queue pageRequests;
    private final Map<Integer, Predicate<byte[]>> routes = new ConcurrentHashMap<>();
    private final Object eventDrain = new Object();
    private final Object priDrain = new Object();
    /** guarded by log */
    private final ArrayDeque<UnitEvent> log = new ArrayDeque<>();
    private final int logCapacity;
    /** guarded by log */
    private long sequence;
    final LongAdder eventOverflows = new LongAdder();
    final LongAdder priOverflows = new LongAdder();
    final LongAdder stallRequests = new LongAdder();
    final LongAdder priRequests = new LongAdder();

    QueueHandlers(Smmuv3Unit unit, Smmu smmu, Masters masters, Queue events, Queue pageRequests, int logCapacity) {
        this.unit = unit;
        this.smmu = smmu;
        this.masters = masters;
        this.events = events;
        this.pageRequests = pageRequests;
        this.logCapacity = logCapacity;
    }

    void route(int sid, Predicate<byte[]> r) {
        routes.put(sid, r);
    }

    void unroute(int sid) {
        routes.remove(sid);
    }

    List<UnitEvent> log() {
        synchronized (log) {
            return new ArrayList<>(log);
        }
    }

    /** Software reads a queue between CONS and PROD, acknowledges an overflow, moves CONS. */
    private List<long[]> drain(Queue q, LongAdder overflows) {
        List<long[]> out = new ArrayList<>();
        int wrap = (2 << q.log2()) - 1;
        int prod = smmu.read32(q.prodReg());
        int cons = smmu.read32(q.consReg());
        for (int guard = 0; guard <= 1 << q.log2() && (cons & wrap) != (prod & wrap); guard++) {
            long at = q.base() + (long) (cons & ((1 << q.log2()) - 1)) * q.entrySize();
            long[] e = new long[q.entrySize() / 8];
            for (int i = 0; i < e.length; i++) {
                e[i] = smmu.memory.load64(at + 8L * i);
            }
            out.add(e);
            cons = (cons & Registers.Q_OVERFLOW) | ((cons + 1) & wrap);
        }
        if ((prod & Registers.Q_OVERFLOW) != (cons & Registers.Q_OVERFLOW)) {
            overflows.increment();
            LOG.warn("{}: {} overflow: records were lost", smmu.name, q.name());
            cons ^= Registers.Q_OVERFLOW;
        }
        smmu.write32(q.consReg(), cons);
        return out;
    }

    void drainEvents() {
        List<long[]> entries;
        synchronized (eventDrain) {
            entries = drain(events, eventOverflows);
        }
        for (long[] e : entries) {
            handleEvent(new EventRecord(e[0], e[1], e[2], e[3]));
        }
    }

    private static int accessOf(EventRecord r) {
        return (r.RnW() ? Access.READ : Access.WRITE) | (r.InD() ? Access.EXEC : 0) | (r.PnU() ? Access.PRIV : 0);
    }

    private void handleEvent(EventRecord r) {
        int sid = r.StreamID();
        Masters.Master m = masters.get(sid);
        int pasid = r.SSV() ? r.SubstreamID() : Access.NO_PASID;
        UnitEvent ev;
        synchronized (log) {
            ev = new UnitEvent(sequence++, smmu.name, sid, pasid, r.InputAddr(), EventRecord.name(r.ID()), r.ID(), r.toBytes(), r.toString());
            if (log.size() == logCapacity) {
                log.removeFirst();
            }
            log.addLast(ev);
        }
        UnitHost h = unit.host();
        if (r.Stall()) {
            if (m == null || h == null) {
                unit.issue(List.of(Commands.resume(sid, r.STAG(), Commands.RESUME_ABORT)));
                return;
            }
            stallRequests.increment();
            h.pageRequest(new PageRequest(m.device, pasid, r.STAG(), accessOf(r), r.InputAddr() & -4096L, true, new StallToken(sid, r.STAG())));
            return;
        }
        Predicate<byte[]> route = routes.get(sid);
        if (route != null && !r.S2() && route.test(r.toBytes())) {
            return;
        }
        if (h != null) {
            h.event(ev);
        }
    }

    void drainPageRequests() {
        if (pageRequests == null) {
            return;
        }
        List<long[]> entries;
        synchronized (priDrain) {
            entries = drain(pageRequests, priOverflows);
        }
        for (long[] e : entries) {
            int sid = (int) e[0];
            boolean ssv = Bits.bit(e[0], 63);
            int ssid = ssv ? (int) Bits.get(e[0], 51, 32) : -1;
            int access = (Bits.bit(e[0], 60) ? Access.READ : 0) | (Bits.bit(e[0], 61) ? Access.WRITE : 0) | (Bits.bit(e[0], 59) ? Access.EXEC : 0)
                    | (Bits.bit(e[0], 58) ? Access.PRIV : 0);
            int prgi = (int) (e[1] & 0x1ff);
            long addr = e[1] & Bits.mask(63, 12);
            Masters.Master m = masters.get(sid);
            UnitHost h = unit.host();
            if (m == null || h == null) {
                unit.issue(List.of(Commands.priResp(sid, ssid, prgi, Commands.PRI_RESP_DENY)));
                continue;
            }
            priRequests.increment();
            h.pageRequest(new PageRequest(m.device, ssv ? ssid : Access.NO_PASID, prgi, access, addr, Bits.bit(e[0], 62), new PriToken(sid, ssid, prgi)));
        }
    }
}
