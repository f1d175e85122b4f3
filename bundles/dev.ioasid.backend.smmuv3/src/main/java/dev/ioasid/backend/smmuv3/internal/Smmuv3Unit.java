package dev.ioasid.backend.smmuv3.internal;

import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.BitSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicReferenceArray;
import java.util.concurrent.atomic.LongAdder;
import java.util.function.IntFunction;
import java.util.function.Predicate;

import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import dev.ioasid.api.Errno;
import dev.ioasid.api.HwInfo;
import dev.ioasid.api.HwInfoType;
import dev.ioasid.api.HwptDataType;
import dev.ioasid.api.HwptFlags;
import dev.ioasid.api.IommuException;
import dev.ioasid.api.IovaRange;
import dev.ioasid.backend.smmuv3.Smmuv3Nesting;
import dev.ioasid.backend.smmuv3.VirtualSmmu;
import dev.ioasid.backend.smmuv3.internal.Lpae.Granule;
import dev.ioasid.machine.Access;
import dev.ioasid.machine.FrameAllocator;
import dev.ioasid.machine.PciDevice;
import dev.ioasid.machine.PhysicalMemory;
import dev.ioasid.machine.Translation;
import dev.ioasid.machine.UnitDescription;
import dev.ioasid.spi.Domain;
import dev.ioasid.spi.IommuUnit;
import dev.ioasid.spi.NestedDomain;
import dev.ioasid.spi.PageRequest;
import dev.ioasid.spi.PagingDomain;
import dev.ioasid.spi.UnitEvent;
import dev.ioasid.spi.UnitHost;
import dev.ioasid.spi.UnitStats;

/**
 * One SMMUv3 unit: the device model ({@link Smmu}) and the host driver that programs it, as Linux's
 * arm-smmu-v3 does: a stream table with an abort STE for every device behind the unit, a CD table per device
 * while it uses stage 1, domains in VMSAv8-64 format, commands through the command queue, and interrupt
 * handlers that drain the event and PRI queues into {@link UnitHost}.
 * <p>
 * Unit settings (machine description or Config Admin): {@code profile=server|minimal}, {@code ssidsize},
 * {@code oas}, {@code tlb} (entries), {@code stecache}, {@code cdcache}, {@code evtq} and {@code priq} (log2 of
 * the queue entries), {@code cmdq}, {@code events} (records kept for {@link #events()}). Device settings:
 * {@code stall=1} (the device can stall, like the firmware's dma-can-stall).
 * <p>
 * Lock order: {@link #lock} (the driver) before the command queue before the SMMU's own locks. Translation
 * takes none of them.
 */
public final class Smmuv3Unit implements IommuUnit, Smmuv3Nesting {
    private static final Logger LOG = LoggerFactory.getLogger(Smmuv3Unit.class);

    /** The MSI window Linux reserves in every SMMUv3 domain (MSI_IOVA_BASE, MSI_IOVA_LENGTH). */
    public static final long MSI_IOVA_BASE = 0x0800_0000L;
    public static final long MSI_IOVA_LENGTH = 0x10_0000L;

    /** The driver's state of one device (Linux's arm_smmu_master). Guarded by the unit's lock. */
    static final class Master {
        final PciDevice device;
        final int sid;
        final int cdBits;
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

    record StallToken(int sid, int stag) {
    }

    record PriToken(int sid, int ssid, int prgi) {
    }

    private final UnitDescription description;
    private final FrameAllocator frames;
    private final Profile profile;
    final Smmu smmu;
    private final Object lock = new Object();
    private final DriverQueue queue;
    private final GuestCommands guestCommands;
    private final StreamTable streamTable;
    private final int evtqLog2;
    private final int priqLog2;
    private final long evtqBase;
    private final long evtqFrames;
    private final long priqBase;
    private final long priqFrames;
    /** masters by StreamID (= RID): the hot path reads it without locks */
    private final AtomicReferenceArray<Master> masters = new AtomicReferenceArray<>(1 << 16);
    private final Set<Domain> domains = ConcurrentHashMap.newKeySet();
    /** guarded by lock */
    private final BitSet asids = new BitSet();
    /** guarded by lock */
    private final BitSet vmids = new BitSet();
    private final Map<Integer, Predicate<byte[]>> routes = new ConcurrentHashMap<>();
    private final Object eventDrain = new Object();
    private final Object priDrain = new Object();
    /** guarded by log */
    private final ArrayDeque<UnitEvent> log = new ArrayDeque<>();
    private final int logCapacity;
    /** guarded by log */
    private long sequence;
    private final LongAdder evtqOverflows = new LongAdder();
    private final LongAdder priqOverflows = new LongAdder();
    private final LongAdder stallRequests = new LongAdder();
    private final LongAdder priRequests = new LongAdder();
    private volatile UnitHost host;
    private volatile boolean shutdown;

    public Smmuv3Unit(UnitDescription description, FrameAllocator frames, List<PciDevice> devices, Map<String, String> settings) {
        this.description = description;
        this.frames = frames;
        Map<String, String> s = new LinkedHashMap<>(description.properties());
        s.putAll(settings);
        this.profile = Profile.of(s.getOrDefault("profile", "server"), s);
        int tlb = Integer.parseInt(s.getOrDefault("tlb", "256"));
        this.smmu = new Smmu(description.id(), frames.memory(), profile, tlb, Integer.parseInt(s.getOrDefault("stecache", "64")),
                Integer.parseInt(s.getOrDefault("cdcache", "256")));
        this.logCapacity = Integer.parseInt(s.getOrDefault("events", "256"));
        this.queue = new DriverQueue(smmu, frames, Integer.parseInt(s.getOrDefault("cmdq", "8")));
        this.guestCommands = new GuestCommands(queue);
        this.evtqLog2 = Math.min(Integer.parseInt(s.getOrDefault("evtq", "8")), profile.eventqs());
        this.evtqFrames = Math.max(1, ((long) EventRecord.SIZE << evtqLog2) >>> PhysicalMemory.FRAME_SHIFT);
        this.evtqBase = frames.allocate(evtqFrames, Long.highestOneBit(evtqFrames));
        smmu.write64(Registers.EVTQ_BASE, Registers.queueBase(evtqBase, evtqLog2));
        if (profile.pri()) {
            this.priqLog2 = Math.min(Integer.parseInt(s.getOrDefault("priq", "8")), profile.priqs());
            this.priqFrames = Math.max(1, (16L << priqLog2) >>> PhysicalMemory.FRAME_SHIFT);
            this.priqBase = frames.allocate(priqFrames, Long.highestOneBit(priqFrames));
            smmu.write64(Registers.PRIQ_BASE, Registers.queueBase(priqBase, priqLog2));
        } else {
            this.priqLog2 = 0;
            this.priqFrames = 0;
            this.priqBase = 0;
        }
        this.streamTable = new StreamTable(smmu, frames);
        for (PciDevice d : devices) {
            if (d.unit().equals(description.id())) {
                Master m = new Master(d, profile);
                masters.set(m.sid, m);
                streamTable.probe(m.sid);
            }
        }
        smmu.connect(new Smmu.Interrupts() {
            @Override
            public void eventQueue() {
                drainEvents();
            }

            @Override
            public void priQueue() {
                drainPageRequests();
            }

            @Override
            public void globalError(int active) {
                LOG.debug("{}: GERROR active 0x{}", description.id(), Integer.toHexString(active));
            }
        });
        smmu.write32(Registers.IRQ_CTRL, Registers.IRQ_GERROR | Registers.IRQ_EVTQ | (profile.pri() ? Registers.IRQ_PRIQ : 0));
        smmu.write32(Registers.CR0, Registers.CR0_CMDQEN | Registers.CR0_EVTQEN | (profile.pri() ? Registers.CR0_PRIQEN : 0));
        issue(List.of(Commands.cfgiAll(), Commands.tlbiNsnhAll()));
        smmu.write32(Registers.CR0, smmu.read32(Registers.CR0) | Registers.CR0_SMMUEN);
        LOG.debug("{}: SMMUv3 {} profile, {} stream table, {} device(s)", description.id(), profile.name(),
                streamTable.isTwoLevel() ? "2-level" : "linear", devices.size());
    }

    // ---------------------------------------------------------------- IommuUnit

    @Override
    public UnitDescription description() {
        return description;
    }

    @Override
    public String profile() {
        return profile.name();
    }

    /** The capability profile (ID registers) of this unit. */
    Profile capabilities() {
        return profile;
    }

    @Override
    public void start(UnitHost h) {
        this.host = h;
    }

    @Override
    public HwInfo hwInfo(PciDevice device, int requestedType) {
        if (requestedType != HwInfoType.DEFAULT && requestedType != HwInfoType.ARM_SMMUV3) {
            throw IommuException.of(Errno.EOPNOTSUPP, "SMMUv3 reports hw_info type %d (ARM_SMMUV3) only", HwInfoType.ARM_SMMUV3);
        }
        long caps = 0;
        if (supportsDirtyTracking(device)) {
            caps |= HwInfo.CAP_DIRTY_TRACKING;
        }
        if (device.caps().pasidExec()) {
            caps |= HwInfo.CAP_PCI_PASID_EXEC;
        }
        if (device.caps().pasidPriv()) {
            caps |= HwInfo.CAP_PCI_PASID_PRIV;
        }
        return new HwInfo(HwInfoType.ARM_SMMUV3, profile.hwInfo(), Math.min(device.caps().pasidWidth(), profile.ssidSize()), caps);
    }

    @Override
    public boolean supportsDirtyTracking(PciDevice device) {
        return profile.httu() >= 2;
    }

    @Override
    public List<IovaRange> reservedRegions(PciDevice device) {
        return List.of(IovaRange.ofLength(MSI_IOVA_BASE, MSI_IOVA_LENGTH));
    }

    private Master master(PciDevice device) {
        Master m = device.unit().equals(description.id()) ? masters.get(device.rid()) : null;
        if (m == null || !m.device.address().equals(device.address())) {
            throw IommuException.of(Errno.EINVAL, "device %s is not behind %s", device.address(), description.id());
        }
        return m;
    }

    private int allocTag(BitSet ids, int bits, String what) {
        int id = ids.nextClearBit(1);
        if (id >= 1 << bits) {
            throw IommuException.of(Errno.ENOSPC, "%s: every %s is in use", description.id(), what);
        }
        ids.set(id);
        return id;
    }

    @Override
    public PagingDomain allocPaging(PciDevice device, int flags, int dataType, byte[] data) {
        if (dataType != HwptDataType.NONE) {
            throw IommuException.of(Errno.EOPNOTSUPP, "SMMUv3 paging domains take no vendor data (type %d)", dataType);
        }
        if ((flags & ~(HwptFlags.NEST_PARENT | HwptFlags.DIRTY_TRACKING | HwptFlags.PASID | HwptFlags.FAULT_ID_VALID)) != 0) {
            throw IommuException.of(Errno.EOPNOTSUPP, "unknown HWPT flags 0x%x", flags);
        }
        boolean nestParent = (flags & HwptFlags.NEST_PARENT) != 0;
        if (nestParent && !profile.nesting()) {
            throw IommuException.of(Errno.EOPNOTSUPP, "%s (%s) cannot nest", description.id(), profile.name());
        }
        if ((flags & HwptFlags.DIRTY_TRACKING) != 0 && !supportsDirtyTracking(device)) {
            throw IommuException.of(Errno.EOPNOTSUPP, "%s (%s) has no HTTU dirty state", description.id(), profile.name());
        }
        master(device);
        boolean stage2 = nestParent || !profile.s1p();
        boolean dbm = (flags & HwptFlags.DIRTY_TRACKING) != 0;
        int ias = Math.min(48, profile.oasBits());
        synchronized (lock) {
            checkRunning();
            int tag = stage2 ? allocTag(vmids, profile.vmid16() ? 16 : 8, "VMID") : allocTag(asids, profile.asid16() ? 16 : 8, "ASID");
            try {
                LpaePageTable.Config cfg = stage2 ? LpaePageTable.Config.s2(Granule.G4K, ias, profile.oasBits())
                        : LpaePageTable.Config.s1(Granule.G4K, 48, profile.oasBits());
                SmmuDomain d = new SmmuDomain(this, stage2, tag, new LpaePageTable(frames, cfg, dbm), flags);
                domains.add(d);
                LOG.debug("{}: allocated {} [{}]", description.id(), d, HwptFlags.describe(flags));
                return d;
            } catch (RuntimeException e) {
                (stage2 ? vmids : asids).clear(tag);
                throw e;
            }
        }
    }

    @Override
    public NestedDomain allocNested(PciDevice device, PagingDomain parent, int flags, int dataType, byte[] data) {
        if (!profile.nesting()) {
            throw IommuException.of(Errno.EOPNOTSUPP, "%s (%s) cannot nest", description.id(), profile.name());
        }
        if (dataType != HwptDataType.ARM_SMMUV3) {
            throw IommuException.of(Errno.EOPNOTSUPP, "SMMUv3 nests with data type %d (ARM_SMMUV3), not %d", HwptDataType.ARM_SMMUV3, dataType);
        }
        if ((flags & ~HwptFlags.FAULT_ID_VALID) != 0) {
            throw IommuException.of(Errno.EOPNOTSUPP, "SMMUv3 nested domains take FAULT_ID_VALID only (the guest owns every SSID): 0x%x", flags);
        }
        if (!(parent instanceof SmmuDomain) || ((SmmuDomain) parent).unit != this || !((SmmuDomain) parent).stage2
                || !parent.isNestParent() || ((SmmuDomain) parent).isFreed()) {
            throw IommuException.of(Errno.EINVAL, "%s is not a stage-2 NEST_PARENT domain of %s", parent, description.id());
        }
        master(device);
        SmmuNestedDomain n = SmmuNestedDomain.of(this, (SmmuDomain) parent, flags, data);
        synchronized (lock) {
            checkRunning();
            domains.add(n);
        }
        LOG.debug("{}: allocated {}", description.id(), n);
        return n;
    }

    private void checkRunning() {
        if (shutdown) {
            throw IommuException.of(Errno.ENODEV, "%s was shut down", description.id());
        }
    }

    // ---------------------------------------------------------------- STEs and CDs

    /** The stage 2 fields of an STE for a stage 2 domain. */
    void s2Fields(Ste.Builder b, SmmuDomain d) {
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

    private Cd cd(Master m, SmmuDomain d) {
        LpaePageTable.Config c = d.table.config;
        return new Cd.Builder().T0SZ(64 - c.ias()).TG0(c.granule().tg0).IRGN0(1).ORGN0(1).SH0(3).EPD1(true).V(true)
                .IPS(Lpae.psEncoding(c.oas())).AA64(true).R(true).A(true).ASET(true).S(m.canStall && d.iopf())
                .HA(d.dirtyCapable).HD(d.dirtyCapable).ASID(d.asid()).TTB0(d.table.root).MAIR(0x0404ff44L).build();
    }

    private void installSte(Master m, Ste ste) {
        streamTable.write(m.sid, ste);
        issue(List.of(Commands.cfgiSte(m.sid, false)));
    }

    private void installCd(Master m, int ssid, Cd cd) {
        m.cdTable.write(ssid, cd);
        issue(List.of(Commands.cfgiCd(m.sid, ssid, true)));
    }

    private void clearCd(Master m, int ssid) {
        m.cdTable.clear(ssid);
        issue(List.of(Commands.cfgiCd(m.sid, ssid, true)));
    }

    private void ensureCdTable(Master m) {
        if (m.cdTable == null) {
            m.cdTable = new CdTable(smmu, frames, m.cdBits);
        }
    }

    /** Frees the CD table once no STE points at it. */
    private void releaseCdTable(Master m) {
        if (m.cdTable != null) {
            m.cdTable.free();
            m.cdTable = null;
        }
    }

    private boolean isStage1(Domain d) {
        return d instanceof SmmuDomain && !((SmmuDomain) d).stage2;
    }

    private void checkDomain(Domain domain) {
        if (!domains.contains(domain)) {
            throw IommuException.of(Errno.EINVAL, "%s is not a live domain of %s", domain, description.id());
        }
    }

    @Override
    public void attach(PciDevice device, int pasid, Domain domain) {
        synchronized (lock) {
            checkRunning();
            Master m = master(device);
            checkDomain(domain);
            if (pasid == Access.NO_PASID) {
                attachRid(m, domain);
            } else {
                attachPasid(m, pasid, domain);
            }
            updatePri(m);
        }
        LOG.debug("{}: {} pasid {} -> {}", description.id(), device.address(), Access.pasid(pasid), domain);
    }

    private void attachRid(Master m, Domain domain) {
        if (isStage1(domain)) {
            SmmuDomain d = (SmmuDomain) domain;
            boolean hadTable = m.cdTable != null;
            ensureCdTable(m);
            installCd(m, 0, cd(m, d));
            if (!hadTable || !isStage1(m.rid)) {
                installSte(m, cdTableSte(m, Ste.S1DSS_SSID0));
            }
        } else {
            if (!m.pasids.isEmpty()) {
                throw IommuException.of(Errno.EINVAL, "%s has PASIDs attached: its RID needs a stage 1 domain", m.device.address());
            }
            Ste ste = domain instanceof SmmuNestedDomain ? ((SmmuNestedDomain) domain).ste(m.canStall, m.ats) : s2Ste(m, (SmmuDomain) domain);
            installSte(m, ste);
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

    @Override
    public void detach(PciDevice device, int pasid) {
        synchronized (lock) {
            Master m;
            try {
                m = master(device);
            } catch (IommuException e) {
                return;
            }
            if (shutdown) {
                return;
            }
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
        LOG.debug("{}: {} pasid {} -> blocked", description.id(), device.address(), Access.pasid(pasid));
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

    /** What the RID or (RID, PASID) is attached to in the driver, or null. For tests. */
    Domain attached(PciDevice device, int pasid) {
        synchronized (lock) {
            Master m = master(device);
            return pasid == Access.NO_PASID ? m.rid : m.pasids.get(pasid);
        }
    }

    /** The STE the driver wrote for a device. For tests. */
    Ste steOf(PciDevice device) {
        synchronized (lock) {
            return streamTable.read(master(device).sid);
        }
    }

    /** The CD the driver wrote for (device, SSID), or null without a CD table. For tests. */
    Cd cdOf(PciDevice device, int ssid) {
        synchronized (lock) {
            Master m = master(device);
            return m.cdTable == null ? null : m.cdTable.read(ssid);
        }
    }

    /** The StreamIDs a nested domain is attached to. */
    int[] streamsOf(SmmuNestedDomain n) {
        synchronized (lock) {
            List<Integer> out = new ArrayList<>();
            for (int i = 0; i < masters.length(); i++) {
                Master m = masters.get(i);
                if (m != null && m.rid == n) {
                    out.add(m.sid);
                }
            }
            return out.stream().mapToInt(Integer::intValue).toArray();
        }
    }

    GuestCommands guestCommands() {
        return guestCommands;
    }

    // ---------------------------------------------------------------- translation

    @Override
    public Translation translate(PciDevice device, int pasid, long iova, int access) {
        int sid = device.rid();
        Master m = masters.get(sid);
        return smmu.translate(sid, pasid, iova, access, m != null && m.priEnabled);
    }

    /** A transaction already translated by ATS (a translated TLP): passes if the STE allows ATS. */
    public Translation translated(PciDevice device, int pasid, long pa, int access) {
        return smmu.engine.translated(device.rid(), pasid, pa, access);
    }

    // ---------------------------------------------------------------- commands

    /** Issues host commands and a CMD_SYNC. Returns how many ran. */
    int issue(List<long[]> cmds) {
        if (shutdown) {
            return 0;
        }
        int done = queue.issue(cmds);
        if (done < cmds.size()) {
            LOG.warn("{}: the SMMU refused host command {}", description.id(), Commands.describe(cmds.get(done)[0], cmds.get(done)[1]));
        }
        return done;
    }

    /** A domain was freed: its TLB entries go, then its tag is free again. */
    void freed(SmmuDomain d) {
        synchronized (lock) {
            domains.remove(d);
            if (!shutdown) {
                issue(List.of(d.stage2 ? Commands.tlbiS12Vmall(d.vmid()) : Commands.tlbiNhAsid(0, d.asid())));
            }
            (d.stage2 ? vmids : asids).clear(d.tag);
        }
    }

    void freed(SmmuNestedDomain n) {
        synchronized (lock) {
            domains.remove(n);
            if (!shutdown) {
                // the guest's ASIDs live in the parent's VMID: its stage 1 entries go
                issue(List.of(Commands.tlbiNhAll(n.parent.vmid())));
            }
        }
    }

    @Override
    public void pageResponse(PageRequest request, int response) {
        Object token = request.token();
        boolean ok = response == RESPONSE_SUCCESS;
        if (token instanceof StallToken) {
            StallToken s = (StallToken) token;
            issue(List.of(Commands.resume(s.sid(), s.stag(), ok ? Commands.RESUME_RETRY : Commands.RESUME_ABORT)));
        } else if (token instanceof PriToken) {
            PriToken p = (PriToken) token;
            issue(List.of(Commands.priResp(p.sid(), p.ssid(), p.prgi(), ok ? Commands.PRI_RESP_SUCC : Commands.PRI_RESP_DENY)));
        }
        LOG.debug("{}: page response {} for {}", description.id(), ok ? "SUCCESS" : "INVALID", token);
    }

    // ---------------------------------------------------------------- interrupt handlers

    /** Software reads a queue between CONS and PROD, acknowledges an overflow, moves CONS. */
    private List<long[]> drain(int prodReg, int consReg, long base, int log2, int entrySize, LongAdder overflows, String name) {
        List<long[]> out = new ArrayList<>();
        int wrap = (2 << log2) - 1;
        int prod = smmu.read32(prodReg);
        int cons = smmu.read32(consReg);
        for (int guard = 0; guard <= 1 << log2 && (cons & wrap) != (prod & wrap); guard++) {
            long at = base + (long) (cons & ((1 << log2) - 1)) * entrySize;
            long[] e = new long[entrySize / 8];
            for (int i = 0; i < e.length; i++) {
                e[i] = smmu.memory.load64(at + 8L * i);
            }
            out.add(e);
            cons = (cons & Registers.Q_OVERFLOW) | ((cons + 1) & wrap);
        }
        if ((prod & Registers.Q_OVERFLOW) != (cons & Registers.Q_OVERFLOW)) {
            overflows.increment();
            LOG.warn("{}: {} overflow: records were lost", description.id(), name);
            cons ^= Registers.Q_OVERFLOW;
        }
        smmu.write32(consReg, cons);
        return out;
    }

    void drainEvents() {
        List<long[]> entries;
        synchronized (eventDrain) {
            entries = drain(Registers.EVTQ_PROD, Registers.EVTQ_CONS, evtqBase, evtqLog2, EventRecord.SIZE, evtqOverflows, "event queue");
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
        Master m = sid >= 0 && sid < masters.length() ? masters.get(sid) : null;
        int pasid = r.SSV() ? r.SubstreamID() : Access.NO_PASID;
        UnitEvent ev;
        synchronized (log) {
            ev = new UnitEvent(sequence++, description.id(), sid, pasid, r.InputAddr(), EventRecord.name(r.ID()), r.ID(), r.toBytes(), r.toString());
            if (log.size() == logCapacity) {
                log.removeFirst();
            }
            log.addLast(ev);
        }
        UnitHost h = host;
        if (r.Stall()) {
            if (m == null || h == null) {
                issue(List.of(Commands.resume(sid, r.STAG(), Commands.RESUME_ABORT)));
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
        if (!profile.pri()) {
            return;
        }
        List<long[]> entries;
        synchronized (priDrain) {
            entries = drain(Registers.PRIQ_PROD, Registers.PRIQ_CONS, priqBase, priqLog2, 16, priqOverflows, "PRI queue");
        }
        for (long[] e : entries) {
            int sid = (int) e[0];
            boolean ssv = Bits.bit(e[0], 63);
            int ssid = ssv ? (int) Bits.get(e[0], 51, 32) : -1;
            int access = (Bits.bit(e[0], 60) ? Access.READ : 0) | (Bits.bit(e[0], 61) ? Access.WRITE : 0) | (Bits.bit(e[0], 59) ? Access.EXEC : 0)
                    | (Bits.bit(e[0], 58) ? Access.PRIV : 0);
            int prgi = (int) (e[1] & 0x1ff);
            long addr = e[1] & Bits.mask(63, 12);
            Master m = sid >= 0 && sid < masters.length() ? masters.get(sid) : null;
            UnitHost h = host;
            if (m == null || h == null) {
                issue(List.of(Commands.priResp(sid, ssid, prgi, Commands.PRI_RESP_DENY)));
                continue;
            }
            priRequests.increment();
            h.pageRequest(new PageRequest(m.device, ssv ? ssid : Access.NO_PASID, prgi, access, addr, Bits.bit(e[0], 62), new PriToken(sid, ssid, prgi)));
        }
    }

    /** Masks or unmasks the event queue interrupt (IRQ_CTRL.EVTQ_IRQEN); unmasking drains what arrived. For tests. */
    void eventInterrupt(boolean enabled) {
        int v = smmu.read32(Registers.IRQ_CTRL);
        smmu.write32(Registers.IRQ_CTRL, enabled ? v | Registers.IRQ_EVTQ : v & ~Registers.IRQ_EVTQ);
        if (enabled) {
            drainEvents();
        }
    }

    // ---------------------------------------------------------------- Smmuv3Nesting

    @Override
    public VirtualSmmu viommuAlloc(PagingDomain parent) {
        if (!profile.nesting()) {
            throw IommuException.of(Errno.EOPNOTSUPP, "%s (%s) cannot nest", description.id(), profile.name());
        }
        if (!(parent instanceof SmmuDomain) || ((SmmuDomain) parent).unit != this || !((SmmuDomain) parent).stage2 || !parent.isNestParent()) {
            throw IommuException.of(Errno.EINVAL, "%s is not a stage-2 NEST_PARENT domain of %s", parent, description.id());
        }
        return new VirtualSmmuImpl(this, (SmmuDomain) parent);
    }

    @Override
    public int executeGuestCommands(int vmid, IntFunction<int[]> virtualToPhysical, byte[] entries, int entryLen, int entryNum) {
        return guestCommands.execute(vmid, virtualToPhysical::apply, entries, entryLen, entryNum);
    }

    @Override
    public void routeEvents(int streamId, Predicate<byte[]> route) {
        routes.put(streamId, route);
    }

    @Override
    public void unrouteEvents(int streamId) {
        routes.remove(streamId);
    }

    /** Checks that a device sits behind this unit. @throws IommuException EINVAL */
    int streamOf(PciDevice device) {
        return master(device).sid;
    }

    // ---------------------------------------------------------------- stats and events

    @Override
    public UnitStats stats() {
        Map<String, Long> c = new LinkedHashMap<>();
        c.put("tlb.entries", (long) smmu.tlb.capacity());
        c.put("tlb.valid", (long) smmu.tlb.occupancy());
        c.put("cfg.ste.entries", (long) smmu.configCache.steCapacity());
        c.put("cfg.ste.valid", (long) smmu.configCache.steOccupancy());
        c.put("cfg.ste.hits", smmu.configCache.steHits.sum());
        c.put("cfg.ste.misses", smmu.configCache.steMisses.sum());
        c.put("cfg.cd.entries", (long) smmu.configCache.cdCapacity());
        c.put("cfg.cd.valid", (long) smmu.configCache.cdOccupancy());
        c.put("cfg.cd.hits", smmu.configCache.cdHits.sum());
        c.put("cfg.cd.misses", smmu.configCache.cdMisses.sum());
        c.put("cmdq.errors", queue.errors());
        c.put("evtq.overflows", evtqOverflows.sum());
        c.put("evtq.lost", smmu.eventQueue.lost());
        c.put("priq.overflows", priqOverflows.sum());
        c.put("priq.lost", smmu.priQueue.lost());
        c.put("stall.requests", stallRequests.sum());
        c.put("stall.held", (long) smmu.held.stalled());
        c.put("pri.requests", priRequests.sum());
        c.put("pri.held", (long) smmu.held.pendingPageRequests());
        return new UnitStats(smmu.tlb.hits.sum(), smmu.tlb.misses.sum(), smmu.commands.sum(), smmu.faults.sum(), c);
    }

    @Override
    public List<UnitEvent> events() {
        synchronized (log) {
            return new ArrayList<>(log);
        }
    }

    /** Frees every domain and table and turns the SMMU off: the backend is going away. */
    public void shutdown() {
        List<Domain> all = new ArrayList<>(domains);
        for (Domain d : all) {
            if (d instanceof SmmuNestedDomain) {
                d.free();
            }
        }
        for (Domain d : all) {
            if (!(d instanceof SmmuNestedDomain)) {
                d.free();
            }
        }
        synchronized (lock) {
            if (shutdown) {
                return;
            }
            shutdown = true;
            smmu.write32(Registers.CR0, 0);
            for (int i = 0; i < masters.length(); i++) {
                Master m = masters.get(i);
                if (m != null) {
                    releaseCdTable(m);
                    m.rid = null;
                    m.pasids.clear();
                }
            }
            streamTable.free();
            queue.free();
            frames.free(evtqBase, evtqFrames);
            if (priqFrames > 0) {
                frames.free(priqBase, priqFrames);
            }
        }
    }

    @Override
    public String toString() {
        return "smmuv3 unit " + description.id() + " (" + profile.name() + ")";
    }
}
