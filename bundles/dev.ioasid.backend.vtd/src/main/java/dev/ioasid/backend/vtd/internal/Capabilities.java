package dev.ioasid.backend.vtd.internal;

import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

import dev.ioasid.spi.DecodedEntry;

/**
 * The Capability (CAP_REG, offset 0x08) and Extended Capability (ECAP_REG, offset 0x10) register images, with
 * each field decoded by its spec name.
 * <pre>
 * CAP   ND 2:0, AFL 3, RWBF 4, PLMR 5, PHMR 6, CM 7, SAGAW 12:8, MGAW 21:16, ZLR 22, FRO 33:24, SLLPS 37:34,
 *       PSI 39, NFR 47:40, MAMV 53:48, DWD 54, DRD 55, FL1GP 56, PI 59, FL5LP 60
 * ECAP  C 0, QI 1, DT 2, IR 3, EIM 4, PT 6, SC 7, IRO 17:8, MHMV 23:20, MTS 25, NEST 26, PRS 29, ERS 30, SRS 31,
 *       NWFS 33, EAFS 34, PSS 39:35, PASID 40, DIT 41, PDS 42, SMTS 43, VCS 44, SSADS 45, SSTS 46, FSTS 47,
 *       SMPWCS 48, RPS 49
 * </pre>
 */
record Capabilities(long cap, long ecap) {
    // CAP_REG
    int nd() { return (int) Bits.get(cap, 2, 0); }
    boolean cm() { return Bits.bit(cap, 7); }
    int sagaw() { return (int) Bits.get(cap, 12, 8); }
    /** Maximum Guest Address Width in bits (the field holds MGAW - 1). */
    int mgaw() { return (int) Bits.get(cap, 21, 16) + 1; }
    /** Fault-recording register offset in bytes (the field is in 16-byte units). */
    int fro() { return (int) Bits.get(cap, 33, 24) * 16; }
    int sllps() { return (int) Bits.get(cap, 37, 34); }
    boolean psi() { return Bits.bit(cap, 39); }
    /** Number of fault-recording registers (the field holds NFR - 1). */
    int nfr() { return (int) Bits.get(cap, 47, 40) + 1; }
    int mamv() { return (int) Bits.get(cap, 53, 48); }
    boolean fl1gp() { return Bits.bit(cap, 56); }
    boolean fl5lp() { return Bits.bit(cap, 60); }

    // ECAP_REG
    boolean qi() { return Bits.bit(ecap, 1); }
    boolean dt() { return Bits.bit(ecap, 2); }
    boolean ir() { return Bits.bit(ecap, 3); }
    boolean pt() { return Bits.bit(ecap, 6); }
    boolean sc() { return Bits.bit(ecap, 7); }
    /** IOTLB register offset in bytes (the field is in 16-byte units). */
    int iro() { return (int) Bits.get(ecap, 17, 8) * 16; }
    boolean nest() { return Bits.bit(ecap, 26); }
    boolean prs() { return Bits.bit(ecap, 29); }
    boolean ers() { return Bits.bit(ecap, 30); }
    boolean srs() { return Bits.bit(ecap, 31); }
    boolean eafs() { return Bits.bit(ecap, 34); }
    /** PASID Size Supported: PASIDs have PSS + 1 bits. */
    int pss() { return (int) Bits.get(ecap, 39, 35); }
    boolean pasid() { return Bits.bit(ecap, 40); }
    boolean smts() { return Bits.bit(ecap, 43); }
    boolean ssads() { return Bits.bit(ecap, 45); }
    boolean ssts() { return Bits.bit(ecap, 46); }
    boolean fsts() { return Bits.bit(ecap, 47); }

    /** Number of domains: 2^(4 + 2 * ND). */
    int domains() {
        return 1 << (4 + 2 * nd());
    }

    /** PASID bits the unit supports: 0 without PASID support. */
    int pasidBits() {
        return smts() && pasid() ? pss() + 1 : 0;
    }

    /** Whether the second stage supports AW {@code aw} (SAGAW bit aw). */
    boolean supportsAw(int aw) {
        return aw >= 1 && aw <= 3 && (sagaw() >> aw & 1) != 0;
    }

    /** Whether a second-stage leaf is allowed at {@code level} (1 always, 2 with SLLPS bit 0, 3 with bit 1). */
    boolean ssLeafAt(int level) {
        return level == 1 || (level == 2 && (sllps() & 1) != 0) || (level == 3 && (sllps() & 2) != 0);
    }

    /** Whether a first-stage leaf is allowed at {@code level} (1, 2, and 3 with FL1GP). */
    boolean fsLeafAt(int level) {
        return level <= 2 || (level == 3 && fl1gp());
    }

    /** The fields for people: "SAGAW=0xc MGAW=57 ...". */
    String describe() {
        return String.format("CAP=0x%016x ECAP=0x%016x (SAGAW=0x%x MGAW=%d SLLPS=0x%x FL1GP=%d FL5LP=%d NFR=%d MAMV=%d "
                + "SMTS=%d PASID=%d PSS=%d NEST=%d PRS=%d SSADS=%d PT=%d QI=%d DT=%d)", cap, ecap, sagaw(), mgaw(), sllps(),
                fl1gp() ? 1 : 0, fl5lp() ? 1 : 0, nfr(), mamv(), smts() ? 1 : 0, pasid() ? 1 : 0, pss(), nest() ? 1 : 0,
                prs() ? 1 : 0, ssads() ? 1 : 0, pt() ? 1 : 0, qi() ? 1 : 0, dt() ? 1 : 0);
    }

    /** Both registers, each field by its spec name, as {@code dev:info} shows them. */
    List<DecodedEntry> decoded() {
        Map<String, String> c = new LinkedHashMap<>();
        c.put("ND", Integer.toString(nd()));
        c.put("CM", flag(cm()));
        c.put("SAGAW", "0x" + Integer.toHexString(sagaw()));
        c.put("MGAW", Integer.toString(mgaw()));
        c.put("FRO", "0x" + Integer.toHexString(fro()));
        c.put("SLLPS", "0x" + Integer.toHexString(sllps()));
        c.put("PSI", flag(psi()));
        c.put("NFR", Integer.toString(nfr()));
        c.put("MAMV", Integer.toString(mamv()));
        c.put("FL1GP", flag(fl1gp()));
        c.put("FL5LP", flag(fl5lp()));
        Map<String, String> e = new LinkedHashMap<>();
        e.put("QI", flag(qi()));
        e.put("DT", flag(dt()));
        e.put("IR", flag(ir()));
        e.put("PT", flag(pt()));
        e.put("SC", flag(sc()));
        e.put("IRO", "0x" + Integer.toHexString(iro()));
        e.put("NEST", flag(nest()));
        e.put("PRS", flag(prs()));
        e.put("ERS", flag(ers()));
        e.put("SRS", flag(srs()));
        e.put("EAFS", flag(eafs()));
        e.put("PSS", Integer.toString(pss()));
        e.put("PASID", flag(pasid()));
        e.put("SMTS", flag(smts()));
        e.put("SSADS", flag(ssads()));
        e.put("SSTS", flag(ssts()));
        e.put("FSTS", flag(fsts()));
        return List.of(new DecodedEntry(String.format("CAP_REG 0x%016x", cap), -1, c),
                new DecodedEntry(String.format("ECAP_REG 0x%016x", ecap), -1, e));
    }

    private static String flag(boolean b) {
        return b ? "1" : "0";
    }
}
