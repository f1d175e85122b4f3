package dev.ioasid.spi;

import dev.ioasid.machine.Access;
import dev.ioasid.machine.PciDevice;

/**
 * A recoverable fault as a unit reports it to the core: a PCIe page request (VT-d, AMD-Vi, SMMUv3 PRI) or a
 * stalled transaction (SMMUv3 stall model). The unit has already recorded it in its own hardware queue (page
 * request queue, PRI queue, event queue with STALL) and keeps what it needs to answer it in {@code token}.
 *
 * @param device   the requester
 * @param pasid    the PASID, or {@link Access#NO_PASID}
 * @param groupId  the page request group index (PRGI) or stall tag (STAG)
 * @param access   the {@link Access} bits of the request
 * @param address  the faulting address (page aligned)
 * @param lastPage the LAST flag of the group
 * @param token    the unit's own handle for the response (a descriptor copy, a stall tag); opaque to the core
 */
public record PageRequest(PciDevice device, int pasid, int groupId, int access, long address, boolean lastPage, Object token) {
}
