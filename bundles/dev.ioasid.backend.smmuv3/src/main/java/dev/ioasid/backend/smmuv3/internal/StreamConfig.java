package dev.ioasid.backend.smmuv3.internal;

import java.util.TreeSet;

import dev.ioasid.backend.smmuv3.internal.Lpae.Granule;
import dev.ioasid.backend.smmuv3.internal.Walker.S2Cfg;

/**
 * A decoded, checked STE: what the configuration cache holds for a StreamID. An STE that is invalid or ILLEGAL
 * for the implementation (C_BAD_STE) has {@link #bad} set and is never cached.
 */
final class StreamConfig {
    final int sid;
    final Ste ste;
    final int config;
    /** stage 2, or null when Config does not enable it */
    final S2Cfg s2;
    final boolean s1;
    final int s1Fmt;
    final int s1CdMax;
    final int s1Dss;
    final boolean s1Stalld;
    final int eats;
    /** the VMID that tags this stream's TLB entries (S2VMID; Linux writes 0 for stage-1-only streams) */
    final int vmid;
    /** leaf sizes a stage-2 lookup probes, ascending */
    final int[] s2Shifts;
    /** why the STE is C_BAD_STE, or null */
    final String bad;

    private StreamConfig(int sid, Ste ste, S2Cfg s2, int vmid, String bad) {
        this.sid = sid;
        this.ste = ste;
        this.config = ste.Config();
        this.s2 = s2;
        this.s1 = ste.s1Enabled();
        this.s1Fmt = ste.S1Fmt();
        this.s1CdMax = ste.S1CDMax();
        this.s1Dss = ste.S1DSS();
        this.s1Stalld = ste.S1STALLD();
        this.eats = ste.EATS();
        this.vmid = vmid;
        this.s2Shifts = s2 == null ? new int[0] : shifts(s2.granule(), null);
        this.bad = bad;
    }

    private static StreamConfig bad(int sid, Ste ste, String why) {
        return new StreamConfig(sid, ste, null, 0, why);
    }

    /** The leaf sizes of one or two granules, ascending: the sizes a TLB lookup probes. */
    static int[] shifts(Granule a, Granule b) {
        TreeSet<Integer> s = new TreeSet<>();
        for (Granule g : b == null ? new Granule[] { a } : new Granule[] { a, b }) {
            for (int l = 3; l >= 0; l--) {
                if (g.leafAllowed(l)) {
                    s.add(g.levelShift(l));
                }
            }
        }
        return s.stream().mapToInt(Integer::intValue).toArray();
    }

    /** Decodes an STE as the implementation described by {@code p} interprets it. */
    static StreamConfig decode(int sid, Ste ste, Profile p) {
        if (!ste.V()) {
            return bad(sid, ste, "STE.V is 0");
        }
        int config = ste.Config();
        if (ste.isAbort() || config == Ste.CONFIG_BYPASS) {
            return new StreamConfig(sid, ste, null, 0, null);
        }
        boolean s1 = ste.s1Enabled();
        boolean s2 = ste.s2Enabled();
        if (s1 && !p.s1p()) {
            return bad(sid, ste, "Config enables stage 1, which is not implemented");
        }
        if (s2 && !p.s2p()) {
            return bad(sid, ste, "Config enables stage 2, which is not implemented");
        }
        if (s1) {
            if (ste.S1Fmt() == 3 || (ste.S1Fmt() != Ste.S1FMT_LINEAR && !p.cd2l())) {
                return bad(sid, ste, "S1Fmt " + ste.S1Fmt() + " is not supported");
            }
            if (ste.S1CDMax() > p.ssidSize()) {
                return bad(sid, ste, "S1CDMax " + ste.S1CDMax() + " exceeds SSIDSIZE " + p.ssidSize());
            }
            if (ste.S1STALLD() && p.stallModel() == Profile.STALL_FORCED) {
                return bad(sid, ste, "S1STALLD with STALL_MODEL forced");
            }
            if (ste.S1DSS() == 3) {
                return bad(sid, ste, "S1DSS 3 is reserved");
            }
        }
        if (p.ats() && (ste.EATS() == 3 || (ste.EATS() == Ste.EATS_S1CHK && config != Ste.CONFIG_NESTED))) {
            return bad(sid, ste, "EATS " + ste.EATS() + " is ILLEGAL here");
        }
        S2Cfg s2cfg = null;
        int vmid = ste.S2VMID() & (p.vmid16() ? 0xffff : 0xff);
        if (s2) {
            if (!ste.S2AA64() || ste.S2ENDI()) {
                return bad(sid, ste, "stage 2 must be AArch64 little-endian (S2AA64 1, S2ENDI 0)");
            }
            Granule g = Granule.ofS2tg(ste.S2TG());
            if (g == null || !p.granule(g)) {
                return bad(sid, ste, "S2TG " + ste.S2TG() + " is not a supported granule");
            }
            int t0sz = ste.S2T0SZ();
            if (t0sz < 16 || t0sz > 39) {
                return bad(sid, ste, "S2T0SZ " + t0sz + " is out of range");
            }
            int ias = 64 - t0sz;
            int start = Lpae.startLevelOfSl0(g, ste.S2SL0());
            if (start < 0) {
                return bad(sid, ste, "S2SL0 " + ste.S2SL0() + " is reserved");
            }
            int startBits = ias - g.levelShift(start);
            if (startBits < 1 || startBits > g.bits + 4) {
                return bad(sid, ste, String.format("S2SL0 %d does not fit S2T0SZ %d (%d index bits at level %d)", ste.S2SL0(), t0sz,
                        startBits, start));
            }
            int ps = Lpae.psBits(ste.S2PS());
            if (ps < 0) {
                return bad(sid, ste, "S2PS " + ste.S2PS() + " is reserved");
            }
            if (ste.S2S() && p.stallModel() == Profile.TERMINATE_ONLY) {
                return bad(sid, ste, "S2S with STALL_MODEL terminate-only");
            }
            boolean ha = ste.S2HA() && p.httu() >= 1;
            boolean hd = ste.S2HD() && ha && p.httu() >= 2;
            s2cfg = new S2Cfg(g, ias, Math.min(ps, p.oasBits()), start, startBits, ste.S2TTB(), vmid, ha, hd, ste.S2R(), ste.S2S());
        }
        return new StreamConfig(sid, ste, s2cfg, vmid, null);
    }

    boolean isAbort() {
        return (config & 0b100) == 0;
    }

    boolean isBypass() {
        return config == Ste.CONFIG_BYPASS;
    }
}
