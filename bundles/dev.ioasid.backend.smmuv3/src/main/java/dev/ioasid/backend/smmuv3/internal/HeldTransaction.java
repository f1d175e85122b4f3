package dev.ioasid.backend.smmuv3.internal;

import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;

import dev.ioasid.machine.PendingFault;

/**
 * A transaction the SMMU holds: a stalled one (waiting for CMD_RESUME or CMD_STALL_TERM) or one whose device
 * waits for a PRI page response (CMD_PRI_RESP). The faulting DMA waits on it; it ends once.
 */
final class HeldTransaction implements PendingFault {
    final int sid;
    /** the substream, or -1 */
    final int ssid;
    /** STAG of a stall, PRGI of a page request */
    final int tag;
    final long address;
    final int access;
    private final CountDownLatch done = new CountDownLatch(1);
    private volatile Outcome outcome;

    HeldTransaction(int sid, int ssid, int tag, long address, int access) {
        this.sid = sid;
        this.ssid = ssid;
        this.tag = tag;
        this.address = address;
        this.access = access;
    }

    /** Ends the transaction; false if it had already ended. */
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

    Outcome outcome() {
        return outcome;
    }

    @Override
    public Outcome await(long timeoutNanos) throws InterruptedException {
        return done.await(timeoutNanos, TimeUnit.NANOSECONDS) ? outcome : Outcome.TIMEOUT;
    }

    @Override
    public String toString() {
        return String.format("held{sid 0x%x ssid %d tag %d addr 0x%x %s}", sid, ssid, tag, address, outcome);
    }
}
