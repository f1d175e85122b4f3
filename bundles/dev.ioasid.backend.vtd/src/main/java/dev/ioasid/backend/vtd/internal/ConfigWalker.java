package dev.ioasid.backend.vtd.internal;

import dev.ioasid.machine.Access;
import dev.ioasid.machine.BusError;
import dev.ioasid.machine.PhysicalMemory;

/**
 * The configuration walk of the hardware: RTADDR, root entry, context entry, and in scalable mode the PASID
 * directory and PASID entry, with the checks and fault reasons of the spec. Every table address comes from
 * memory a guest or a bug may have filled with garbage: a bad address is the matching access fault, never an
 * exception, and the walk is a fixed number of steps.
 */
final class ConfigWalker {
    private final PhysicalMemory memory;
    private final Capabilities caps;
    private final int haw;
    private final ConfigTables tables;
    /** RTADDR_REG: RTA 63:12, TTM 11:10 */
    private volatile long rtaddr;

    ConfigWalker(PhysicalMemory memory, Profile profile, ConfigTables tables) {
        this.memory = memory;
        this.caps = profile.caps();
        this.haw = profile.haw();
        this.tables = tables;
        this.rtaddr = tables.rootTable | (profile.scalable() ? 1L << Registers.RTADDR_TTM_SHIFT : 0);
    }

    long rtaddr() {
        return rtaddr;
    }

    void rtaddr(long value) {
        rtaddr = value;
    }

    boolean scalable() {
        return Bits.get(rtaddr, 11, 10) == 1;
    }

    /**
     * Reads the context entry of {@code sid}. Returns the cache entry, or null with the fault in {@code w}.
     */
    ContextCache.Entry context(Walk w, int sid) {
        long stamp = tables.lock.tryOptimisticRead();
        ContextCache.Entry e = readContext(w, sid);
        if (!tables.lock.validate(stamp)) {
            w.fault = null;
            w.fpd = false;
            stamp = tables.lock.readLock();
            try {
                e = readContext(w, sid);
            } finally {
                tables.lock.unlockRead(stamp);
            }
        }
        return e;
    }

    private ContextCache.Entry readContext(Walk w, int sid) {
        long rt = rtaddr;
        boolean sm = Bits.get(rt, 11, 10) == 1;
        int bus = sid >>> 8;
        int devfn = sid & 0xff;
        long lo;
        long hi;
        try {
            long slot = (rt & Bits.mask(63, 12)) + (long) bus * RootEntry.SIZE;
            lo = memory.load64(slot);
            hi = memory.load64(slot + 8);
        } catch (BusError e) {
            w.fail(FaultReason.ROOT_TABLE_INV, "root entry of bus %d at 0x%x: %s", bus, rt, e.getMessage());
            return null;
        }
        long half = sm && devfn >= 128 ? hi : lo;
        if ((half & 1) == 0) {
            w.fail(FaultReason.ROOT_ENTRY_P, "root entry of bus %d: %s clear", bus, sm ? (devfn >= 128 ? "UP" : "LP") : "P");
            return null;
        }
        if (RootEntry.reservedBits(half, haw) != 0 || (!sm && hi != 0)) {
            w.fail(FaultReason.ROOT_ENTRY_RSVD, "root entry of bus %d: reserved bits 0x%x", bus,
                    sm ? RootEntry.reservedBits(half, haw) : RootEntry.reservedBits(lo, haw) | hi);
            return null;
        }
        long ct = half & Bits.mask(63, 12);
        if (sm) {
            long[] q = new long[4];
            try {
                long slot = ct + (long) (devfn & 0x7f) * ScalableContextEntry.SIZE;
                for (int i = 0; i < 4; i++) {
                    q[i] = memory.load64(slot + 8L * i);
                }
            } catch (BusError e) {
                w.fail(FaultReason.CONTEXT_TABLE_INV, "context table at 0x%x: %s", ct, e.getMessage());
                return null;
            }
            ScalableContextEntry c = ScalableContextEntry.decode(q[0], q[1]);
            w.fpd = c.fpd();
            if (!c.p()) {
                w.fail(FaultReason.CONTEXT_ENTRY_P, "scalable-mode context entry of %04x not present", sid);
                return null;
            }
            long rsvd = ScalableContextEntry.reservedBits(q[0], q[1], q[2], q[3], haw);
            if (rsvd != 0) {
                w.fail(FaultReason.CONTEXT_ENTRY_RSVD, "scalable-mode context entry of %04x: reserved bits set (0x%x)", sid, rsvd);
                return null;
            }
            String invalid = check(c);
            if (invalid != null) {
                w.fail(FaultReason.CONTEXT_ENTRY_INV, "context entry of %04x: %s", sid, invalid);
                return null;
            }
            return new ContextCache.Entry(sid, c, null);
        }
        try {
            long slot = ct + (long) devfn * LegacyContextEntry.SIZE;
            lo = memory.load64(slot);
            hi = memory.load64(slot + 8);
        } catch (BusError e) {
            w.fail(FaultReason.CONTEXT_TABLE_INV, "context table at 0x%x: %s", ct, e.getMessage());
            return null;
        }
        LegacyContextEntry c = LegacyContextEntry.decode(lo, hi);
        w.fpd = c.fpd();
        if (!c.p()) {
            w.fail(FaultReason.CONTEXT_ENTRY_P, "context entry of %04x not present", sid);
            return null;
        }
        long rsvd = LegacyContextEntry.reservedBits(lo, hi, haw);
        if (rsvd != 0) {
            w.fail(FaultReason.CONTEXT_ENTRY_RSVD, "context entry of %04x: reserved bits set (0x%x)", sid, rsvd);
            return null;
        }
        String invalid = check(c);
        if (invalid != null) {
            w.fail(FaultReason.CONTEXT_ENTRY_INV, "context entry of %04x: %s", sid, invalid);
            return null;
        }
        boolean pt = c.tt() == LegacyContextEntry.TT_PASS_THROUGH;
        TranslationContext tc = new TranslationContext(sid, Access.NO_PASID, c.did(),
                pt ? PasidEntry.PGTT_PASS_THROUGH : PasidEntry.PGTT_SECOND_STAGE, SsPte.levelsForAw(c.aw()), c.slptptr(), 0, 0,
                false, false, false, false, c.fpd(), false, true);
        return new ContextCache.Entry(sid, null, tc);
    }

    /**
     * Reads the PASID directory and PASID entry of (sid, pasid) below a scalable-mode context entry. Returns the
     * translation context, or null with the fault in {@code w}.
     */
    TranslationContext pasid(Walk w, ScalableContextEntry c, int sid, int pasid) {
        long stamp = tables.lock.tryOptimisticRead();
        TranslationContext tc = readPasid(w, c, sid, pasid);
        if (!tables.lock.validate(stamp)) {
            w.fault = null;
            w.fpd = c.fpd();
            stamp = tables.lock.readLock();
            try {
                tc = readPasid(w, c, sid, pasid);
            } finally {
                tables.lock.unlockRead(stamp);
            }
        }
        return tc;
    }

    private TranslationContext readPasid(Walk w, ScalableContextEntry c, int sid, int pasid) {
        boolean fpd = c.fpd();
        int dirIndex = PasidDirEntry.directoryIndex(pasid);
        if (dirIndex >= c.directoryEntries()) {
            w.fail(FaultReason.PASID_DIR_ENTRY_P, "PASID %d is beyond the %d-entry PASID directory (PDTS %d)", pasid,
                    c.directoryEntries(), c.pdts());
            return null;
        }
        long de;
        try {
            de = memory.load64(c.pasidDirPtr() + 8L * dirIndex);
        } catch (BusError e) {
            w.fail(FaultReason.PASID_DIR_ACCESS_ERR, "PASID directory at 0x%x: %s", c.pasidDirPtr(), e.getMessage());
            return null;
        }
        PasidDirEntry d = PasidDirEntry.decode(de);
        fpd |= d.fpd();
        w.fpd = fpd;
        if (!d.p()) {
            w.fail(FaultReason.PASID_DIR_ENTRY_P, "PASID directory entry %d of %04x not present", dirIndex, sid);
            return null;
        }
        long[] q = new long[8];
        try {
            long slot = d.tablePtr() + (long) PasidDirEntry.tableIndex(pasid) * PasidEntry.SIZE;
            for (int i = 0; i < 8; i++) {
                q[i] = memory.load64(slot + 8L * i);
            }
        } catch (BusError e) {
            w.fail(FaultReason.PASID_TABLE_ACCESS_ERR, "PASID table at 0x%x: %s", d.tablePtr(), e.getMessage());
            return null;
        }
        PasidEntry p = PasidEntry.decode(q);
        fpd |= p.fpd();
        w.fpd = fpd;
        if (!p.p()) {
            w.fail(FaultReason.PASID_ENTRY_P, "PASID entry %d of %04x not present", pasid, sid);
            return null;
        }
        String invalid = check(p, q);
        if (invalid != null) {
            w.fail(FaultReason.PASID_TABLE_ENTRY_INV, "PASID entry %d of %04x: %s", pasid, sid, invalid);
            return null;
        }
        return new TranslationContext(sid, pasid, p.did(), p.pgtt(), SsPte.levelsForAw(p.aw()), p.ssptptr(),
                FsPte.levelsForFspm(p.fspm()), p.fsptptr(), p.sre(), p.wpe(), p.eafe(), p.ssade(), fpd, c.pre(), false);
    }

    /** What is wrong with a present scalable-mode context entry without reserved bits, or null. */
    String check(ScalableContextEntry c) {
        if (c.dte() && !caps.dt()) {
            return "DTE set but ECAP.DT is clear";
        }
        if (c.pre() && !caps.prs()) {
            return "PRE set but ECAP.PRS is clear";
        }
        return null;
    }

    /** What is wrong with a present legacy context entry without reserved bits, or null. */
    String check(LegacyContextEntry c) {
        if (c.tt() == 3 || (c.tt() == LegacyContextEntry.TT_DEV_IOTLB && !caps.dt())
                || (c.tt() == LegacyContextEntry.TT_PASS_THROUGH && !caps.pt())) {
            return "TT " + c.tt() + " is not supported";
        }
        if (c.tt() != LegacyContextEntry.TT_PASS_THROUGH && !caps.supportsAw(c.aw())) {
            return String.format("AW %d is not in SAGAW 0x%x", c.aw(), caps.sagaw());
        }
        if (c.did() >= caps.domains()) {
            return "DID " + c.did() + " beyond ND";
        }
        return null;
    }

    /** What is wrong with a present PASID entry, or null. */
    String check(PasidEntry p, long[] q) {
        long rsvd = PasidEntry.reservedBits(q, haw);
        if (rsvd != 0) {
            return String.format("reserved bits set (0x%x)", rsvd);
        }
        switch (p.pgtt()) {
        case PasidEntry.PGTT_FIRST_STAGE:
            if (!caps.fsts()) return "PGTT first-stage but ECAP.FSTS is clear";
            break;
        case PasidEntry.PGTT_SECOND_STAGE:
            if (!caps.ssts()) return "PGTT second-stage but ECAP.SSTS is clear";
            break;
        case PasidEntry.PGTT_NESTED:
            if (!caps.nest()) return "PGTT nested but ECAP.NEST is clear";
            break;
        case PasidEntry.PGTT_PASS_THROUGH:
            if (!caps.pt()) return "PGTT pass-through but ECAP.PT is clear";
            break;
        default:
            return "PGTT " + p.pgtt() + " is reserved";
        }
        if ((p.pgtt() == PasidEntry.PGTT_SECOND_STAGE || p.pgtt() == PasidEntry.PGTT_NESTED) && !caps.supportsAw(p.aw())) {
            return String.format("AW %d is not in SAGAW 0x%x", p.aw(), caps.sagaw());
        }
        if (p.pgtt() == PasidEntry.PGTT_FIRST_STAGE || p.pgtt() == PasidEntry.PGTT_NESTED) {
            if (p.fspm() > 1 || (p.fspm() == 1 && !caps.fl5lp())) {
                return "FSPM " + p.fspm() + " is not supported";
            }
            if (p.sre() && !caps.srs()) return "SRE set but ECAP.SRS is clear";
            if (p.eafe() && !caps.eafs()) return "EAFE set but ECAP.EAFS is clear";
        }
        if (p.ssade() && !caps.ssads()) {
            return "SSADE set but ECAP.SSADS is clear";
        }
        if (p.did() >= caps.domains()) {
            return "DID " + p.did() + " beyond ND";
        }
        return null;
    }
}
