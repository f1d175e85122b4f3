package dev.ioasid.consumer.vdpa;

/**
 * What backs a vDPA address space.
 *
 * @param asid   the address space
 * @param ioasId the IOAS of the bound context, 0 when none
 * @param hwptId the paging HWPT made for the attachment, 0 when none
 * @param pasid  the PASID the device tags its DMA with, or {@link VdpaDevice#NO_PASID} for the RID
 */
public record AddressSpace(int asid, int ioasId, int hwptId, int pasid) {
    public boolean attached() {
        return ioasId != 0;
    }

    @Override
    public String toString() {
        if (!attached()) {
            return "AS " + asid + ": none";
        }
        return String.format("AS %d: IOAS %d via HWPT %d, %s", asid, ioasId, hwptId, pasid == VdpaDevice.NO_PASID ? "RID" : "PASID " + pasid);
    }
}
