package dev.ioasid.backend.vtd.internal;

/**
 * A page request descriptor (32 bytes) as the hardware writes it into the page request queue.
 * <pre>
 * qw0  type 7:0 (1), PASID present 8, private data present 9, RID 31:16, PASID 51:32, EXE 52, PRIV 53
 * qw1  R 0, W 1, LPIG 2, PRGI 11:3, ADDR 63:12
 * qw2, qw3  private data
 * </pre>
 * The answer is a page group response descriptor (type 9) in the invalidation queue.
 */
record PageRequestDescriptor(int rid, boolean pasidPresent, int pasid, boolean exe, boolean priv, boolean read, boolean write,
        boolean lpig, int prgi, long address, boolean privateDataPresent, long priv0, long priv1) {
    static final int SIZE = 32;
    static final int TYPE = 1;

    long[] encode() {
        long qw0 = TYPE | Bits.flag(pasidPresent, 8) | Bits.flag(privateDataPresent, 9) | Bits.put(rid, 31, 16) | Bits.put(pasid, 51, 32)
                | Bits.flag(exe, 52) | Bits.flag(priv, 53);
        long qw1 = Bits.flag(read, 0) | Bits.flag(write, 1) | Bits.flag(lpig, 2) | Bits.put(prgi, 11, 3) | (address & Bits.mask(63, 12));
        return new long[] { qw0, qw1, privateDataPresent ? priv0 : 0, privateDataPresent ? priv1 : 0 };
    }

    static PageRequestDescriptor decode(long qw0, long qw1, long qw2, long qw3) {
        return new PageRequestDescriptor((int) Bits.get(qw0, 31, 16), Bits.bit(qw0, 8), (int) Bits.get(qw0, 51, 32), Bits.bit(qw0, 52),
                Bits.bit(qw0, 53), Bits.bit(qw1, 0), Bits.bit(qw1, 1), Bits.bit(qw1, 2), (int) Bits.get(qw1, 11, 3), qw1 & Bits.mask(63, 12),
                Bits.bit(qw0, 9), qw2, qw3);
    }

    /** The page group response a driver writes for this request. */
    Descriptor response(int resp) {
        return Descriptor.pageGroupResponse(rid, pasidPresent, pasid, resp, prgi, lpig, privateDataPresent, priv0, priv1);
    }
}
