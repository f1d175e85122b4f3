package dev.ioasid.core.internal;

import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.List;

import dev.ioasid.api.ObjectType;
import dev.ioasid.api.UnitEventRecord;
import dev.ioasid.spi.UnitEvent;

/**
 * An event queue: the unrecoverable events of the context's devices (EVENTQ), or of a vIOMMU's virtual devices
 * (VEVENTQ), as raw records, each with a sequence number. When it is full an event is dropped (its number is skipped) and the next record carries
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

    /** The vIOMMU a VEVENTQ belongs to, or null for a context's EVENTQ. */
    final ViommuObject viommu;

    EventQueueObject(ContextImpl ctx, int depth) {
        this(ctx, depth, null);
    }

    EventQueueObject(ContextImpl ctx, int depth, ViommuObject viommu) {
        super(ctx, viommu == null ? ObjectType.EVENTQ : ObjectType.VEVENTQ);
        this.depth = depth;
        this.viommu = viommu;
    }

    synchronized UnitEventRecord offer(UnitEvent e) {
        return offer(e.unit(), e.reason(), e.record());
    }

    /** Queues a record; null when the queue was full (the record is lost, and the next one says so). */
    synchronized UnitEventRecord offer(String unit, String reason, byte[] data) {
        int seq = sequence++;
        if (records.size() >= depth) {
            lost = true;
            dropped++;
            return null;
        }
        UnitEventRecord r = new UnitEventRecord(lost ? UnitEventRecord.LOST_EVENTS : 0, seq, unit, reason, data);
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
        return viommu == null ? List.of() : List.of(viommu.id);
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
        if (viommu != null) {
            viommu.veventq = null;
            viommu.users--;
        }
    }
}
