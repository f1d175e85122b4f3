package dev.ioasid.core.internal;

import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;

import dev.ioasid.api.ObjectType;
import dev.ioasid.api.PageFault;
import dev.ioasid.api.PageResponse;

/**
 * A fault queue (iommufd FAULT object): groups not read yet, and groups read and waiting for their response,
 * by cookie. Its users are the HWPTs allocated with it. Its queues are guarded by its own monitor, because
 * faults arrive from DMA threads.
 */
final class FaultQueueObject extends IommuObject {
    /** guarded by this */
    private final ArrayDeque<FaultGroup> unread = new ArrayDeque<>();
    /** guarded by this */
    private final LinkedHashMap<Integer, FaultGroup> read = new LinkedHashMap<>();
    /** guarded by this */
    private int nextCookie = 1;
    /** guarded by this */
    private boolean dead;

    FaultQueueObject(ContextImpl ctx) {
        super(ctx, ObjectType.FAULT);
    }

    /** Adds a request to its pending group, or queues a new group. Returns the group, or null if the queue is dead. */
    synchronized FaultGroup offer(FaultGroup fresh, dev.ioasid.spi.PageRequest request) {
        if (dead) {
            return null;
        }
        for (FaultGroup g : unread) {
            if (g.sameGroup(fresh.device, request)) {
                if (g.requests.stream().noneMatch(r -> r.address() == request.address())) {
                    g.requests.add(request);
                }
                return g;
            }
        }
        for (FaultGroup g : read.values()) {
            if (g.sameGroup(fresh.device, request)) {
                return g;
            }
        }
        unread.add(fresh);
        notifyAll();
        return fresh;
    }

    /** Reads whole groups that fit in {@code max} records (at least one); each gets a cookie. */
    synchronized List<FaultGroup> take(int max) {
        List<FaultGroup> out = new ArrayList<>();
        int records = 0;
        while (!unread.isEmpty()) {
            FaultGroup g = unread.peek();
            if (!out.isEmpty() && records + g.requests.size() > max) {
                break;
            }
            unread.poll();
            g.cookie = nextCookie++;
            if (nextCookie <= 0) {
                nextCookie = 1;
            }
            read.put(g.cookie, g);
            out.add(g);
            records += g.requests.size();
        }
        return out;
    }

    /** Waits until a group is waiting, the queue dies, or the time is up. */
    synchronized void awaitUnread(long timeoutMillis) throws InterruptedException {
        long deadline = System.nanoTime() + timeoutMillis * 1_000_000L;
        while (unread.isEmpty() && !dead) {
            long left = (deadline - System.nanoTime()) / 1_000_000L;
            if (left <= 0) {
                return;
            }
            wait(left);
        }
    }

    /** The read group with this cookie, removed; null if none. */
    synchronized FaultGroup answer(int cookie) {
        return read.remove(cookie);
    }

    /** Groups of one endpoint, removed (it detached from an HWPT of this queue). */
    synchronized List<FaultGroup> removeEndpoint(DeviceObject d, int pasid) {
        List<FaultGroup> out = new ArrayList<>();
        unread.removeIf(g -> {
            boolean hit = g.device == d && g.pasid == pasid;
            if (hit) {
                out.add(g);
            }
            return hit;
        });
        read.values().removeIf(g -> {
            boolean hit = g.device == d && g.pasid == pasid;
            if (hit) {
                out.add(g);
            }
            return hit;
        });
        return out;
    }

    /** Groups raised by a backend that is gone, removed. */
    synchronized List<FaultGroup> removeBackend(dev.ioasid.spi.IommuUnit backend) {
        List<FaultGroup> out = new ArrayList<>();
        unread.removeIf(g -> g.backend == backend && out.add(g));
        read.values().removeIf(g -> g.backend == backend && out.add(g));
        return out;
    }

    synchronized List<PageFault> pending() {
        List<PageFault> out = new ArrayList<>();
        for (FaultGroup g : read.values()) {
            out.addAll(g.records());
        }
        for (FaultGroup g : unread) {
            out.addAll(g.records());
        }
        return out;
    }

    @Override
    List<Integer> dependsOn() {
        return List.of();
    }

    @Override
    synchronized String detail() {
        return String.format("%d group(s) unread, %d awaiting a response", unread.size(), read.size());
    }

    /** Destroying the queue answers every pending group INVALID. */
    @Override
    void destroy() {
        List<FaultGroup> all;
        synchronized (this) {
            dead = true;
            all = new ArrayList<>(unread);
            all.addAll(read.values());
            unread.clear();
            read.clear();
            notifyAll();
        }
        for (FaultGroup g : all) {
            g.complete(PageResponse.INVALID, true);
        }
    }
}
