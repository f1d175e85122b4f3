package dev.ioasid.api;

import java.util.HexFormat;

/**
 * One record of an event queue (vEVENTQ): the header {flags, sequence} and the raw record in the unit's own
 * hardware format (a VT-d fault record, an SMMUv3 event, the mock's record).
 *
 * @param flags    {@link #LOST_EVENTS} when events were dropped just before this one
 * @param sequence the queue's sequence number; a gap means lost events
 * @param unit     the unit that logged it
 * @param reason   the vendor's name for the reason
 * @param data     the raw record
 */
public record UnitEventRecord(int flags, int sequence, String unit, String reason, byte[] data) {
    public static final int LOST_EVENTS = 1;

    public UnitEventRecord {
        data = data.clone();
    }

    @Override
    public byte[] data() {
        return data.clone();
    }

    @Override
    public String toString() {
        return String.format("seq %d%s %s %s %s", sequence, (flags & LOST_EVENTS) != 0 ? " LOST_EVENTS" : "", unit, reason,
                HexFormat.of().formatHex(data));
    }
}
