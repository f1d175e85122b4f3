package dev.ioasid.backend.mock.internal;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.AtomicReferenceArray;

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
import dev.ioasid.machine.MachineDescription;
import dev.ioasid.machine.PciDevice;
import dev.ioasid.machine.TranslatedPage;
import dev.ioasid.machine.Translation;
import dev.ioasid.machine.TranslationFault;
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
 * A selftest-style mock IOMMU unit, modelled on Linux's iommufd_test mock: a granule of 2 KiB (or 4 KiB), an
 * aperture of [2^24, 2^31-1], PASID width 20, a small IOTLB, dirty bits, and the selftest's nested domain.
 * Unit settings of the machine description: {@code pagesize=2048|4096}, {@code iotlb=<entries>},
 * {@code events=<records>}, {@code reserved=<start>-<last>} (a reserved region of every device, like an MSI
 * window), {@code fail-pasid=<pasid>} (the selftest's fault injection: every second attach of that PASID fails
 * with ENOMEM).
 * <p>
 * Device settings: {@code nodirty=1} (its domains cannot track dirty pages, like MOCK_FLAGS_DEVICE_NO_DIRTY).
 */
public final class MockUnit implements IommuUnit {
    private static final Logger LOG = LoggerFactory.getLogger(MockUnit.class);

    /** The reasons the mock gives for a fault, with the code in its event record. */
    public enum Reason {
        BLOCKED(1), NOT_PRESENT(2), PERMISSION(3), APERTURE(4);

        final int code;

        Reason(int code) {
            this.code = code;
        }
    }

    public static final long APERTURE_START = 1L << 24;
    public static final long APERTURE_LAST = (1L << 31) - 1;
    public static final int PASID_WIDTH = 20;
    public static final int HW_INFO_REGVAL = 0xdeadbeef;
    public static final int IOTLB_DEFAULT = 0xbadbeef;

    private final UnitDescription description;
    private final FrameAllocator frames;
    private final int granuleShift;
    private final IovaRange reserved;
    private final int failPasid;
    final MockIotlb iotlb;
    private final MockEventLog log;
    private final AtomicLong nextTag = new AtomicLong(1);
    private final AtomicLong faults = new AtomicLong();
    private final AtomicLong pageRequests = new AtomicLong();
    private final AtomicLong responsesSuccess = new AtomicLong();
    private final AtomicLong responsesInvalid = new AtomicLong();
    /** live domains, for the free at shutdown */
    private final Set<Domain> domains = ConcurrentHashMap.newKeySet();
    /** device table indexed by RID */
    private final AtomicReferenceArray<DeviceSlot> slots = new AtomicReferenceArray<>(1 << 16);
    private volatile UnitHost host;

    /** What a RID is attached to. */
    private static final class DeviceSlot {
        volatile Domain rid;
        final Map<Integer, Domain> pasids = new ConcurrentHashMap<>();
        /** the selftest's toggle for fail-pasid: guarded by this */
        boolean failToggle;
    }

    public MockUnit(UnitDescription description, FrameAllocator frames) {
        this.description = description;
        this.frames = frames;
        long pageSize = description.longProperty("pagesize", 2048);
        if (pageSize != 2048 && pageSize != 4096) {
            throw new IllegalArgumentException("mock unit " + description.id() + ": pagesize must be 2048 or 4096");
        }
        this.granuleShift = Long.numberOfTrailingZeros(pageSize);
        this.iotlb = new MockIotlb((int) description.longProperty("iotlb", 16));
        this.log = new MockEventLog(description.id(), (int) description.longProperty("events", 256));
        String r = description.property("reserved", null);
        if (r == null) {
            this.reserved = null;
        } else {
            String[] se = r.split("-");
            this.reserved = new IovaRange(MachineDescription.parseSize(se[0]), MachineDescription.parseSize(se[1]));
        }
        this.failPasid = (int) description.longProperty("fail-pasid", -1);
    }

    @Override
    public UnitDescription description() {
        return description;
    }

    @Override
    public String profile() {
        return "selftest";
    }

    @Override
    public void start(UnitHost h) {
        this.host = h;
    }

    /** The granule, 2048 or 4096 bytes. */
    public int pageSize() {
        return 1 << granuleShift;
    }

    @Override
    public HwInfo hwInfo(PciDevice device, int requestedType) {
        if (requestedType != HwInfoType.DEFAULT && requestedType != HwInfoType.SELFTEST) {
            throw IommuException.of(Errno.EOPNOTSUPP, "the mock reports hw_info type 0x%x only", HwInfoType.SELFTEST);
        }
        byte[] data = ByteBuffer.allocate(8).order(ByteOrder.LITTLE_ENDIAN).putInt(0).putInt(HW_INFO_REGVAL).array();
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
        return new HwInfo(HwInfoType.SELFTEST, data, Math.min(device.caps().pasidWidth(), PASID_WIDTH), caps);
    }

    @Override
    public boolean supportsDirtyTracking(PciDevice device) {
        return !device.properties().containsKey("nodirty");
    }

    @Override
    public List<IovaRange> reservedRegions(PciDevice device) {
        return reserved == null ? List.of() : List.of(reserved);
    }

    @Override
    public PagingDomain allocPaging(PciDevice device, int flags, int dataType, byte[] data) {
        if ((flags & ~(HwptFlags.NEST_PARENT | HwptFlags.DIRTY_TRACKING | HwptFlags.PASID | HwptFlags.FAULT_ID_VALID)) != 0) {
            throw IommuException.of(Errno.EOPNOTSUPP, "mock paging domains take no flags 0x%x", flags);
        }
        if ((flags & HwptFlags.DIRTY_TRACKING) != 0 && !supportsDirtyTracking(device)) {
            throw IommuException.of(Errno.EOPNOTSUPP, "device %s cannot track dirty pages", device.address());
        }
        int pagetableType = 0;
        if (dataType == HwptDataType.SELFTEST) {
            pagetableType = selftestData(data)[1];
        } else if (dataType != HwptDataType.NONE) {
            throw IommuException.of(Errno.EOPNOTSUPP, "the mock takes data type 0x%x, not 0x%x", HwptDataType.SELFTEST, dataType);
        }
        if (pagetableType != 0 && pagetableType != 1) {
            throw IommuException.of(Errno.EOPNOTSUPP, "mock page table type %d (0 default, 1 huge)", pagetableType);
        }
        MockDomain d = new MockDomain(this, nextTag.getAndIncrement(), new MockPageTable(frames, granuleShift),
                new IovaRange(APERTURE_START, APERTURE_LAST), flags, true);
        domains.add(d);
        LOG.debug("{}: allocated {} flags [{}]", description.id(), d, HwptFlags.describe(flags));
        return d;
    }

    /** Copies {@code iommu_hwpt_selftest} with the uAPI's size rules: at least 4 bytes, at most 8. */
    private static int[] selftestData(byte[] data) {
        if (data == null || data.length < 4) {
            throw IommuException.of(Errno.EINVAL, "iommu_hwpt_selftest needs at least 4 bytes, got %d", data == null ? 0 : data.length);
        }
        if (data.length > 8) {
            throw IommuException.of(Errno.EINVAL, "iommu_hwpt_selftest is 8 bytes, got %d", data.length);
        }
        ByteBuffer b = ByteBuffer.wrap(java.util.Arrays.copyOf(data, 8)).order(ByteOrder.LITTLE_ENDIAN);
        return new int[] { b.getInt(), b.getInt() };
    }

    @Override
    public NestedDomain allocNested(PciDevice device, PagingDomain parent, int flags, int dataType, byte[] data) {
        if ((flags & ~(HwptFlags.PASID | HwptFlags.FAULT_ID_VALID)) != 0) {
            throw IommuException.of(Errno.EOPNOTSUPP, "mock nested domains take no flags 0x%x", flags);
        }
        if (!(parent instanceof MockDomain) || ((MockDomain) parent).unit != this || !domains.contains(parent)) {
            throw IommuException.of(Errno.EINVAL, "parent %s is not a paging domain of %s", parent, description.id());
        }
        if (dataType != HwptDataType.SELFTEST) {
            throw IommuException.of(Errno.EOPNOTSUPP, "the mock nests with data type 0x%x, not 0x%x", HwptDataType.SELFTEST, dataType);
        }
        int[] sd = selftestData(data);
        MockNestedDomain d = new MockNestedDomain(this, (MockDomain) parent, nextTag.getAndIncrement(), flags, data, sd[0]);
        domains.add(d);
        LOG.debug("{}: allocated {}", description.id(), d);
        return d;
    }

    private DeviceSlot slot(PciDevice device) {
        int rid = device.rid();
        DeviceSlot s = slots.get(rid);
        if (s == null) {
            slots.compareAndSet(rid, null, new DeviceSlot());
            s = slots.get(rid);
        }
        return s;
    }

    @Override
    public void attach(PciDevice device, int pasid, Domain domain) {
        if (!domains.contains(domain)) {
            throw IommuException.of(Errno.EINVAL, "%s is not a live domain of %s", domain, description.id());
        }
        MockDomain paging = domain instanceof MockNestedDomain ? ((MockNestedDomain) domain).parent : (MockDomain) domain;
        if (paging.dirtyCapable && !supportsDirtyTracking(device)) {
            throw IommuException.of(Errno.EINVAL, "device %s cannot use a dirty-tracking domain", device.address());
        }
        DeviceSlot s = slot(device);
        if (pasid != Access.NO_PASID) {
            int width = Math.min(device.caps().pasidWidth(), PASID_WIDTH);
            if (width == 0 || pasid < 0 || pasid >= (1 << width)) {
                throw IommuException.of(Errno.EINVAL, "device %s has no PASID %d (width %d)", device.address(), pasid, width);
            }
            if (pasid == failPasid) {
                synchronized (s) {
                    if (s.failToggle) {
                        s.failToggle = false;
                        throw IommuException.of(Errno.ENOMEM, "injected failure for PASID %d", pasid);
                    }
                    s.failToggle = true;
                }
            }
            s.pasids.put(pasid, domain);
        } else {
            s.rid = domain;
        }
        LOG.debug("{}: {} pasid {} -> {}", description.id(), device.address(), Access.pasid(pasid), domain);
    }

    @Override
    public void detach(PciDevice device, int pasid) {
        DeviceSlot s = slot(device);
        if (pasid == Access.NO_PASID) {
            s.rid = null;
        } else {
            s.pasids.remove(pasid);
            if (pasid == failPasid) {
                synchronized (s) {
                    s.failToggle = false;
                }
            }
        }
        LOG.debug("{}: {} pasid {} -> blocked", description.id(), device.address(), Access.pasid(pasid));
    }

    /** What the RID or (RID, PASID) is attached to, or null (blocked). For tests. */
    public Domain attached(PciDevice device, int pasid) {
        DeviceSlot s = slots.get(device.rid());
        if (s == null) {
            return null;
        }
        return pasid == Access.NO_PASID ? s.rid : s.pasids.get(pasid);
    }

    @Override
    public Translation translate(PciDevice device, int pasid, long iova, int accessAndFlags) {
        int access = accessAndFlags & Access.RIGHTS;
        DeviceSlot s = slots.get(device.rid());
        Domain d = s == null ? null : pasid == Access.NO_PASID ? s.rid : s.pasids.get(pasid);
        if (d == null) {
            return fault(Reason.BLOCKED, device, pasid, iova, access, false, "not attached: blocked");
        }
        MockDomain paging;
        long tag;
        boolean iopf;
        if (d instanceof MockNestedDomain) {
            MockNestedDomain n = (MockNestedDomain) d;
            paging = n.parent;
            tag = n.tag;
            iopf = n.iopf;
        } else {
            paging = (MockDomain) d;
            tag = paging.tag;
            iopf = paging.iopf;
        }
        if (!paging.aperture.contains(iova)) {
            return fault(Reason.APERTURE, device, pasid, iova, access, false, "outside the aperture " + paging.aperture);
        }
        boolean write = (access & Access.WRITE) != 0;
        boolean recoverable = iopf && device.caps().pri() && (accessAndFlags & Access.RETRY) == 0;
        long page = iova >>> granuleShift;
        MockIotlb.Entry e = iotlb.lookup(tag, page);
        if (e != null) {
            if ((e.translation.access() & access) != access) {
                return fault(Reason.PERMISSION, device, pasid, iova, access, recoverable, "IOTLB entry allows " + Access.describe(e.translation.access()));
            }
            if (!write || !paging.dirtyTracking || e.dirty) {
                return e.translation;
            }
        }
        long[] slot = new long[1];
        int[] level = new int[1];
        long leaf = paging.table.walk(iova, slot, level);
        if (leaf == 0) {
            return fault(Reason.NOT_PRESENT, device, pasid, iova, access, recoverable, "no mapping");
        }
        int allowed = ((leaf & MockPageTable.R) != 0 ? Access.READ : 0) | ((leaf & MockPageTable.W) != 0 ? Access.WRITE : 0)
                | Access.EXEC | Access.PRIV;
        if ((allowed & access) != access) {
            return fault(Reason.PERMISSION, device, pasid, iova, access, recoverable, "mapping allows " + Access.describe(allowed));
        }
        boolean markDirty = write && paging.dirtyTracking;
        paging.table.setBits(slot[0], MockPageTable.A | (markDirty ? MockPageTable.D : 0));
        int shift = paging.table.shift(level[0]);
        TranslatedPage tp = new TranslatedPage(leaf & MockPageTable.OA_MASK & -(1L << shift), shift, allowed);
        iotlb.insert(new MockIotlb.Entry(tag, page, tp, markDirty || (leaf & MockPageTable.D) != 0));
        return tp;
    }

    private TranslationFault fault(Reason reason, PciDevice device, int pasid, long iova, int access, boolean recoverable, String detail) {
        faults.incrementAndGet();
        byte[] record = null;
        UnitHost h0 = host;
        if (recoverable && h0 != null) {
            // a page request: the group is the faulting page, as a device that issues one request per page
            PageRequest req = new PageRequest(device, pasid, (int) ((iova >>> granuleShift) & 0x1ff), access,
                    iova & -(1L << granuleShift), true, null);
            pageRequests.incrementAndGet();
            TranslationFault f = new TranslationFault(description.id(), reason.name(), reason.code, iova, pasid, access, true, null,
                    detail + "; page request sent");
            return f.withPending(h0.pageRequest(req));
        }
        {
            UnitEvent ev = log.log(reason, device.rid(), pasid, access, iova, detail);
            if (ev != null) {
                record = ev.record();
                UnitHost h = host;
                if (h != null) {
                    h.event(ev);
                }
            }
        }
        return new TranslationFault(description.id(), reason.name(), reason.code, iova, pasid, access, recoverable, record, detail);
    }

    @Override
    public void pageResponse(PageRequest request, int response) {
        (response == RESPONSE_SUCCESS ? responsesSuccess : responsesInvalid).incrementAndGet();
        LOG.debug("{}: page response {} for {} pasid {} group {}", description.id(), response == RESPONSE_SUCCESS ? "SUCCESS" : "INVALID",
                request.device().address(), Access.pasid(request.pasid()), request.groupId());
    }

    /**
     * TRIGGER_IOPF of the selftest: raises a page request for a device and PASID as if its DMA had faulted,
     * and returns what a request would wait on.
     */
    public dev.ioasid.machine.PendingFault triggerIopf(PciDevice device, int pasid, int groupId, int access, long address) {
        UnitHost h = host;
        if (h == null) {
            throw new IllegalStateException("unit " + description.id() + " is not started");
        }
        pageRequests.incrementAndGet();
        return h.pageRequest(new PageRequest(device, pasid, groupId, access, address, true, null));
    }

    @Override
    public List<dev.ioasid.spi.DecodedEntry> describePath(PciDevice device, int pasid, long iova) {
        List<dev.ioasid.spi.DecodedEntry> out = new ArrayList<>();
        Domain d = attached(device, pasid);
        Map<String, String> f = new LinkedHashMap<>();
        f.put("rid", String.format("%04x", device.rid()));
        f.put("pasid", Access.pasid(pasid));
        f.put("domain", d == null ? "blocked" : d.toString());
        out.add(new dev.ioasid.spi.DecodedEntry("mock device table entry", -1, f));
        if (d == null) {
            return out;
        }
        MockDomain paging = d instanceof MockNestedDomain ? ((MockNestedDomain) d).parent : (MockDomain) d;
        Map<String, String> r = new LinkedHashMap<>();
        r.put("root", String.format("0x%x", paging.table.root));
        r.put("granule", Integer.toString(1 << granuleShift));
        r.put("aperture", paging.aperture.toString());
        r.put("dirty_tracking", paging.dirtyTracking ? "on" : "off");
        out.add(new dev.ioasid.spi.DecodedEntry("mock domain " + paging.tag, paging.table.root, r));
        if (paging.aperture.contains(iova)) {
            out.addAll(paging.table.describe(iova));
        }
        return out;
    }

    /** Invalidates the IOTLB for a range of a paging domain, and every nested domain on it. */
    void flush(MockDomain d, long iova, long length) {
        long first = iova >>> granuleShift;
        long last = (iova + length - 1) >>> granuleShift;
        iotlb.invalidate(d.tag, first, last);
        for (Domain x : domains) {
            if (x instanceof MockNestedDomain && ((MockNestedDomain) x).parent == d) {
                iotlb.invalidate(((MockNestedDomain) x).tag, first, last);
            }
        }
    }

    void invalidateNested(MockNestedDomain n) {
        iotlb.invalidate(n.tag);
    }

    void freed(Domain d) {
        domains.remove(d);
        iotlb.invalidate(d.tag());
    }

    /** MD_CHECK_IOTLB: one of the four values of a mock nested domain. */
    public static int nestedIotlb(NestedDomain d, int id) {
        return ((MockNestedDomain) d).iotlb(id);
    }

    @Override
    public UnitStats stats() {
        Map<String, Long> caches = new LinkedHashMap<>();
        caches.put("iotlb.entries", (long) iotlb.size());
        caches.put("iotlb.valid", (long) iotlb.occupancy());
        caches.put("events.dropped", log.dropped());
        caches.put("events.overflow", log.overflow() ? 1L : 0L);
        caches.put("prq.requests", pageRequests.get());
        caches.put("prq.responses.success", responsesSuccess.get());
        caches.put("prq.responses.invalid", responsesInvalid.get());
        return new UnitStats(iotlb.hits.sum(), iotlb.misses.sum(), iotlb.invalidations.sum(), faults.get(), caches);
    }

    @Override
    public List<UnitEvent> events() {
        return log.events();
    }

    /** Whether the event log overflowed since it was last drained. */
    public boolean eventOverflow() {
        return log.overflow();
    }

    /** Reads and empties the event log (clears the overflow flag). */
    public List<UnitEvent> drainEvents() {
        return log.drain();
    }

    /** Frees every domain still alive: the backend is going away. */
    public void shutdown() {
        for (Domain d : new ArrayList<>(domains)) {
            d.free();
        }
        for (int i = 0; i < slots.length(); i++) {
            slots.set(i, null);
        }
    }

    /** Frames held by the tables of live domains. */
    public long tableFrames() {
        long n = 0;
        for (Domain d : domains) {
            if (d instanceof MockDomain) {
                n += ((MockDomain) d).table.tableFrames();
            }
        }
        return n;
    }

    @Override
    public String toString() {
        return "mock unit " + description.id();
    }
}
