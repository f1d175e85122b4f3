package dev.ioasid.backend.smmuv3.internal;

/** Bit-field helpers for the SMMUv3 structures, with fields written hi:lo as in the spec. */
final class Bits {
    private Bits() {
    }

    /** A mask of bits hi..lo (inclusive). */
    static long mask(int hi, int lo) {
        long width = hi - lo + 1;
        return (width == 64 ? -1L : ((1L << width) - 1)) << lo;
    }

    /** The value of bits hi..lo, shifted down. */
    static long get(long word, int hi, int lo) {
        return (word & mask(hi, lo)) >>> lo;
    }

    /** One bit. */
    static boolean bit(long word, int b) {
        return (word >>> b & 1) != 0;
    }

    /** {@code word} with bits hi..lo replaced by {@code value} (which must fit). */
    static long set(long word, int hi, int lo, long value) {
        long m = mask(hi, lo);
        if ((value << lo & ~m) != 0 || value < 0 && hi - lo < 63) {
            throw new IllegalArgumentException(String.format("0x%x does not fit in bits %d:%d", value, hi, lo));
        }
        return (word & ~m) | (value << lo & m);
    }

    static long set(long word, int b, boolean value) {
        return value ? word | 1L << b : word & ~(1L << b);
    }

    /** An address field hi..lo kept in place (S1ContextPtr 51:6, TTB0 51:4, ...). */
    static long address(long word, int hi, int lo) {
        return word & mask(hi, lo);
    }
}
