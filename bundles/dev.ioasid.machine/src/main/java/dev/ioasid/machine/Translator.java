package dev.ioasid.machine;

/**
 * Translates one page of a DMA request for the unit a device sits behind. This is the hot path: it must not
 * take a global lock.
 */
@FunctionalInterface
public interface Translator {

    /**
     * @param device the requester
     * @param pasid  the request's PASID, or {@link Access#NO_PASID}
     * @param iova   the input address
     * @param access {@link Access} bits the request needs
     */
    Translation translate(PciDevice device, int pasid, long iova, int access);
}
