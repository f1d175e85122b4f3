package dev.ioasid.backend.vtd.internal;

import dev.ioasid.machine.Access;
import dev.ioasid.machine.BusError;
import dev.ioasid.machine.PhysicalMemory;

/**
 * The page walks of the hardware: second-stage only, first-stage only, nested (every first-stage table pointer
 * and the final guest-physical address go through the second stage), and pass-through, with the permission
 * checks (R/W, U/S against supervisor requests, XD against execute requests, WPE, SRE), the canonical and
 * address-width checks, reserved bits, and A/D updates (first stage always, second stage with SSADE).
 * <p>
 * The tables may be guest garbage: every memory access that fails is the matching access fault, every loop
 * runs at most five levels (A/D updates retry a bounded number of times), and nothing throws.
 */
final class PageWalker {
    static final long INTERRUPT_FIRST = 0xfee0_0000L;
    static final long INTERRUPT_LAST = 0xfeef_ffffL;
    private static final int AD_RETRIES = 8;
    private static final int RWX = Access.READ | Access.WRITE | Access.EXEC;

    private final PhysicalMemory memory;
    private final Capabilities caps;
    private final int haw;

    PageWalker(PhysicalMemory memory, Profile profile) {
        this.memory = memory;
        this.caps = profile.caps();
        this.haw = profile.haw();
    }

    /** Walks for {@code w.iova}; fills the page, its rights and dirtiness, or the fault. */
    boolean translate(Walk w, TranslationContext tc) {
        switch (tc.pgtt()) {
        case PasidEntry.PGTT_PASS_THROUGH:
            return passThrough(w);
        case PasidEntry.PGTT_SECOND_STAGE:
            return secondStageOnly(w, tc);
        case PasidEntry.PGTT_FIRST_STAGE:
            return firstStage(w, tc, false);
        case PasidEntry.PGTT_NESTED:
            return firstStage(w, tc, true);
        default:
            return w.fail(FaultReason.PASID_TABLE_ENTRY_INV, "PGTT %d", tc.pgtt());
        }
    }

    private boolean passThrough(Walk w) {
        if (haw < 64 && w.iova >>> haw != 0) {
            return w.fail(FaultReason.ADDR_BEYOND_MGAW, "pass-through address 0x%x is above the %d-bit host address width", w.iova, haw);
        }
        w.physBase = w.iova & -4096L;
        w.shift = 12;
        w.userRights = RWX;
        w.privRights = RWX;
        w.dirty = true;
        return true;
    }

    private boolean secondStageOnly(Walk w, TranslationContext tc) {
        if (!secondStage(w, tc, w.iova, (w.access & Access.WRITE) != 0)) {
            return false;
        }
        w.physBase = w.ssPhys;
        w.shift = w.ssShift;
        int rights = (w.ssRead ? Access.READ | Access.EXEC : 0) | (w.ssWrite ? Access.WRITE : 0);
        w.userRights = rights;
        w.privRights = rights;
        w.dirty = w.ssDirty;
        return true;
    }

    /**
     * Translates an address through the second stage: the request's address (second-stage only), a first-stage
     * table pointer or the final guest-physical address (nested). Fills {@code w.ss*}.
     */
    boolean secondStage(Walk w, TranslationContext tc, long gpa, boolean write) {
        int levels = tc.ssLevels();
        int width = 12 + 9 * levels;
        if (gpa >>> width != 0) {
            return w.fail(FaultReason.ADDR_BEYOND_MGAW, "address 0x%x is above the %d-bit second stage", gpa, width);
        }
        long table = tc.ssptptr() & SsPte.ADDR;
        boolean r = true;
        boolean wr = true;
        for (int level = levels; level >= 1; level--) {
            long slot = table + 8L * SsPte.index(gpa, level);
            long pte;
            try {
                pte = memory.load64(slot);
            } catch (BusError e) {
                return w.fail(FaultReason.PAGING_ENTRY_INV, "second-stage table at level %d: %s", level, e.getMessage());
            }
            if (!SsPte.present(pte)) {
                return w.failRecoverable(write ? FaultReason.WRITE : FaultReason.READ,
                        "second-stage entry for 0x%x at level %d is not present", gpa, level);
            }
            boolean leaf = level == 1 || (pte & SsPte.PS) != 0;
            long rsvd = ssReserved(pte, level, leaf);
            if (rsvd != 0) {
                return w.fail(FaultReason.PAGING_ENTRY_RSVD, "second-stage entry 0x%x at level %d: reserved bits 0x%x", pte, level, rsvd);
            }
            r &= (pte & SsPte.R) != 0;
            wr &= (pte & SsPte.W) != 0;
            if (tc.ssade() && (pte & SsPte.A) == 0 && !setBits(slot, pte, SsPte.A, false)) {
                return w.fail(FaultReason.PAGING_ENTRY_INV, "second-stage A update at level %d failed", level);
            }
            if (leaf) {
                if (!write && !r) {
                    return w.failRecoverable(FaultReason.READ, "second stage denies reads of 0x%x", gpa);
                }
                if (write && !wr) {
                    return w.failRecoverable(FaultReason.WRITE, "second stage denies writes to 0x%x", gpa);
                }
                boolean dirty = !tc.ssade() || (pte & SsPte.D) != 0;
                if (write && tc.ssade() && (pte & SsPte.D) == 0) {
                    if (!setBits(slot, pte | SsPte.A, SsPte.D, false)) {
                        return w.fail(FaultReason.PAGING_ENTRY_INV, "second-stage D update failed");
                    }
                    dirty = true;
                }
                int shift = SsPte.shift(level);
                w.ssPhys = pte & SsPte.ADDR & -(1L << shift);
                w.ssShift = shift;
                w.ssRead = r;
                w.ssWrite = wr;
                w.ssDirty = dirty;
                return true;
            }
            table = pte & SsPte.ADDR;
        }
        return w.fail(FaultReason.PAGING_ENTRY_INV, "second-stage walk ran out of levels");
    }

    /** Reserved bits of a present second-stage entry. */
    long ssReserved(long pte, int level, boolean leaf) {
        long r = haw < 52 ? pte & Bits.mask(51, haw) : 0;
        if (!caps.sc()) {
            r |= pte & SsPte.SNP;
        }
        if (!caps.dt()) {
            r |= pte & SsPte.TM;
        }
        if (level >= 2 && (pte & SsPte.PS) != 0 && !caps.ssLeafAt(level)) {
            r |= SsPte.PS;
        }
        if (leaf && level > 1) {
            r |= pte & Bits.mask(SsPte.shift(level) - 1, 12);
        }
        return r;
    }

    private boolean firstStage(Walk w, TranslationContext tc, boolean nested) {
        int levels = tc.fsLevels();
        long va = w.iova;
        if (!FsPte.canonical(va, levels)) {
            return w.fail(FaultReason.FS_NON_CANONICAL, "0x%x is not canonical for %d-level paging", va, levels);
        }
        boolean priv = (w.access & Access.PRIV) != 0;
        boolean write = (w.access & Access.WRITE) != 0;
        boolean exec = (w.access & Access.EXEC) != 0;
        if (priv && !tc.sre()) {
            return w.fail(FaultReason.FS_PRIVILEGE, "supervisor request while SRE is clear");
        }
        long table = tc.fsptptr() & FsPte.ADDR;
        boolean rw = true;
        boolean us = true;
        boolean xd = false;
        long setOnWalk = FsPte.A | (tc.eafe() ? FsPte.EA : 0);
        for (int level = levels; level >= 1; level--) {
            long entry = table + 8L * (int) ((va >>> (12 + 9 * (level - 1))) & 511);
            long hpa = entry;
            boolean writable = true;
            if (nested) {
                if (!secondStage(w, tc, entry, false)) {
                    w.recoverable = false;
                    return false;
                }
                hpa = w.ssPhys | (entry & ((1L << w.ssShift) - 1));
                writable = w.ssWrite;
            }
            long pte;
            try {
                pte = memory.load64(hpa);
            } catch (BusError e) {
                return w.fail(level == levels ? FaultReason.PASID_ENTRY_FSPTPTR_INV : FaultReason.FS_PAGING_ENTRY_INV,
                        "first-stage table at level %d (0x%x): %s", level, entry, e.getMessage());
            }
            if ((pte & FsPte.P) == 0) {
                return w.failRecoverable(FaultReason.FS_PAGING_ENTRY_P, "first-stage entry for 0x%x at level %d is not present", va, level);
            }
            boolean leaf = level == 1 || (pte & FsPte.PS) != 0;
            long rsvd = fsReserved(pte, level, leaf);
            if (rsvd != 0) {
                return w.fail(FaultReason.FS_PAGING_ENTRY_RSVD, "first-stage entry 0x%x at level %d: reserved bits 0x%x", pte, level, rsvd);
            }
            rw &= (pte & FsPte.RW) != 0;
            us &= (pte & FsPte.US) != 0;
            xd |= (pte & FsPte.XD) != 0;
            if ((pte & setOnWalk) != setOnWalk) {
                if (!writable || !setBits(hpa, pte, setOnWalk, true)) {
                    return w.fail(FaultReason.FS_BIT_UPDATE_FAILED, "first-stage A update at level %d (0x%x)%s", level, entry,
                            writable ? "" : ": the second stage maps the table read-only");
                }
                pte |= setOnWalk;
            }
            if (!leaf) {
                table = pte & FsPte.ADDR;
                continue;
            }
            if (!priv && !us) {
                return w.fail(FaultReason.FS_PAGING_ENTRY_US, "user request to supervisor page 0x%x", va);
            }
            if (write && !rw && (!priv || tc.wpe())) {
                return w.failRecoverable(FaultReason.SM_WRITE, "first stage maps 0x%x read-only%s", va,
                        priv ? " and WPE is set" : "");
            }
            if (exec && xd) {
                return w.fail(FaultReason.FS_EXECUTE, "execute request to 0x%x, XD set", va);
            }
            boolean dirty = (pte & FsPte.D) != 0;
            if (write && !dirty) {
                if (!writable || !setBits(hpa, pte, FsPte.D, true)) {
                    return w.fail(FaultReason.FS_BIT_UPDATE_FAILED, "first-stage D update (0x%x)%s", entry,
                            writable ? "" : ": the second stage maps the table read-only");
                }
                dirty = true;
            }
            int shift = 12 + 9 * (level - 1);
            long out = pte & FsPte.ADDR & -(1L << shift);
            int user = us ? Access.READ | (rw ? Access.WRITE : 0) | (xd ? 0 : Access.EXEC) : 0;
            int sup = tc.sre() ? Access.READ | (rw || !tc.wpe() ? Access.WRITE : 0) | (xd ? 0 : Access.EXEC) : 0;
            if (!nested) {
                w.physBase = out;
                w.shift = shift;
                w.userRights = user;
                w.privRights = sup;
                w.dirty = dirty;
                return true;
            }
            long gpa = out | (va & ((1L << shift) - 1));
            if (!secondStage(w, tc, gpa, write)) {
                w.recoverable = false;
                return false;
            }
            int ssRights = (w.ssRead ? Access.READ | Access.EXEC : 0) | (w.ssWrite ? Access.WRITE : 0);
            int combined = Math.min(shift, w.ssShift);
            w.physBase = (w.ssPhys | (gpa & ((1L << w.ssShift) - 1))) & -(1L << combined);
            w.shift = combined;
            w.userRights = user & ssRights;
            w.privRights = sup & ssRights;
            w.dirty = dirty && w.ssDirty;
            return true;
        }
        return w.fail(FaultReason.FS_PAGING_ENTRY_INV, "first-stage walk ran out of levels");
    }

    /** Reserved bits of a present first-stage entry (bit 12 of a large leaf is PAT). */
    long fsReserved(long pte, int level, boolean leaf) {
        long r = haw < 52 ? pte & Bits.mask(51, haw) : 0;
        if (level >= 2 && (pte & FsPte.PS) != 0 && !caps.fsLeafAt(level)) {
            r |= FsPte.PS;
        }
        if (leaf && level > 1) {
            r |= pte & Bits.mask(12 + 9 * (level - 1) - 1, 13);
        }
        return r;
    }

    /** Sets A/D bits atomically, as hardware does; false when the entry went away or kept changing. */
    private boolean setBits(long addr, long seen, long bits, boolean firstStage) {
        long e = seen;
        for (int i = 0; i < AD_RETRIES; i++) {
            if ((e & bits) == bits) {
                return true;
            }
            if (firstStage ? (e & FsPte.P) == 0 : !SsPte.present(e)) {
                return false;
            }
            try {
                if (memory.compareAndSet64(addr, e, e | bits)) {
                    return true;
                }
                e = memory.load64(addr);
            } catch (BusError ex) {
                return false;
            }
        }
        return false;
    }

    /** Whether [first, last] touches the interrupt address range 0xFEEx_xxxx. */
    static boolean touchesInterruptRange(long first, long last) {
        return Long.compareUnsigned(first, INTERRUPT_LAST) <= 0 && Long.compareUnsigned(INTERRUPT_FIRST, last) <= 0;
    }
}
