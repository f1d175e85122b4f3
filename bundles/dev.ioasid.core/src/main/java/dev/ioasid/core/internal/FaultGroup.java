package dev.ioasid.core.internal;

import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;

import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import dev.ioasid.api.PageFault;
import dev.ioasid.api.PageResponse;
import dev.ioasid.machine.Access;
import dev.ioasid.machine.PendingFault;
import dev.ioasid.spi.IommuUnit;
import dev.ioasid.spi.PageRequest;

/**
 * A group of page requests of one endpoint, queued on a fault queue until someone answers it. The DMA that
 * raised it waits on it. Its requests and cookie are guarded by the queue's monitor; completion happens once.
 */
final class FaultGroup implements PendingFault {
    private static final Logger LOG = LoggerFactory.getLogger(FaultGroup.class);

    final IommuUnit backend;
    final DeviceObject device;
    final int pasid;
    final int groupId;
    final List<PageRequest> requests = new ArrayList<>();
    /** 0 until read */
    int cookie;
    private final CountDownLatch done = new CountDownLatch(1);
    private volatile Outcome outcome;

    FaultGroup(IommuUnit backend, DeviceObject device, PageRequest first) {
        this.backend = backend;
        this.device = device;
        this.pasid = first.pasid();
        this.groupId = first.groupId();
        requests.add(first);
    }

    boolean sameGroup(DeviceObject d, PageRequest r) {
        return d == device && r.pasid() == pasid && r.groupId() == groupId;
    }

    /** The records of the group, as a fault queue read returns them. */
    List<PageFault> records() {
        List<PageFault> out = new ArrayList<>();
        for (int i = 0; i < requests.size(); i++) {
            PageRequest r = requests.get(i);
            int flags = (r.pasid() != Access.NO_PASID ? PageFault.PASID_VALID : 0) | (i == requests.size() - 1 && r.lastPage() ? PageFault.LAST_PAGE : 0);
            out.add(new PageFault(flags, device.id, r.pasid() == Access.NO_PASID ? 0 : r.pasid(), r.groupId(), r.access() & Access.RIGHTS,
                    r.address(), IoPageTable.PAGE_SIZE, cookie));
        }
        return out;
    }

    /**
     * Answers the group once: the unit that raised it gets its response (if it still drives the unit), then the
     * waiting DMA proceeds.
     *
     * @param tellHardware false when the unit that raised it is gone
     */
    void complete(PageResponse response, boolean tellHardware) {
        if (outcome != null) {
            return;
        }
        synchronized (this) {
            if (outcome != null) {
                return;
            }
            outcome = response == PageResponse.SUCCESS ? Outcome.SUCCESS : Outcome.INVALID;
        }
        if (tellHardware) {
            int code = response == PageResponse.SUCCESS ? IommuUnit.RESPONSE_SUCCESS : IommuUnit.RESPONSE_INVALID;
            for (PageRequest r : requests) {
                try {
                    backend.pageResponse(r, code);
                } catch (RuntimeException e) {
                    LOG.warn("page response to {} failed: {}", backend, e.toString());
                }
            }
        }
        done.countDown();
    }

    boolean isDone() {
        return outcome != null;
    }

    @Override
    public Outcome await(long timeoutNanos) throws InterruptedException {
        return done.await(timeoutNanos, TimeUnit.NANOSECONDS) ? outcome : Outcome.TIMEOUT;
    }

    /** What a request waits on when no queue takes it: answered INVALID already. */
    static final PendingFault INVALID = timeout -> Outcome.INVALID;
}
