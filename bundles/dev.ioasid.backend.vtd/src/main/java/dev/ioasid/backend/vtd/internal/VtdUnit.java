package dev.ioasid.backend.vtd.internal;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.atomic.LongAdder;

import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import dev.ioasid.api.Errno;
import dev.ioasid.api.HwInfo;
import dev.ioasid.api.HwInfoType;
import dev.ioasid.api.HwptDataType;
import dev.ioasid.api.HwptFlags;
import dev.ioasid.api.IommuException;
import dev.ioasid.api.IovaRange;
import dev.ioasid.machine.Access;
import dev.ioasid.machine.FrameAllocator;
import dev.ioasid.machine.PciDevice;
import dev.ioasid.machine.PhysicalMemory;
import dev.ioasid.machine.TranslatedPage;
import dev.ioasid.machine.Translation;
import dev.ioasid.machine.TranslationFault;
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
 * An Intel VT-d DMA-remapping unit: the hardware (register file, configuration and page walks, context cache,
 * PASID cache, IOTLB, invalidation queue, fault recording, page request queue) and its host driver
 * ({@link IommuDriver}), behind the backend SPI.
 * <p>
 * Translation takes no lock: on an IOTLB hit it reads three lock-free caches and returns the cached page.
 */
public final class VtdUnit implements IommuUnit {
    private static final Logger LOG = LoggerFactory.getLogger(VtdUnit.class);
    /** The interrupt (MSI) window every device reports as reserved. */
    public static final IovaRange MSI_WINDOW = new IovaRange(PageWalker.INTERRUPT_FIRST, PageWalker.INTERRUPT_LAST);
    /** {@code iommu_hw_info_vtd} is 24 bytes. */
    static final int HW_INFO_SIZE = 24;
    private static final int EVENT_CAPACITY = 1024;
    private static final int RESPONSE_LOG = 64;

    private final UnitDescription description;
    final Profile profile;
    final Capabilities caps;
    private final FrameAllocator frames;
    private final PhysicalMemory memory;
    final Registers regs = new Registers();
    final FaultRecorder recorder;
    final ContextCache contextCache;
    final PasidCache pasidCache;
    final Iotlb iotlb;
    final InvalidationQueue iq;
    final Invalidator invalidator;
    final PageRequestQueue prq;
    private final long prqFrame;
    final ConfigTables tables;
    final ConfigWalker configWalker;
    final PageWalker pageWalker;
    final IommuDriver driver;
    private final RegisterFile registerFile;
    private final PathDescriber describer;
    private volatile UnitHost host;

    private final LongAdder faults = new LongAdder();
    private final LongAdder suppressed = new LongAdder();
    private final LongAdder pageRequests = new LongAdder();
    private final LongAdder responsesSuccess = new LongAdder();
    private final LongAdder responsesInvalid = new LongAdder();
    private final LongAdder responsesFailure = new LongAdder();
    /** page group responses the hardware processed, newest last; guarded by itself */
    private final ArrayDeque<Descriptor> responses = new ArrayDeque<>();
    /** page requests waiting for their page group response */
    final HeldPageRequests held = new HeldPageRequests();
    private final LongAdder unmatchedResponses = new LongAdder();

    /**
     * @param description the unit in the machine description (its {@code profile=} already resolved)
     * @param profile     the capability profile
     * @param frames      where its tables and queues live
     */
    public VtdUnit(UnitDescription description, Profile profile, FrameAllocator frames) {
        this.description = description;
        this.profile = profile;
        this.caps = profile.caps();
        this.frames = frames;
        this.memory = frames.memory();
        this.recorder = new FaultRecorder(description.id(), regs, caps.nfr(), EVENT_CAPACITY);
        this.contextCache = new ContextCache(profile.contextEntries());
        this.pasidCache = new PasidCache(profile.pasidEntries());
        this.iotlb = new Iotlb(profile.iotlbEntries());
        this.iq = new InvalidationQueue(description.id(), memory, caps, regs, contextCache, pasidCache, iotlb, this::pageGroupResponse);
        this.tables = new ConfigTables(frames, profile);
        Invalidator inv = null;
        long prqAt = 0;
        try {
            inv = new Invalidator(description.id(), frames, iq, regs, profile.scalable());
            this.prq = new PageRequestQueue(memory, regs);
            if (caps.prs()) {
                prqAt = frames.allocate();
                prq.writePqa(prqAt);
            }
        } catch (RuntimeException e) {
            if (inv != null) {
                inv.free();
            }
            tables.freeAll();
            throw e;
        }
        this.invalidator = inv;
        this.prqFrame = prqAt;
        this.configWalker = new ConfigWalker(memory, profile, tables);
        this.pageWalker = new PageWalker(memory, profile);
        this.driver = new IommuDriver(description.id(), profile, tables, invalidator);
        this.registerFile = new RegisterFile(caps, regs, recorder, configWalker, iq, prq);
        this.describer = new PathDescriber(memory, profile, tables, configWalker, pageWalker);
    }

    /** A unit with the profile its description names. */
    public static VtdUnit of(UnitDescription description, FrameAllocator frames) {
        return new VtdUnit(description, Profile.of(description.property("profile", "server"), description.properties()), frames);
    }

    @Override
    public UnitDescription description() {
        return description;
    }

    @Override
    public String profile() {
        return profile.name();
    }

    @Override
    public void start(UnitHost h) {
        this.host = h;
    }

    // ================================================================ capabilities

    @Override
    public HwInfo hwInfo(PciDevice device, int requestedType) {
        if (requestedType != HwInfoType.DEFAULT && requestedType != HwInfoType.INTEL_VTD) {
            throw IommuException.of(Errno.EOPNOTSUPP, "VT-d reports hw_info type %d (INTEL_VTD) only, not %d", HwInfoType.INTEL_VTD, requestedType);
        }
        byte[] data = ByteBuffer.allocate(HW_INFO_SIZE).order(ByteOrder.LITTLE_ENDIAN).putInt(0).putInt(0).putLong(caps.cap())
                .putLong(caps.ecap()).array();
        long c = 0;
        if (supportsDirtyTracking(device)) {
            c |= HwInfo.CAP_DIRTY_TRACKING;
        }
        int pasidBits = Math.min(device.caps().pasidWidth(), caps.pasidBits());
        if (pasidBits > 0 && device.caps().pasidExec() && caps.ers()) {
            c |= HwInfo.CAP_PCI_PASID_EXEC;
        }
        if (pasidBits > 0 && device.caps().pasidPriv() && caps.srs()) {
            c |= HwInfo.CAP_PCI_PASID_PRIV;
        }
        return new HwInfo(HwInfoType.INTEL_VTD, data, pasidBits, c);
    }

    @Override
    public List<DecodedEntry> describeHwInfo(HwInfo info) {
        if (info.type() != HwInfoType.INTEL_VTD || info.data().length < HW_INFO_SIZE) {
            return List.of();
        }
        ByteBuffer b = ByteBuffer.wrap(info.data()).order(ByteOrder.LITTLE_ENDIAN);
        return new Capabilities(b.getLong(8), b.getLong(16)).decoded();
    }

    @Override
    public boolean supportsDirtyTracking(PciDevice device) {
        return profile.scalable() && caps.ssads();
    }

    @Override
    public List<IovaRange> reservedRegions(PciDevice device) {
        return List.of(MSI_WINDOW);
    }

    // ================================================================ domains

    @Override
    public PagingDomain allocPaging(PciDevice device, int flags, int dataType, byte[] data) {
        int known = HwptFlags.NEST_PARENT | HwptFlags.DIRTY_TRACKING | HwptFlags.PASID | HwptFlags.FAULT_ID_VALID;
        if ((flags & ~known) != 0) {
            throw IommuException.of(Errno.EOPNOTSUPP, "VT-d paging domains take no flags 0x%x", flags & ~known);
        }
        if (dataType != HwptDataType.NONE) {
            throw IommuException.of(Errno.EOPNOTSUPP, "VT-d paging domains take no vendor data (type %d)", dataType);
        }
        if ((flags & HwptFlags.NEST_PARENT) != 0 && !(profile.scalable() && caps.nest())) {
            throw IommuException.of(Errno.EOPNOTSUPP, "unit %s (%s) cannot nest", description.id(), profile.name());
        }
        if ((flags & HwptFlags.DIRTY_TRACKING) != 0 && !supportsDirtyTracking(device)) {
            throw IommuException.of(Errno.EOPNOTSUPP, "unit %s (%s) has no second-stage dirty tracking", description.id(), profile.name());
        }
        int did = driver.allocDid();
        SecondStageTable table;
        try {
            table = new SecondStageTable(frames, caps, profile.domainAw());
        } catch (RuntimeException e) {
            driver.releaseDid(did);
            throw e;
        }
        VtdDomain d = new VtdDomain(this, did, table, flags);
        driver.register(d, did);
        LOG.debug("{}: allocated {} [{}]", description.id(), d, HwptFlags.describe(flags));
        return d;
    }

    @Override
    public NestedDomain allocNested(PciDevice device, PagingDomain parent, int flags, int dataType, byte[] data) {
        if (dataType != HwptDataType.VTD_S1) {
            throw IommuException.of(Errno.EOPNOTSUPP, "VT-d nests with data type %d (VTD_S1), not %d", HwptDataType.VTD_S1, dataType);
        }
        if (!(profile.scalable() && caps.nest())) {
            throw IommuException.of(Errno.EOPNOTSUPP, "unit %s (%s) cannot nest", description.id(), profile.name());
        }
        if ((flags & ~(HwptFlags.PASID | HwptFlags.FAULT_ID_VALID)) != 0) {
            throw IommuException.of(Errno.EOPNOTSUPP, "VT-d nested domains take no flags 0x%x", flags);
        }
        if (!(parent instanceof VtdDomain) || ((VtdDomain) parent).unit != this || !driver.live(parent) || !parent.isNestParent()) {
            throw IommuException.of(Errno.EINVAL, "%s is not a NEST_PARENT domain of %s", parent, description.id());
        }
        VtdDomain p = (VtdDomain) parent;
        VtdNestedDomain.S1 s1 = VtdNestedDomain.parse(data, caps, p);
        int did = driver.allocDid();
        VtdNestedDomain d = new VtdNestedDomain(this, p, did, s1, flags, data);
        driver.register(d, did);
        LOG.debug("{}: allocated {}", description.id(), d);
        return d;
    }

    void freed(VtdDomain d) {
        driver.free(d, d.did);
        d.table.free();
    }

    void freed(VtdNestedDomain d) {
        driver.free(d, d.did);
    }

    @Override
    public void attach(PciDevice device, int pasid, Domain domain) {
        driver.attach(device, pasid, domain);
    }

    @Override
    public void detach(PciDevice device, int pasid) {
        driver.detach(device, pasid);
    }

    /** What an endpoint is attached to, or null (blocked). */
    public Domain attached(PciDevice device, int pasid) {
        return driver.attached(device, pasid);
    }

    void flushPaging(VtdDomain d, long iova, long length) {
        driver.flushPaging(d, iova, length);
    }

    void invalidateNested(VtdNestedDomain n, long addr, long npages, boolean leaf) {
        driver.invalidateNested(n, addr, npages, leaf);
    }

    void setDirtyTracking(VtdDomain d, boolean enable) {
        driver.setDirtyTracking(d, enable);
    }

    // ================================================================ translation (the hardware)

    @Override
    public Translation translate(PciDevice device, int pasid, long iova, int accessAndFlags) {
        int access = accessAndFlags & Access.RIGHTS;
        try {
            int sid = device.rid();
            ContextCache.Entry ce = contextCache.lookup(sid);
            if (ce == null) {
                long epoch = contextCache.epoch();
                Walk w = new Walk(iova, access);
                ce = configWalker.context(w, sid);
                if (ce == null) {
                    return fault(w, device, pasid, access, accessAndFlags, null);
                }
                contextCache.fill(ce, epoch);
            }
            TranslationContext tc;
            if (ce.legacy() != null) {
                tc = ce.legacy();
                if (pasid != Access.NO_PASID) {
                    return fault(failed(iova, access, tc.fpd(), FaultReason.CONTEXT_ENTRY_INV, "request with PASID %d in legacy mode", pasid),
                            device, pasid, access, accessAndFlags, null);
                }
            } else {
                ScalableContextEntry c = ce.sm();
                if (pasid != Access.NO_PASID && !c.paside()) {
                    return fault(failed(iova, access, c.fpd(), FaultReason.CONTEXT_ENTRY_INV, "request with PASID %d while PASIDE is clear", pasid),
                            device, pasid, access, accessAndFlags, null);
                }
                if (pasid == Access.NO_PASID && c.ridPriv()) {
                    access |= Access.PRIV;
                }
                int entryPasid = pasid == Access.NO_PASID ? c.ridPasid() : pasid;
                tc = pasidCache.lookup(sid, entryPasid);
                if (tc == null) {
                    long epoch = pasidCache.epoch();
                    Walk w = new Walk(iova, access);
                    tc = configWalker.pasid(w, c, sid, entryPasid);
                    if (tc == null) {
                        return fault(w, device, pasid, access, accessAndFlags, null);
                    }
                    pasidCache.fill(tc, epoch);
                }
            }
            boolean cacheable = tc.pgtt() != PasidEntry.PGTT_PASS_THROUGH;
            if (cacheable) {
                TranslatedPage hit = iotlb.lookup(tc.did(), tc.pasid(), iova, access);
                if (hit != null) {
                    return hit;
                }
            }
            long epoch = iotlb.epoch();
            Walk w = new Walk(iova, access);
            w.fpd = tc.fpd();
            if (!pageWalker.translate(w, tc)) {
                return fault(w, device, pasid, access, accessAndFlags, tc);
            }
            long out = w.physBase + (iova & ((1L << w.shift) - 1));
            if (PageWalker.touchesInterruptRange(out, out)) {
                return fault(failed(iova, access, tc.fpd(), profile.scalable() ? FaultReason.SM_INTERRUPT_ADDR : FaultReason.INTERRUPT_ADDR,
                        "output address 0x%x", out), device, pasid, access, accessAndFlags, tc);
            }
            int rights = w.userRights | w.privRights | (w.privRights != 0 ? Access.PRIV : 0);
            TranslatedPage page = new TranslatedPage(w.physBase, w.shift, rights);
            if (cacheable && !PageWalker.touchesInterruptRange(w.physBase, w.physBase + (1L << w.shift) - 1)) {
                iotlb.fill(new Iotlb.Entry(tc.did(), tc.pasid(), w.shift, iova >>> w.shift, tc.pgtt(), page, w.userRights, w.privRights,
                        w.dirty || (access & Access.WRITE) != 0), epoch);
            }
            return page;
        } catch (RuntimeException e) {
            LOG.warn("{}: translating 0x{} for {} pasid {} failed: {}", description.id(), Long.toHexString(iova), device.address(),
                    Access.pasid(pasid), e.toString(), e);
            return new TranslationFault(description.id(), "INTERNAL_ERROR", 0, iova, pasid, access, false, null, e.toString());
        }
    }

    /** What a walk of {@code iova} by (device, PASID) reads now, entry by entry: see {@link PathDescriber}. */
    @Override
    public List<DecodedEntry> describePath(PciDevice device, int pasid, long iova) {
        return describer.describe(device.rid(), pasid, iova);
    }

    private static Walk failed(long iova, int access, boolean fpd, FaultReason reason, String fmt, Object... args) {
        Walk w = new Walk(iova, access);
        w.fpd = fpd;
        w.fail(reason, fmt, args);
        return w;
    }

    /** Whether the domain behind a DID was allocated with a fault queue (FAULT_ID_VALID). */
    private boolean iopf(int did) {
        Domain d = driver.byDid.get(did);
        return d instanceof VtdDomain ? ((VtdDomain) d).iopf() : d instanceof VtdNestedDomain && ((VtdNestedDomain) d).iopf();
    }

    /**
     * A failed walk: a page request when the device, the unit, the context entry and the domain allow one;
     * otherwise a fault record (unless FPD suppresses a qualified fault) reported to the host.
     */
    private TranslationFault fault(Walk w, PciDevice device, int pasid, int access, int flags, TranslationContext tc) {
        faults.increment();
        FaultReason reason = w.fault;
        String detail = w.detail;
        long iova = w.iova;
        boolean pri = w.recoverable && tc != null && device.caps().pri() && caps.prs() && (flags & Access.RETRY) == 0 && iopf(tc.did());
        if (pri && !tc.pre()) {
            detail = reason.description + "; " + detail;
            reason = FaultReason.SM_PRE_ABS;
            pri = false;
        }
        if (pri) {
            TranslationFault f = pageRequest(device, pasid, access, iova, reason, detail);
            if (f != null) {
                return f;
            }
            detail += "; the page request queue is full";
        }
        byte[] record = null;
        if (reason.qualified && w.fpd) {
            suppressed.increment();
            detail += " (not recorded: FPD)";
        } else {
            UnitEvent ev = recorder.record(reason, device.rid(), pasid, iova, access, detail);
            if (ev != null) {
                record = ev.record();
                UnitHost h = host;
                if (h != null) {
                    h.event(ev);
                }
            } else {
                detail += " (not recorded: primary fault overflow)";
            }
        }
        return new TranslationFault(description.id(), reason.name(), reason.code, iova, pasid, access, false, record, detail);
    }

    /**
     * Queues a page request and hands it to the host; null when the queue is full. The faulting DMA waits on the
     * unit's held request of its group (RID, PASID if present, PRGI), which only a page group response descriptor
     * processed by the invalidation queue completes ({@link #pageGroupResponse}); what the host returns is the
     * software side of the request and does not release the DMA.
     */
    private TranslationFault pageRequest(PciDevice device, int pasid, int access, long iova, FaultReason reason, String detail) {
        boolean pp = pasid != Access.NO_PASID;
        PageRequestDescriptor d = new PageRequestDescriptor(device.rid(), pp, pp ? pasid : 0, (access & Access.EXEC) != 0,
                (access & Access.PRIV) != 0, (access & Access.WRITE) == 0, (access & Access.WRITE) != 0, true, (int) ((iova >>> 12) & 0x1ff),
                iova & -4096L, false, 0, 0);
        // held before it is posted, so that a response that comes back at once finds it
        HeldPageRequests.Hold hold = held.hold(d.rid(), d.pasidPresent(), d.pasid(), d.prgi());
        List<PageRequestDescriptor> taken;
        synchronized (prq) {
            if (prq.post(d) < 0) {
                if (hold.created()) {
                    held.drop(hold.held());
                }
                return null;
            }
            taken = prq.drain();
        }
        UnitHost h = host;
        TranslationFault f = new TranslationFault(description.id(), reason.name(), reason.code, iova, pasid, access, true, null,
                detail + "; page request queued, PRGI " + d.prgi()).withPending(hold.held());
        for (PageRequestDescriptor t : taken) {
            pageRequests.increment();
            PageRequest req = new PageRequest(device, t.pasidPresent() ? t.pasid() : Access.NO_PASID, t.prgi(), access, t.address(), t.lpig(), t);
            if (h == null) {
                pageResponse(req, RESPONSE_INVALID);
                continue;
            }
            h.pageRequest(req);
        }
        return f;
    }

    @Override
    public void pageResponse(PageRequest request, int response) {
        PageRequestDescriptor d = request.token() instanceof PageRequestDescriptor ? (PageRequestDescriptor) request.token()
                : new PageRequestDescriptor(request.device().rid(), request.pasid() != Access.NO_PASID, Math.max(0, request.pasid()), false,
                        false, true, false, request.lastPage(), request.groupId() & 0x1ff, request.address(), false, 0, 0);
        if (!caps.prs()) {
            return;
        }
        invalidator.submit(d.response(response == RESPONSE_SUCCESS ? Descriptor.RESP_SUCCESS : Descriptor.RESP_INVALID));
    }

    /**
     * The hardware processed a page group response descriptor: it goes to the device, whose held request of that
     * group (RID, PASID if PASID_P, PRGI) ends: Success retries the translation, Invalid or Response Failure fails
     * the DMA. A response to a group nobody waits for is counted and otherwise ignored.
     */
    private void pageGroupResponse(Descriptor d) {
        if (!held.respond(d)) {
            unmatchedResponses.increment();
        }
        switch (d.resp()) {
        case Descriptor.RESP_SUCCESS: responsesSuccess.increment(); break;
        case Descriptor.RESP_INVALID: responsesInvalid.increment(); break;
        default: responsesFailure.increment();
        }
        synchronized (responses) {
            if (responses.size() == RESPONSE_LOG) {
                responses.removeFirst();
            }
            responses.addLast(d);
        }
    }

    /** The page group responses the hardware processed, oldest first (the last {@value #RESPONSE_LOG}). */
    List<Descriptor> pageGroupResponses() {
        synchronized (responses) {
            return new ArrayList<>(responses);
        }
    }

    // ================================================================ registers

    /** A 64-bit (or 32-bit, zero-extended) register read at a spec offset; unknown offsets read 0. */
    public long readRegister(int offset) {
        return registerFile.read(offset);
    }

    /** A register write at a spec offset; see {@link RegisterFile#write}. */
    public void writeRegister(int offset, long value) {
        registerFile.write(offset, value);
    }

    // ================================================================ stats and teardown

    @Override
    public UnitStats stats() {
        Map<String, Long> m = new LinkedHashMap<>();
        m.put("iotlb.entries", (long) iotlb.size());
        m.put("iotlb.valid", (long) iotlb.occupancy());
        m.put("iotlb.invalidated", iotlb.invalidated.sum());
        m.put("context.entries", (long) contextCache.size());
        m.put("context.hits", contextCache.hits.sum());
        m.put("context.misses", contextCache.misses.sum());
        m.put("context.invalidated", contextCache.invalidated.sum());
        m.put("pasid.entries", (long) pasidCache.size());
        m.put("pasid.hits", pasidCache.hits.sum());
        m.put("pasid.misses", pasidCache.misses.sum());
        m.put("pasid.invalidated", pasidCache.invalidated.sum());
        m.put("iq.descriptors", iq.processed.sum());
        m.put("iq.errors", iq.errors.sum());
        m.put("iq.recoveries", invalidator.recoveries.sum());
        m.put("iq.devtlb", iq.deviceTlbInvalidations.sum());
        m.put("faults.recorded", recorder.recorded());
        m.put("faults.dropped", recorder.dropped());
        m.put("faults.suppressed", suppressed.sum());
        m.put("prq.requests", pageRequests.sum());
        m.put("prq.responses.success", responsesSuccess.sum());
        m.put("prq.responses.invalid", responsesInvalid.sum());
        m.put("prq.responses.failure", responsesFailure.sum());
        m.put("prq.responses.unmatched", unmatchedResponses.sum());
        m.put("prq.held", (long) held.size());
        m.put("tables.frames", (long) tables.tableFrames());
        return new UnitStats(iotlb.hits.sum(), iotlb.misses.sum(), iq.processed.sum(), faults.sum(), m);
    }

    @Override
    public List<UnitEvent> events() {
        return recorder.events();
    }

    /** Frames held by the second-stage tables of live paging domains (not the root, context and PASID tables). */
    public long domainTableFrames() {
        long n = 0;
        for (Domain d : driver.byDid.values()) {
            if (d instanceof VtdDomain) {
                n += ((VtdDomain) d).table.tableFrames();
            }
        }
        return n;
    }

    /** Frees every domain, table and queue: the backend is going away. */
    public void shutdown() {
        held.abortAll();
        driver.detachAll();
        for (Domain d : new ArrayList<>(driver.byDid.values())) {
            if (d instanceof VtdNestedDomain) {
                d.free();
            }
        }
        for (Domain d : new ArrayList<>(driver.byDid.values())) {
            d.free();
        }
        driver.shutdown();
        tables.freeAll();
        invalidator.free();
        if (prqFrame != 0) {
            frames.free(prqFrame);
        }
    }

    @Override
    public String toString() {
        return "VT-d unit " + description.id() + " (" + profile.name() + ")";
    }
}
