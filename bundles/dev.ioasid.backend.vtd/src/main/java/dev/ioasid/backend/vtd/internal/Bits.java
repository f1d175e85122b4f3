package dev.ioasid.backend.vtd.internal;

/** Bit-field helpers for the spec's {@code hi:lo} notation. */
final class Bits {
    private Bits() {
    }

    /** A mask of bits {@code hi:lo} inclusive. */
    static long mask(int hi, int lo) {
        long width = hi - lo + 1;
        return (width == 64 ? -1L : (1L << width) - 1) << lo;
    }

    /** The value of bits {@code hi:lo} of {@code v}. */
    static long get(long v, int hi, int lo) {
        return (v & mask(hi, lo)) >>> lo;
    }

    /** {@code value} placed at bits {@code hi:lo}; bits of {@code value} that do not fit are dropped. */
    static long put(long value, int hi, int lo) {
        return (value << lo) & mask(hi, lo);
    }

    static boolean bit(long v, int n) {
        return (v >>> n & 1) != 0;
    }

    static long flag(boolean set, int n) {
        return set ? 1L << n : 0;
    }

    /** The mask of physical address bits 51:12 below a host address width. */
    static long addressMask(int haw) {
        return mask(Math.min(haw, 52) - 1, 12);
    }
}
