package dev.ioasid.backend.vtd.internal;

/**
 * A queued-invalidation descriptor: 128 bits, or 256 bits when IQA.DW is set (scalable mode). The type is bits
 * 3:0 with bits 11:9 as its upper bits. Field layouts (qw0 / qw1), hw-formats.md 2.1:
 * <pre>
 * 1 context-cache       G 5:4 (1 global, 2 domain, 3 device), DID 31:16, SID 47:32, FM 49:48 / reserved
 * 2 IOTLB               G 5:4 (1 global, 2 domain, 3 page), DW 6, DR 7, DID 31:16 / AM 5:0, IH 6, ADDR 63:12
 * 3 device-TLB          PFSID[3:0] 15:12, QDEP 20:16, SID 47:32, PFSID[15:4] 63:52 / S 0, ADDR 63:12
 * 4 interrupt entry     G 4, IM 31:27, IIDX 47:32 / reserved
 * 5 wait                IF 4, SW 5, FN 6, PD 7, STATUS DATA 63:32 / STATUS ADDR 63:2
 * 6 PASID-based IOTLB   G 5:4 (2 PASID, 3 page in PASID), DID 31:16, PASID 51:32 / AM 5:0, IH 6, ADDR 63:12
 * 7 PASID-cache         G 5:4 (0 domain, 1 PASID, 3 global), DID 31:16, PASID 51:32 / reserved
 * 8 PASID device-TLB    QDEP 8:4, PFSID[3:0] 15:12, SID 31:16, PASID 51:32, PFSID[15:4] 63:52 / G 0, S 11, ADDR 63:12
 * 9 page group response PASID_P 4, PDP 5, RESP 15:12, RID 31:16, PASID 51:32 / LPIG 2, PRGI 11:3
 * </pre>
 * qw2 and qw3 of a 256-bit descriptor are reserved, except the private data of a page group response.
 */
record Descriptor(long qw0, long qw1, long qw2, long qw3) {
    static final int CONTEXT_CACHE = 1;
    static final int IOTLB = 2;
    static final int DEVICE_TLB = 3;
    static final int INTERRUPT_ENTRY_CACHE = 4;
    static final int WAIT = 5;
    static final int PASID_IOTLB = 6;
    static final int PASID_CACHE = 7;
    static final int PASID_DEVICE_TLB = 8;
    static final int PAGE_GROUP_RESPONSE = 9;

    /** Granularities. */
    static final int CC_GLOBAL = 1, CC_DOMAIN = 2, CC_DEVICE = 3;
    static final int IOTLB_GLOBAL = 1, IOTLB_DOMAIN = 2, IOTLB_PAGE = 3;
    static final int PIOTLB_PASID = 2, PIOTLB_PAGE = 3;
    static final int PC_DOMAIN = 0, PC_PASID = 1, PC_GLOBAL = 3;

    /** Page group response codes. */
    static final int RESP_SUCCESS = 0, RESP_INVALID = 1, RESP_FAILURE = 0xf;

    /** Reserved bits of qw0 and qw1 by type (index = type). */
    private static final long[] RESERVED_QW0 = new long[10];
    private static final long[] RESERVED_QW1 = new long[10];

    static {
        RESERVED_QW0[CONTEXT_CACHE] = Bits.mask(8, 6) | Bits.mask(15, 12) | Bits.mask(63, 50);
        RESERVED_QW1[CONTEXT_CACHE] = -1L;
        RESERVED_QW0[IOTLB] = Bits.mask(8, 8) | Bits.mask(15, 12) | Bits.mask(63, 32);
        RESERVED_QW1[IOTLB] = Bits.mask(11, 7);
        RESERVED_QW0[DEVICE_TLB] = Bits.mask(8, 4) | Bits.mask(31, 21) | Bits.mask(51, 48);
        RESERVED_QW1[DEVICE_TLB] = Bits.mask(11, 1);
        RESERVED_QW0[INTERRUPT_ENTRY_CACHE] = Bits.mask(8, 5) | Bits.mask(26, 12) | Bits.mask(63, 48);
        RESERVED_QW1[INTERRUPT_ENTRY_CACHE] = -1L;
        RESERVED_QW0[WAIT] = Bits.mask(8, 8) | Bits.mask(31, 12);
        RESERVED_QW1[WAIT] = Bits.mask(1, 0);
        RESERVED_QW0[PASID_IOTLB] = Bits.mask(8, 6) | Bits.mask(15, 12) | Bits.mask(63, 52);
        RESERVED_QW1[PASID_IOTLB] = Bits.mask(11, 7);
        RESERVED_QW0[PASID_CACHE] = Bits.mask(8, 6) | Bits.mask(15, 12) | Bits.mask(63, 52);
        RESERVED_QW1[PASID_CACHE] = -1L;
        RESERVED_QW0[PASID_DEVICE_TLB] = 0;
        RESERVED_QW1[PASID_DEVICE_TLB] = Bits.mask(10, 1);
        RESERVED_QW0[PAGE_GROUP_RESPONSE] = Bits.mask(8, 6) | Bits.mask(63, 52);
        RESERVED_QW1[PAGE_GROUP_RESPONSE] = Bits.mask(1, 0) | Bits.mask(63, 12);
    }

    /** The 7-bit type: bits 3:0 and 11:9. */
    int type() {
        return (int) (qw0 & 0xf | Bits.get(qw0, 11, 9) << 4);
    }

    int granularity() {
        return (int) Bits.get(qw0, 5, 4);
    }

    /** Reserved bits set in qw0/qw1 for a known type (-1 for an unknown type), and in qw2/qw3 when 256-bit. */
    long reservedBits(boolean wide) {
        int t = type();
        if (t < 1 || t > 9) {
            return -1L;
        }
        long r = (qw0 & RESERVED_QW0[t]) | (qw1 & RESERVED_QW1[t]);
        if (wide && t != PAGE_GROUP_RESPONSE) {
            r |= qw2 | qw3;
        }
        return r;
    }

    static Descriptor of(long qw0, long qw1) {
        return new Descriptor(qw0, qw1, 0, 0);
    }

    // ------------------------------------------------------------------ encoders, as a driver writes them

    static Descriptor contextCache(int g, int did, int sid, int fm) {
        return of(CONTEXT_CACHE | Bits.put(g, 5, 4) | Bits.put(did, 31, 16) | Bits.put(sid, 47, 32) | Bits.put(fm, 49, 48), 0);
    }

    static Descriptor iotlb(int g, boolean dr, boolean dw, int did, long addr, int am, boolean ih) {
        return of(IOTLB | Bits.put(g, 5, 4) | Bits.flag(dw, 6) | Bits.flag(dr, 7) | Bits.put(did, 31, 16),
                Bits.put(am, 5, 0) | Bits.flag(ih, 6) | (addr & Bits.mask(63, 12)));
    }

    static Descriptor deviceTlb(int sid, int pfsid, int qdep, long addr, boolean size) {
        return of(DEVICE_TLB | Bits.put(pfsid & 0xf, 15, 12) | Bits.put(qdep, 20, 16) | Bits.put(sid, 47, 32)
                | Bits.put(pfsid >>> 4, 63, 52), Bits.flag(size, 0) | (addr & Bits.mask(63, 12)));
    }

    static Descriptor interruptEntryCache(boolean global, int im, int iidx) {
        return of(INTERRUPT_ENTRY_CACHE | Bits.flag(global, 4) | Bits.put(im, 31, 27) | Bits.put(iidx, 47, 32), 0);
    }

    static Descriptor waitDesc(boolean interrupt, boolean statusWrite, boolean fence, boolean drain, int statusData, long statusAddr) {
        return of(WAIT | Bits.flag(interrupt, 4) | Bits.flag(statusWrite, 5) | Bits.flag(fence, 6) | Bits.flag(drain, 7)
                | Bits.put(statusData & 0xffffffffL, 63, 32), statusAddr & Bits.mask(63, 2));
    }

    static Descriptor pasidIotlb(int g, int did, int pasid, long addr, int am, boolean ih) {
        return of(PASID_IOTLB | Bits.put(g, 5, 4) | Bits.put(did, 31, 16) | Bits.put(pasid, 51, 32),
                Bits.put(am, 5, 0) | Bits.flag(ih, 6) | (addr & Bits.mask(63, 12)));
    }

    static Descriptor pasidCache(int g, int did, int pasid) {
        return of(PASID_CACHE | Bits.put(g, 5, 4) | Bits.put(did, 31, 16) | Bits.put(pasid, 51, 32), 0);
    }

    static Descriptor pasidDeviceTlb(int sid, int pfsid, int qdep, int pasid, long addr, boolean size, boolean global) {
        return of(PASID_DEVICE_TLB | Bits.put(qdep, 8, 4) | Bits.put(pfsid & 0xf, 15, 12) | Bits.put(sid, 31, 16)
                | Bits.put(pasid, 51, 32) | Bits.put(pfsid >>> 4, 63, 52),
                Bits.flag(global, 0) | Bits.flag(size, 11) | (addr & Bits.mask(63, 12)));
    }

    static Descriptor pageGroupResponse(int rid, boolean pasidPresent, int pasid, int resp, int prgi, boolean lpig,
            boolean privateData, long priv0, long priv1) {
        return new Descriptor(PAGE_GROUP_RESPONSE | Bits.flag(pasidPresent, 4) | Bits.flag(privateData, 5) | Bits.put(resp, 15, 12)
                | Bits.put(rid, 31, 16) | Bits.put(pasid, 51, 32), Bits.flag(lpig, 2) | Bits.put(prgi, 11, 3),
                privateData ? priv0 : 0, privateData ? priv1 : 0);
    }

    // ------------------------------------------------------------------ field decoders

    int did() { return (int) Bits.get(qw0, 31, 16); }
    /** SID of context-cache and device-TLB descriptors (47:32). */
    int sid() { return (int) Bits.get(qw0, 47, 32); }
    int fm() { return (int) Bits.get(qw0, 49, 48); }
    /** PASID of PASID-based descriptors (51:32). */
    int pasid() { return (int) Bits.get(qw0, 51, 32); }
    /** SID of the PASID device-TLB descriptor and RID of the page group response (31:16). */
    int rid() { return (int) Bits.get(qw0, 31, 16); }
    int am() { return (int) Bits.get(qw1, 5, 0); }
    boolean ih() { return Bits.bit(qw1, 6); }
    long addr() { return qw1 & Bits.mask(63, 12); }
    boolean statusWrite() { return Bits.bit(qw0, 5); }
    boolean interruptFlag() { return Bits.bit(qw0, 4); }
    boolean fence() { return Bits.bit(qw0, 6); }
    boolean pageRequestDrain() { return Bits.bit(qw0, 7); }
    int statusData() { return (int) Bits.get(qw0, 63, 32); }
    long statusAddr() { return qw1 & Bits.mask(63, 2); }
    int resp() { return (int) Bits.get(qw0, 15, 12); }
    boolean pasidPresent() { return Bits.bit(qw0, 4); }
    boolean privateDataPresent() { return Bits.bit(qw0, 5); }
    int prgi() { return (int) Bits.get(qw1, 11, 3); }
    boolean lpig() { return Bits.bit(qw1, 2); }
    int pfsid() { return (int) (Bits.get(qw0, 15, 12) | Bits.get(qw0, 63, 52) << 4); }
    /** QDEP of the device-TLB descriptor (20:16). */
    int qdep() { return (int) Bits.get(qw0, 20, 16); }
    /** QDEP of the PASID device-TLB descriptor (8:4). */
    int pasidQdep() { return (int) Bits.get(qw0, 8, 4); }
    /** S of the device-TLB descriptor (qw1 bit 0). */
    boolean deviceSize() { return Bits.bit(qw1, 0); }
    /** S of the PASID device-TLB descriptor (qw1 bit 11). */
    boolean pasidDeviceSize() { return Bits.bit(qw1, 11); }
    /** G of the PASID device-TLB descriptor (qw1 bit 0). */
    boolean pasidDeviceGlobal() { return Bits.bit(qw1, 0); }

    @Override
    public String toString() {
        return String.format("desc type %d [0x%016x 0x%016x 0x%016x 0x%016x]", type(), qw0, qw1, qw2, qw3);
    }
}
