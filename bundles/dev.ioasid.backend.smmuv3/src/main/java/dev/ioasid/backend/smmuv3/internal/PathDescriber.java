package dev.ioasid.backend.smmuv3.internal;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

import dev.ioasid.backend.smmuv3.internal.Lpae.Granule;
import dev.ioasid.backend.smmuv3.internal.Walker.S1Cfg;
import dev.ioasid.backend.smmuv3.internal.Walker.S2Cfg;
import dev.ioasid.spi.DecodedEntry;

/**
 * The {@code tables} view of an SMMUv3: every structure a translation of one address by (StreamID, SubstreamID)
 * reads, in the order {@link TranslationEngine} reads them, decoded by the spec's field names with its physical
 * address: STRTAB_BASE and STRTAB_BASE_CFG, the L1 stream table descriptor of a 2-level table, the STE, the L1
 * CD descriptor of a 2-level CD table, the CD, then the stage 1 and stage 2 descriptors. When nested, every
 * address the SMMU fetches at stage 1 (L1 CD descriptor, CD, stage 1 tables) and the output IPA go through
 * stage 2 first, and those stage 2 walks are labelled with what they translate.
 * <p>
 * It reads memory as a miss would now, not the caches, and changes nothing (no AF or dirty updates). The tables
 * may be guest garbage: an unreadable address or an illegal entry ends the walk with a decoded line and the event
 * the SMMU would record, each walk is at most four levels, and nothing throws.
 */
final class PathDescriber {
    private static final long STOPPED = -1;
    private static final long TBI_MASK = 0x00ff_ffff_ffff_ffffL;

    private final Smmu smmu;

    PathDescriber(Smmu smmu) {
        this.smmu = smmu;
    }

    /** One description: the lines so far, and the page size of the last leaf. */
    private static final class Path {
        final List<DecodedEntry> lines = new ArrayList<>();
        int leafShift;

        void add(String structure, long address, Map<String, String> fields) {
            lines.add(new DecodedEntry(structure, address, fields));
        }

        /** The walk ends with the event the SMMU would record; returns {@link #STOPPED}. */
        long stop(int event, String detail) {
            return stop(String.format("%s (0x%02x)", EventRecord.name(event), event), detail);
        }

        long stop(String what, String detail) {
            Map<String, String> f = new LinkedHashMap<>();
            f.put("event", what);
            f.put("why", detail);
            add("walk stops", -1, f);
            return STOPPED;
        }
    }

    /** A read that failed: the line for the structure, and the stop. */
    private long unreadable(Path p, String structure, long address, RuntimeException e, int event) {
        Map<String, String> f = new LinkedHashMap<>();
        f.put("error", String.valueOf(e.getMessage()));
        p.add(structure + " (unreadable)", address, f);
        return p.stop(event, structure + " cannot be read");
    }

    List<DecodedEntry> describe(int sid, int ssid, long va) {
        Path p = new Path();
        try {
            walk(p, sid, ssid, va);
        } catch (RuntimeException e) {
            // a bug of this view, not of the tables: say so rather than fail the shell command
            Map<String, String> f = new LinkedHashMap<>();
            f.put("error", e.toString());
            p.add("internal error of the table view", -1, f);
        }
        return p.lines;
    }

    private void walk(Path p, int sid, int ssid, long va) {
        StreamConfig sc = stream(p, sid);
        if (sc == null) {
            return;
        }
        long out;
        if (sc.isAbort()) {
            p.stop("STE_ABORT", "Config is abort: the transaction is terminated without an event");
            return;
        }
        if (sc.isBypass() || !sc.s1) {
            if (ssid >= 0) {
                p.stop(EventRecord.C_BAD_SUBSTREAMID, "a SubstreamID on a stream " + (sc.isBypass() ? "in bypass" : "without stage 1"));
                return;
            }
            out = sc.isBypass() ? bypass(p, va) : stage2(p, sc.s2, va, "");
        } else {
            int essid;
            if (ssid < 0 && sc.s1CdMax == 0) {
                essid = 0;
            } else if (ssid < 0) {
                switch (sc.s1Dss) {
                case Ste.S1DSS_TERMINATE:
                    p.stop(EventRecord.F_STREAM_DISABLED, "no SubstreamID and S1DSS terminate");
                    return;
                case Ste.S1DSS_BYPASS:
                    out = sc.s2 == null ? bypass(p, va) : stage2(p, sc.s2, va, " (S1DSS bypass)");
                    output(p, out);
                    return;
                default:
                    essid = 0;
                }
            } else {
                if (sc.s1CdMax == 0 || ssid >= 1 << sc.s1CdMax) {
                    p.stop(EventRecord.C_BAD_SUBSTREAMID, String.format("SubstreamID %d is beyond S1CDMax %d", ssid, sc.s1CdMax));
                    return;
                }
                if (sc.s1Dss == Ste.S1DSS_SSID0 && ssid == 0) {
                    p.stop(EventRecord.C_BAD_SUBSTREAMID, "SubstreamID 0 is reserved by S1DSS substream 0");
                    return;
                }
                essid = ssid;
            }
            ContextConfig cc = context(p, sc, essid, ssid < 0);
            if (cc == null) {
                return;
            }
            out = stage1(p, cc.s1, sc.s2, cc.s1.tbi0() ? va & TBI_MASK : va);
        }
        output(p, out);
    }

    private long bypass(Path p, long va) {
        p.leafShift = 12;
        return va;
    }

    private void output(Path p, long out) {
        if (out == STOPPED) {
            return;
        }
        Map<String, String> f = new LinkedHashMap<>();
        f.put("PA", hex(out));
        f.put("page", size(p.leafShift));
        p.add("output", -1, f);
    }

    // ---------------------------------------------------------------- stream table and STE

    /** STRTAB_BASE/CFG, the L1 descriptor, the STE; the decoded STE, or null after a stop. */
    private StreamConfig stream(Path p, int sid) {
        long baseReg = smmu.strtabBase();
        int cfgReg = smmu.strtabBaseCfg();
        long base = baseReg & Bits.mask(51, 6);
        int fmt = cfgReg >>> 16 & 3;
        boolean twoLevel = fmt == Registers.STRTAB_FMT_2LVL && smmu.profile.twoLevelStreamTable();
        Map<String, String> r = new LinkedHashMap<>();
        r.put("ADDR", hex(base));
        r.put("RA", bit(Bits.bit(baseReg, 62)));
        r.put("FMT", fmt + (fmt == 0 ? " (linear)" : fmt == 1 ? " (2-level)" : " (reserved)"));
        r.put("SPLIT", Integer.toString(cfgReg >>> 6 & 0x1f));
        r.put("LOG2SIZE", Integer.toString(cfgReg & 0x3f));
        p.add("STRTAB_BASE/STRTAB_BASE_CFG", -1, r);
        if (!smmu.enabled()) {
            p.stop(smmu.gbpaAbort() ? "SMMU_DISABLED" : "bypass", "CR0.SMMUEN is clear; GBPA." + (smmu.gbpaAbort() ? "ABORT" : "ABORT is clear: bypass"));
            return null;
        }
        int log2size = Math.min(cfgReg & 0x3f, smmu.profile.sidSize());
        long usid = Integer.toUnsignedLong(sid);
        if (usid >>> log2size != 0) {
            p.stop(EventRecord.C_BAD_STREAMID, String.format("StreamID 0x%x is beyond the stream table (LOG2SIZE %d)", sid, log2size));
            return null;
        }
        long steAddr;
        if (twoLevel) {
            int split = Math.min(cfgReg >>> 6 & 0x1f, log2size);
            long index1 = usid >>> split;
            long l1 = base + index1 * 8;
            String name = "L1STD[" + index1 + "]";
            long desc;
            try {
                desc = smmu.memory.load64(l1);
            } catch (RuntimeException e) {
                unreadable(p, name, l1, e, EventRecord.F_STE_FETCH);
                return null;
            }
            Map<String, String> f = new LinkedHashMap<>();
            f.put("raw", raw(desc));
            int span = (int) (desc & 0x1f);
            f.put("SPAN", span + (span == 0 ? " (invalid)" : " (" + (1L << (Math.min(span, split + 1) - 1)) + " STEs)"));
            f.put("L2Ptr", hex(desc & Bits.mask(51, 6)));
            if (span == 0) {
                p.add(name + " (invalid)", l1, f);
                p.stop(EventRecord.C_BAD_STREAMID, "the L1 descriptor has SPAN 0");
                return null;
            }
            p.add(name, l1, f);
            span = Math.min(span, split + 1);
            long index = usid & ((1L << split) - 1);
            if (index >= 1L << (span - 1)) {
                p.stop(EventRecord.C_BAD_STREAMID, String.format("StreamID 0x%x is beyond SPAN %d of its L2 table", sid, span));
                return null;
            }
            steAddr = (desc & Bits.mask(51, 6)) + index * Ste.SIZE;
        } else {
            steAddr = base + usid * Ste.SIZE;
        }
        String name = String.format("STE (StreamID 0x%x)", sid);
        long[] dw;
        try {
            dw = readEntry(steAddr);
        } catch (RuntimeException e) {
            unreadable(p, name, steAddr, e, EventRecord.F_STE_FETCH);
            return null;
        }
        Ste ste = new Ste(dw);
        Map<String, String> f = new LinkedHashMap<>();
        f.put("V", bit(ste.V()));
        f.put("Config", String.format("0b%s (%s)", bin3(ste.Config()), Ste.configName(ste.Config())));
        f.put("S1Fmt", ste.S1Fmt() + " (" + Ste.s1FmtName(ste.S1Fmt()) + ")");
        f.put("S1ContextPtr", hex(ste.S1ContextPtr()));
        f.put("S1CDMax", ste.S1CDMax() + " (" + (1L << ste.S1CDMax()) + " CD" + (ste.S1CDMax() == 0 ? ")" : "s)"));
        f.put("S1DSS", ste.S1DSS() + " (" + Ste.s1DssName(ste.S1DSS()) + ")");
        f.put("S1STALLD", bit(ste.S1STALLD()));
        f.put("EATS", ste.EATS() + " (" + Ste.eatsName(ste.EATS()) + ")");
        f.put("S2VMID", Integer.toString(ste.S2VMID()));
        f.put("S2T0SZ", ste.S2T0SZ() + " (" + (64 - ste.S2T0SZ()) + "-bit IPA)");
        Granule s2g = Granule.ofS2tg(ste.S2TG());
        int sl = s2g == null ? -1 : Lpae.startLevelOfSl0(s2g, ste.S2SL0());
        f.put("S2SL0", ste.S2SL0() + (sl < 0 ? " (reserved)" : " (start level " + sl + ")"));
        f.put("S2TG", ste.S2TG() + " (" + Lpae.granuleName(s2g) + ")");
        f.put("S2PS", ste.S2PS() + " (" + Lpae.psName(ste.S2PS()) + ")");
        f.put("S2AA64", bit(ste.S2AA64()));
        f.put("S2HA", bit(ste.S2HA()));
        f.put("S2HD", bit(ste.S2HD()));
        f.put("S2R", bit(ste.S2R()));
        f.put("S2S", bit(ste.S2S()));
        f.put("S2TTB", hex(ste.S2TTB()));
        if (!ste.V()) {
            p.add(name + " (not valid)", steAddr, f);
            p.stop(EventRecord.C_BAD_STE, "STE.V is 0");
            return null;
        }
        StreamConfig sc = StreamConfig.decode(sid, ste, smmu.profile);
        if (sc.bad != null) {
            p.add(name + " (ILLEGAL)", steAddr, f);
            p.stop(EventRecord.C_BAD_STE, sc.bad);
            return null;
        }
        p.add(name, steAddr, f);
        return sc;
    }

    /** A 64-byte STE or CD, whole: never half of an entry the driver is rewriting. */
    private long[] readEntry(long pa) {
        long[] dw = new long[8];
        long stamp = smmu.structureLock.readLock();
        try {
            for (int i = 0; i < 8; i++) {
                dw[i] = smmu.memory.load64(pa + 8L * i);
            }
        } finally {
            smmu.structureLock.unlockRead(stamp);
        }
        return dw;
    }

    // ---------------------------------------------------------------- CD table and CD

    /** An address of the CD table: an IPA through stage 2 when nested. {@link #STOPPED} after a stop. */
    private long configAddress(Path p, StreamConfig sc, long addr, String what) {
        if (sc.s2 == null) {
            return addr;
        }
        return stage2(p, sc.s2, addr, " (nested: " + what + " at IPA " + hex(addr) + ")");
    }

    private ContextConfig context(Path p, StreamConfig sc, int essid, boolean noSsid) {
        long ptr = sc.ste.S1ContextPtr();
        long cdAddr;
        if (sc.s1Fmt == Ste.S1FMT_LINEAR) {
            cdAddr = ptr + (long) essid * Cd.SIZE;
        } else {
            int split = sc.s1Fmt == Ste.S1FMT_2LVL_4K ? 6 : 10;
            long index1 = essid >>> split;
            String name = "L1CD[" + index1 + "]";
            long l1Ipa = ptr + index1 * 8;
            long l1 = configAddress(p, sc, l1Ipa, name);
            if (l1 == STOPPED) {
                return null;
            }
            long desc;
            try {
                desc = smmu.memory.load64(l1);
            } catch (RuntimeException e) {
                unreadable(p, name, l1, e, EventRecord.F_CD_FETCH);
                return null;
            }
            Map<String, String> f = new LinkedHashMap<>();
            if (sc.s2 != null) {
                f.put("IPA", hex(l1Ipa));
            }
            f.put("raw", raw(desc));
            f.put("V", bit((desc & 1) != 0));
            f.put("L2Ptr", hex(desc & Bits.mask(51, 12)));
            if ((desc & 1) == 0) {
                p.add(name + " (not valid)", l1, f);
                p.stop(EventRecord.C_BAD_SUBSTREAMID, "the L1 CD descriptor of SubstreamID " + essid + " is not valid");
                return null;
            }
            p.add(name, l1, f);
            cdAddr = (desc & Bits.mask(51, 12)) + (long) (essid & ((1 << split) - 1)) * Cd.SIZE;
        }
        String name = "CD (SSID " + essid + (noSsid ? ", the request has none" : "") + ")";
        long pa = configAddress(p, sc, cdAddr, "CD");
        if (pa == STOPPED) {
            return null;
        }
        long[] dw;
        try {
            dw = readEntry(pa);
        } catch (RuntimeException e) {
            unreadable(p, name, pa, e, EventRecord.F_CD_FETCH);
            return null;
        }
        Cd cd = new Cd(dw);
        Map<String, String> f = new LinkedHashMap<>();
        if (sc.s2 != null) {
            f.put("IPA", hex(cdAddr));
        }
        f.put("V", bit(cd.V()));
        f.put("T0SZ", cd.T0SZ() + " (" + (64 - cd.T0SZ()) + "-bit VA)");
        f.put("TG0", cd.TG0() + " (" + Lpae.granuleName(Granule.ofTg0(cd.TG0())) + ")");
        f.put("EPD0", bit(cd.EPD0()));
        f.put("EPD1", bit(cd.EPD1()));
        f.put("IPS", cd.IPS() + " (" + Lpae.psName(cd.IPS()) + ")");
        f.put("AA64", bit(cd.AA64()));
        f.put("HA", bit(cd.HA()));
        f.put("HD", bit(cd.HD()));
        f.put("ASID", Integer.toString(cd.ASID()));
        f.put("TTB0", hex(cd.TTB0()));
        f.put("R", bit(cd.R()));
        f.put("A", bit(cd.A()));
        f.put("S", bit(cd.S()));
        if (!cd.V()) {
            p.add(name + " (not valid)", pa, f);
            p.stop(EventRecord.C_BAD_CD, "CD.V is 0");
            return null;
        }
        ContextConfig cc = ContextConfig.decode(sc.sid, essid, cd, sc, smmu.profile);
        if (cc.bad != null) {
            p.add(name + " (ILLEGAL)", pa, f);
            p.stop(EventRecord.C_BAD_CD, cc.bad);
            return null;
        }
        p.add(name, pa, f);
        return cc;
    }

    // ---------------------------------------------------------------- page walks

    private static long index(long input, Granule g, int level, int bits) {
        return (input >>> g.levelShift(level)) & ((1L << bits) - 1);
    }

    /** The stage 2 walk of an IPA, as {@link Walker#walkS2}; the output PA, or {@link #STOPPED}. */
    private long stage2(Path p, S2Cfg c, long ipa, String label) {
        Granule g = c.granule();
        if (ipa < 0 || (c.ias() < 64 && ipa >>> c.ias() != 0)) {
            return p.stop(EventRecord.F_TRANSLATION, String.format("stage 2: IPA 0x%x%s is above the %d-bit input", ipa, label, c.ias()));
        }
        if (c.ttb() >>> c.oas() != 0) {
            return p.stop(EventRecord.F_ADDR_SIZE, String.format("stage 2: S2TTB 0x%x is above the %d-bit output", c.ttb(), c.oas()));
        }
        long table = c.tableBase();
        for (int level = c.startLevel(); level <= 3; level++) {
            int bits = level == c.startLevel() ? c.startBits() : g.bits;
            long index = index(ipa, g, level, bits);
            long slot = table + 8 * index;
            String name = "S2 level " + level + " descriptor[" + index + "]" + label;
            long desc;
            try {
                desc = smmu.memory.load64(slot);
            } catch (RuntimeException e) {
                return unreadable(p, name, slot, e, EventRecord.F_WALK_EABT);
            }
            boolean leaf = level == 3 || (desc & Lpae.TABLE) == 0;
            Map<String, String> f = new LinkedHashMap<>();
            f.put("raw", raw(desc));
            String type = Lpae.typeName(desc, level);
            f.put("type", type);
            long oa = Lpae.outputAddress(desc, g);
            if (Lpae.isValid(desc) && !leaf) {
                f.put("table", hex(oa & -g.pageSize()));
            } else if (Lpae.isValid(desc)) {
                boolean r = (desc & Lpae.S2AP_READ) != 0;
                boolean w = (desc & Lpae.S2AP_WRITE) != 0;
                f.put("S2AP", (w ? "1" : "0") + (r ? "1" : "0") + " (" + (r && w ? "read-write" : r ? "read-only" : w ? "write-only" : "none") + ")");
                f.put("AF", bit((desc & Lpae.AF) != 0));
                f.put("XN", bit((desc & Lpae.UXN) != 0));
                f.put("DBM", bit((desc & Lpae.DBM) != 0));
                f.put("OA", hex(oa & -(1L << g.levelShift(level))));
            }
            if (!Lpae.isValid(desc) || (level == 3 && (desc & Lpae.TABLE) == 0)) {
                p.add(name + " (invalid)", slot, f);
                return p.stop(EventRecord.F_TRANSLATION, "stage 2 level " + level + ": " + type);
            }
            if (leaf && !g.leafAllowed(level)) {
                p.add(name + " (block not allowed here)", slot, f);
                return p.stop(EventRecord.F_TRANSLATION, "stage 2: a block at level " + level);
            }
            if (oa >>> c.oas() != 0) {
                p.add(name, slot, f);
                return p.stop(EventRecord.F_ADDR_SIZE, String.format("stage 2: output 0x%x is above the %d-bit output", oa, c.oas()));
            }
            if (!leaf) {
                p.add(name, slot, f);
                table = oa & -g.pageSize();
                continue;
            }
            int shift = g.levelShift(level);
            f.put("maps", size(shift));
            p.add(name, slot, f);
            if ((desc & Lpae.AF) == 0 && !c.ha()) {
                return p.stop(EventRecord.F_ACCESS, "stage 2: AF is 0 and S2HA is off");
            }
            p.leafShift = shift;
            return (oa & -(1L << shift)) | (ipa & ((1L << shift) - 1));
        }
        return p.stop(EventRecord.F_TRANSLATION, "stage 2 ran out of levels");
    }

    /** The stage 1 walk, as {@link Walker#walkS1}: through stage 2 when {@code s2} is not null. */
    private long stage1(Path p, S1Cfg c, S2Cfg s2, long input) {
        Granule g = c.granule();
        if (input < 0 || input >>> c.vaBits() != 0) {
            return p.stop(EventRecord.F_TRANSLATION, String.format("stage 1: 0x%x is above the %d-bit VA of the CD", input, c.vaBits()));
        }
        if (c.epd0()) {
            return p.stop(EventRecord.F_TRANSLATION, "stage 1: EPD0 disables TTB0 walks");
        }
        if (c.ttb() >>> c.oas() != 0) {
            return p.stop(EventRecord.F_ADDR_SIZE, String.format("stage 1: TTB0 0x%x is above the %d-bit output", c.ttb(), c.oas()));
        }
        int startBits = c.startBits();
        long table = c.ttb() & -Math.max(8L << startBits, 8);
        for (int level = c.startLevel(); level <= 3; level++) {
            int bits = level == c.startLevel() ? startBits : g.bits;
            long index = index(input, g, level, bits);
            long slotIpa = table + 8 * index;
            String name = "S1 level " + level + " descriptor[" + index + "]";
            long slot = slotIpa;
            if (s2 != null) {
                slot = stage2(p, s2, slotIpa, " (nested: " + name + " at IPA " + hex(slotIpa) + ")");
                if (slot == STOPPED) {
                    return STOPPED;
                }
            }
            long desc;
            try {
                desc = smmu.memory.load64(slot);
            } catch (RuntimeException e) {
                return unreadable(p, name, slot, e, EventRecord.F_WALK_EABT);
            }
            boolean leaf = level == 3 || (desc & Lpae.TABLE) == 0;
            Map<String, String> f = new LinkedHashMap<>();
            if (s2 != null) {
                f.put("IPA", hex(slotIpa));
            }
            f.put("raw", raw(desc));
            String type = Lpae.typeName(desc, level);
            f.put("type", type);
            long oa = Lpae.outputAddress(desc, g);
            if (Lpae.isValid(desc) && !leaf) {
                f.put("APTable", Long.toString(Bits.get(desc, 62, 61)));
                f.put("UXNTable", bit((desc & Lpae.UXN_TABLE) != 0));
                f.put("PXNTable", bit((desc & Lpae.PXN_TABLE) != 0));
                f.put("table", hex(oa & -g.pageSize()));
            } else if (Lpae.isValid(desc)) {
                int ap = (int) Bits.get(desc, 7, 6);
                f.put("AP", Integer.toBinaryString(ap | 4).substring(1) + " (" + Lpae.apName(ap) + ")");
                f.put("AF", bit((desc & Lpae.AF) != 0));
                f.put("nG", bit((desc & Lpae.NG) != 0));
                f.put("PXN", bit((desc & Lpae.PXN) != 0));
                f.put("UXN", bit((desc & Lpae.UXN) != 0));
                f.put("DBM", bit((desc & Lpae.DBM) != 0));
                f.put("OA", hex(oa & -(1L << g.levelShift(level))));
            }
            if (!Lpae.isValid(desc) || (level == 3 && (desc & Lpae.TABLE) == 0)) {
                p.add(name + " (invalid)", slot, f);
                return p.stop(EventRecord.F_TRANSLATION, "stage 1 level " + level + ": " + type);
            }
            if (leaf && !g.leafAllowed(level)) {
                p.add(name + " (block not allowed here)", slot, f);
                return p.stop(EventRecord.F_TRANSLATION, "stage 1: a block at level " + level);
            }
            if (oa >>> c.oas() != 0) {
                p.add(name, slot, f);
                return p.stop(EventRecord.F_ADDR_SIZE, String.format("stage 1: output 0x%x is above the %d-bit output", oa, c.oas()));
            }
            if (!leaf) {
                p.add(name, slot, f);
                table = oa & -g.pageSize();
                continue;
            }
            int shift = g.levelShift(level);
            f.put("maps", size(shift));
            p.add(name, slot, f);
            if ((desc & Lpae.AF) == 0 && !c.ha()) {
                return p.stop(EventRecord.F_ACCESS, "stage 1: AF is 0 and CD.HA is off");
            }
            long out = (oa & -(1L << shift)) | (input & ((1L << shift) - 1));
            if (s2 == null) {
                p.leafShift = shift;
                return out;
            }
            long pa = stage2(p, s2, out, " (nested: the output IPA " + hex(out) + ")");
            if (pa != STOPPED) {
                p.leafShift = Math.min(shift, p.leafShift);
            }
            return pa;
        }
        return p.stop(EventRecord.F_TRANSLATION, "stage 1 ran out of levels");
    }

    // ---------------------------------------------------------------- formatting

    private static String bin3(int v) {
        return Integer.toBinaryString(v | 8).substring(1);
    }

    static String size(int shift) {
        return shift >= 30 ? (1L << (shift - 30)) + "G" : shift >= 20 ? (1L << (shift - 20)) + "M" : (1L << (shift - 10)) + "K";
    }

    private static String bit(boolean b) {
        return b ? "1" : "0";
    }

    private static String hex(long v) {
        return "0x" + Long.toHexString(v);
    }

    private static String raw(long v) {
        return String.format("0x%016x", v);
    }
}
