package dev.ioasid.machine;

/**
 * An access to a physical address that no memory backs. Hardware models catch it on their walks and turn it
 * into their vendor's access fault; it never reaches a user.
 */
public final class BusError extends RuntimeException {
    private static final long serialVersionUID = 1L;
    private final long address;

    public BusError(long address, long length) {
        super(String.format("no memory at physical 0x%x (+%d)", address, length), null, false, false);
        this.address = address;
    }

    public long address() {
        return address;
    }
}
