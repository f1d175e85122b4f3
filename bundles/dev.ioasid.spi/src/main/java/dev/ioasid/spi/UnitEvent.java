package dev.ioasid.spi;

/**
 * One record of a unit's event log, with the raw record in the vendor's format.
 *
 * @param sequence increasing number of the record in this unit's log
 * @param unit     the unit id
 * @param rid      the requester
 * @param pasid    the PASID, or {@code Access.NO_PASID}
 * @param iova     the faulting address
 * @param reason   the vendor's name of the reason
 * @param code     the vendor's number of the reason
 * @param record   the raw record (VT-d fault record, SMMUv3 event, the mock's record)
 * @param detail   a line for people
 */
public record UnitEvent(long sequence, String unit, int rid, int pasid, long iova, String reason, int code,
        byte[] record, String detail) {

    public UnitEvent {
        record = record == null ? new byte[0] : record.clone();
    }

    @Override
    public byte[] record() {
        return record.clone();
    }

    @Override
    public String toString() {
        return String.format("#%d %s rid %04x pasid %s iova 0x%x %s (0x%x): %s", sequence, unit, rid,
                pasid < 0 ? "-" : Integer.toString(pasid), iova, reason, code, detail);
    }
}
