package dev.ioasid.backend.smmuv3.internal;

import java.util.Map;

/**
 * A capability profile: the ID registers an SMMUv3 implementation reports (IDR0-IDR5, IIDR, AIDR), and what the
 * model derives from them. {@code server} is a v3.2 part with both stages, nesting, stall, PRI, ATS, range
 * invalidation, HTTU and 16-bit SSIDs; {@code minimal} is a v3.0 part with stage 1 only, no SSIDs, no stall,
 * no PRI, a linear stream table and 40-bit addresses. Unit settings may override single values.
 */
record Profile(String name, int[] idr, int iidr, int aidr) {

    // IDR0 fields
    static final int IDR0_S2P = 0;
    static final int IDR0_S1P = 1;
    static final int IDR0_COHACC = 4;
    static final int IDR0_ATS = 10;
    static final int IDR0_ASID16 = 12;
    static final int IDR0_MSI = 13;
    static final int IDR0_SEV = 14;
    static final int IDR0_PRI = 16;
    static final int IDR0_VMID16 = 18;
    static final int IDR0_CD2L = 19;
    static final int IDR0_TERM_MODEL = 26;
    // IDR3
    static final int IDR3_RIL = 10;
    // IDR5 granules
    static final int IDR5_GRAN4K = 4;
    static final int IDR5_GRAN16K = 5;
    static final int IDR5_GRAN64K = 6;

    /** STALL_MODEL values. */
    static final int STALL_AND_TERMINATE = 0;
    static final int TERMINATE_ONLY = 1;
    static final int STALL_FORCED = 2;

    Profile {
        idr = idr.clone();
    }

    @Override
    public int[] idr() {
        return idr.clone();
    }

    int idr(int i) {
        return idr[i];
    }

    /** A named profile, with overrides from unit settings ({@code ssidsize}, {@code oas}). */
    static Profile of(String name, Map<String, String> settings) {
        Profile p;
        switch (name) {
        case "server":
            p = server();
            break;
        case "minimal":
            p = minimal();
            break;
        default:
            throw new IllegalArgumentException("unknown SMMUv3 profile '" + name + "' (server, minimal)");
        }
        String ssid = settings.get("ssidsize");
        if (ssid != null) {
            int v = Integer.parseInt(ssid);
            if (v < 0 || v > 20) {
                throw new IllegalArgumentException("ssidsize must be 0 to 20: " + v);
            }
            p.idr[1] = (int) Bits.set(Integer.toUnsignedLong(p.idr[1]), 10, 6, v);
        }
        String oas = settings.get("oas");
        if (oas != null) {
            int bits = Integer.parseInt(oas);
            int enc = Lpae.psEncoding(bits);
            if (Lpae.psBits(enc) != bits || bits > 48) {
                throw new IllegalArgumentException("oas must be one of 32, 36, 40, 42, 44, 48: " + bits);
            }
            p.idr[5] = (int) Bits.set(Integer.toUnsignedLong(p.idr[5]), 2, 0, enc);
        }
        return p;
    }

    static Profile server() {
        long idr0 = 0;
        idr0 = Bits.set(idr0, 0, true); // S2P
        idr0 = Bits.set(idr0, 1, true); // S1P
        idr0 = Bits.set(idr0, 3, 2, 2); // TTF: AArch64
        idr0 = Bits.set(idr0, 4, true); // COHACC
        idr0 = Bits.set(idr0, 7, 6, 2); // HTTU: access flag and dirty state
        idr0 = Bits.set(idr0, 10, true); // ATS
        idr0 = Bits.set(idr0, 12, true); // ASID16
        idr0 = Bits.set(idr0, 13, true); // MSI
        idr0 = Bits.set(idr0, 14, true); // SEV
        idr0 = Bits.set(idr0, 16, true); // PRI
        idr0 = Bits.set(idr0, 18, true); // VMID16
        idr0 = Bits.set(idr0, 19, true); // CD2L
        idr0 = Bits.set(idr0, 22, 21, 2); // TTENDIAN: little-endian
        idr0 = Bits.set(idr0, 25, 24, STALL_AND_TERMINATE);
        idr0 = Bits.set(idr0, 26, true); // TERM_MODEL: terminated transactions always abort
        idr0 = Bits.set(idr0, 28, 27, 1); // ST_LEVEL: 2-level stream table
        long idr1 = 0;
        idr1 = Bits.set(idr1, 5, 0, 16); // SIDSIZE
        idr1 = Bits.set(idr1, 10, 6, 16); // SSIDSIZE
        idr1 = Bits.set(idr1, 15, 11, 8); // PRIQS
        idr1 = Bits.set(idr1, 20, 16, 8); // EVENTQS
        idr1 = Bits.set(idr1, 25, 21, 8); // CMDQS
        long idr3 = Bits.set(0, IDR3_RIL, true);
        long idr5 = 0;
        idr5 = Bits.set(idr5, 2, 0, 5); // OAS: 48 bits
        idr5 = Bits.set(idr5, IDR5_GRAN4K, true);
        idr5 = Bits.set(idr5, IDR5_GRAN16K, true);
        idr5 = Bits.set(idr5, IDR5_GRAN64K, true);
        idr5 = Bits.set(idr5, 31, 16, 128); // STALL_MAX
        int iidr = 0x43b | 0x4b0 << 20; // Implementer Arm, ProductID
        int aidr = 0x02; // SMMUv3.2
        return new Profile("server", new int[] { (int) idr0, (int) idr1, 0, (int) idr3, 0, (int) idr5 }, iidr, aidr);
    }

    static Profile minimal() {
        long idr0 = 0;
        idr0 = Bits.set(idr0, 1, true); // S1P
        idr0 = Bits.set(idr0, 3, 2, 2); // TTF: AArch64
        idr0 = Bits.set(idr0, 4, true); // COHACC
        idr0 = Bits.set(idr0, 22, 21, 2); // TTENDIAN: little-endian
        idr0 = Bits.set(idr0, 25, 24, TERMINATE_ONLY);
        idr0 = Bits.set(idr0, 26, true); // TERM_MODEL
        long idr1 = 0;
        idr1 = Bits.set(idr1, 5, 0, 16); // SIDSIZE
        idr1 = Bits.set(idr1, 10, 6, 0); // SSIDSIZE: no substreams
        idr1 = Bits.set(idr1, 20, 16, 6); // EVENTQS
        idr1 = Bits.set(idr1, 25, 21, 6); // CMDQS
        long idr5 = 0;
        idr5 = Bits.set(idr5, 2, 0, 2); // OAS: 40 bits
        idr5 = Bits.set(idr5, IDR5_GRAN4K, true);
        int iidr = 0x43b | 0x480 << 20;
        int aidr = 0x00; // SMMUv3.0
        return new Profile("minimal", new int[] { (int) idr0, (int) idr1, 0, 0, 0, (int) idr5 }, iidr, aidr);
    }

    private boolean idr0(int b) {
        return (idr[0] >>> b & 1) != 0;
    }

    boolean s1p() { return idr0(IDR0_S1P); }
    boolean s2p() { return idr0(IDR0_S2P); }
    boolean nesting() { return s1p() && s2p(); }
    boolean ats() { return idr0(IDR0_ATS); }
    boolean pri() { return idr0(IDR0_PRI); }
    boolean cd2l() { return idr0(IDR0_CD2L); }
    boolean asid16() { return idr0(IDR0_ASID16); }
    boolean vmid16() { return idr0(IDR0_VMID16); }
    boolean msi() { return idr0(IDR0_MSI); }
    int httu() { return (int) Bits.get(idr[0], 7, 6); }
    int stallModel() { return (int) Bits.get(idr[0], 25, 24); }
    boolean twoLevelStreamTable() { return Bits.get(idr[0], 28, 27) == 1; }
    int sidSize() { return (int) Bits.get(idr[1], 5, 0); }
    int ssidSize() { return (int) Bits.get(idr[1], 10, 6); }
    int priqs() { return (int) Bits.get(idr[1], 15, 11); }
    int eventqs() { return (int) Bits.get(idr[1], 20, 16); }
    int cmdqs() { return (int) Bits.get(idr[1], 25, 21); }
    boolean ril() { return (idr[3] >>> IDR3_RIL & 1) != 0; }
    int oasBits() { return Lpae.psBits((int) Bits.get(idr[5], 2, 0)); }
    int stallMax() { return (int) Bits.get(idr[5], 31, 16); }

    boolean granule(Lpae.Granule g) {
        switch (g) {
        case G4K: return (idr[5] >>> IDR5_GRAN4K & 1) != 0;
        case G16K: return (idr[5] >>> IDR5_GRAN16K & 1) != 0;
        default: return (idr[5] >>> IDR5_GRAN64K & 1) != 0;
        }
    }

    /** The 40-byte {@code iommu_hw_info_arm_smmuv3}: flags, rsvd, idr[6], iidr, aidr. */
    byte[] hwInfo() {
        java.nio.ByteBuffer b = java.nio.ByteBuffer.allocate(40).order(java.nio.ByteOrder.LITTLE_ENDIAN);
        b.putInt(0).putInt(0);
        for (int v : idr) {
            b.putInt(v);
        }
        b.putInt(iidr).putInt(aidr);
        return b.array();
    }

    @Override
    public boolean equals(Object o) {
        return o instanceof Profile && ((Profile) o).name.equals(name) && java.util.Arrays.equals(((Profile) o).idr, idr)
                && ((Profile) o).iidr == iidr && ((Profile) o).aidr == aidr;
    }

    @Override
    public int hashCode() {
        return name.hashCode() * 31 + java.util.Arrays.hashCode(idr);
    }

    @Override
    public String toString() {
        return name;
    }
}
