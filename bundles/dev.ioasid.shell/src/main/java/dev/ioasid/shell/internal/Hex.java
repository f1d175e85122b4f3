package dev.ioasid.shell.internal;

/** An address or length as a command returns it: prints as 0x-hex, and parses back when passed on. */
public record Hex(long value) {
    @Override
    public String toString() {
        return "0x" + Long.toHexString(value);
    }
}
