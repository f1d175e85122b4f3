package dev.ioasid.backend.vtd.internal;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

import dev.ioasid.machine.Access;
import dev.ioasid.machine.BusError;
import dev.ioasid.machine.PhysicalMemory;
import dev.ioasid.spi.DecodedEntry;

/**
 * The {@code tables} view of a VT-d unit: every structure a translation of one address by (RID, PASID) reads, in
 * walk order, decoded by the spec's field names with its physical address. RTADDR, the root entry, the context
 * entry; in scalable mode the PASID-directory entry and the PASID entry (RID_PASID for a request without a
 * PASID); then the second-stage or first-stage entries, and for nested translation the second-stage walk of
 * every first-stage table pointer and of the final guest-physical address, each labelled with what it
 * translates.
 * <p>
 * It reads what the hardware walk would read now, not the caches, and changes nothing (no A/D updates). The
 * tables may be guest garbage: an unreadable address or reserved bits end the walk with a decoded line and the
 * fault reason the hardware would report, each walk is at most five levels, and nothing throws.
 */
final class PathDescriber {
    /** A walk that stopped; its lines are already out. */
    private static final long STOPPED = -1;

    private final PhysicalMemory memory;
    private final Capabilities caps;
    private final int haw;
    private final ConfigTables tables;
    private final ConfigWalker config;
    private final PageWalker pages;

    PathDescriber(PhysicalMemory memory, Profile profile, ConfigTables tables, ConfigWalker config, PageWalker pages) {
        this.memory = memory;
        this.caps = profile.caps();
        this.haw = profile.haw();
        this.tables = tables;
        this.config = config;
        this.pages = pages;
    }

    /** One description: the lines so far, and the page size of the last leaf. */
    private static final class Path {
        final List<DecodedEntry> lines = new ArrayList<>();
        int leafShift;

        void add(String structure, long address, Map<String, String> fields) {
            lines.add(new DecodedEntry(structure, address, fields));
        }

        /** The walk ends with the fault the hardware would report; returns {@link #STOPPED}. */
        long stop(FaultReason reason, String detail) {
            return stop(String.format("%s (0x%x)", reason.name(), reason.code), detail);
        }

        long stop(String fault, String detail) {
            Map<String, String> f = new LinkedHashMap<>();
            f.put("fault", fault);
            f.put("why", detail);
            add("walk stops", -1, f);
            return STOPPED;
        }

        long unreadable(String structure, long address, BusError e, FaultReason reason) {
            Map<String, String> f = new LinkedHashMap<>();
            f.put("error", e.getMessage());
            add(structure + " (unreadable)", address, f);
            return stop(reason, structure + " cannot be read");
        }
    }

    List<DecodedEntry> describe(int sid, int pasid, long iova) {
        Path p = new Path();
        try {
            walk(p, sid, pasid, iova);
        } catch (RuntimeException e) {
            // a bug of this view, not of the tables: say so rather than fail the shell command
            Map<String, String> f = new LinkedHashMap<>();
            f.put("error", e.toString());
            p.add("internal error of the table view", -1, f);
        }
        return p.lines;
    }

    private void walk(Path p, int sid, int pasid, long iova) {
        TranslationContext tc;
        long stamp = tables.lock.readLock();
        try {
            tc = configuration(p, sid, pasid);
        } finally {
            tables.lock.unlockRead(stamp);
        }
        if (tc == null) {
            return;
        }
        long out;
        switch (tc.pgtt()) {
        case PasidEntry.PGTT_PASS_THROUGH:
            if (haw < 64 && iova >>> haw != 0) {
                p.stop(FaultReason.ADDR_BEYOND_MGAW, String.format("0x%x is above the %d-bit host address width", iova, haw));
                return;
            }
            p.leafShift = 12;
            out = iova;
            break;
        case PasidEntry.PGTT_SECOND_STAGE:
            out = secondStage(p, tc, iova, "");
            break;
        case PasidEntry.PGTT_FIRST_STAGE:
        case PasidEntry.PGTT_NESTED:
            out = firstStage(p, tc, iova);
            break;
        default:
            p.stop(FaultReason.PASID_TABLE_ENTRY_INV, "PGTT " + tc.pgtt() + " is reserved");
            return;
        }
        if (out == STOPPED) {
            return;
        }
        if (PageWalker.touchesInterruptRange(out, out)) {
            p.stop(config.scalable() ? FaultReason.SM_INTERRUPT_ADDR : FaultReason.INTERRUPT_ADDR,
                    String.format("output address 0x%x is in the interrupt range", out));
            return;
        }
        Map<String, String> f = new LinkedHashMap<>();
        f.put("HPA", hex(out));
        f.put("page", size(p.leafShift));
        if (tc.pgtt() == PasidEntry.PGTT_PASS_THROUGH) {
            f.put("via", "pass-through");
        }
        p.add("output", -1, f);
    }

    // ------------------------------------------------------------------ configuration

    /** RTADDR, root, context, and in scalable mode the PASID directory and entry; null after a stop. */
    private TranslationContext configuration(Path p, int sid, int pasid) {
        long rt = config.rtaddr();
        boolean sm = config.scalable();
        int bus = sid >>> 8;
        int devfn = sid & 0xff;
        Map<String, String> r = new LinkedHashMap<>();
        r.put("RTA", hex(rt & Bits.mask(63, 12)));
        r.put("TTM", sm ? "01 (scalable mode)" : Bits.get(rt, 11, 10) == 0 ? "00 (legacy mode)" : Bits.get(rt, 11, 10) + " (reserved)");
        p.add("RTADDR_REG", -1, r);

        long slot = (rt & Bits.mask(63, 12)) + (long) bus * RootEntry.SIZE;
        String name = String.format("root entry (bus 0x%02x)", bus);
        long lo;
        long hi;
        try {
            lo = memory.load64(slot);
            hi = memory.load64(slot + 8);
        } catch (BusError e) {
            p.unreadable(name, slot, e, FaultReason.ROOT_TABLE_INV);
            return null;
        }
        RootEntry re = RootEntry.decode(lo, hi);
        Map<String, String> f = new LinkedHashMap<>();
        boolean upper = sm && devfn >= 128;
        if (sm) {
            f.put("LP", bit(re.p()));
            f.put("LCTP", hex(re.ctp()));
            f.put("UP", bit(re.up()));
            f.put("UCTP", hex(re.uctp()));
            f.put("used", upper ? "upper (devfn 128-255)" : "lower (devfn 0-127)");
        } else {
            f.put("P", bit(re.p()));
            f.put("CTP", hex(re.ctp()));
        }
        long half = upper ? hi : lo;
        if ((half & 1) == 0) {
            p.add(name + " (not present)", slot, f);
            p.stop(FaultReason.ROOT_ENTRY_P, sm ? (upper ? "UP" : "LP") + " is clear" : "P is clear");
            return null;
        }
        long rsvd = sm ? RootEntry.reservedBits(half, haw) : RootEntry.reservedBits(lo, haw) | hi;
        if (rsvd != 0) {
            f.put("reserved", hex(rsvd));
            p.add(name + " (reserved bits set)", slot, f);
            p.stop(FaultReason.ROOT_ENTRY_RSVD, "reserved bits " + hex(rsvd));
            return null;
        }
        p.add(name, slot, f);
        long ct = half & Bits.mask(63, 12);
        return sm ? scalableContext(p, ct, sid, pasid) : legacyContext(p, ct, sid, pasid);
    }

    private TranslationContext legacyContext(Path p, long ct, int sid, int pasid) {
        int devfn = sid & 0xff;
        long slot = ct + (long) devfn * LegacyContextEntry.SIZE;
        String name = String.format("context entry (devfn 0x%02x)", devfn);
        long lo;
        long hi;
        try {
            lo = memory.load64(slot);
            hi = memory.load64(slot + 8);
        } catch (BusError e) {
            p.unreadable(name, slot, e, FaultReason.CONTEXT_TABLE_INV);
            return null;
        }
        LegacyContextEntry c = LegacyContextEntry.decode(lo, hi);
        Map<String, String> f = new LinkedHashMap<>();
        f.put("P", bit(c.p()));
        f.put("FPD", bit(c.fpd()));
        f.put("TT", c.tt() + " (" + ttName(c.tt()) + ")");
        f.put("SLPTPTR", hex(c.slptptr()));
        f.put("AW", awName(c.aw()));
        f.put("DID", Integer.toString(c.did()));
        if (!c.p()) {
            p.add(name + " (not present)", slot, f);
            p.stop(FaultReason.CONTEXT_ENTRY_P, "P is clear");
            return null;
        }
        long rsvd = LegacyContextEntry.reservedBits(lo, hi, haw);
        if (rsvd != 0) {
            f.put("reserved", hex(rsvd));
            p.add(name + " (reserved bits set)", slot, f);
            p.stop(FaultReason.CONTEXT_ENTRY_RSVD, "reserved bits " + hex(rsvd));
            return null;
        }
        p.add(name, slot, f);
        String invalid = config.check(c);
        if (invalid != null) {
            p.stop(FaultReason.CONTEXT_ENTRY_INV, invalid);
            return null;
        }
        if (pasid != Access.NO_PASID) {
            p.stop(FaultReason.CONTEXT_ENTRY_INV, "a request with PASID " + pasid + " in legacy mode");
            return null;
        }
        boolean pt = c.tt() == LegacyContextEntry.TT_PASS_THROUGH;
        return new TranslationContext(sid, Access.NO_PASID, c.did(), pt ? PasidEntry.PGTT_PASS_THROUGH : PasidEntry.PGTT_SECOND_STAGE,
                SsPte.levelsForAw(c.aw()), c.slptptr(), 0, 0, false, false, false, false, c.fpd(), false, true);
    }

    private TranslationContext scalableContext(Path p, long ct, int sid, int pasid) {
        int devfn = sid & 0xff;
        long slot = ct + (long) (devfn & 0x7f) * ScalableContextEntry.SIZE;
        String name = String.format("scalable-mode context entry (devfn 0x%02x)", devfn);
        long[] q = new long[4];
        try {
            for (int i = 0; i < 4; i++) {
                q[i] = memory.load64(slot + 8L * i);
            }
        } catch (BusError e) {
            p.unreadable(name, slot, e, FaultReason.CONTEXT_TABLE_INV);
            return null;
        }
        ScalableContextEntry c = ScalableContextEntry.decode(q[0], q[1]);
        Map<String, String> f = new LinkedHashMap<>();
        f.put("P", bit(c.p()));
        f.put("FPD", bit(c.fpd()));
        f.put("DTE", bit(c.dte()));
        f.put("PASIDE", bit(c.paside()));
        f.put("PRE", bit(c.pre()));
        f.put("PDTS", c.pdts() + " (" + c.directoryEntries() + " entries)");
        f.put("PASIDDIRPTR", hex(c.pasidDirPtr()));
        f.put("RID_PASID", Integer.toString(c.ridPasid()));
        f.put("RID_PRIV", bit(c.ridPriv()));
        if (!c.p()) {
            p.add(name + " (not present)", slot, f);
            p.stop(FaultReason.CONTEXT_ENTRY_P, "P is clear");
            return null;
        }
        long rsvd = ScalableContextEntry.reservedBits(q[0], q[1], q[2], q[3], haw);
        if (rsvd != 0) {
            f.put("reserved", hex(rsvd));
            p.add(name + " (reserved bits set)", slot, f);
            p.stop(FaultReason.CONTEXT_ENTRY_RSVD, "reserved bits " + hex(rsvd));
            return null;
        }
        p.add(name, slot, f);
        String invalid = config.check(c);
        if (invalid != null) {
            p.stop(FaultReason.CONTEXT_ENTRY_INV, invalid);
            return null;
        }
        if (pasid != Access.NO_PASID && !c.paside()) {
            p.stop(FaultReason.CONTEXT_ENTRY_INV, "a request with PASID " + pasid + " while PASIDE is clear");
            return null;
        }
        return pasidEntry(p, c, sid, pasid == Access.NO_PASID ? c.ridPasid() : pasid, pasid == Access.NO_PASID);
    }

    private TranslationContext pasidEntry(Path p, ScalableContextEntry c, int sid, int pasid, boolean ridPasid) {
        int dirIndex = PasidDirEntry.directoryIndex(pasid);
        if (dirIndex >= c.directoryEntries()) {
            p.stop(FaultReason.PASID_DIR_ENTRY_P, String.format("PASID %d is beyond the %d-entry PASID directory (PDTS %d)", pasid,
                    c.directoryEntries(), c.pdts()));
            return null;
        }
        long dslot = c.pasidDirPtr() + 8L * dirIndex;
        String dname = "PASID directory entry " + dirIndex;
        long de;
        try {
            de = memory.load64(dslot);
        } catch (BusError e) {
            p.unreadable(dname, dslot, e, FaultReason.PASID_DIR_ACCESS_ERR);
            return null;
        }
        PasidDirEntry d = PasidDirEntry.decode(de);
        Map<String, String> f = new LinkedHashMap<>();
        f.put("raw", raw(de));
        f.put("P", bit(d.p()));
        f.put("FPD", bit(d.fpd()));
        f.put("SMPTBLPTR", hex(d.tablePtr()));
        if (!d.p()) {
            p.add(dname + " (not present)", dslot, f);
            p.stop(FaultReason.PASID_DIR_ENTRY_P, "P is clear");
            return null;
        }
        p.add(dname, dslot, f);

        long slot = d.tablePtr() + (long) PasidDirEntry.tableIndex(pasid) * PasidEntry.SIZE;
        String name = "PASID entry " + pasid + (ridPasid ? " (RID_PASID: the request has no PASID)" : "");
        long[] q = new long[8];
        try {
            for (int i = 0; i < 8; i++) {
                q[i] = memory.load64(slot + 8L * i);
            }
        } catch (BusError e) {
            p.unreadable(name, slot, e, FaultReason.PASID_TABLE_ACCESS_ERR);
            return null;
        }
        PasidEntry e = PasidEntry.decode(q);
        Map<String, String> g = new LinkedHashMap<>();
        g.put("P", bit(e.p()));
        g.put("FPD", bit(e.fpd()));
        g.put("AW", awName(e.aw()));
        g.put("PGTT", e.pgtt() + (e.pgtt() >= 1 && e.pgtt() <= 4 ? " (" + PasidEntry.pgttName(e.pgtt()) + ")" : " (reserved)"));
        g.put("SSADE", bit(e.ssade()));
        g.put("SSPTPTR", hex(e.ssptptr()));
        g.put("DID", Integer.toString(e.did()));
        g.put("PWSNP", bit(e.pwsnp()));
        g.put("PGSNP", bit(e.pgsnp()));
        g.put("SRE", bit(e.sre()));
        g.put("FSPM", e.fspm() + " (" + (e.fspm() == 0 ? "4-level" : e.fspm() == 1 ? "5-level" : "reserved") + ")");
        g.put("WPE", bit(e.wpe()));
        g.put("EAFE", bit(e.eafe()));
        g.put("FSPTPTR", hex(e.fsptptr()));
        if (!e.p()) {
            p.add(name + " (not present)", slot, g);
            p.stop(FaultReason.PASID_ENTRY_P, "P is clear");
            return null;
        }
        long rsvd = PasidEntry.reservedBits(q, haw);
        if (rsvd != 0) {
            g.put("reserved", hex(rsvd));
            p.add(name + " (reserved bits set)", slot, g);
            p.stop(FaultReason.PASID_TABLE_ENTRY_INV, "reserved bits " + hex(rsvd));
            return null;
        }
        p.add(name, slot, g);
        String invalid = config.check(e, q);
        if (invalid != null) {
            p.stop(FaultReason.PASID_TABLE_ENTRY_INV, invalid);
            return null;
        }
        return new TranslationContext(sid, pasid, e.did(), e.pgtt(), SsPte.levelsForAw(e.aw()), e.ssptptr(), FsPte.levelsForFspm(e.fspm()),
                e.fsptptr(), e.sre(), e.wpe(), e.eafe(), e.ssade(), c.fpd() || d.fpd() || e.fpd(), c.pre(), false);
    }

    // ------------------------------------------------------------------ page walks

    /**
     * The second-stage walk of {@code addr} (the request's address, a first-stage table pointer or the final
     * guest-physical address when nested). Returns the output address, or {@link #STOPPED}.
     */
    private long secondStage(Path p, TranslationContext tc, long addr, String label) {
        int levels = tc.ssLevels();
        int width = 12 + 9 * levels;
        if (addr >>> width != 0) {
            return p.stop(FaultReason.ADDR_BEYOND_MGAW, String.format("0x%x%s is above the %d-bit second stage", addr, label, width));
        }
        long table = tc.ssptptr() & SsPte.ADDR;
        for (int level = levels; level >= 1; level--) {
            int index = SsPte.index(addr, level);
            long slot = table + 8L * index;
            String name = "SS-" + levelName(level) + "[" + index + "]" + label;
            long pte;
            try {
                pte = memory.load64(slot);
            } catch (BusError e) {
                return p.unreadable(name, slot, e, FaultReason.PAGING_ENTRY_INV);
            }
            Map<String, String> f = new LinkedHashMap<>();
            f.put("raw", raw(pte));
            f.put("R", bit(pte & SsPte.R));
            f.put("W", bit(pte & SsPte.W));
            if (level > 1) {
                f.put("PS", bit(pte & SsPte.PS));
            }
            f.put("A", bit(pte & SsPte.A));
            f.put("D", bit(pte & SsPte.D));
            f.put("SNP", bit(pte & SsPte.SNP));
            f.put("ADDR", hex(pte & SsPte.ADDR));
            if (!SsPte.present(pte)) {
                p.add(name + " (not present)", slot, f);
                return p.stop(String.format("%s (0x%x) or %s (0x%x), as the request", FaultReason.READ.name(), FaultReason.READ.code,
                        FaultReason.WRITE.name(), FaultReason.WRITE.code), "R and W are clear");
            }
            boolean leaf = level == 1 || (pte & SsPte.PS) != 0;
            long rsvd = pages.ssReserved(pte, level, leaf);
            if (rsvd != 0) {
                f.put("reserved", hex(rsvd));
                p.add(name + " (reserved bits set)", slot, f);
                return p.stop(FaultReason.PAGING_ENTRY_RSVD, "reserved bits " + hex(rsvd));
            }
            if (leaf) {
                int shift = SsPte.shift(level);
                f.put("maps", size(shift) + " page");
                p.add(name, slot, f);
                p.leafShift = shift;
                return (pte & SsPte.ADDR & -(1L << shift)) | (addr & ((1L << shift) - 1));
            }
            p.add(name, slot, f);
            table = pte & SsPte.ADDR;
        }
        return p.stop(FaultReason.PAGING_ENTRY_INV, "the second-stage walk ran out of levels");
    }

    /** The first-stage walk of {@code va}, nested through the second stage when PGTT says so. */
    private long firstStage(Path p, TranslationContext tc, long va) {
        boolean nested = tc.pgtt() == PasidEntry.PGTT_NESTED;
        int levels = tc.fsLevels();
        if (!FsPte.canonical(va, levels)) {
            return p.stop(FaultReason.FS_NON_CANONICAL, String.format("0x%x is not canonical for %d-level paging", va, levels));
        }
        long table = tc.fsptptr() & FsPte.ADDR;
        for (int level = levels; level >= 1; level--) {
            int index = (int) ((va >>> (12 + 9 * (level - 1))) & 511);
            long entry = table + 8L * index;
            String name = "FS-" + levelName(level) + "[" + index + "]";
            long hpa = entry;
            if (nested) {
                hpa = secondStage(p, tc, entry, " (nested: " + name + " at GPA " + hex(entry) + ")");
                if (hpa == STOPPED) {
                    return STOPPED;
                }
            }
            long pte;
            try {
                pte = memory.load64(hpa);
            } catch (BusError e) {
                return p.unreadable(name, hpa, e, level == levels ? FaultReason.PASID_ENTRY_FSPTPTR_INV : FaultReason.FS_PAGING_ENTRY_INV);
            }
            Map<String, String> f = new LinkedHashMap<>();
            if (nested) {
                f.put("GPA", hex(entry));
            }
            f.put("raw", raw(pte));
            f.put("P", bit(pte & FsPte.P));
            f.put("R/W", bit(pte & FsPte.RW));
            f.put("U/S", bit(pte & FsPte.US));
            f.put("A", bit(pte & FsPte.A));
            f.put("D", bit(pte & FsPte.D));
            if (level > 1) {
                f.put("PS", bit(pte & FsPte.PS));
            }
            f.put("XD", bit(pte & FsPte.XD));
            f.put("ADDR", hex(pte & FsPte.ADDR));
            if ((pte & FsPte.P) == 0) {
                p.add(name + " (not present)", hpa, f);
                return p.stop(FaultReason.FS_PAGING_ENTRY_P, "P is clear");
            }
            boolean leaf = level == 1 || (pte & FsPte.PS) != 0;
            long rsvd = pages.fsReserved(pte, level, leaf);
            if (rsvd != 0) {
                f.put("reserved", hex(rsvd));
                p.add(name + " (reserved bits set)", hpa, f);
                return p.stop(FaultReason.FS_PAGING_ENTRY_RSVD, "reserved bits " + hex(rsvd));
            }
            if (!leaf) {
                p.add(name, hpa, f);
                table = pte & FsPte.ADDR;
                continue;
            }
            int shift = 12 + 9 * (level - 1);
            f.put("maps", size(shift) + " page");
            p.add(name, hpa, f);
            long out = (pte & FsPte.ADDR & -(1L << shift)) | (va & ((1L << shift) - 1));
            if (!nested) {
                p.leafShift = shift;
                return out;
            }
            long hostOut = secondStage(p, tc, out, " (nested: the output GPA " + hex(out) + ")");
            if (hostOut != STOPPED) {
                p.leafShift = Math.min(shift, p.leafShift);
            }
            return hostOut;
        }
        return p.stop(FaultReason.FS_PAGING_ENTRY_INV, "the first-stage walk ran out of levels");
    }

    // ------------------------------------------------------------------ formatting

    /** The spec's names of the paging levels: PML5E, PML4E, PDPE, PDE, PTE. */
    static String levelName(int level) {
        switch (level) {
        case 5: return "PML5E";
        case 4: return "PML4E";
        case 3: return "PDPE";
        case 2: return "PDE";
        default: return "PTE";
        }
    }

    private static String ttName(int tt) {
        switch (tt) {
        case LegacyContextEntry.TT_MULTI_LEVEL: return "untranslated requests";
        case LegacyContextEntry.TT_DEV_IOTLB: return "device-TLB";
        case LegacyContextEntry.TT_PASS_THROUGH: return "pass-through";
        default: return "reserved";
        }
    }

    private static String awName(int aw) {
        return aw >= 1 && aw <= 3 ? aw + " (" + SsPte.widthForAw(aw) + "-bit, " + SsPte.levelsForAw(aw) + "-level)" : aw + " (reserved)";
    }

    static String size(int shift) {
        return shift >= 30 ? (1 << (shift - 30)) + "G" : shift >= 20 ? (1 << (shift - 20)) + "M" : (1 << (shift - 10)) + "K";
    }

    private static String bit(boolean b) {
        return b ? "1" : "0";
    }

    private static String bit(long masked) {
        return masked != 0 ? "1" : "0";
    }

    private static String hex(long v) {
        return "0x" + Long.toHexString(v);
    }

    private static String raw(long v) {
        return String.format("0x%016x", v);
    }
}
