package dev.ioasid.backend.vtd.internal;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;

import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;

import dev.ioasid.machine.Access;
import dev.ioasid.machine.FrameAllocator;
import dev.ioasid.machine.Machine;
import dev.ioasid.machine.MachineDescription;
import dev.ioasid.machine.PciDevice;
import dev.ioasid.machine.PendingFault;
import dev.ioasid.machine.PhysicalMemory;
import dev.ioasid.machine.TranslatedPage;
import dev.ioasid.machine.Translation;
import dev.ioasid.machine.TranslationFault;
import dev.ioasid.spi.PageRequest;
import dev.ioasid.spi.UnitEvent;
import dev.ioasid.spi.UnitHost;

/**
 * A machine with one VT-d unit driven directly (no core), a host that records events and page requests, and
 * helpers that write the spec's structures into simulated memory by hand, as a guest or a qtest would.
 */
final class Rig implements UnitHost {
    static final String DEVICES = String.join("\n",
            "device 0000:00:04.0 vtd0 name=dsa0 pasid=20 ats pri exec priv",
            "device 0000:00:05.0 vtd0 name=nic0",
            "device 0000:00:06.0 vtd0 name=acc1 pasid=20 pri",
            "device 0000:02:00.0 vtd0 name=far");

    final Machine machine;
    final PhysicalMemory mem;
    final FrameAllocator frames;
    final VtdUnit unit;
    final List<UnitEvent> events = new CopyOnWriteArrayList<>();
    final List<PageRequest> requests = new CopyOnWriteArrayList<>();
    /**
     * How the test host handles a page request: it runs (with timeout 0) as the request arrives, and its outcome
     * is answered through the unit ({@link VtdUnit#pageResponse}, a page group response descriptor), as the core
     * does; TIMEOUT leaves the request unanswered. Null answers INVALID through the unit, as the core does
     * without a fault queue. What the DMA waits on is the unit's held request, not this.
     */
    volatile PendingFault pending;

    Rig(String unitSettings) {
        this(unitSettings, DEVICES);
    }

    Rig(String unitSettings, String devices) {
        machine = new Machine(MachineDescription.parse("memory 1G\nunit vtd0 vtd " + unitSettings + "\n" + devices + "\n", "rig"));
        mem = machine.memory();
        frames = machine.frames();
        unit = VtdUnit.of(machine.unit("vtd0"), frames);
        unit.start(this);
        machine.port("vtd0").drive(unit::translate);
    }

    static Rig server() {
        return new Rig("profile=server");
    }

    static Rig legacy() {
        return new Rig("profile=legacy");
    }

    PciDevice dev(String name) {
        return machine.device(name);
    }

    @Override
    public void event(UnitEvent e) {
        events.add(e);
    }

    @Override
    public PendingFault pageRequest(PageRequest request) {
        requests.add(request);
        PendingFault p = pending;
        if (p == null) {
            unit.pageResponse(request, dev.ioasid.spi.IommuUnit.RESPONSE_INVALID);
            return timeout -> PendingFault.Outcome.INVALID;
        }
        PendingFault.Outcome o;
        try {
            o = p.await(0);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            o = PendingFault.Outcome.TIMEOUT;
        }
        if (o != PendingFault.Outcome.TIMEOUT) {
            unit.pageResponse(request, o == PendingFault.Outcome.SUCCESS ? dev.ioasid.spi.IommuUnit.RESPONSE_SUCCESS
                    : dev.ioasid.spi.IommuUnit.RESPONSE_INVALID);
        }
        return p;
    }

    Translation translate(String device, int pasid, long iova, int access) {
        return unit.translate(dev(device), pasid, iova, access);
    }

    TranslatedPage page(String device, int pasid, long iova, int access) {
        Translation t = translate(device, pasid, iova, access);
        return assertInstanceOf(TranslatedPage.class, t, () -> "expected a translation, got " + t);
    }

    TranslationFault fault(String device, int pasid, long iova, int access) {
        Translation t = translate(device, pasid, iova, access);
        return assertInstanceOf(TranslationFault.class, t, () -> "expected a fault, got " + t);
    }

    /** Asserts a fault with a reason, and returns it. */
    TranslationFault expectFault(FaultReason reason, String device, int pasid, long iova, int access) {
        TranslationFault f = fault(device, pasid, iova, access);
        assertEquals(reason.name(), f.reason(), () -> f.toString());
        assertEquals(reason.code, f.code());
        return f;
    }

    long physical(String device, int pasid, long iova, int access) {
        return page(device, pasid, iova, access).physical(iova);
    }

    /** Invalidates every cache, as a global context-cache, PASID-cache and IOTLB invalidation does. */
    void flushAll() {
        List<Descriptor> ds = new ArrayList<>();
        ds.add(Descriptor.contextCache(Descriptor.CC_GLOBAL, 0, 0, 0));
        if (unit.profile.scalable()) {
            ds.add(Descriptor.pasidCache(Descriptor.PC_GLOBAL, 0, 0));
        }
        ds.add(Descriptor.iotlb(Descriptor.IOTLB_GLOBAL, false, false, 0, 0, 0, false));
        unit.invalidator.submit(ds);
    }

    // ------------------------------------------------------------------ hand-written tables

    /** Points RTADDR at a root table the test writes itself (TTM 01 in scalable mode). */
    void rootTable(long root) {
        unit.writeRegister(Registers.RTADDR, root | (unit.profile.scalable() ? 1L << 10 : 0));
    }

    void rootEntry(long root, int bus, RootEntry e) {
        mem.store64(root + 16L * bus, e.lo());
        mem.store64(root + 16L * bus + 8, e.hi());
    }

    void legacyContext(long table, int devfn, LegacyContextEntry e) {
        mem.store64(table + 16L * devfn, e.lo());
        mem.store64(table + 16L * devfn + 8, e.hi());
    }

    void smContext(long table, int devfn, ScalableContextEntry e) {
        long[] q = e.encode();
        for (int i = 0; i < 4; i++) {
            mem.store64(table + 32L * (devfn & 0x7f) + 8L * i, q[i]);
        }
    }

    void pasidDir(long dir, int index, PasidDirEntry e) {
        mem.store64(dir + 8L * index, e.encode());
    }

    void pasidEntry(long table, int index, PasidEntry e) {
        long[] q = e.encode();
        for (int i = 0; i < 8; i++) {
            mem.store64(table + 64L * index + 8L * i, q[i]);
        }
    }

    /** Writes one 8-byte paging entry at {@code table[index]}. */
    void pte(long table, int index, long value) {
        mem.store64(table + 8L * index, value);
    }

    /** The index of {@code va} at {@code level} (1 = 4 KiB table) in either stage. */
    static int index(long va, int level) {
        return (int) ((va >>> (12 + 9 * (level - 1))) & 511);
    }

    /** Hand-built scalable-mode configuration for one device: root, context, PASID directory and one PASID table. */
    final class Scalable {
        final long root = frames.allocate();
        final long context = frames.allocate();
        final long dir = frames.allocate();
        final long table = frames.allocate();
        final int sid;

        Scalable(String device, boolean pre, boolean fpd) {
            sid = dev(device).rid();
            rootTable(root);
            rootEntry(root, sid >>> 8, new RootEntry(true, context, false, 0));
            smContext(context, sid & 0xff, new ScalableContextEntry(true, fpd, false, true, pre, 0, dir, 0, false));
            pasidDir(dir, 0, new PasidDirEntry(true, false, table));
        }

        void entry(int pasid, PasidEntry e) {
            pasidEntry(table, pasid, e);
        }
    }

    /** An SS-only PASID entry (AW 2, 4 levels). */
    static PasidEntry ssEntry(long ssptptr, int did) {
        return new PasidEntry(true, false, 2, PasidEntry.PGTT_SECOND_STAGE, false, ssptptr, did, false, false, false, 0, false, false, 0);
    }

    /** A first-stage-only PASID entry (4 levels). */
    static PasidEntry fsEntry(long fsptptr, int did, boolean sre, boolean wpe) {
        return new PasidEntry(true, false, 0, PasidEntry.PGTT_FIRST_STAGE, false, 0, did, false, false, sre, 0, wpe, false, fsptptr);
    }

    static final int R = Access.READ;
    static final int W = Access.WRITE;
    static final int RW = Access.READ | Access.WRITE;
    static final int NO_PASID = Access.NO_PASID;
}
