package dev.ioasid.backend.smmuv3.internal;

import java.util.ArrayList;
import java.util.BitSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
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
import dev.ioasid.spi.DecodedEntry;
import dev.ioasid.spi.Domain;
import dev.ioasid.spi.IommuUnit;
import dev.ioasid.spi.NestedDomain;
import dev.ioasid.spi.PageRequest;
import dev.ioasid.spi.PagingDomain;
import dev.ioasid.spi.UnitEvent;
import dev.ioasid.spi.UnitHost;
import dev.ioasid.spi.UnitStats;

/**
 * One SMMUv3 unit: the device model ({@link Smmu}) and the host driver that programs it as Linux's arm-smmu-v3
 * does. At start it sets up the queues and the stream table and writes an abort STE for every device behind the
 * unit ({@link Masters}); domains are VMSAv8-64 tables ({@link SmmuDomain}, {@link SmmuNestedDomain}); every
 * invalidation and page response goes through the command queue; the interrupt handlers ({@link QueueHandlers})
 * drain the event and PRI queues into {@link UnitHost}.
 * <p>
 * Unit settings (machine description or Config Admin): {@code profile=server|minimal}, {@code ssidsize},
 * {@code oas}, {@code tlb} (entries), {@code stecache}, {@code cdcache}, {@code cmdq}, {@code evtq} and
 * {@code priq} (log2 of the queue entries), {@code events} (records kept for {@link #events()}). Device settings:
 * {@code stall=1} (the device can stall, the firmware's dma-can-stall).
 * <p>
 * Lock order: {@link #lock} (the driver) before the command queue before the SMMU's own locks. Translation
 * takes none of them.
 */
public final class Smmuv3Unit implements IommuUnit, Smmuv3Nesting {
    private static final Logger LOG = LoggerFactory.getLogger(Smmuv3Unit.class);

    /** The MSI window Linux reserves in every SMMUv3 domain (MSI_IOVA_BASE, MSI_IOVA_LENGTH). */
    public static final long MSI_IOVA_BASE = 0x0800_0000L;
    public static final long MSI_IOVA_LENGTH = 0x10_0000L;

    private final UnitDescription description;
    private final FrameAllocator frames;
    private final Profile profile;
    final Smmu smmu;
    /** serializes the driver: attach, detach, allocation, shutdown */
    private final Object lock = new Object();
    private final DriverQueue queue;
    private final GuestCommands guestCommands;
    private final Masters masters;
    private final QueueHandlers handlers;
    private final PathDescriber describer;
    private final long evtqBase;
    private final long evtqFrames;
    private final long priqBase;
    private final long priqFrames;
    private final Set<Domain> domains = ConcurrentHashMap.newKeySet();
    /** guarded by lock */
    private final BitSet asids = new BitSet();
    /** guarded by lock */
    private final BitSet vmids = new BitSet();
    private volatile UnitHost host;
    private volatile boolean shutdown;

    public Smmuv3Unit(UnitDescription description, FrameAllocator frames, List<PciDevice> devices, Map<String, String> settings) {
        this.description = description;
        this.frames = frames;
        Map<String, String> s = new LinkedHashMap<>(description.properties());
        s.putAll(settings);
        this.profile = Profile.of(s.getOrDefault("profile", "server"), s);
        this.smmu = new Smmu(description.id(), frames.memory(), profile, Integer.parseInt(s.getOrDefault("tlb", "256")),
                Integer.parseInt(s.getOrDefault("stecache", "64")), Integer.parseInt(s.getOrDefault("cdcache", "256")));
        this.describer = new PathDescriber(smmu);
        this.queue = new DriverQueue(smmu, frames, Integer.parseInt(s.getOrDefault("cmdq", "8")));
        this.guestCommands = new GuestCommands(queue);
        int evtqLog2 = Math.min(Integer.parseInt(s.getOrDefault("evtq", "8")), profile.eventqs());
        this.evtqFrames = Math.max(1, ((long) EventRecord.SIZE << evtqLog2) >>> PhysicalMemory.FRAME_SHIFT);
        this.evtqBase = frames.allocate(evtqFrames, Long.highestOneBit(evtqFrames));
        smmu.write64(Registers.EVTQ_BASE, Registers.queueBase(evtqBase, evtqLog2));
        QueueHandlers.Queue pri = null;
        if (profile.pri()) {
            int priqLog2 = Math.min(Integer.parseInt(s.getOrDefault("priq", "8")), profile.priqs());
            this.priqFrames = Math.max(1, (16L << priqLog2) >>> PhysicalMemory.FRAME_SHIFT);
            this.priqBase = frames.allocate(priqFrames, Long.highestOneBit(priqFrames));
            smmu.write64(Registers.PRIQ_BASE, Registers.queueBase(priqBase, priqLog2));
            pri = new QueueHandlers.Queue(Registers.PRIQ_PROD, Registers.PRIQ_CONS, priqBase, priqLog2, 16, "PRI queue");
        } else {
            this.priqFrames = 0;
            this.priqBase = 0;
        }
        this.masters = new Masters(this, smmu, frames);
        for (PciDevice d : devices) {
            if (d.unit().equals(description.id())) {
                masters.probe(d);
            }
        }
        this.handlers = new QueueHandlers(this, smmu, masters,
                new QueueHandlers.Queue(Registers.EVTQ_PROD, Registers.EVTQ_CONS, evtqBase, evtqLog2, EventRecord.SIZE, "event queue"), pri,
                Integer.parseInt(s.getOrDefault("events", "256")));
        smmu.connect(new Smmu.Interrupts() {
            @Override
            public void eventQueue() {
                handlers.drainEvents();
            }

            @Override
            public void priQueue() {
                handlers.drainPageRequests();
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
                masters.streamTable().isTwoLevel() ? "2-level" : "linear", devices.size());
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

    UnitHost host() {
        return host;
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
    public List<DecodedEntry> describeHwInfo(HwInfo info) {
        return info.type() == HwInfoType.ARM_SMMUV3 ? IdRegisters.decode(info.data()) : List.of();
    }

    @Override
    public boolean supportsDirtyTracking(PciDevice device) {
        return profile.httu() >= 2;
    }

    @Override
    public List<IovaRange> reservedRegions(PciDevice device) {
        return List.of(IovaRange.ofLength(MSI_IOVA_BASE, MSI_IOVA_LENGTH));
    }

    private int allocTag(BitSet ids, int bits, String what) {
        int id = ids.nextClearBit(1);
        if (id >= 1 << bits) {
            throw IommuException.of(Errno.ENOSPC, "%s: every %s is in use", description.id(), what);
        }
        ids.set(id);
        return id;
    }

    /**
     * Stage 1 for plain paging domains (a CD can put them behind a PASID as well as the RID), stage 2 for
     * NEST_PARENT (the parent of a guest's stage 1), as Linux.
     */
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
        masters.of(device);
        boolean stage2 = nestParent || !profile.s1p();
        boolean dbm = (flags & HwptFlags.DIRTY_TRACKING) != 0;
        synchronized (lock) {
            checkRunning();
            int tag = stage2 ? allocTag(vmids, profile.vmid16() ? 16 : 8, "VMID") : allocTag(asids, profile.asid16() ? 16 : 8, "ASID");
            try {
                LpaePageTable.Config cfg = stage2 ? LpaePageTable.Config.s2(Granule.G4K, Math.min(48, profile.oasBits()), profile.oasBits())
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
        SmmuDomain p = nestParent(parent);
        masters.of(device);
        SmmuNestedDomain n = SmmuNestedDomain.of(this, p, flags, data);
        synchronized (lock) {
            checkRunning();
            domains.add(n);
        }
        LOG.debug("{}: allocated {}", description.id(), n);
        return n;
    }

    private SmmuDomain nestParent(PagingDomain parent) {
        if (!(parent instanceof SmmuDomain) || ((SmmuDomain) parent).unit != this || !((SmmuDomain) parent).stage2
                || !parent.isNestParent() || ((SmmuDomain) parent).isFreed()) {
            throw IommuException.of(Errno.EINVAL, "%s is not a stage-2 NEST_PARENT domain of %s", parent, description.id());
        }
        return (SmmuDomain) parent;
    }

    private void checkRunning() {
        if (shutdown) {
            throw IommuException.of(Errno.ENODEV, "%s was shut down", description.id());
        }
    }

    @Override
    public void attach(PciDevice device, int pasid, Domain domain) {
        synchronized (lock) {
            checkRunning();
            Masters.Master m = masters.of(device);
            if (!domains.contains(domain)) {
                throw IommuException.of(Errno.EINVAL, "%s is not a live domain of %s", domain, description.id());
            }
            masters.attach(m, pasid, domain);
        }
        LOG.debug("{}: {} pasid {} -> {}", description.id(), device.address(), Access.pasid(pasid), domain);
    }

    @Override
    public void detach(PciDevice device, int pasid) {
        synchronized (lock) {
            Masters.Master m = masters.get(device.rid());
            if (shutdown || m == null || !m.device.address().equals(device.address())) {
                return;
            }
            masters.detach(m, pasid);
        }
        LOG.debug("{}: {} pasid {} -> blocked", description.id(), device.address(), Access.pasid(pasid));
    }

    /** What the RID or (RID, PASID) is attached to in the driver, or null. For tests. */
    Domain attached(PciDevice device, int pasid) {
        synchronized (lock) {
            Masters.Master m = masters.of(device);
            return pasid == Access.NO_PASID ? m.rid : m.pasids.get(pasid);
        }
    }

    /** The STE the driver wrote for a device. For tests. */
    Ste steOf(PciDevice device) {
        synchronized (lock) {
            return masters.streamTable().read(masters.of(device).sid);
        }
    }

    /** The CD the driver wrote for (device, SSID), or null without a CD table. For tests. */
    Cd cdOf(PciDevice device, int ssid) {
        synchronized (lock) {
            Masters.Master m = masters.of(device);
            return m.cdTable == null ? null : m.cdTable.read(ssid);
        }
    }

    /** The StreamIDs a nested domain is attached to. */
    int[] streamsOf(SmmuNestedDomain n) {
        synchronized (lock) {
            return masters.streamsOf(n);
        }
    }

    /** The StreamID of a device of this unit. @throws IommuException EINVAL */
    int streamOf(PciDevice device) {
        return masters.of(device).sid;
    }

    GuestCommands guestCommands() {
        return guestCommands;
    }

    // ---------------------------------------------------------------- translation

    @Override
    public Translation translate(PciDevice device, int pasid, long iova, int access) {
        int sid = device.rid();
        Masters.Master m = masters.get(sid);
        return smmu.translate(sid, pasid, iova, access, m != null && m.priEnabled);
    }

    /** What a miss for {@code iova} by (device, SSID) reads now, entry by entry: see {@link PathDescriber}. */
    @Override
    public List<DecodedEntry> describePath(PciDevice device, int pasid, long iova) {
        return describer.describe(device.rid(), pasid, iova);
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
            issue(List.of(d.stage2 ? Commands.tlbiS12Vmall(d.vmid()) : Commands.tlbiNhAsid(0, d.asid())));
            (d.stage2 ? vmids : asids).clear(d.tag);
        }
    }

    void freed(SmmuNestedDomain n) {
        synchronized (lock) {
            domains.remove(n);
            // the guest's ASIDs live in the parent's VMID: its stage 1 entries go
            issue(List.of(Commands.tlbiNhAll(n.parent.vmid())));
        }
    }

    @Override
    public void pageResponse(PageRequest request, int response) {
        Object token = request.token();
        boolean ok = response == RESPONSE_SUCCESS;
        if (token instanceof QueueHandlers.StallToken) {
            QueueHandlers.StallToken s = (QueueHandlers.StallToken) token;
            issue(List.of(Commands.resume(s.sid(), s.stag(), ok ? Commands.RESUME_RETRY : Commands.RESUME_ABORT)));
        } else if (token instanceof QueueHandlers.PriToken) {
            QueueHandlers.PriToken p = (QueueHandlers.PriToken) token;
            issue(List.of(Commands.priResp(p.sid(), p.ssid(), p.prgi(), ok ? Commands.PRI_RESP_SUCC : Commands.PRI_RESP_DENY)));
        }
        LOG.debug("{}: page response {} for {}", description.id(), ok ? "SUCCESS" : "INVALID", token);
    }

    /** Masks or unmasks the event queue interrupt (IRQ_CTRL.EVTQ_IRQEN); unmasking drains what arrived. For tests. */
    void eventInterrupt(boolean enabled) {
        int v = smmu.read32(Registers.IRQ_CTRL);
        smmu.write32(Registers.IRQ_CTRL, enabled ? v | Registers.IRQ_EVTQ : v & ~Registers.IRQ_EVTQ);
        if (enabled) {
            handlers.drainEvents();
        }
    }

    // ---------------------------------------------------------------- Smmuv3Nesting

    /** IOMMU_VIOMMU_ALLOC of type ARM_SMMUV3, for the core's vIOMMU objects. */
    @Override
    public dev.ioasid.spi.Viommu allocViommu(PciDevice device, PagingDomain parent, int type, byte[] data) {
        if (type != dev.ioasid.api.ViommuType.ARM_SMMUV3) {
            throw IommuException.of(Errno.EOPNOTSUPP, "%s offers vIOMMU type ARM_SMMUV3 (1), not %d", description.id(), type);
        }
        if (data != null && data.length != 0) {
            throw IommuException.of(Errno.EINVAL, "an ARM_SMMUV3 vIOMMU takes no data, got %d bytes", data.length);
        }
        return (VirtualSmmuImpl) viommuAlloc(parent);
    }

    @Override
    public VirtualSmmu viommuAlloc(PagingDomain parent) {
        if (!profile.nesting()) {
            throw IommuException.of(Errno.EOPNOTSUPP, "%s (%s) cannot nest", description.id(), profile.name());
        }
        return new VirtualSmmuImpl(this, nestParent(parent));
    }

    @Override
    public int executeGuestCommands(int vmid, IntFunction<int[]> virtualToPhysical, byte[] entries, int entryLen, int entryNum) {
        return guestCommands.execute(vmid, virtualToPhysical::apply, entries, entryLen, entryNum);
    }

    @Override
    public void routeEvents(int streamId, Predicate<byte[]> route) {
        handlers.route(streamId, route);
    }

    @Override
    public void unrouteEvents(int streamId) {
        handlers.unroute(streamId);
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
        c.put("evtq.overflows", handlers.eventOverflows.sum());
        c.put("evtq.lost", smmu.eventQueue.lost());
        c.put("priq.overflows", handlers.priOverflows.sum());
        c.put("priq.lost", smmu.priQueue.lost());
        c.put("stall.requests", handlers.stallRequests.sum());
        c.put("stall.held", (long) smmu.held.stalled());
        c.put("pri.requests", handlers.priRequests.sum());
        c.put("pri.held", (long) smmu.held.pendingPageRequests());
        return new UnitStats(smmu.tlb.hits.sum(), smmu.tlb.misses.sum(), smmu.commands.sum(), smmu.faults.sum(), c);
    }

    @Override
    public List<UnitEvent> events() {
        return handlers.log();
    }

    /** Frames held by the translation tables of live paging domains (not the stream, CD or queue structures). */
    public long domainTableFrames() {
        long n = 0;
        for (Domain d : domains) {
            if (d instanceof SmmuDomain) {
                n += ((SmmuDomain) d).table.tableFrames();
            }
        }
        return n;
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
            masters.free();
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
