package dev.ioasid.core.internal;

import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.List;

import dev.ioasid.api.ObjectType;
import dev.ioasid.api.UnitEventRecord;
import dev.ioasid.spi.UnitEvent;

/**
 * An event queue: the unrecoverable events of the context's devices as raw records, each with a sequence
 * number. When it is full an event is dropped (its number is skipped) and the next record carries
 * LOST_EVENTS. Guarded by its own monitor.
 */
final class EventQueueObject extends IommuObject {
    final int depth;
    /** guarded by this */
    private final ArrayDeque<UnitEventRecord> records = new ArrayDeque<>();
    /** guarded by this */
    private int sequence;
    /** guarded by this */
    private boolean lost;
    /** guarded by this */
    private long dropped;

    EventQueueObject(ContextImpl ctx, int depth) {
        super(ctx, ObjectType.EVENTQ);
        this.depth = depth;
    }

    synchronized UnitEventRecord offer(UnitEvent e) {
        int seq = sequence++;
        if (records.size() >= depth) {
            lost = true;
            dropped++;
            return null;
        }
        UnitEventRecord r = new UnitEventRecord(lost ? UnitEventRecord.LOST_EVENTS : 0, seq, e.unit(), e.reason(), e.record());
        lost = false;
        records.add(r);
        return r;
    }

    synchronized List<UnitEventRecord> take(int max) {
        List<UnitEventRecord> out = new ArrayList<>();
        while (!records.isEmpty() && out.size() < max) {
            out.add(records.poll());
        }
        return out;
    }

    @Override
    List<Integer> dependsOn() {
        return List.of();
    }

    @Override
    synchronized String detail() {
        return String.format("depth %d, %d record(s), %d dropped", depth, records.size(), dropped);
    }

    @Override
    void destroy() {
        synchronized (this) {
            records.clear();
        }
    }
}
