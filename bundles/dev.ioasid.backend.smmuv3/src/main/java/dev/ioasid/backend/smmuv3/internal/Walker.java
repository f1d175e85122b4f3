package dev.ioasid.backend.smmuv3.internal;

import dev.ioasid.backend.smmuv3.internal.Lpae.Granule;
import dev.ioasid.machine.Access;
import dev.ioasid.machine.BusError;
import dev.ioasid.machine.PhysicalMemory;

/**
 * The SMMU's table walker over simulated memory: a VMSAv8-64 stage 1 walk (whose table addresses are IPAs
 * translated by stage 2 when nested) and a stage 2 walk, with the checks and faults of the architecture:
 * F_TRANSLATION, F_ADDR_SIZE, F_ACCESS (or the Access flag set when HA), F_PERMISSION (or the dirty state set
 * through DBM when HD), F_WALK_EABT. Every loop is bounded by the number of levels; guest garbage gives a fault.
 */
final class Walker {
    /** How often a descriptor update is retried when another agent changes the descriptor meanwhile. */
    private static final int CAS_TRIES = 64;

    /** Stage 2 walk parameters, from the STE. */
    record S2Cfg(Granule granule, int ias, int oas, int startLevel, int startBits, long ttb, int vmid, boolean ha, boolean hd,
            boolean record, boolean stall) {
        /** The aligned base of the (possibly concatenated) start table. */
        long tableBase() {
            long bytes = Math.max(8L << startBits, 8);
            return ttb & -bytes;
        }
    }

    /** Stage 1 walk parameters of one context, from the CD. */
    record S1Cfg(Granule granule, int vaBits, int oas, int startLevel, long ttb, int asid, boolean epd0, boolean tbi0, boolean ha,
            boolean hd, boolean record, boolean stall) {
        int startBits() {
            return vaBits - granule.levelShift(startLevel);
        }
    }

    /** The outcome of a walk: a leaf, or a fault with the fields of its event record. */
    static final class Out {
        long oa;
        int shift;
        int level;
        /** allowed {@link Access} bits for unprivileged and for privileged requests (R, W, X) */
        int allowUnpriv;
        int allowPriv;
        boolean global;
        // fault
        int event;
        boolean s2;
        int clazz;
        long ipa;
        long fetchAddr;

        boolean faulted() {
            return event != 0;
        }

        void reset() {
            oa = 0;
            shift = 0;
            level = 0;
            allowUnpriv = 0;
            allowPriv = 0;
            global = false;
            event = 0;
            s2 = false;
            clazz = 0;
            ipa = 0;
            fetchAddr = 0;
        }

        private Out fault(int ev, boolean stage2, int cls, long ipaOrZero, int lvl) {
            event = ev;
            s2 = stage2;
            clazz = cls;
            ipa = ipaOrZero;
            level = lvl;
            return this;
        }
    }

    private final PhysicalMemory memory;

    Walker(PhysicalMemory memory) {
        this.memory = memory;
    }

    private static int rights(int access) {
        return access & (Access.READ | Access.WRITE | Access.EXEC);
    }

    private long index(long input, Granule g, int level, int bits) {
        return (input >>> g.levelShift(level)) & ((1L << bits) - 1);
    }

    // ---------------------------------------------------------------- stage 2

    /**
     * Translates an IPA at stage 2. {@code clazz} says what for (CD fetch, S1 table walk, the input) and goes into
     * the event of a fault. On success {@code out} has the leaf; permissions are checked against {@code access}.
     */
    Out walkS2(S2Cfg c, long ipa, int access, int clazz, Out out) {
        out.reset();
        Granule g = c.granule();
        if (ipa < 0 || (c.ias() < 64 && ipa >>> c.ias() != 0)) {
            return out.fault(EventRecord.F_TRANSLATION, true, clazz, ipa, c.startLevel());
        }
        if (c.ttb() >>> c.oas() != 0) {
            return out.fault(EventRecord.F_ADDR_SIZE, true, clazz, ipa, c.startLevel());
        }
        long table = c.tableBase();
        for (int level = c.startLevel(); level <= 3; level++) {
            int bits = level == c.startLevel() ? c.startBits() : g.bits;
            long slot = table + 8 * index(ipa, g, level, bits);
            long desc;
            try {
                desc = memory.load64(slot);
            } catch (BusError e) {
                out.fault(EventRecord.F_WALK_EABT, true, clazz, ipa, level);
                out.fetchAddr = slot;
                return out;
            }
            if (!Lpae.isValid(desc) || (level == 3 && (desc & Lpae.TABLE) == 0)) {
                return out.fault(EventRecord.F_TRANSLATION, true, clazz, ipa, level);
            }
            boolean leaf = level == 3 || (desc & Lpae.TABLE) == 0;
            if (leaf && !g.leafAllowed(level)) {
                return out.fault(EventRecord.F_TRANSLATION, true, clazz, ipa, level);
            }
            long oa = Lpae.outputAddress(desc, g);
            if (oa >>> c.oas() != 0) {
                return out.fault(EventRecord.F_ADDR_SIZE, true, clazz, ipa, level);
            }
            if (!leaf) {
                table = oa & -g.pageSize();
                continue;
            }
            return s2Leaf(c, slot, desc, level, ipa, access, clazz, out);
        }
        return out.fault(EventRecord.F_TRANSLATION, true, clazz, ipa, 3);
    }

    private Out s2Leaf(S2Cfg c, long slot, long desc, int level, long ipa, int access, int clazz, Out out) {
        Granule g = c.granule();
        for (int tries = 0; tries < CAS_TRIES; tries++) {
            if ((desc & Lpae.AF) == 0) {
                if (!c.ha()) {
                    return out.fault(EventRecord.F_ACCESS, true, clazz, ipa, level);
                }
                long upd = desc | Lpae.AF;
                if (!memory.compareAndSet64(slot, desc, upd)) {
                    desc = memory.load64(slot);
                    if (!Lpae.isValid(desc)) {
                        return out.fault(EventRecord.F_TRANSLATION, true, clazz, ipa, level);
                    }
                    continue;
                }
                desc = upd;
            }
            boolean r = (desc & Lpae.S2AP_READ) != 0;
            boolean w = (desc & Lpae.S2AP_WRITE) != 0;
            boolean x = (desc & Lpae.UXN) == 0;
            if ((access & Access.WRITE) != 0 && !w && (desc & Lpae.DBM) != 0 && c.hd()) {
                long upd = desc | Lpae.S2AP_WRITE;
                if (!memory.compareAndSet64(slot, desc, upd)) {
                    desc = memory.load64(slot);
                    if (!Lpae.isValid(desc)) {
                        return out.fault(EventRecord.F_TRANSLATION, true, clazz, ipa, level);
                    }
                    continue;
                }
                desc = upd;
                w = true;
            }
            int allowed = (r ? Access.READ : 0) | (w ? Access.WRITE : 0) | (x ? Access.EXEC : 0);
            if ((rights(access) & ~allowed) != 0) {
                return out.fault(EventRecord.F_PERMISSION, true, clazz, ipa, level);
            }
            int shift = g.levelShift(level);
            out.oa = Lpae.outputAddress(desc, g) & -(1L << shift);
            out.shift = shift;
            out.level = level;
            out.allowUnpriv = allowed;
            out.allowPriv = allowed;
            out.global = true;
            return out;
        }
        return out.fault(EventRecord.F_TRANSLATION, true, clazz, ipa, level);
    }

    // ---------------------------------------------------------------- stage 1

    /**
     * Translates a VA at stage 1 of a context. With {@code s2} non-null (nested), every table address is an IPA
     * translated at stage 2 first, and the output is an IPA. {@code access} carries PRIV for privileged requests.
     */
    Out walkS1(S1Cfg c, long va, int access, S2Cfg s2, Out out) {
        out.reset();
        Granule g = c.granule();
        long input = c.tbi0() ? va & 0x00ff_ffff_ffff_ffffL : va;
        if (input < 0 || input >>> c.vaBits() != 0 || c.epd0()) {
            return out.fault(EventRecord.F_TRANSLATION, false, 0, 0, c.startLevel());
        }
        if (c.ttb() >>> c.oas() != 0) {
            return out.fault(EventRecord.F_ADDR_SIZE, false, 0, 0, c.startLevel());
        }
        int startBits = c.startBits();
        long table = c.ttb() & -Math.max(8L << startBits, 8);
        boolean noEl0 = false;
        boolean roTable = false;
        boolean uxnTable = false;
        boolean pxnTable = false;
        Out tmp = s2 == null ? null : new Out();
        for (int level = c.startLevel(); level <= 3; level++) {
            int bits = level == c.startLevel() ? startBits : g.bits;
            long slotIpa = table + 8 * index(input, g, level, bits);
            long slot = slotIpa;
            if (s2 != null) {
                walkS2(s2, slotIpa, Access.READ, EventRecord.CLASS_TT, tmp);
                if (tmp.faulted()) {
                    return copyS2Fault(tmp, out);
                }
                slot = tmp.oa + (slotIpa & ((1L << tmp.shift) - 1));
            }
            long desc;
            try {
                desc = memory.load64(slot);
            } catch (BusError e) {
                out.fault(EventRecord.F_WALK_EABT, false, 0, 0, level);
                out.fetchAddr = slot;
                return out;
            }
            if (!Lpae.isValid(desc) || (level == 3 && (desc & Lpae.TABLE) == 0)) {
                return out.fault(EventRecord.F_TRANSLATION, false, 0, 0, level);
            }
            boolean leaf = level == 3 || (desc & Lpae.TABLE) == 0;
            if (leaf && !g.leafAllowed(level)) {
                return out.fault(EventRecord.F_TRANSLATION, false, 0, 0, level);
            }
            long oa = Lpae.outputAddress(desc, g);
            if (oa >>> c.oas() != 0) {
                return out.fault(EventRecord.F_ADDR_SIZE, false, 0, 0, level);
            }
            if (!leaf) {
                noEl0 |= (desc & Lpae.AP_TABLE_NO_EL0) != 0;
                roTable |= (desc & Lpae.AP_TABLE_RDONLY) != 0;
                uxnTable |= (desc & Lpae.UXN_TABLE) != 0;
                pxnTable |= (desc & Lpae.PXN_TABLE) != 0;
                table = oa & -g.pageSize();
                continue;
            }
            return s1Leaf(c, slotIpa, slot, desc, level, access, s2, tmp, noEl0, roTable, uxnTable, pxnTable, out);
        }
        return out.fault(EventRecord.F_TRANSLATION, false, 0, 0, 3);
    }

    private static Out copyS2Fault(Out s2, Out out) {
        out.event = s2.event;
        out.s2 = true;
        out.clazz = s2.clazz;
        out.ipa = s2.ipa;
        out.level = s2.level;
        out.fetchAddr = s2.fetchAddr;
        return out;
    }

    /** A hardware update of a stage 1 descriptor; when nested its page must be writable at stage 2. */
    private boolean s2AllowsUpdate(S2Cfg s2, long slotIpa, Out tmp, Out out) {
        if (s2 == null) {
            return true;
        }
        walkS2(s2, slotIpa, Access.WRITE, EventRecord.CLASS_TT, tmp);
        if (tmp.faulted()) {
            copyS2Fault(tmp, out);
            return false;
        }
        return true;
    }

    private Out s1Leaf(S1Cfg c, long slotIpa, long slot, long desc, int level, int access, S2Cfg s2, Out tmp, boolean noEl0,
            boolean roTable, boolean uxnTable, boolean pxnTable, Out out) {
        Granule g = c.granule();
        boolean priv = (access & Access.PRIV) != 0;
        for (int tries = 0; tries < CAS_TRIES; tries++) {
            if ((desc & Lpae.AF) == 0) {
                if (!c.ha()) {
                    return out.fault(EventRecord.F_ACCESS, false, 0, 0, level);
                }
                if (!s2AllowsUpdate(s2, slotIpa, tmp, out)) {
                    return out;
                }
                long upd = desc | Lpae.AF;
                if (!memory.compareAndSet64(slot, desc, upd)) {
                    desc = memory.load64(slot);
                    if (!Lpae.isValid(desc)) {
                        return out.fault(EventRecord.F_TRANSLATION, false, 0, 0, level);
                    }
                    continue;
                }
                desc = upd;
            }
            boolean el0 = (desc & Lpae.AP_UNPRIV) != 0 && !noEl0;
            boolean ro = (desc & Lpae.AP_RDONLY) != 0 || roTable;
            boolean writableClean = (desc & Lpae.AP_RDONLY) != 0 && (desc & Lpae.DBM) != 0 && !roTable;
            boolean wantWrite = (access & Access.WRITE) != 0;
            if (wantWrite && writableClean && c.hd() && (priv || el0)) {
                if (!s2AllowsUpdate(s2, slotIpa, tmp, out)) {
                    return out;
                }
                long upd = desc & ~Lpae.AP_RDONLY;
                if (!memory.compareAndSet64(slot, desc, upd)) {
                    desc = memory.load64(slot);
                    if (!Lpae.isValid(desc)) {
                        return out.fault(EventRecord.F_TRANSLATION, false, 0, 0, level);
                    }
                    continue;
                }
                desc = upd;
                ro = roTable;
            }
            int unpriv = el0 ? Access.READ | (ro ? 0 : Access.WRITE) | ((desc & Lpae.UXN) == 0 && !uxnTable ? Access.EXEC : 0) : 0;
            int privAllowed = Access.READ | (ro ? 0 : Access.WRITE) | ((desc & Lpae.PXN) == 0 && !pxnTable ? Access.EXEC : 0);
            int allowed = priv ? privAllowed : unpriv;
            if ((rights(access) & ~allowed) != 0) {
                return out.fault(EventRecord.F_PERMISSION, false, 0, 0, level);
            }
            int shift = g.levelShift(level);
            out.oa = Lpae.outputAddress(desc, g) & -(1L << shift);
            out.shift = shift;
            out.level = level;
            out.allowUnpriv = unpriv;
            out.allowPriv = privAllowed;
            out.global = (desc & Lpae.NG) == 0;
            return out;
        }
        return out.fault(EventRecord.F_TRANSLATION, false, 0, 0, level);
    }
}
