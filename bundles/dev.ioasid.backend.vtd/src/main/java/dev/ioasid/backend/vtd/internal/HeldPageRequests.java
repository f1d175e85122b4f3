package dev.ioasid.backend.vtd.internal;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;

import dev.ioasid.machine.PendingFault;
import dev.ioasid.machine.PendingFault.Outcome;

/**
 * Page requests the unit has sent whose page group response has not come back, keyed by the fields a page group
 * response descriptor names: RID, PASID (when PASID_P is set) and PRGI. A faulting DMA waits on its
 * {@link Held} request; only a page group response descriptor processed by the invalidation queue
 * ({@link #respond}) completes it: Success lets the DMA retry its translation, Invalid or Response Failure fails
 * it. Requests of one group (same key) share one held request, so one response completes all of them.
 */
final class HeldPageRequests {
    private final Map<Long, Held> held = new ConcurrentHashMap<>();

    /** A page request waiting for its page group response. It ends once. */
    static final class Held implements PendingFault {
        final int rid;
        final boolean pasidPresent;
        final int pasid;
        final int prgi;
        private final CountDownLatch done = new CountDownLatch(1);
        private volatile Outcome outcome;

        Held(int rid, boolean pasidPresent, int pasid, int prgi) {
            this.rid = rid;
            this.pasidPresent = pasidPresent;
            this.pasid = pasid;
            this.prgi = prgi;
        }

        boolean complete(Outcome o) {
            synchronized (this) {
                if (outcome != null) {
                    return false;
                }
                outcome = o;
            }
            done.countDown();
            return true;
        }

        /** How it ended, or null while it waits. */
        Outcome outcome() {
            return outcome;
        }

        @Override
        public Outcome await(long timeoutNanos) throws InterruptedException {
            return done.await(timeoutNanos, TimeUnit.NANOSECONDS) ? outcome : Outcome.TIMEOUT;
        }

        @Override
        public String toString() {
            return String.format("held page request{rid 0x%x pasid %s prgi %d %s}", rid, pasidPresent ? Integer.toString(pasid) : "-",
                    prgi, outcome == null ? "waiting" : outcome);
        }
    }

    static long key(int rid, boolean pasidPresent, int pasid, int prgi) {
        return (long) (rid & 0xffff) << 32 | (pasidPresent ? 1L << 31 : 0) | (pasidPresent ? (long) (pasid & 0xfffff) << 9 : 0) | (prgi & 0x1ff);
    }

    /** What {@link #hold} returns: the group's held request, and whether this call created it. */
    record Hold(Held held, boolean created) {
    }

    /** The held request of a group, a new one unless the group already waits. */
    Hold hold(int rid, boolean pasidPresent, int pasid, int prgi) {
        Held n = new Held(rid, pasidPresent, pasid, prgi);
        Held prev = held.putIfAbsent(key(rid, pasidPresent, pasid, prgi), n);
        return prev != null ? new Hold(prev, false) : new Hold(n, true);
    }

    /** A request that was never sent (the page request queue was full): forgotten, failed. */
    void drop(Held h) {
        if (held.remove(key(h.rid, h.pasidPresent, h.pasid, h.prgi), h)) {
            h.complete(Outcome.INVALID);
        }
    }

    /**
     * A page group response reached the device: the group it names ends, Success to retry, anything else to fail.
     * Returns whether a group waited for it (a response to no pending group is ignored, as by the device).
     */
    boolean respond(Descriptor d) {
        Held h = held.remove(key(d.rid(), d.pasidPresent(), d.pasid(), d.prgi()));
        if (h == null) {
            return false;
        }
        h.complete(d.resp() == Descriptor.RESP_SUCCESS ? Outcome.SUCCESS : Outcome.INVALID);
        return true;
    }

    /** The held request of a group, or null. For tests. */
    Held find(int rid, boolean pasidPresent, int pasid, int prgi) {
        return held.get(key(rid, pasidPresent, pasid, prgi));
    }

    int size() {
        return held.size();
    }

    /** Everything held fails: the unit is going away. */
    List<Held> abortAll() {
        List<Held> out = new ArrayList<>(held.values());
        held.clear();
        for (Held h : out) {
            h.complete(Outcome.INVALID);
        }
        return out;
    }
}
