package dev.ioasid.backend.vtd.internal;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;

/**
 * A fault-recording register (FRCD, 16 bytes).
 * <pre>
 * lo  reserved 11:0, FI (fault information: the page address) 63:12
 * hi  SID 15:0, reserved 28:16, PRIV 29, EXE 30, PP 31, FR 39:32, PV 59:40, AT 61:60, T 62, F 63
 * </pre>
 * T is 1 for a read request and 0 for a write; PP says the request carried a PASID, PV holds it.
 */
record FaultRecord(long fi, int sid, boolean priv, boolean exe, boolean pp, int fr, int pv, int at, boolean read, boolean f) {
    static final int SIZE = 16;
    static final long F = 1L << 63;

    long lo() {
        return fi & Bits.mask(63, 12);
    }

    long hi() {
        return Bits.put(sid, 15, 0) | Bits.flag(priv, 29) | Bits.flag(exe, 30) | Bits.flag(pp, 31) | Bits.put(fr, 39, 32)
                | Bits.put(pv, 59, 40) | Bits.put(at, 61, 60) | Bits.flag(read, 62) | Bits.flag(f, 63);
    }

    static FaultRecord decode(long lo, long hi) {
        return new FaultRecord(lo & Bits.mask(63, 12), (int) Bits.get(hi, 15, 0), Bits.bit(hi, 29), Bits.bit(hi, 30), Bits.bit(hi, 31),
                (int) Bits.get(hi, 39, 32), (int) Bits.get(hi, 59, 40), (int) Bits.get(hi, 61, 60), Bits.bit(hi, 62), Bits.bit(hi, 63));
    }

    /** The register as 16 little-endian bytes, lo first. */
    byte[] bytes() {
        return ByteBuffer.allocate(SIZE).order(ByteOrder.LITTLE_ENDIAN).putLong(lo()).putLong(hi()).array();
    }

    static FaultRecord decode(byte[] b) {
        ByteBuffer bb = ByteBuffer.wrap(b).order(ByteOrder.LITTLE_ENDIAN);
        return decode(bb.getLong(), bb.getLong());
    }
}
