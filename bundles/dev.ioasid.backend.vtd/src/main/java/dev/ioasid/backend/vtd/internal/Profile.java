package dev.ioasid.backend.vtd.internal;

import java.util.List;
import java.util.Map;

/**
 * A capability profile: the CAP and ECAP register images of a unit, plus the model's own settings (cache sizes,
 * the address width of its paging domains). Chosen by the unit's {@code profile=} setting in the machine
 * description, or by Config Admin ({@code <unit>.profile}); any other setting of the unit ({@code aw=},
 * {@code iotlb=}, {@code context-cache=}, {@code pasid-cache=}, {@code fault-records=}, {@code mamv=}) overrides
 * the profile's value. The capability bits {@code srs=} (ECAP.SRS), {@code eafs=} (ECAP.EAFS) and {@code fl5lp=}
 * (CAP.FL5LP) take 0 or 1 to clear or set that bit of the profile's register image.
 *
 * @param name           {@code server} or {@code legacy}
 * @param caps           the register images
 * @param domainWidth    input address width of the second-stage tables of paging domains (39, 48 or 57)
 * @param iotlbEntries   IOTLB size (a power of two)
 * @param contextEntries context-cache size (a power of two)
 * @param pasidEntries   PASID-cache size (a power of two)
 */
record Profile(String name, Capabilities caps, int domainWidth, int iotlbEntries, int contextEntries, int pasidEntries) {
    public static final List<String> NAMES = List.of("server", "legacy");

    /** Fault-recording registers start at 0x200 (FRO = 0x20). */
    static final int FRO_UNITS = 0x20;
    /** The IOTLB registers at 0x100 (IRO = 0x10); queued invalidation is the interface this model drives. */
    static final int IRO_UNITS = 0x10;

    /**
     * A modern server unit: scalable mode, nesting, 20-bit PASIDs, page requests, second-stage dirty tracking,
     * pass-through, 4- and 5-level tables, 2 MiB and 1 GiB pages in both stages.
     */
    static Profile server() {
        long cap = Bits.put(6, 2, 0) // ND: 2^16 domains
                | Bits.put(0b01110, 12, 8) // SAGAW: 39, 48 and 57 bits
                | Bits.put(57 - 1, 21, 16) // MGAW 57
                | Bits.put(FRO_UNITS, 33, 24) // FRO
                | Bits.put(0b0011, 37, 34) // SLLPS: 2M, 1G
                | (1L << 39) // PSI
                | Bits.put(8 - 1, 47, 40) // NFR: 8 records
                | Bits.put(18, 53, 48) // MAMV
                | (1L << 54) | (1L << 55) // DWD, DRD
                | (1L << 56) // FL1GP
                | (1L << 60); // FL5LP
        long ecap = 1L // C
                | (1L << 1) // QI
                | (1L << 2) // DT
                | (1L << 6) // PT
                | (1L << 7) // SC: SNP in second-stage leaves
                | Bits.put(IRO_UNITS, 17, 8) // IRO
                | Bits.put(0xf, 23, 20) // MHMV
                | (1L << 26) // NEST
                | (1L << 29) // PRS
                | (1L << 30) // ERS
                | (1L << 31) // SRS
                | (1L << 33) // NWFS
                | (1L << 34) // EAFS
                | Bits.put(19, 39, 35) // PSS: 20-bit PASIDs
                | (1L << 40) // PASID
                | (1L << 43) // SMTS
                | (1L << 45) // SSADS
                | (1L << 46) // SSTS
                | (1L << 47); // FSTS
        return new Profile("server", new Capabilities(cap, ecap), 48, 1024, 256, 256);
    }

    /** A minimal legacy unit: legacy-mode tables only, 39-bit 3-level second stage, 2 MiB pages, no PASID. */
    static Profile legacy() {
        long cap = Bits.put(4, 2, 0) // ND: 2^12 domains
                | Bits.put(0b00010, 12, 8) // SAGAW: 39 bits
                | Bits.put(39 - 1, 21, 16) // MGAW 39
                | Bits.put(FRO_UNITS, 33, 24)
                | Bits.put(0b0001, 37, 34) // SLLPS: 2M
                | (1L << 39) // PSI
                | Bits.put(4 - 1, 47, 40) // NFR: 4 records
                | Bits.put(9, 53, 48); // MAMV
        long ecap = 1L // C
                | (1L << 1) // QI
                | (1L << 6) // PT
                | Bits.put(IRO_UNITS, 17, 8);
        return new Profile("legacy", new Capabilities(cap, ecap), 39, 256, 64, 1);
    }

    /** The named profile with the unit's settings applied. @throws IllegalArgumentException for bad values */
    static Profile of(String name, Map<String, String> settings) {
        Profile p;
        switch (name) {
        case "server": p = server(); break;
        case "legacy": p = legacy(); break;
        default: throw new IllegalArgumentException("unknown VT-d profile '" + name + "' (" + String.join(", ", NAMES) + ")");
        }
        long cap = p.caps.cap();
        long ecap = p.caps.ecap();
        int width = p.domainWidth;
        if (settings.containsKey("aw")) {
            width = Integer.parseInt(settings.get("aw"));
        }
        int aw = SsPte.awForWidth(width);
        if (aw < 0 || !p.caps.supportsAw(aw) || width > p.caps.mgaw()) {
            throw new IllegalArgumentException("aw=" + width + " is not an address width of profile " + name + " (SAGAW 0x"
                    + Integer.toHexString(p.caps.sagaw()) + ")");
        }
        if (settings.containsKey("fault-records")) {
            int n = Integer.parseInt(settings.get("fault-records"));
            if (n < 1 || n > 256) {
                throw new IllegalArgumentException("fault-records must be 1 to 256");
            }
            cap = (cap & ~Bits.mask(47, 40)) | Bits.put(n - 1, 47, 40);
        }
        if (settings.containsKey("mamv")) {
            int m = Integer.parseInt(settings.get("mamv"));
            if (m < 0 || m > 63) {
                throw new IllegalArgumentException("mamv must be 0 to 63");
            }
            cap = (cap & ~Bits.mask(53, 48)) | Bits.put(m, 53, 48);
        }
        cap = bit(settings, "fl5lp", cap, 60);
        ecap = bit(settings, "srs", ecap, 31);
        ecap = bit(settings, "eafs", ecap, 34);
        return new Profile(p.name, new Capabilities(cap, ecap), width, size(settings, "iotlb", p.iotlbEntries),
                size(settings, "context-cache", p.contextEntries), size(settings, "pasid-cache", p.pasidEntries));
    }

    /** A register image with one bit set or cleared by a {@code key=0|1} setting, if present. */
    private static long bit(Map<String, String> settings, String key, long image, int bit) {
        String v = settings.get(key);
        if (v == null) {
            return image;
        }
        switch (v) {
        case "0": return image & ~(1L << bit);
        case "1": return image | 1L << bit;
        default: throw new IllegalArgumentException(key + "=" + v + " must be 0 or 1");
        }
    }

    private static int size(Map<String, String> settings, String key, int fallback) {
        String v = settings.get(key);
        if (v == null) {
            return fallback;
        }
        int n = Integer.parseInt(v);
        if (n < 1 || n > (1 << 20) || Integer.bitCount(n) != 1) {
            throw new IllegalArgumentException(key + "=" + v + " must be a power of two up to 2^20");
        }
        return n;
    }

    /** The AW field value of paging domains. */
    int domainAw() {
        return SsPte.awForWidth(domainWidth);
    }

    boolean scalable() {
        return caps.smts();
    }

    /** Host address width: output addresses are at most this many bits. */
    int haw() {
        return caps.mgaw();
    }
}
