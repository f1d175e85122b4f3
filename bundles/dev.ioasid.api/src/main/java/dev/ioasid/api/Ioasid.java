package dev.ioasid.api;

/**
 * An IOASID: the user's logical number ({@code id}, per context, from 1) and the hardware id that tags DMA
 * ({@code hwId}, from the one global 20-bit space), with the kind of that hardware id.
 */
public record Ioasid(int id, int hwId, HwIdKind kind) {
    @Override
    public String toString() {
        return String.format("ioasid %d -> %s %d (0x%x)", id, kind, hwId, hwId);
    }
}
