package dev.ioasid.backend.vtd.internal;

import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.locks.StampedLock;

import dev.ioasid.machine.FrameAllocator;
import dev.ioasid.machine.PhysicalMemory;

/**
 * The host driver's side of the configuration tables, in simulated memory: the root table, the context tables
 * (legacy: 256 entries of 16 bytes; scalable: a lower and an upper table of 128 entries of 32 bytes per bus),
 * and per device the PASID directory and its PASID tables. Frames are allocated when an endpoint is first
 * attached and freed after its device has nothing attached (once the caches were invalidated).
 * <p>
 * Writers are serialized by the unit's driver lock. A multi-quadword entry is written under the write side of
 * {@link #lock}; the hardware walk reads under an optimistic stamp and retries, so it never sees a torn entry.
 */
final class ConfigTables {
    private final PhysicalMemory memory;
    private final FrameAllocator frames;
    private final Profile profile;
    final StampedLock lock = new StampedLock();
    /** the root table; its address is RTADDR.RTA */
    final long rootTable;
    /** context tables by bus, lower (devfn 0-127, or all 256 in legacy mode) and upper; guarded by the driver lock */
    private final long[] lower = new long[256];
    private final long[] upper = new long[256];
    /** present context entries per context table; guarded by the driver lock */
    private final Map<Long, Integer> contextUsers = new HashMap<>();
    /** guarded by the driver lock */
    private final Map<Integer, DeviceTables> devices = new HashMap<>();

    /** A device's PASID directory and tables (scalable mode). */
    private static final class DeviceTables {
        final long directory;
        final int directoryFrames;
        final int pdts;
        final Map<Integer, Long> tables = new HashMap<>();
        int present;

        DeviceTables(long directory, int directoryFrames, int pdts) {
            this.directory = directory;
            this.directoryFrames = directoryFrames;
            this.pdts = pdts;
        }
    }

    /** Frames to free once the caches no longer reference them. */
    record Garbage(List<long[]> runs) {
        static final Garbage NONE = new Garbage(List.of());
    }

    ConfigTables(FrameAllocator frames, Profile profile) {
        this.memory = frames.memory();
        this.frames = frames;
        this.profile = profile;
        this.rootTable = frames.allocate();
    }

    private long rootSlot(int bus) {
        return rootTable + (long) bus * RootEntry.SIZE;
    }

    // ------------------------------------------------------------------ scalable mode

    private long contextSlotSm(int sid) {
        int devfn = sid & 0xff;
        long table = devfn < 128 ? lower[sid >>> 8] : upper[sid >>> 8];
        return table == 0 ? 0 : table + (long) (devfn & 0x7f) * ScalableContextEntry.SIZE;
    }

    /** The PASID entry the driver wrote for (sid, pasid), or null when none is present. */
    PasidEntry pasidEntry(int sid, int pasid) {
        DeviceTables d = devices.get(sid);
        Long t = d == null ? null : d.tables.get(PasidDirEntry.directoryIndex(pasid));
        if (t == null) {
            return null;
        }
        long slot = t + (long) PasidDirEntry.tableIndex(pasid) * PasidEntry.SIZE;
        PasidEntry e = PasidEntry.decode(memory.load64(slot), memory.load64(slot + 8), memory.load64(slot + 16));
        return e.p() ? e : null;
    }

    /**
     * Writes a present PASID entry for (sid, pasid), making the device's context entry, PASID directory and PASID
     * table first if needed; frames are allocated before anything is written, so ENOMEM changes nothing.
     *
     * @param context the context entry to use if the device has none yet (its PASIDDIRPTR and PDTS are filled in)
     * @return the entry that was there, or null
     */
    PasidEntry setPasidEntry(int sid, int pasid, PasidEntry entry, ScalableContextEntry context, int pasidBits) {
        int bus = sid >>> 8;
        boolean upperHalf = (sid & 0x80) != 0;
        long ct = upperHalf ? upper[bus] : lower[bus];
        DeviceTables d = devices.get(sid);
        int dirIndex = PasidDirEntry.directoryIndex(pasid);
        List<long[]> made = new ArrayList<>();
        long newCt = 0;
        DeviceTables newDev = null;
        long newTable = 0;
        try {
            if (ct == 0) {
                newCt = frames.allocate();
                made.add(new long[] { newCt, 1 });
            }
            if (d == null) {
                int pdts = ScalableContextEntry.pdtsFor(pasidBits);
                int dirFrames = Math.max(1, (8 << (pdts + 7)) / PhysicalMemory.FRAME_SIZE);
                long dir = frames.allocate(dirFrames, 1);
                made.add(new long[] { dir, dirFrames });
                newDev = new DeviceTables(dir, dirFrames, pdts);
            }
            DeviceTables dev = d != null ? d : newDev;
            if (dirIndex >= 1 << (dev.pdts + 7)) {
                throw new IllegalArgumentException("PASID " + pasid + " is beyond the device's PASID directory");
            }
            if (!dev.tables.containsKey(dirIndex)) {
                newTable = frames.allocate();
                made.add(new long[] { newTable, 1 });
            }
        } catch (RuntimeException e) {
            for (long[] run : made) {
                frames.free(run[0], run[1]);
            }
            throw e;
        }
        if (newCt != 0) {
            ct = newCt;
            if (upperHalf) {
                upper[bus] = ct;
            } else {
                lower[bus] = ct;
            }
        }
        if (newDev != null) {
            devices.put(sid, newDev);
            d = newDev;
        }
        if (newTable != 0) {
            d.tables.put(dirIndex, newTable);
        }
        long table = d.tables.get(dirIndex);
        long slot = table + (long) PasidDirEntry.tableIndex(pasid) * PasidEntry.SIZE;
        PasidEntry old = PasidEntry.decode(memory.load64(slot), memory.load64(slot + 8), memory.load64(slot + 16));
        long[] qw = entry.encode();
        long stamp = lock.writeLock();
        try {
            // the DID quadword last: a walk never pairs a new DID with old table pointers
            for (int i = 7; i >= 2; i--) {
                memory.store64(slot + 8L * i, qw[i]);
            }
            memory.store64(slot, qw[0]);
            memory.store64(slot + 8, qw[1]);
            if (newTable != 0) {
                memory.store64(d.directory + 8L * dirIndex, new PasidDirEntry(true, false, newTable).encode());
            }
            long cslot = ct + (long) (sid & 0x7f) * ScalableContextEntry.SIZE;
            if ((memory.load64(cslot) & 1) == 0) {
                ScalableContextEntry c = new ScalableContextEntry(true, context.fpd(), context.dte(), context.paside(), context.pre(),
                        d.pdts, d.directory, context.ridPasid(), context.ridPriv());
                long[] cq = c.encode();
                memory.store64(cslot + 24, cq[3]);
                memory.store64(cslot + 16, cq[2]);
                memory.store64(cslot + 8, cq[1]);
                memory.store64(cslot, cq[0]);
                contextUsers.merge(ct, 1, Integer::sum);
            }
            if (newCt != 0) {
                long r = rootSlot(bus);
                if (upperHalf) {
                    memory.store64(r + 8, new RootEntry(false, 0, true, ct).hi());
                } else {
                    long hi = memory.load64(r + 8);
                    memory.store64(r, new RootEntry(true, ct, false, 0).lo());
                    memory.store64(r + 8, hi);
                }
            }
        } finally {
            lock.unlockWrite(stamp);
        }
        if (!old.p()) {
            d.present++;
            return null;
        }
        return old;
    }

    /** Clears the PASID entry of (sid, pasid); returns what was there, or null. */
    PasidEntry clearPasidEntry(int sid, int pasid) {
        PasidEntry old = pasidEntry(sid, pasid);
        if (old == null) {
            return null;
        }
        DeviceTables d = devices.get(sid);
        long slot = d.tables.get(PasidDirEntry.directoryIndex(pasid)) + (long) PasidDirEntry.tableIndex(pasid) * PasidEntry.SIZE;
        long stamp = lock.writeLock();
        try {
            memory.store64(slot, 0);
            for (int i = 1; i < 8; i++) {
                memory.store64(slot + 8L * i, 0);
            }
        } finally {
            lock.unlockWrite(stamp);
        }
        d.present--;
        return old;
    }

    /** Present PASID entries of a device. */
    int presentPasids(int sid) {
        DeviceTables d = devices.get(sid);
        return d == null ? 0 : d.present;
    }

    /**
     * Clears the scalable-mode context entry of a device with no present PASID entries, and the root entry half
     * if its context table became empty. The frames are returned, to be freed after the caches were invalidated.
     */
    Garbage clearScalableContext(int sid) {
        DeviceTables d = devices.remove(sid);
        if (d == null) {
            return Garbage.NONE;
        }
        List<long[]> runs = new ArrayList<>();
        runs.add(new long[] { d.directory, d.directoryFrames });
        for (long t : d.tables.values()) {
            runs.add(new long[] { t, 1 });
        }
        int bus = sid >>> 8;
        boolean upperHalf = (sid & 0x80) != 0;
        long ct = upperHalf ? upper[bus] : lower[bus];
        long cslot = contextSlotSm(sid);
        long stamp = lock.writeLock();
        try {
            for (int i = 0; i < 4; i++) {
                memory.store64(cslot + 8L * i, 0);
            }
            if (contextUsers.merge(ct, -1, Integer::sum) == 0) {
                contextUsers.remove(ct);
                memory.store64(rootSlot(bus) + (upperHalf ? 8 : 0), 0);
                if (upperHalf) {
                    upper[bus] = 0;
                } else {
                    lower[bus] = 0;
                }
                runs.add(new long[] { ct, 1 });
            }
        } finally {
            lock.unlockWrite(stamp);
        }
        return new Garbage(runs);
    }

    // ------------------------------------------------------------------ legacy mode

    /** The legacy context entry of a device, or null when it is not present. */
    LegacyContextEntry legacyContext(int sid) {
        long ct = lower[sid >>> 8];
        if (ct == 0) {
            return null;
        }
        long slot = ct + (long) (sid & 0xff) * LegacyContextEntry.SIZE;
        LegacyContextEntry e = LegacyContextEntry.decode(memory.load64(slot), memory.load64(slot + 8));
        return e.p() ? e : null;
    }

    /** Writes a present legacy context entry; returns the old one or null. ENOMEM changes nothing. */
    LegacyContextEntry setLegacyContext(int sid, LegacyContextEntry entry) {
        int bus = sid >>> 8;
        long ct = lower[bus];
        boolean fresh = ct == 0;
        if (fresh) {
            ct = frames.allocate();
            lower[bus] = ct;
        }
        LegacyContextEntry old = legacyContext(sid);
        long slot = ct + (long) (sid & 0xff) * LegacyContextEntry.SIZE;
        long stamp = lock.writeLock();
        try {
            memory.store64(slot + 8, entry.hi());
            memory.store64(slot, entry.lo());
            if (fresh) {
                memory.store64(rootSlot(bus), RootEntry.legacy(ct).lo());
                memory.store64(rootSlot(bus) + 8, 0);
            }
        } finally {
            lock.unlockWrite(stamp);
        }
        if (old == null) {
            contextUsers.merge(ct, 1, Integer::sum);
        }
        return old;
    }

    /** Clears a legacy context entry; the context table's frame comes back once it is empty. */
    Garbage clearLegacyContext(int sid) {
        int bus = sid >>> 8;
        long ct = lower[bus];
        if (ct == 0 || legacyContext(sid) == null) {
            return Garbage.NONE;
        }
        long slot = ct + (long) (sid & 0xff) * LegacyContextEntry.SIZE;
        List<long[]> runs = new ArrayList<>();
        long stamp = lock.writeLock();
        try {
            memory.store64(slot, 0);
            memory.store64(slot + 8, 0);
            if (contextUsers.merge(ct, -1, Integer::sum) == 0) {
                contextUsers.remove(ct);
                memory.store64(rootSlot(bus), 0);
                lower[bus] = 0;
                runs.add(new long[] { ct, 1 });
            }
        } finally {
            lock.unlockWrite(stamp);
        }
        return new Garbage(runs);
    }

    // ------------------------------------------------------------------ both

    void free(Garbage g) {
        for (long[] run : g.runs()) {
            frames.free(run[0], run[1]);
        }
    }

    /** Frames of every table but the root: 0 when no endpoint is attached. */
    int tableFrames() {
        int n = 0;
        for (int bus = 0; bus < 256; bus++) {
            n += (lower[bus] != 0 ? 1 : 0) + (upper[bus] != 0 ? 1 : 0);
        }
        for (DeviceTables d : devices.values()) {
            n += d.directoryFrames + d.tables.size();
        }
        return n;
    }

    /** Frees every table, root included: the unit is going away. */
    void freeAll() {
        for (DeviceTables d : devices.values()) {
            frames.free(d.directory, d.directoryFrames);
            for (long t : d.tables.values()) {
                frames.free(t);
            }
        }
        devices.clear();
        for (int bus = 0; bus < 256; bus++) {
            if (lower[bus] != 0) {
                frames.free(lower[bus]);
                lower[bus] = 0;
            }
            if (upper[bus] != 0) {
                frames.free(upper[bus]);
                upper[bus] = 0;
            }
        }
        contextUsers.clear();
        frames.free(rootTable);
    }

    Profile profile() {
        return profile;
    }
}
