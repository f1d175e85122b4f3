package dev.ioasid.backend.smmuv3.internal;

import dev.ioasid.backend.smmuv3.internal.Walker.Out;
import dev.ioasid.machine.Access;
import dev.ioasid.machine.BusError;
import dev.ioasid.machine.TranslatedPage;
import dev.ioasid.machine.Translation;
import dev.ioasid.machine.TranslationFault;

/**
 * How the SMMU translates a transaction: STE (stream table, linear or 2-level), then the CD of the substream
 * (S1DSS for transactions without one; CD table linear or 2-level, through stage 2 when nested), then the TLB or
 * a walk of stage 1, stage 2 or both. Every failure is the SMMU's event: recorded in the event queue as the CD
 * or STE asks (R, S2R), stalled (CD.S, S2S) or turned into a PRI page request when the device can, and always
 * returned as a {@link TranslationFault}. Garbage in guest memory gives an event, never an exception.
 * <p>
 * The hit path (cached STE and CD, TLB hit) takes no lock and allocates nothing.
 */
final class TranslationEngine {
    private static final long TBI_MASK = 0x00ff_ffff_ffff_ffffL;

    private final Smmu smmu;
    private final ConfigCache cfg;
    private final Tlb tlb;

    TranslationEngine(Smmu smmu) {
        this.smmu = smmu;
        this.cfg = smmu.configCache;
        this.tlb = smmu.tlb;
    }

    /** One transaction being translated on the miss path. */
    private static final class Txn {
        final int sid;
        final int ssid;
        final long va;
        final int access;
        final boolean retry;
        final boolean pri;
        Translation result;

        Txn(int sid, int ssid, long va, int accessAndFlags, boolean pri) {
            this.sid = sid;
            this.ssid = ssid;
            this.va = va;
            this.access = accessAndFlags & Access.RIGHTS;
            this.retry = (accessAndFlags & Access.RETRY) != 0;
            this.pri = pri;
        }
    }

    Translation translate(int sid, int ssid, long va, int accessAndFlags, boolean pri) {
        if (!smmu.enabled()) {
            return disabled(sid, ssid, va, accessAndFlags & Access.RIGHTS);
        }
        StreamConfig sc = cfg.ste(sid);
        if (sc != null) {
            TranslatedPage p = hit(sc, ssid, va, accessAndFlags & Access.RIGHTS);
            if (p != null) {
                return p;
            }
        }
        tlb.misses.increment();
        return miss(new Txn(sid, ssid, va, accessAndFlags, pri), sc);
    }

    // ---------------------------------------------------------------- hit path

    private TranslatedPage hit(StreamConfig sc, int ssid, long va, int access) {
        if (sc.s1) {
            int essid;
            if (ssid < 0) {
                if (sc.s1CdMax != 0 && sc.s1Dss != Ste.S1DSS_SSID0) {
                    return null;
                }
                essid = 0;
            } else {
                if (sc.s1CdMax == 0 || ssid >= 1 << sc.s1CdMax || (sc.s1Dss == Ste.S1DSS_SSID0 && ssid == 0)) {
                    return null;
                }
                essid = ssid;
            }
            ContextConfig cc = cfg.cd(sc.sid, essid);
            if (cc == null) {
                return null;
            }
            long in = cc.s1.tbi0() ? va & TBI_MASK : va;
            return probe(sc.vmid, cc.s1.asid(), sc.s2 != null ? Tlb.NESTED : Tlb.STAGE1, in, cc.shifts, access);
        }
        if (sc.s2 != null && ssid < 0) {
            return probe(sc.vmid, 0, Tlb.STAGE2, va, sc.s2Shifts, access);
        }
        return null;
    }

    private TranslatedPage probe(int vmid, int asid, int stage, long va, int[] shifts, int access) {
        for (int shift : shifts) {
            Tlb.Entry e = tlb.lookup(vmid, asid, stage, va, shift);
            if (e != null) {
                TranslatedPage p = (access & Access.PRIV) != 0 ? e.priv : e.unpriv;
                if ((p.access() & access) == access) {
                    tlb.hits.increment();
                    return p;
                }
                // a permission the entry lacks (a writable-clean leaf, say): the walk decides
                return null;
            }
        }
        return null;
    }

    // ---------------------------------------------------------------- miss path

    private Translation miss(Txn t, StreamConfig cached) {
        StreamConfig sc = cached != null ? cached : fetchStream(t);
        if (sc == null) {
            return t.result;
        }
        if (sc.isAbort()) {
            smmu.faults.increment();
            return new TranslationFault(smmu.name, "STE_ABORT", 0, t.va, t.ssid, t.access, false, null,
                    String.format("STE of stream 0x%x has Config abort: the transaction is terminated without an event", t.sid));
        }
        if (sc.isBypass()) {
            if (t.ssid >= 0) {
                return configFault(t, EventRecord.C_BAD_SUBSTREAMID, "a SubstreamID on a stream in bypass");
            }
            return bypass(t.va);
        }
        if (!sc.s1) {
            if (t.ssid >= 0) {
                return configFault(t, EventRecord.C_BAD_SUBSTREAMID, "a SubstreamID on a stream without stage 1");
            }
            return stage2Only(t, sc);
        }
        int essid;
        if (t.ssid < 0 && sc.s1CdMax == 0) {
            essid = 0; // substreams disabled: S1DSS is ignored, the only CD serves
        } else if (t.ssid < 0) {
            switch (sc.s1Dss) {
            case Ste.S1DSS_TERMINATE:
                return configFault(t, EventRecord.F_STREAM_DISABLED, "no SubstreamID and S1DSS terminate");
            case Ste.S1DSS_BYPASS:
                return sc.s2 == null ? bypass(t.va) : stage2Only(t, sc);
            default:
                essid = 0;
            }
        } else {
            if (sc.s1CdMax == 0 || t.ssid >= 1 << sc.s1CdMax) {
                return configFault(t, EventRecord.C_BAD_SUBSTREAMID, String.format("SubstreamID %d is beyond S1CDMax %d", t.ssid, sc.s1CdMax));
            }
            if (sc.s1Dss == Ste.S1DSS_SSID0 && t.ssid == 0) {
                return configFault(t, EventRecord.C_BAD_SUBSTREAMID, "SubstreamID 0 is reserved by S1DSS substream 0");
            }
            essid = t.ssid;
        }
        ContextConfig cc = cfg.cd(t.sid, essid);
        if (cc == null) {
            cc = fetchContext(t, sc, essid);
            if (cc == null) {
                return t.result;
            }
        }
        long in = cc.s1.tbi0() ? t.va & TBI_MASK : t.va;
        long epoch = tlb.epoch();
        Out s1 = smmu.walker.walkS1(cc.s1, in, t.access, sc.s2, new Out());
        if (s1.faulted()) {
            return walkFault(t, sc, cc, s1);
        }
        if (sc.s2 == null) {
            return insert(new Tlb.Entry(sc.vmid, cc.s1.asid(), Tlb.STAGE1, s1.level, s1.shift, in & -(1L << s1.shift), s1.global,
                    page(s1.oa, s1.shift, s1.allowUnpriv, false), page(s1.oa, s1.shift, s1.allowPriv, true)), epoch, t.access);
        }
        long ipa = s1.oa | (in & ((1L << s1.shift) - 1));
        Out s2 = smmu.walker.walkS2(sc.s2, ipa, t.access, EventRecord.CLASS_IN, new Out());
        if (s2.faulted()) {
            return walkFault(t, sc, cc, s2);
        }
        int shift = Math.min(s1.shift, s2.shift);
        long pa = (s2.oa | (ipa & ((1L << s2.shift) - 1))) & -(1L << shift);
        int level = shift == s1.shift ? s1.level : s2.level;
        return insert(new Tlb.Entry(sc.vmid, cc.s1.asid(), Tlb.NESTED, level, shift, in & -(1L << shift), s1.global,
                page(pa, shift, s1.allowUnpriv & s2.allowUnpriv, false), page(pa, shift, s1.allowPriv & s2.allowPriv, true)), epoch, t.access);
    }

    private static TranslatedPage page(long pa, int shift, int allowed, boolean priv) {
        return new TranslatedPage(pa, shift, priv ? allowed | Access.PRIV : allowed);
    }

    private Translation insert(Tlb.Entry e, long epoch, int access) {
        tlb.insert(e, epoch);
        return (access & Access.PRIV) != 0 ? e.priv : e.unpriv;
    }

    private Translation stage2Only(Txn t, StreamConfig sc) {
        long epoch = tlb.epoch();
        Out o = smmu.walker.walkS2(sc.s2, t.va, t.access, EventRecord.CLASS_IN, new Out());
        if (o.faulted()) {
            return walkFault(t, sc, null, o);
        }
        return insert(new Tlb.Entry(sc.vmid, 0, Tlb.STAGE2, o.level, o.shift, t.va & -(1L << o.shift), true,
                page(o.oa, o.shift, o.allowUnpriv, false), page(o.oa, o.shift, o.allowPriv, true)), epoch, t.access);
    }

    private static Translation bypass(long va) {
        return new TranslatedPage(va & -4096L, 12, Access.RIGHTS);
    }

    private Translation disabled(int sid, int ssid, long va, int access) {
        if (!smmu.gbpaAbort()) {
            return bypass(va);
        }
        smmu.faults.increment();
        return new TranslationFault(smmu.name, "SMMU_DISABLED", 0, va, ssid, access, false, null,
                String.format("SMMU %s is disabled and GBPA.ABORT is set: stream 0x%x aborted", smmu.name, sid));
    }

    /** Reads a 64-byte structure (STE or CD) whole: never half of an entry the driver is rewriting. */
    private long[] readEntry(long pa) {
        long[] dw = new long[8];
        long stamp = smmu.structureLock.tryOptimisticRead();
        for (int i = 0; i < 8; i++) {
            dw[i] = smmu.memory.load64(pa + 8L * i);
        }
        if (!smmu.structureLock.validate(stamp)) {
            stamp = smmu.structureLock.readLock();
            try {
                for (int i = 0; i < 8; i++) {
                    dw[i] = smmu.memory.load64(pa + 8L * i);
                }
            } finally {
                smmu.structureLock.unlockRead(stamp);
            }
        }
        return dw;
    }

    private StreamConfig fetchStream(Txn t) {
        long epoch = cfg.epoch();
        int cfgReg = smmu.strtabBaseCfg();
        long base = smmu.strtabBase() & Bits.mask(51, 6);
        int log2size = Math.min(cfgReg & 0x3f, smmu.profile.sidSize());
        long sid = Integer.toUnsignedLong(t.sid);
        if (sid >>> log2size != 0) {
            configFault(t, EventRecord.C_BAD_STREAMID, String.format("StreamID 0x%x is beyond the stream table (LOG2SIZE %d)", t.sid, log2size));
            return null;
        }
        long steAddr;
        if ((cfgReg >>> 16 & 3) == Registers.STRTAB_FMT_2LVL && smmu.profile.twoLevelStreamTable()) {
            int split = Math.min(cfgReg >>> 6 & 0x1f, log2size);
            long l1 = base + (sid >>> split) * 8;
            long desc;
            try {
                desc = smmu.memory.load64(l1);
            } catch (BusError e) {
                fetchFault(t, EventRecord.F_STE_FETCH, l1, "the L1 stream table descriptor cannot be read");
                return null;
            }
            int span = (int) (desc & 0x1f);
            if (span == 0) {
                configFault(t, EventRecord.C_BAD_STREAMID, String.format("the L1 descriptor of StreamID 0x%x has SPAN 0", t.sid));
                return null;
            }
            span = Math.min(span, split + 1);
            long index = sid & ((1L << split) - 1);
            if (index >= 1L << (span - 1)) {
                configFault(t, EventRecord.C_BAD_STREAMID, String.format("StreamID 0x%x is beyond SPAN %d of its L2 table", t.sid, span));
                return null;
            }
            steAddr = (desc & Bits.mask(51, 6)) + index * Ste.SIZE;
        } else {
            steAddr = base + sid * Ste.SIZE;
        }
        long[] dw;
        try {
            dw = readEntry(steAddr);
        } catch (BusError e) {
            fetchFault(t, EventRecord.F_STE_FETCH, steAddr, "the STE cannot be read");
            return null;
        }
        StreamConfig sc = StreamConfig.decode(t.sid, new Ste(dw), smmu.profile);
        if (sc.bad != null) {
            configFault(t, EventRecord.C_BAD_STE, sc.bad);
            return null;
        }
        cfg.put(sc, epoch);
        return sc;
    }

    /** An address the SMMU fetches configuration from: an IPA through stage 2 when nested. -1 after a fault. */
    private long configAddress(Txn t, StreamConfig sc, long addr) {
        if (sc.s2 == null) {
            return addr;
        }
        Out o = smmu.walker.walkS2(sc.s2, addr, Access.READ, EventRecord.CLASS_CD, new Out());
        if (o.faulted()) {
            walkFault(t, sc, null, o);
            return -1;
        }
        return o.oa | (addr & ((1L << o.shift) - 1));
    }

    private ContextConfig fetchContext(Txn t, StreamConfig sc, int essid) {
        long epoch = cfg.epoch();
        long ptr = sc.ste.S1ContextPtr();
        long cdAddr;
        if (sc.s1Fmt == Ste.S1FMT_LINEAR) {
            cdAddr = ptr + (long) essid * Cd.SIZE;
        } else {
            int split = sc.s1Fmt == Ste.S1FMT_2LVL_4K ? 6 : 10;
            long l1 = configAddress(t, sc, ptr + (long) (essid >>> split) * 8);
            if (l1 < 0) {
                return null;
            }
            long desc;
            try {
                desc = smmu.memory.load64(l1);
            } catch (BusError e) {
                fetchFault(t, EventRecord.F_CD_FETCH, l1, "the L1 CD descriptor cannot be read");
                return null;
            }
            if ((desc & 1) == 0) {
                configFault(t, EventRecord.C_BAD_SUBSTREAMID, String.format("the L1 CD descriptor of SubstreamID %d is not valid", essid));
                return null;
            }
            cdAddr = (desc & Bits.mask(51, 12)) + (long) (essid & ((1 << split) - 1)) * Cd.SIZE;
        }
        long pa = configAddress(t, sc, cdAddr);
        if (pa < 0) {
            return null;
        }
        long[] dw;
        try {
            dw = readEntry(pa);
        } catch (BusError e) {
            fetchFault(t, EventRecord.F_CD_FETCH, pa, "the CD cannot be read");
            return null;
        }
        ContextConfig cc = ContextConfig.decode(t.sid, essid, new Cd(dw), sc, smmu.profile);
        if (cc.bad != null) {
            configFault(t, EventRecord.C_BAD_CD, cc.bad);
            return null;
        }
        cfg.put(cc, epoch);
        return cc;
    }

    /** A transaction that arrives already translated by ATS (AT = translated). */
    Translation translated(int sid, int ssid, long pa, int access) {
        if (!smmu.enabled()) {
            return disabled(sid, ssid, pa, access);
        }
        Txn t = new Txn(sid, ssid, pa, access, false);
        StreamConfig sc = cfg.ste(sid);
        if (sc == null) {
            sc = fetchStream(t);
            if (sc == null) {
                return t.result;
            }
        }
        if (sc.isBypass()) {
            return bypass(pa);
        }
        if (sc.isAbort() || sc.eats == Ste.EATS_ABT || !smmu.profile.ats()) {
            Translation f = record(t, new EventRecord.Builder(EventRecord.F_TRANS_FORBIDDEN, sid).InputAddr(pa)
                    .RnW((access & Access.WRITE) == 0), true, EventRecord.F_TRANS_FORBIDDEN,
                    "a translated transaction with STE.EATS 0 (or ATS not implemented)");
            return f;
        }
        return bypass(pa);
    }

    // ---------------------------------------------------------------- faults and events

    private EventRecord.Builder builder(Txn t, int event) {
        EventRecord.Builder b = new EventRecord.Builder(event, t.sid);
        if (t.ssid >= 0) {
            b.substream(t.ssid);
        }
        return b;
    }

    /** C_BAD_STREAMID, C_BAD_STE, C_BAD_SUBSTREAMID, C_BAD_CD, F_STREAM_DISABLED: always recorded, never stalled. */
    private Translation configFault(Txn t, int event, String detail) {
        return record(t, builder(t, event), true, event, detail);
    }

    private Translation fetchFault(Txn t, int event, long fetchAddr, String detail) {
        return record(t, builder(t, event).FetchAddr(fetchAddr), true, event,
                String.format("%s (external abort at 0x%x)", detail, fetchAddr));
    }

    /** Records an event (if asked and possible) and makes the unrecoverable fault. */
    private Translation record(Txn t, EventRecord.Builder b, boolean record, int event, String detail) {
        smmu.faults.increment();
        byte[] bytes = null;
        if (record) {
            EventRecord r = b.build();
            bytes = r.toBytes();
            writeEvent(r);
        }
        TranslationFault f = new TranslationFault(smmu.name, EventRecord.name(event), event, t.va, t.ssid, t.access, false, bytes, detail);
        t.result = f;
        return f;
    }

    private boolean writeEvent(EventRecord r) {
        if (!smmu.eventQueueEnabled()) {
            return false;
        }
        OutQueue.Result res = smmu.eventQueue.write(new long[] { r.dword(0), r.dword(1), r.dword(2), r.dword(3) });
        if (res == OutQueue.Result.ABORT) {
            smmu.raiseGlobalError(Registers.GERROR_EVTQ_ABT_ERR);
            return false;
        }
        smmu.signalEventQueue();
        return res == OutQueue.Result.WRITTEN;
    }

    /** A fault of a table walk (stage 1, stage 2, or stage 2 of a stage-1 table or CD fetch). */
    private Translation walkFault(Txn t, StreamConfig sc, ContextConfig cc, Out w) {
        int event = w.event;
        boolean translationClass = EventRecord.isTranslationFault(event);
        EventRecord.Builder b = builder(t, event).PnU((t.access & Access.PRIV) != 0).InD((t.access & Access.EXEC) != 0)
                .RnW((t.access & Access.WRITE) == 0).S2(w.s2).CLASS(w.s2 ? w.clazz : 0).InputAddr(t.va);
        if (event == EventRecord.F_WALK_EABT) {
            b.FetchAddr(w.fetchAddr);
        } else if (w.s2) {
            b.IPA(w.ipa);
        }
        String where = w.s2 ? String.format("stage 2 (class %s, IPA 0x%x)", className(w.clazz), w.ipa) : "stage 1";
        String detail = String.format("%s at level %d of %s", EventRecord.name(event), w.level, where);
        boolean s1Context = !w.s2 && cc != null;
        if (translationClass && !t.retry) {
            if (t.pri && s1Context && smmu.profile.pri() && smmu.priQueueEnabled()) {
                Translation p = pageRequest(t, event, detail);
                if (p != null) {
                    return p;
                }
            }
            boolean stall = w.s2 ? sc.s2 != null && sc.s2.stall() : s1Context && cc.s1.stall();
            if (stall && smmu.profile.stallModel() != Profile.TERMINATE_ONLY) {
                Translation s = stall(t, b, event, detail);
                if (s != null) {
                    return s;
                }
            }
        }
        boolean rec = w.s2 ? sc.s2 == null || sc.s2.record() : cc == null || cc.s1.record();
        return record(t, b, rec, event, detail + (rec ? "" : " (not recorded: R is 0)"));
    }

    private static String className(int c) {
        switch (c) {
        case EventRecord.CLASS_CD: return "CD";
        case EventRecord.CLASS_TT: return "TT";
        default: return "IN";
        }
    }

    /** Holds the transaction with a STAG and records the stall event; null when it cannot stall. */
    private Translation stall(Txn t, EventRecord.Builder b, int event, String detail) {
        HeldTransaction h = smmu.held.stall(t.sid, t.ssid, t.va & -4096L, t.access);
        if (h == null) {
            return null;
        }
        EventRecord r = b.Stall(true).STAG(h.tag).build();
        smmu.faults.increment();
        if (!writeEvent(r)) {
            smmu.held.cancel(h);
            return new TranslationFault(smmu.name, EventRecord.name(event), event, t.va, t.ssid, t.access, false, r.toBytes(),
                    detail + "; the stall event was lost (event queue full or disabled): terminated");
        }
        return new TranslationFault(smmu.name, EventRecord.name(event), event, t.va, t.ssid, t.access, true, r.toBytes(),
                detail + "; stalled with STAG " + h.tag, h);
    }

    /** PRI queue entry: dw0 SID 31:0, SSID 51:32, PRIV 58, EXEC 59, READ 60, WRITE 61, LAST 62, SSV 63; dw1 PRGI 8:0, ADDR 63:12. */
    static long[] priEntry(int sid, int ssid, int access, boolean last, int prgi, long addr) {
        long dw0 = Integer.toUnsignedLong(sid);
        if (ssid >= 0) {
            dw0 = Bits.set(dw0, 51, 32, ssid) | 1L << 63;
        }
        dw0 = Bits.set(dw0, 58, (access & Access.PRIV) != 0);
        dw0 = Bits.set(dw0, 59, (access & Access.EXEC) != 0);
        dw0 = Bits.set(dw0, 60, (access & Access.READ) != 0);
        dw0 = Bits.set(dw0, 61, (access & Access.WRITE) != 0);
        dw0 = Bits.set(dw0, 62, last);
        return new long[] { dw0, (addr & Bits.mask(63, 12)) | prgi };
    }

    /** The device answers the translation fault with a page request; null when it cannot. */
    private Translation pageRequest(Txn t, int event, String detail) {
        long page = t.va & -4096L;
        HeldTransaction h = smmu.held.pageRequest(t.sid, t.ssid, page, t.access);
        if (h == null) {
            return null;
        }
        long[] entry = priEntry(t.sid, t.ssid, t.access, true, h.tag, page);
        byte[] bytes = java.nio.ByteBuffer.allocate(16).order(java.nio.ByteOrder.LITTLE_ENDIAN).putLong(entry[0]).putLong(entry[1]).array();
        smmu.faults.increment();
        OutQueue.Result r = smmu.priQueue.write(entry);
        switch (r) {
        case WRITTEN:
            smmu.signalPriQueue();
            return new TranslationFault(smmu.name, EventRecord.name(event), event, t.va, t.ssid, t.access, true, bytes,
                    detail + "; page request PRGI " + h.tag, h);
        case FULL:
            // PRI queue overflow: the SMMU itself answers a request with LAST set, Success; the device retries
            smmu.held.autoRespond(h);
            smmu.signalPriQueue();
            return new TranslationFault(smmu.name, EventRecord.name(event), event, t.va, t.ssid, t.access, true, bytes,
                    detail + "; page request lost to a PRI queue overflow, answered Success by the SMMU", h);
        default:
            smmu.raiseGlobalError(Registers.GERROR_PRIQ_ABT_ERR);
            smmu.held.respond(t.sid, t.ssid, h.tag, Commands.PRI_RESP_FAIL);
            return null;
        }
    }
}
