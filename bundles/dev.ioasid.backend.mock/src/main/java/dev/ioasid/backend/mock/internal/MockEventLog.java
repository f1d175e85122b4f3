package dev.ioasid.backend.mock.internal;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.util.ArrayList;
import java.util.List;

import dev.ioasid.spi.UnitEvent;

/**
 * The mock's event log: a bounded queue of 32-byte records. When it is full, new events are dropped and the
 * overflow flag is set until the log is cleared, as hardware fault logs do.
 *
 * <pre>
 * offset 0   u32 reason     (see MockUnit.Reason)
 * offset 4   u32 rid
 * offset 8   u32 pasid      (0xffffffff: none)
 * offset 12  u32 access     (R 1, W 2, X 4, P 8)
 * offset 16  u64 iova
 * offset 24  u64 sequence
 * </pre>
 */
final class MockEventLog {
    static final int RECORD_SIZE = 32;

    private final String unit;
    private final int capacity;
    /** guarded by this */
    private final List<UnitEvent> events = new ArrayList<>();
    /** guarded by this */
    private boolean overflow;
    /** guarded by this */
    private long sequence;
    /** guarded by this */
    private long dropped;

    MockEventLog(String unit, int capacity) {
        this.unit = unit;
        this.capacity = capacity;
    }

    static byte[] encode(int reason, int rid, int pasid, int access, long iova, long sequence) {
        ByteBuffer b = ByteBuffer.allocate(RECORD_SIZE).order(ByteOrder.LITTLE_ENDIAN);
        b.putInt(reason).putInt(rid).putInt(pasid).putInt(access).putLong(iova).putLong(sequence);
        return b.array();
    }

    /** Logs an event; returns it, or null when the log was full (and now overflowed). */
    synchronized UnitEvent log(MockUnit.Reason reason, int rid, int pasid, int access, long iova, String detail) {
        long seq = sequence++;
        if (events.size() >= capacity) {
            overflow = true;
            dropped++;
            return null;
        }
        UnitEvent e = new UnitEvent(seq, unit, rid, pasid, iova, reason.name(), reason.code,
                encode(reason.code, rid, pasid, access, iova, seq), detail);
        events.add(e);
        return e;
    }

    synchronized List<UnitEvent> events() {
        return new ArrayList<>(events);
    }

    synchronized boolean overflow() {
        return overflow;
    }

    synchronized long dropped() {
        return dropped;
    }

    /** Empties the log and clears the overflow flag (software reading the log). */
    synchronized List<UnitEvent> drain() {
        List<UnitEvent> out = new ArrayList<>(events);
        events.clear();
        overflow = false;
        return out;
    }
}
