package dev.ioasid.backend.smmuv3.internal;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;

import dev.ioasid.machine.PendingFault.Outcome;

/**
 * Transactions the SMMU holds: stalls by (StreamID, STAG), at most STALL_MAX of them, and page requests by
 * (StreamID, SubstreamID, PRG index) that wait for their PRI response.
 */
final class Stalls {
    private final int max;
    private final Map<Long, HeldTransaction> stalls = new ConcurrentHashMap<>();
    private final Map<Long, HeldTransaction> pageRequests = new ConcurrentHashMap<>();
    /** guarded by this */
    private int nextStag;
    /** guarded by this */
    private final Map<Integer, Integer> nextPrgi = new java.util.HashMap<>();

    Stalls(int max) {
        this.max = max;
    }

    private static long stallKey(int sid, int stag) {
        return (long) sid << 16 | stag;
    }

    private static long priKey(int sid, int ssid, int prgi) {
        return (long) sid << 32 | (long) (ssid & 0xfffff) << 12 | (ssid < 0 ? 1L << 11 : 0) | prgi;
    }

    /** A new stall with a fresh STAG, or null when STALL_MAX transactions are stalled already. */
    synchronized HeldTransaction stall(int sid, int ssid, long address, int access) {
        if (stalls.size() >= max) {
            return null;
        }
        for (int i = 0; i < 0x10000; i++) {
            int stag = nextStag;
            nextStag = (nextStag + 1) & 0xffff;
            long k = stallKey(sid, stag);
            if (!stalls.containsKey(k)) {
                HeldTransaction t = new HeldTransaction(sid, ssid, stag, address, access);
                stalls.put(k, t);
                return t;
            }
        }
        return null;
    }

    /** CMD_RESUME: retry or abort (terminate) one stalled transaction. Unknown STAGs are ignored. */
    boolean resume(int sid, int stag, int action) {
        HeldTransaction t = stalls.remove(stallKey(sid, stag));
        if (t == null) {
            return false;
        }
        t.complete(action == Commands.RESUME_RETRY ? Outcome.SUCCESS : Outcome.INVALID);
        return true;
    }

    /** CMD_STALL_TERM: terminates every stalled transaction of a stream. */
    int terminate(int sid) {
        int n = 0;
        for (HeldTransaction t : new ArrayList<>(stalls.values())) {
            if (t.sid == sid && stalls.remove(stallKey(sid, t.tag), t)) {
                t.complete(Outcome.INVALID);
                n++;
            }
        }
        return n;
    }

    /** A stall whose event could not be recorded: it is terminated at once. */
    void cancel(HeldTransaction t) {
        stalls.remove(stallKey(t.sid, t.tag), t);
        t.complete(Outcome.INVALID);
    }

    /** A page request waiting for its response, with the next free PRG index of the stream. */
    synchronized HeldTransaction pageRequest(int sid, int ssid, long address, int access) {
        int start = nextPrgi.getOrDefault(sid, 0);
        for (int i = 0; i < 512; i++) {
            int prgi = (start + i) & 0x1ff;
            long k = priKey(sid, ssid, prgi);
            if (!pageRequests.containsKey(k)) {
                nextPrgi.put(sid, (prgi + 1) & 0x1ff);
                HeldTransaction t = new HeldTransaction(sid, ssid, prgi, address, access);
                pageRequests.put(k, t);
                return t;
            }
        }
        return null;
    }

    /** CMD_PRI_RESP: the response reaches the device; an unknown group is ignored. */
    boolean respond(int sid, int ssid, int prgi, int resp) {
        HeldTransaction t = pageRequests.remove(priKey(sid, ssid, prgi));
        if (t == null) {
            return false;
        }
        t.complete(resp == Commands.PRI_RESP_SUCC ? Outcome.SUCCESS : Outcome.INVALID);
        return true;
    }

    /** A page request the PRI queue had no room for: with LAST set the SMMU answers it itself, Success. */
    void autoRespond(HeldTransaction t) {
        pageRequests.remove(priKey(t.sid, t.ssid, t.tag), t);
        t.complete(Outcome.SUCCESS);
    }

    int stalled() {
        return stalls.size();
    }

    int pendingPageRequests() {
        return pageRequests.size();
    }

    /** Everything held ends: the SMMU is being disabled. */
    List<HeldTransaction> abortAll() {
        List<HeldTransaction> out = new ArrayList<>(stalls.values());
        out.addAll(pageRequests.values());
        stalls.clear();
        pageRequests.clear();
        for (HeldTransaction t : out) {
            t.complete(Outcome.INVALID);
        }
        return out;
    }
}
