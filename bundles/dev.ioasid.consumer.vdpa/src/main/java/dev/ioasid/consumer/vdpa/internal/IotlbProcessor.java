package dev.ioasid.consumer.vdpa.internal;

import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Deque;
import java.util.List;
import java.util.function.IntUnaryOperator;

import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import dev.ioasid.api.Area;
import dev.ioasid.api.Context;
import dev.ioasid.api.DomainService;
import dev.ioasid.api.Errno;
import dev.ioasid.api.IommuException;
import dev.ioasid.api.MapFlags;
import dev.ioasid.consumer.vdpa.VhostIotlbMsg;

/**
 * IOTLB messages v2 turned into core calls on the IOAS that backs the message's address space: UPDATE is an IOAS
 * map at a fixed IOVA, INVALIDATE an IOAS unmap. There is no IOTLB of its own: the IOAS is the only state.
 * <p>
 * A batch (BATCH_BEGIN .. BATCH_END) is queued and applied at BATCH_END in order. If a message fails there, the
 * ones before it are undone, newest first: an UPDATE by unmapping it, an INVALIDATE by copying its areas back
 * from a stash IOAS that held them (an IOAS copy keeps the same pages, memfd-backed ones too). The stash exists
 * only while BATCH_END runs. Guarded by the owning device's lock.
 */
final class IotlbProcessor {
    private static final Logger LOG = LoggerFactory.getLogger(IotlbProcessor.class);

    private final DomainService domains;
    private final String name;
    private boolean inBatch;
    private int batchAsid;
    private final List<VhostIotlbMsg> batch = new ArrayList<>();

    IotlbProcessor(DomainService domains, String name) {
        this.domains = domains;
        this.name = name;
    }

    /** Forgets an open batch (the device was closed or lost its binding). */
    void reset() {
        inBatch = false;
        batch.clear();
    }

    /**
     * Handles one message written by the driver.
     *
     * @param ioasOf the IOAS backing each address space, 0 for none
     */
    void process(Context ctx, IntUnaryOperator ioasOf, VhostIotlbMsg m) {
        switch (m.type()) {
        case VhostIotlbMsg.UPDATE:
        case VhostIotlbMsg.INVALIDATE:
        case VhostIotlbMsg.BATCH_BEGIN:
        case VhostIotlbMsg.BATCH_END:
            break;
        default:
            throw IommuException.of(Errno.EINVAL, "%s: a driver may not send IOTLB message type %d", name, m.type());
        }
        NetSim.checkAsid(m.asid());
        if (inBatch && m.asid() != batchAsid) {
            throw IommuException.of(Errno.EINVAL, "%s: the open batch is for AS %d, not %d", name, batchAsid, m.asid());
        }
        switch (m.type()) {
        case VhostIotlbMsg.BATCH_BEGIN:
            requireIoas(ioasOf, m.asid());
            if (!inBatch) {
                inBatch = true;
                batchAsid = m.asid();
                batch.clear();
            }
            return;
        case VhostIotlbMsg.BATCH_END:
            if (inBatch) {
                List<VhostIotlbMsg> queued = new ArrayList<>(batch);
                reset();
                applyAll(ctx, requireIoas(ioasOf, m.asid()), queued);
            }
            return;
        default:
            break;
        }
        validate(m);
        int ioas = requireIoas(ioasOf, m.asid());
        if (inBatch) {
            batch.add(m);
            return;
        }
        apply(ctx, ioas, m, null);
    }

    private int requireIoas(IntUnaryOperator ioasOf, int asid) {
        int ioas = ioasOf.applyAsInt(asid);
        if (ioas == 0) {
            throw IommuException.of(Errno.EINVAL, "%s: address space %d has no IOAS attached", name, asid);
        }
        return ioas;
    }

    /** vhost's checks of a message on its own: a size, a range that does not wrap, a known perm. */
    private void validate(VhostIotlbMsg m) {
        if (m.size() == 0) {
            throw IommuException.of(Errno.EINVAL, "%s: %s: size 0", name, m);
        }
        if (Long.compareUnsigned(m.last(), m.iova()) < 0) {
            throw IommuException.of(Errno.EINVAL, "%s: %s: the range wraps past 2^64", name, m);
        }
        if (m.type() == VhostIotlbMsg.UPDATE && (m.perm() < VhostIotlbMsg.RO || m.perm() > VhostIotlbMsg.RW)) {
            throw IommuException.of(Errno.EINVAL, "%s: %s: perm is RO (1), WO (2) or RW (3)", name, m);
        }
    }

    private static int mapFlags(int perm) {
        return MapFlags.FIXED_IOVA | ((perm & VhostIotlbMsg.RO) != 0 ? MapFlags.READABLE : 0)
                | ((perm & VhostIotlbMsg.WO) != 0 ? MapFlags.WRITEABLE : 0);
    }

    /** What undoes an applied message. */
    private interface Undo {
        void run();
    }

    /** Applies one message. With a stash (inside a batch), returns what undoes it; without one, what it returns is not to be run. */
    private Undo apply(Context ctx, int ioas, VhostIotlbMsg m, Stash stash) {
        if (m.type() == VhostIotlbMsg.UPDATE) {
            long iova = domains.ioasMap(ctx, ioas, m.uaddr(), m.size(), m.iova(), mapFlags(m.perm()));
            return () -> domains.ioasUnmap(ctx, ioas, iova, m.size());
        }
        List<Area> hit = new ArrayList<>();
        for (Area a : domains.ioasAreas(ctx, ioas)) {
            if (Long.compareUnsigned(a.iova(), m.last()) <= 0 && Long.compareUnsigned(a.last(), m.iova()) >= 0) {
                hit.add(a);
            }
        }
        if (hit.isEmpty()) {
            return () -> { };
        }
        if (stash == null) {
            domains.ioasUnmap(ctx, ioas, m.iova(), m.size());
            return null;
        }
        List<long[]> kept = stash.keep(ctx, ioas, hit);
        try {
            domains.ioasUnmap(ctx, ioas, m.iova(), m.size());
        } catch (RuntimeException e) {
            stash.drop(ctx, kept);
            throw e;
        }
        return () -> {
            for (int i = 0; i < hit.size(); i++) {
                Area a = hit.get(i);
                domains.ioasCopy(ctx, ioas, a.iova(), stash.id, kept.get(i)[0], a.length(), MapFlags.FIXED_IOVA | a.flags());
            }
        };
    }

    /** An IOAS that holds the pages an INVALIDATE removed, until the batch is done. */
    private final class Stash {
        int id;

        /** Copies each area into the stash; returns {stash IOVA, length} of each. */
        List<long[]> keep(Context ctx, int ioas, List<Area> areas) {
            if (id == 0) {
                id = domains.ioasAlloc(ctx);
            }
            List<long[]> out = new ArrayList<>();
            try {
                for (Area a : areas) {
                    long at = domains.ioasCopy(ctx, id, 0, ioas, a.iova(), a.length(), a.flags());
                    out.add(new long[] { at, a.length() });
                }
            } catch (RuntimeException e) {
                drop(ctx, out);
                throw e;
            }
            return out;
        }

        void drop(Context ctx, List<long[]> kept) {
            for (long[] k : kept) {
                domains.ioasUnmap(ctx, id, k[0], k[1]);
            }
        }

        void destroy(Context ctx) {
            if (id != 0) {
                ctx.destroy(id);
                id = 0;
            }
        }
    }

    /** BATCH_END: every queued message, or none. */
    private void applyAll(Context ctx, int ioas, List<VhostIotlbMsg> queued) {
        Stash stash = new Stash();
        Deque<Undo> done = new ArrayDeque<>();
        try {
            for (int i = 0; i < queued.size(); i++) {
                try {
                    done.push(apply(ctx, ioas, queued.get(i), stash));
                } catch (IommuException e) {
                    String undone = undo(done);
                    throw IommuException.of(e.errno(), "%s: batch message %d of %d (%s): %s; nothing was applied%s", name, i + 1,
                            queued.size(), queued.get(i), e.detail(), undone).withProgress(i);
                }
            }
        } finally {
            stash.destroy(ctx);
        }
        LOG.debug("{}: batch of {} message(s) applied to IOAS {}", name, queued.size(), ioas);
    }

    /** Undoes applied messages, newest first. Returns "" or what could not be undone. */
    private String undo(Deque<Undo> done) {
        StringBuilder failed = new StringBuilder();
        while (!done.isEmpty()) {
            try {
                done.pop().run();
            } catch (RuntimeException e) {
                LOG.error("{}: undoing a batch message failed: {}", name, e.toString());
                failed.append("; undo failed: ").append(e.getMessage());
            }
        }
        return failed.toString();
    }
}
