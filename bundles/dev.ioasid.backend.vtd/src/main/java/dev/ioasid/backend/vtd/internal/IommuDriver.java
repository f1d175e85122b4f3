package dev.ioasid.backend.vtd.internal;

import java.util.ArrayList;
import java.util.BitSet;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.locks.ReentrantLock;

import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import dev.ioasid.api.Errno;
import dev.ioasid.api.IommuException;
import dev.ioasid.machine.Access;
import dev.ioasid.machine.PciDevice;
import dev.ioasid.spi.Domain;

/**
 * The host driver of the unit, in the manner of Linux's intel-iommu: it owns Domain Identifiers, writes PASID
 * entries (scalable mode) or context entries (legacy mode) for every attachment, and turns every change into
 * queued-invalidation descriptors: PASID-cache, IOTLB or PASID-based IOTLB, device-TLB and context-cache, in
 * that order, before any table frame is freed.
 * <p>
 * Guarded by {@link #lock}: DIDs, attachments, the configuration tables. The hardware never takes it.
 */
final class IommuDriver {
    private static final Logger LOG = LoggerFactory.getLogger(IommuDriver.class);

    /** The PASID that requests without one use (Linux IOMMU_NO_PASID). */
    static final int RID_PASID = 0;

    private final String unit;
    private final Profile profile;
    private final Capabilities caps;
    private final ConfigTables tables;
    private final Invalidator invalidator;
    final ReentrantLock lock = new ReentrantLock();
    /** guarded by lock; DID 0 is never used */
    private final BitSet dids = new BitSet();
    /** live domains by DID; read without the lock on the fault path */
    final Map<Integer, Domain> byDid = new ConcurrentHashMap<>();
    /** guarded by lock */
    private final Map<Long, Attachment> attachments = new LinkedHashMap<>();

    /** What an endpoint (RID, or RID and PASID) is attached to. */
    record Attachment(PciDevice device, int pasid, Domain domain) {
        /** The PASID of its PASID entry: RID_PASID for the RID. */
        int entryPasid() {
            return pasid == Access.NO_PASID ? RID_PASID : pasid;
        }
    }

    IommuDriver(String unit, Profile profile, ConfigTables tables, Invalidator invalidator) {
        this.unit = unit;
        this.profile = profile;
        this.caps = profile.caps();
        this.tables = tables;
        this.invalidator = invalidator;
        dids.set(0);
    }

    private static long key(int sid, int pasid) {
        return (long) sid << 32 | (pasid & 0xffffffffL);
    }

    // ------------------------------------------------------------------ domains

    int allocDid() {
        lock.lock();
        try {
            int did = dids.nextClearBit(1);
            if (did >= caps.domains()) {
                throw IommuException.of(Errno.ENOSPC, "unit %s has no free domain id (ND allows %d)", unit, caps.domains());
            }
            dids.set(did);
            return did;
        } finally {
            lock.unlock();
        }
    }

    void register(Domain d, int did) {
        byDid.put(did, d);
    }

    /** Releases an unused DID (a failed allocation). */
    void releaseDid(int did) {
        lock.lock();
        try {
            dids.clear(did);
        } finally {
            lock.unlock();
        }
    }

    boolean live(Domain d) {
        return d != null && byDid.get((int) d.tag()) == d;
    }

    /** Frees a domain: what is still attached to it is detached, its DID is flushed from every cache and reused. */
    void free(Domain d, int did) {
        lock.lock();
        try {
            for (Attachment a : new ArrayList<>(attachments.values())) {
                if (a.domain == d) {
                    LOG.warn("{}: {} freed while {} pasid {} is attached; detaching", unit, d, a.device.address(), Access.pasid(a.pasid));
                    detach(a.device, a.pasid);
                }
            }
            byDid.remove(did, d);
            List<Descriptor> ds = new ArrayList<>();
            ds.add(Descriptor.iotlb(Descriptor.IOTLB_DOMAIN, true, true, did, 0, 0, false));
            if (profile.scalable()) {
                ds.add(Descriptor.pasidCache(Descriptor.PC_DOMAIN, did, 0));
            } else {
                ds.add(Descriptor.contextCache(Descriptor.CC_DOMAIN, did, 0, 0));
            }
            invalidator.submit(ds);
            dids.clear(did);
        } finally {
            lock.unlock();
        }
    }

    // ------------------------------------------------------------------ attach and detach

    private static VtdDomain paging(Domain d) {
        return d instanceof VtdNestedDomain ? ((VtdNestedDomain) d).parent : (VtdDomain) d;
    }

    /** The PASID entry that points at a domain. */
    PasidEntry entryFor(Domain d) {
        if (d instanceof VtdNestedDomain) {
            VtdNestedDomain n = (VtdNestedDomain) d;
            return new PasidEntry(true, false, n.parent.table.aw, PasidEntry.PGTT_NESTED, n.parent.dirtyTracking, n.parent.table.root, n.did,
                    false, false, (n.s1Flags & VtdNestedDomain.S1_SRE) != 0, n.fspm(), (n.s1Flags & VtdNestedDomain.S1_WPE) != 0,
                    (n.s1Flags & VtdNestedDomain.S1_EAFE) != 0, n.pgtblAddr);
        }
        VtdDomain p = (VtdDomain) d;
        return new PasidEntry(true, false, p.table.aw, PasidEntry.PGTT_SECOND_STAGE, p.dirtyTracking, p.table.root, p.did, false, false,
                false, 0, false, false, 0);
    }

    private boolean ats(PciDevice d) {
        return d.caps().ats() && caps.dt();
    }

    private int pasidBits(PciDevice d) {
        return Math.min(d.caps().pasidWidth(), caps.pasidBits());
    }

    /** The scalable-mode context entry a device gets when its first endpoint is attached. */
    ScalableContextEntry contextTemplate(PciDevice d) {
        return new ScalableContextEntry(true, false, ats(d), pasidBits(d) > 0, d.caps().pri() && caps.prs(), 0, 0, RID_PASID, false);
    }

    /**
     * Points (RID) or (RID, PASID) at a domain, replacing the old attachment in one write of the entry; the old
     * DID is then flushed. On failure the old attachment stays.
     */
    void attach(PciDevice device, int pasid, Domain domain) {
        if (!live(domain)) {
            throw IommuException.of(Errno.EINVAL, "%s is not a live domain of %s", domain, unit);
        }
        if (pasid != Access.NO_PASID) {
            int width = pasidBits(device);
            if (!profile.scalable() || width == 0 || pasid < 0 || pasid >= 1 << width) {
                throw IommuException.of(Errno.EINVAL, "device %s has no PASID %d on %s (PASID width %d)", device.address(), pasid, unit, width);
            }
            if (pasid == RID_PASID) {
                throw IommuException.of(Errno.EINVAL, "PASID %d is the RID_PASID of %s", pasid, device.address());
            }
        }
        VtdDomain p = paging(domain);
        if (p.dirtyCapable() && !(profile.scalable() && caps.ssads())) {
            throw IommuException.of(Errno.EINVAL, "device %s cannot use a dirty-tracking domain", device.address());
        }
        if (!profile.scalable() && domain instanceof VtdNestedDomain) {
            throw IommuException.of(Errno.EINVAL, "legacy mode has no nested translation");
        }
        int sid = device.rid();
        lock.lock();
        try {
            if (profile.scalable()) {
                Attachment a = new Attachment(device, pasid, domain);
                PasidEntry old = tables.setPasidEntry(sid, a.entryPasid(), entryFor(domain), contextTemplate(device), pasidBits(device));
                if (old != null) {
                    invalidator.submit(afterPasidEntryChange(device, pasid, old));
                }
            } else {
                LegacyContextEntry e = new LegacyContextEntry(true, false,
                        ats(device) ? LegacyContextEntry.TT_DEV_IOTLB : LegacyContextEntry.TT_MULTI_LEVEL, p.table.root, p.table.aw, p.did);
                LegacyContextEntry old = tables.setLegacyContext(sid, e);
                if (old != null) {
                    invalidator.submit(afterLegacyContextChange(device, old));
                }
            }
            attachments.put(key(sid, pasid), new Attachment(device, pasid, domain));
            LOG.debug("{}: {} pasid {} -> {}", unit, device.address(), Access.pasid(pasid), domain);
        } finally {
            lock.unlock();
        }
    }

    /** Blocks (RID) or (RID, PASID); the device's tables go when nothing of it is attached. Never fails. */
    void detach(PciDevice device, int pasid) {
        int sid = device.rid();
        lock.lock();
        try {
            attachments.remove(key(sid, pasid));
            if (profile.scalable()) {
                int entryPasid = pasid == Access.NO_PASID ? RID_PASID : pasid;
                PasidEntry old = tables.clearPasidEntry(sid, entryPasid);
                List<Descriptor> ds = old == null ? new ArrayList<>() : afterPasidEntryChange(device, pasid, old);
                ConfigTables.Garbage g = ConfigTables.Garbage.NONE;
                if (old != null && tables.presentPasids(sid) == 0) {
                    g = tables.clearScalableContext(sid);
                    ds.add(Descriptor.contextCache(Descriptor.CC_DEVICE, 0, sid, 0));
                }
                if (!ds.isEmpty()) {
                    invalidator.submit(ds);
                }
                tables.free(g);
            } else {
                LegacyContextEntry old = tables.legacyContext(sid);
                ConfigTables.Garbage g = tables.clearLegacyContext(sid);
                if (old != null) {
                    invalidator.submit(afterLegacyContextChange(device, old));
                }
                tables.free(g);
            }
            LOG.debug("{}: {} pasid {} -> blocked", unit, device.address(), Access.pasid(pasid));
        } catch (RuntimeException e) {
            LOG.warn("{}: detach of {} pasid {} failed: {}", unit, device.address(), Access.pasid(pasid), e.toString());
        } finally {
            lock.unlock();
        }
    }

    /** PASID-cache, IOTLB and device-TLB invalidation after a present PASID entry changed or went. */
    private List<Descriptor> afterPasidEntryChange(PciDevice device, int pasid, PasidEntry old) {
        int entryPasid = pasid == Access.NO_PASID ? RID_PASID : pasid;
        List<Descriptor> ds = new ArrayList<>();
        ds.add(Descriptor.pasidCache(Descriptor.PC_PASID, old.did(), entryPasid));
        if (old.pgtt() == PasidEntry.PGTT_FIRST_STAGE || old.pgtt() == PasidEntry.PGTT_PASS_THROUGH) {
            ds.add(Descriptor.pasidIotlb(Descriptor.PIOTLB_PASID, old.did(), entryPasid, 0, 0, false));
        } else {
            ds.add(Descriptor.iotlb(Descriptor.IOTLB_DOMAIN, true, true, old.did(), 0, 0, false));
        }
        deviceTlb(ds, device, pasid, 0, -1);
        return ds;
    }

    private List<Descriptor> afterLegacyContextChange(PciDevice device, LegacyContextEntry old) {
        List<Descriptor> ds = new ArrayList<>();
        ds.add(Descriptor.contextCache(Descriptor.CC_DEVICE, old.did(), device.rid(), 0));
        ds.add(Descriptor.iotlb(Descriptor.IOTLB_DOMAIN, true, true, old.did(), 0, 0, false));
        deviceTlb(ds, device, Access.NO_PASID, 0, -1);
        return ds;
    }

    /** A device-TLB invalidation of {@code [addr, addr + npages pages)} (npages -1: everything) for an ATS device. */
    private void deviceTlb(List<Descriptor> ds, PciDevice device, int pasid, long addr, long npages) {
        if (!ats(device)) {
            return;
        }
        int sid = device.rid();
        long a;
        boolean size;
        if (npages == -1L) {
            a = 0x7fff_ffff_ffff_f000L;
            size = true;
        } else {
            int am = am(addr, addr + (npages << 12) - 1);
            a = am == 0 ? addr : (addr & -(1L << (am + 12))) | ((1L << (am + 11)) - 1) & -4096L;
            size = am > 0;
        }
        if (pasid == Access.NO_PASID) {
            ds.add(Descriptor.deviceTlb(sid, sid, 0, a, size));
        } else {
            ds.add(Descriptor.pasidDeviceTlb(sid, sid, 0, pasid, a, size, false));
        }
    }

    /** The smallest address mask whose naturally aligned region holds {@code [first, last]}. */
    static int am(long first, long last) {
        long s = first >>> 12;
        long e = last >>> 12;
        int m = 0;
        while (m < 52 && s >>> m != e >>> m) {
            m++;
        }
        return m;
    }

    // ------------------------------------------------------------------ invalidation on the core's behalf

    /**
     * After an unmap of a paging domain (strict): a page-selective IOTLB invalidation of its DID (domain-selective
     * when the range needs an AM above MAMV), a domain-selective one of every nested domain on it, and the
     * device TLBs of its ATS endpoints.
     */
    void flushPaging(VtdDomain d, long iova, long length) {
        if (length <= 0) {
            return;
        }
        long last = iova + length - 1;
        lock.lock();
        try {
            List<Descriptor> ds = new ArrayList<>();
            int am = am(iova, last);
            if (am <= caps.mamv() && caps.psi()) {
                ds.add(Descriptor.iotlb(Descriptor.IOTLB_PAGE, true, true, d.did, iova & -(1L << (am + 12)), am, false));
            } else {
                ds.add(Descriptor.iotlb(Descriptor.IOTLB_DOMAIN, true, true, d.did, 0, 0, false));
            }
            Set<Integer> nested = new LinkedHashSet<>();
            for (Attachment a : attachments.values()) {
                if (a.domain == d) {
                    deviceTlb(ds, a.device, a.pasid, iova, (last >>> 12) - (iova >>> 12) + 1);
                } else if (a.domain instanceof VtdNestedDomain && ((VtdNestedDomain) a.domain).parent == d) {
                    nested.add(((VtdNestedDomain) a.domain).did);
                    deviceTlb(ds, a.device, a.pasid, 0, -1);
                }
            }
            for (int did : nested) {
                ds.add(Descriptor.iotlb(Descriptor.IOTLB_DOMAIN, true, true, did, 0, 0, false));
            }
            invalidator.submit(ds);
        } finally {
            lock.unlock();
        }
    }

    /** A guest's VTD_S1 invalidation: PASID-based IOTLB (and device-TLB) descriptors for every endpoint of the domain. */
    void invalidateNested(VtdNestedDomain n, long addr, long npages, boolean leaf) {
        lock.lock();
        try {
            List<Descriptor> ds = new ArrayList<>();
            for (Attachment a : attachments.values()) {
                if (a.domain != n) {
                    continue;
                }
                int pasid = a.entryPasid();
                int am = npages == -1L ? Integer.MAX_VALUE : am(addr, addr + (npages << 12) - 1);
                if (am > caps.mamv()) {
                    ds.add(Descriptor.pasidIotlb(Descriptor.PIOTLB_PASID, n.did, pasid, 0, 0, false));
                } else {
                    ds.add(Descriptor.pasidIotlb(Descriptor.PIOTLB_PAGE, n.did, pasid, addr & -(1L << (am + 12)), am, leaf));
                }
                deviceTlb(ds, a.device, a.pasid, addr, npages);
            }
            if (!ds.isEmpty()) {
                invalidator.submit(ds);
            }
        } finally {
            lock.unlock();
        }
    }

    /** SSADE in every PASID entry whose second stage is the domain, then PASID-cache and IOTLB invalidation. */
    void setDirtyTracking(VtdDomain d, boolean enable) {
        lock.lock();
        try {
            d.dirtyTracking = enable;
            List<Descriptor> ds = new ArrayList<>();
            Set<Integer> flush = new LinkedHashSet<>();
            for (Attachment a : attachments.values()) {
                if (paging(a.domain) != d) {
                    continue;
                }
                PasidEntry old = tables.setPasidEntry(a.device.rid(), a.entryPasid(), entryFor(a.domain), contextTemplate(a.device),
                        pasidBits(a.device));
                if (old != null) {
                    ds.add(Descriptor.pasidCache(Descriptor.PC_PASID, old.did(), a.entryPasid()));
                    flush.add(old.did());
                }
            }
            for (int did : flush) {
                ds.add(Descriptor.iotlb(Descriptor.IOTLB_DOMAIN, true, true, did, 0, 0, false));
            }
            if (!ds.isEmpty()) {
                invalidator.submit(ds);
            }
        } finally {
            lock.unlock();
        }
    }

    /** What an endpoint is attached to, or null. */
    Domain attached(PciDevice device, int pasid) {
        lock.lock();
        try {
            Attachment a = attachments.get(key(device.rid(), pasid));
            return a == null ? null : a.domain;
        } finally {
            lock.unlock();
        }
    }

    /** Every attachment, for dumps and tests. */
    List<Attachment> attachments() {
        lock.lock();
        try {
            return new ArrayList<>(attachments.values());
        } finally {
            lock.unlock();
        }
    }

    /** The backend is going away: every endpoint is blocked (its tables freed), quietly. */
    void detachAll() {
        for (Attachment a : attachments()) {
            detach(a.device, a.pasid);
        }
    }

    /** The unit is gone: forget everything. */
    void shutdown() {
        lock.lock();
        try {
            attachments.clear();
            byDid.clear();
        } finally {
            lock.unlock();
        }
    }
}
