package dev.ioasid.backend.smmuv3.internal;

/**
 * The VMSAv8-64 long-descriptor format of stage 1 and stage 2 tables (hw-formats.md 1.2; Linux
 * io-pgtable-arm.c): granules, levels, descriptor bits, and the encodings of sizes in the CD, STE and TLBI
 * commands.
 */
final class Lpae {
    private Lpae() {
    }

    // descriptor bits
    static final long VALID = 1L;
    /** bit 1: a table descriptor at levels 0-2, a page descriptor at level 3; clear = a block. */
    static final long TABLE = 1L << 1;
    static final long ATTR_INDX_MASK = 0x7L << 2;
    static final long NS = 1L << 5;
    /** stage 1 AP[1]: EL0 (unprivileged) access */
    static final long AP_UNPRIV = 1L << 6;
    /** stage 1 AP[2]: read-only */
    static final long AP_RDONLY = 1L << 7;
    /** stage 2 S2AP[0]: read */
    static final long S2AP_READ = 1L << 6;
    /** stage 2 S2AP[1]: write */
    static final long S2AP_WRITE = 1L << 7;
    static final long SH_IS = 3L << 8;
    static final long AF = 1L << 10;
    static final long NG = 1L << 11;
    static final long DBM = 1L << 51;
    /** stage 1 PXN; with the UXN bit, Linux's ARM_LPAE_PTE_XN */
    static final long PXN = 1L << 53;
    /** stage 1 UXN / stage 2 XN */
    static final long UXN = 1L << 54;
    static final long XN = PXN | UXN;
    // table descriptor attributes (stage 1 only)
    static final long PXN_TABLE = 1L << 59;
    static final long UXN_TABLE = 1L << 60;
    static final long AP_TABLE_NO_EL0 = 1L << 61;
    static final long AP_TABLE_RDONLY = 1L << 62;
    static final long NS_TABLE = 1L << 63;
    /** MemAttr of a stage 2 leaf: normal write-back (0b1111). */
    static final long S2_MEMATTR_WB = 0xfL << 2;
    /** output address bits 47:12 of a descriptor */
    static final long OA_MASK = 0x0000_ffff_ffff_f000L;

    /** The translation granule. */
    enum Granule {
        G4K(12, 0, 0, 1), G16K(14, 2, 2, 2), G64K(16, 1, 1, 3);

        /** log2 of the page size */
        final int pageShift;
        /** bits resolved per level */
        final int bits;
        /** CD.TG0 encoding */
        final int tg0;
        /** STE.S2TG encoding */
        final int s2tg;
        /** TLBI TG encoding */
        final int tlbiTg;

        Granule(int pageShift, int tg0, int s2tg, int tlbiTg) {
            this.pageShift = pageShift;
            this.bits = pageShift - 3;
            this.tg0 = tg0;
            this.s2tg = s2tg;
            this.tlbiTg = tlbiTg;
        }

        long pageSize() {
            return 1L << pageShift;
        }

        /** log2 of the size one entry at {@code level} maps. */
        int levelShift(int level) {
            return pageShift + bits * (3 - level);
        }

        /** The levels where a block (or page) descriptor may sit, with at most 48-bit output addresses. */
        boolean leafAllowed(int level) {
            switch (this) {
            case G4K: return level >= 1;
            default: return level >= 2;
            }
        }

        /** The leaf sizes, as a bitmap. */
        long pageSizes() {
            long m = 0;
            for (int l = 0; l <= 3; l++) {
                if (leafAllowed(l)) {
                    m |= 1L << levelShift(l);
                }
            }
            return m;
        }

        /** The level a walk of an {@code ias}-bit input starts at, without concatenation. */
        int startLevel(int ias) {
            int levels = (ias - pageShift + bits - 1) / bits;
            return 4 - levels;
        }

        static Granule ofTg0(int tg0) {
            for (Granule g : values()) {
                if (g.tg0 == tg0) {
                    return g;
                }
            }
            return null;
        }

        static Granule ofS2tg(int s2tg) {
            for (Granule g : values()) {
                if (g.s2tg == s2tg) {
                    return g;
                }
            }
            return null;
        }

        static Granule ofTlbiTg(int tg) {
            for (Granule g : values()) {
                if (g.tlbiTg == tg) {
                    return g;
                }
            }
            return null;
        }

        static Granule ofPageSize(long size) {
            for (Granule g : values()) {
                if (g.pageSize() == size) {
                    return g;
                }
            }
            return null;
        }
    }

    /** CD.IPS / STE.S2PS / IDR5.OAS encodings: 0..6 to 32, 36, 40, 42, 44, 48, 52 bits; -1 for reserved. */
    static int psBits(int ps) {
        switch (ps) {
        case 0: return 32;
        case 1: return 36;
        case 2: return 40;
        case 3: return 42;
        case 4: return 44;
        case 5: return 48;
        case 6: return 52;
        default: return -1;
        }
    }

    /** The encoding of an address size, rounded up to the next encodable size. */
    static int psEncoding(int bits) {
        for (int ps = 0; ps <= 6; ps++) {
            if (psBits(ps) >= bits) {
                return ps;
            }
        }
        return 6;
    }

    /** STE.S2SL0 for a start level: 4K counts from level 2 (0 = level 2), 16K and 64K from level 3. */
    static int sl0(Granule g, int startLevel) {
        return g == Granule.G4K ? 2 - startLevel : 3 - startLevel;
    }

    /** The start level an S2SL0 value means, or -1 when it is reserved for the granule. */
    static int startLevelOfSl0(Granule g, int sl0) {
        if (sl0 == 3) {
            return -1;
        }
        return g == Granule.G4K ? 2 - sl0 : 3 - sl0;
    }

    /** The output address of a descriptor: bits 47:12 (and, for a 64K granule, PA bits 51:48 from 15:12). */
    static long outputAddress(long desc, Granule g) {
        long oa = desc & OA_MASK;
        if (g == Granule.G64K) {
            oa = (oa & ~0xf000L) | ((desc >>> 12) & 0xfL) << 48;
        }
        return oa;
    }

    /** Encodes an output address in a descriptor (the inverse of {@link #outputAddress}). */
    static long encodeOutputAddress(long pa, Granule g) {
        long d = pa & OA_MASK;
        if (g == Granule.G64K) {
            d = (d & ~0xf000L) | ((pa >>> 48) & 0xfL) << 12;
        }
        return d;
    }

    static boolean isValid(long desc) {
        return (desc & VALID) != 0;
    }

    /** A table descriptor (at a level below 3). */
    static long tableDescriptor(long tablePa, Granule g) {
        return encodeOutputAddress(tablePa, g) | TABLE | VALID;
    }

    /** A stage 1 leaf as Linux's io-pgtable-arm writes it for the iommufd prot bits. */
    static long s1Leaf(long pa, Granule g, int level, boolean read, boolean write, boolean priv, boolean noexec) {
        long d = encodeOutputAddress(pa, g) | VALID | AF | NG | SH_IS | (1L << 2); // AttrIndx 1: normal cacheable
        if (level == 3) {
            d |= TABLE;
        }
        if (!write && read) {
            d |= AP_RDONLY;
        }
        if (!priv) {
            d |= AP_UNPRIV;
        }
        if (noexec) {
            d |= XN;
        }
        return d;
    }

    /** A stage 2 leaf. */
    static long s2Leaf(long pa, Granule g, int level, boolean read, boolean write, boolean noexec) {
        long d = encodeOutputAddress(pa, g) | VALID | AF | SH_IS | S2_MEMATTR_WB;
        if (level == 3) {
            d |= TABLE;
        }
        if (read) {
            d |= S2AP_READ;
        }
        if (write) {
            d |= S2AP_WRITE;
        }
        if (noexec) {
            d |= UXN;
        }
        return d;
    }

    /** What a descriptor is at a level: invalid, table, block, page, or reserved (bit 1 clear at level 3). */
    static String typeName(long desc, int level) {
        if (!isValid(desc)) {
            return "invalid";
        }
        if (level == 3) {
            return (desc & TABLE) != 0 ? "page" : "reserved";
        }
        return (desc & TABLE) != 0 ? "table" : "block";
    }

    /** Stage 1 AP[2:1], for people. */
    static String apName(int ap) {
        switch (ap) {
        case 0: return "read-write, privileged only";
        case 1: return "read-write";
        case 2: return "read-only, privileged only";
        default: return "read-only";
        }
    }

    /** A TG0 or S2TG granule, for people; "reserved" for null. */
    static String granuleName(Granule g) {
        return g == null ? "reserved" : (g.pageSize() >> 10) + "K";
    }

    /** An IPS, S2PS or OAS encoding, for people. */
    static String psName(int ps) {
        int bits = psBits(ps);
        return bits < 0 ? "reserved" : bits + "-bit";
    }
}
