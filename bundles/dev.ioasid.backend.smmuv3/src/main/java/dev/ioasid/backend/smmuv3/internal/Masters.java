package dev.ioasid.backend.smmuv3.internal;

import java.util.ArrayList;
import java.util.List;
import java.util.TreeMap;
import java.util.concurrent.atomic.AtomicReferenceArray;

import dev.ioasid.api.Errno;
import dev.ioasid.api.IommuException;
import dev.ioasid.machine.Access;
import dev.ioasid.machine.FrameAllocator;
import dev.ioasid.machine.PciDevice;
import dev.ioasid.spi.Domain;

/**
 * The driver's devices (Linux's arm_smmu_master) and what it writes for them, as arm_smmu_attach_dev and
 * arm_smmu_set_pasid do: a stage 1 domain at the RID is CD 0 of the device's CD table with S1DSS substream 0; a
 * stage 1 domain at a PASID is the CD of that SubstreamID (the RID, if blocked, then terminates: S1DSS
 * terminate); a stage 2 or nested domain is the STE itself and leaves no room for PASIDs. Every STE or CD change
 * is followed by its CFGI and a CMD_SYNC. Guarded by the unit's lock, except {@link #get}, the hot path's.
 */
final class Masters {

    /** One device behind the unit. */
    static final class Master {
        final PciDevice device;
        final int sid;
        /** S1CDMax: SubstreamID bits of the device's CD table */
        final int cdBits;
        /** the device can stall (dma-can-stall) and the SMMU can stall it */
        final boolean canStall;
        final boolean ats;
        Domain rid;
        final TreeMap<Integer, SmmuDomain> pasids = new TreeMap<>();
        CdTable cdTable;
        volatile boolean priEnabled;

        Master(PciDevice device, Profile p) {
            this.device = device;
            this.sid = device.rid();
            this.cdBits = Math.min(device.caps().pasidWidth(), p.ssidSize());
            this.canStall = "1".equals(device.property("stall", "0")) && p.stallModel() != Profile.TERMINATE_ONLY;
            this.ats = device.caps().ats() && p.ats();
        }
    }

    private final Smmuv3Unit unit;
    private final Smmu smmu;
    private final Profile profile;
    private final FrameAllocator frames;
    private final StreamTable streamTable;
    private final AtomicReferenceArray<Master> bySid = new AtomicReferenceArray<>(1 << 16);

    Masters(Smmuv3Unit unit, Smmu smmu, FrameAllocator frames) {
        this.unit = unit;
        this.smmu = smmu;
        this.profile = smmu.profile;
        this.frames = frames;
        this.streamTable = new StreamTable(smmu, frames);
    }

    StreamTable streamTable() {
        return streamTable;
    }

    /** A device found behind the unit: its stream is addressable and aborts until attached. */
    void probe(PciDevice device) {
        Master m = new Master(device, profile);
        bySid.set(m.sid, m);
        streamTable.probe(m.sid);
    }

    /** The master of a StreamID, or null. Lock-free: the translation path uses it. */
    Master get(int sid) {
        return sid >= 0 && sid < bySid.length() ? bySid.get(sid) : null;
    }

    /** @throws IommuException EINVAL for a device that is not behind this unit */
    Master of(PciDevice device) {
        Master m = device.unit().equals(unit.description().id()) ? get(device.rid()) : null;
        if (m == null || !m.device.address().equals(device.address())) {
            throw IommuException.of(Errno.EINVAL, "device %s is not behind %s", device.address(), unit.description().id());
        }
        return m;
    }

    // ---------------------------------------------------------------- STEs and CDs

    /** The stage 2 fields of an STE for a stage 2 domain. */
    static void s2Fields(Ste.Builder b, SmmuDomain d) {
        LpaePageTable.Config c = d.table.config;
        b.S2VMID(d.vmid()).S2T0SZ(64 - c.ias()).S2SL0(Lpae.sl0(c.granule(), c.startLevel())).S2IR0(1).S2OR0(1).S2SH0(3)
                .S2TG(c.granule().s2tg).S2PS(Lpae.psEncoding(c.oas())).S2AA64(true).S2R(true)
                .S2HA(d.dirtyCapable).S2HD(d.dirtyCapable).S2TTB(d.table.root);
    }

    private Ste s2Ste(Master m, SmmuDomain d) {
        Ste.Builder b = new Ste.Builder().V(true).Config(Ste.CONFIG_S2).EATS(m.ats ? Ste.EATS_TRANS : 0);
        s2Fields(b, d);
        return b.build();
    }

    private Ste cdTableSte(Master m, int s1dss) {
        return new Ste.Builder().V(true).Config(Ste.CONFIG_S1).S1Fmt(m.cdTable.s1Fmt()).S1ContextPtr(m.cdTable.base).S1CDMax(m.cdBits)
                .S1DSS(s1dss).S1CIR(1).S1COR(1).S1CSH(3).S1STALLD(!m.canStall && profile.stallModel() != Profile.TERMINATE_ONLY)
                .EATS(m.ats ? Ste.EATS_TRANS : 0).build();
    }

    /** The CD of a stage 1 domain, as arm_smmu_make_s1_cd writes it (HA and HD for dirty tracking). */
    private static Cd cd(Master m, SmmuDomain d) {
        LpaePageTable.Config c = d.table.config;
        return new Cd.Builder().T0SZ(64 - c.ias()).TG0(c.granule().tg0).IRGN0(1).ORGN0(1).SH0(3).EPD1(true).V(true)
                .IPS(Lpae.psEncoding(c.oas())).AA64(true).R(true).A(true).ASET(true).S(m.canStall && d.iopf())
                .HA(d.dirtyCapable).HD(d.dirtyCapable).ASID(d.asid()).TTB0(d.table.root).MAIR(0x0404ff44L).build();
    }

    private void installSte(Master m, Ste ste) {
        streamTable.write(m.sid, ste);
        unit.issue(List.of(Commands.cfgiSte(m.sid, false)));
    }

    private void installCd(Master m, int ssid, Cd cd) {
        m.cdTable.write(ssid, cd);
        unit.issue(List.of(Commands.cfgiCd(m.sid, ssid, true)));
    }

    private void clearCd(Master m, int ssid) {
        m.cdTable.clear(ssid);
        unit.issue(List.of(Commands.cfgiCd(m.sid, ssid, true)));
    }

    private void ensureCdTable(Master m) {
        if (m.cdTable == null) {
            m.cdTable = new CdTable(smmu, frames, m.cdBits);
        }
    }

    /** Frees the CD table; the STE no longer points at it. */
    private static void releaseCdTable(Master m) {
        if (m.cdTable != null) {
            m.cdTable.free();
            m.cdTable = null;
        }
    }

    private static boolean isStage1(Domain d) {
        return d instanceof SmmuDomain && !((SmmuDomain) d).stage2;
    }

    // ---------------------------------------------------------------- attach and detach

    void attach(Master m, int pasid, Domain domain) {
        if (pasid == Access.NO_PASID) {
            attachRid(m, domain);
        } else {
            attachPasid(m, pasid, domain);
        }
        updatePri(m);
    }

    private void attachRid(Master m, Domain domain) {
        if (isStage1(domain)) {
            boolean hadTable = m.cdTable != null;
            ensureCdTable(m);
            installCd(m, 0, cd(m, (SmmuDomain) domain));
            if (!hadTable || !isStage1(m.rid)) {
                installSte(m, cdTableSte(m, Ste.S1DSS_SSID0));
            }
        } else {
            if (!m.pasids.isEmpty()) {
                throw IommuException.of(Errno.EINVAL, "%s has PASIDs attached: its RID needs a stage 1 domain", m.device.address());
            }
            installSte(m, domain instanceof SmmuNestedDomain ? ((SmmuNestedDomain) domain).ste(m.canStall, m.ats) : s2Ste(m, (SmmuDomain) domain));
            releaseCdTable(m);
        }
        m.rid = domain;
    }

    private void attachPasid(Master m, int pasid, Domain domain) {
        if (pasid <= 0 || pasid >= 1 << m.cdBits) {
            throw IommuException.of(Errno.EINVAL, "%s has no SubstreamID %d (S1CDMax %d; 0 is the RID's)", m.device.address(), pasid, m.cdBits);
        }
        if (!isStage1(domain)) {
            throw IommuException.of(Errno.EINVAL, "only a stage 1 paging domain can sit behind a PASID, not %s", domain);
        }
        if (m.rid != null && !isStage1(m.rid)) {
            throw IommuException.of(Errno.EINVAL, "the RID of %s is on %s, whose STE has no CD table for PASIDs", m.device.address(), m.rid);
        }
        boolean hadTable = m.cdTable != null;
        ensureCdTable(m);
        installCd(m, pasid, cd(m, (SmmuDomain) domain));
        if (!hadTable) {
            installSte(m, cdTableSte(m, Ste.S1DSS_TERMINATE));
        }
        m.pasids.put(pasid, (SmmuDomain) domain);
    }

    void detach(Master m, int pasid) {
        if (pasid == Access.NO_PASID) {
            Domain old = m.rid;
            m.rid = null;
            if (!m.pasids.isEmpty()) {
                installSte(m, cdTableSte(m, Ste.S1DSS_TERMINATE));
                clearCd(m, 0);
            } else {
                installSte(m, StreamTable.abort());
                if (isStage1(old)) {
                    releaseCdTable(m);
                }
            }
        } else if (m.pasids.remove(pasid) != null) {
            if (m.pasids.isEmpty() && m.rid == null) {
                installSte(m, StreamTable.abort());
                releaseCdTable(m);
            } else {
                clearCd(m, pasid);
            }
        }
        updatePri(m);
    }

    /** PRI is enabled on a device while a domain that reports faults (FAULT_ID_VALID) is attached to it. */
    private void updatePri(Master m) {
        boolean iopf = m.rid instanceof SmmuDomain && ((SmmuDomain) m.rid).iopf()
                || m.rid instanceof SmmuNestedDomain && ((SmmuNestedDomain) m.rid).iopf();
        for (SmmuDomain d : m.pasids.values()) {
            iopf |= d.iopf();
        }
        m.priEnabled = iopf && m.device.caps().pri() && profile.pri();
    }

    /** The StreamIDs a nested domain is attached to. */
    int[] streamsOf(SmmuNestedDomain n) {
        List<Integer> out = new ArrayList<>();
        for (int i = 0; i < bySid.length(); i++) {
            Master m = bySid.get(i);
            if (m != null && m.rid == n) {
                out.add(m.sid);
            }
        }
        return out.stream().mapToInt(Integer::intValue).toArray();
    }

    /** The unit is going away: CD tables and the stream table go. */
    void free() {
        for (int i = 0; i < bySid.length(); i++) {
            Master m = bySid.get(i);
            if (m != null) {
                releaseCdTable(m);
                m.rid = null;
                m.pasids.clear();
            }
        }
        streamTable.free();
    }
}
