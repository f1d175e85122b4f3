package dev.ioasid.consumer.vdpa.internal;

/** Why a virtqueue stopped: a DMA fault, an address space that reaches nothing, or a malformed chain. */
final class VqStop extends RuntimeException {
    private static final long serialVersionUID = 1L;

    VqStop(String message) {
        super(message, null, false, false);
    }
}
