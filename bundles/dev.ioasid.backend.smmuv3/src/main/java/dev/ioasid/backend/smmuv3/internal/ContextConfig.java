package dev.ioasid.backend.smmuv3.internal;

import dev.ioasid.backend.smmuv3.internal.Lpae.Granule;
import dev.ioasid.backend.smmuv3.internal.Walker.S1Cfg;

/**
 * A decoded, checked CD of (StreamID, SubstreamID): what the configuration cache holds for a context. A CD
 * that is invalid or ILLEGAL (C_BAD_CD) has {@link #bad} set and is never cached.
 */
final class ContextConfig {
    final int sid;
    final int ssid;
    final Cd cd;
    final S1Cfg s1;
    /** leaf sizes a lookup probes, ascending (both granules when nested) */
    final int[] shifts;
    final String bad;

    private ContextConfig(int sid, int ssid, Cd cd, S1Cfg s1, int[] shifts, String bad) {
        this.sid = sid;
        this.ssid = ssid;
        this.cd = cd;
        this.s1 = s1;
        this.shifts = shifts;
        this.bad = bad;
    }

    private static ContextConfig bad(int sid, int ssid, Cd cd, String why) {
        return new ContextConfig(sid, ssid, cd, null, null, why);
    }

    static ContextConfig decode(int sid, int ssid, Cd cd, StreamConfig stream, Profile p) {
        if (!cd.V()) {
            return bad(sid, ssid, cd, "CD.V is 0");
        }
        if (!cd.AA64() || cd.ENDI()) {
            return bad(sid, ssid, cd, "the CD must be AArch64 little-endian (AA64 1, ENDI 0)");
        }
        Granule g = Granule.ofTg0(cd.TG0());
        if (cd.TG0() == 3 || g == null || !p.granule(g)) {
            return bad(sid, ssid, cd, "TG0 " + cd.TG0() + " is not a supported granule");
        }
        int t0sz = cd.T0SZ();
        if (!cd.EPD0() && (t0sz < 16 || t0sz > 39)) {
            return bad(sid, ssid, cd, "T0SZ " + t0sz + " is out of range");
        }
        int ips = Lpae.psBits(cd.IPS());
        if (ips < 0) {
            return bad(sid, ssid, cd, "IPS " + cd.IPS() + " is reserved");
        }
        if (cd.S() && (p.stallModel() == Profile.TERMINATE_ONLY || stream.s1Stalld)) {
            return bad(sid, ssid, cd, "CD.S is set but stalls are disabled (STALL_MODEL or STE.S1STALLD)");
        }
        if (!cd.S() && p.stallModel() == Profile.STALL_FORCED) {
            return bad(sid, ssid, cd, "CD.S is clear with STALL_MODEL forced");
        }
        boolean ha = cd.HA() && p.httu() >= 1;
        boolean hd = cd.HD() && ha && p.httu() >= 2;
        int vaBits = 64 - Math.max(16, Math.min(39, t0sz));
        S1Cfg s1 = new S1Cfg(g, vaBits, Math.min(ips, p.oasBits()), g.startLevel(vaBits), cd.TTB0(), cd.ASID() & (p.asid16() ? 0xffff : 0xff),
                cd.EPD0(), cd.TBI0(), ha, hd, cd.R(), cd.S());
        int[] shifts = StreamConfig.shifts(g, stream.s2 == null ? null : stream.s2.granule());
        return new ContextConfig(sid, ssid, cd, s1, shifts, null);
    }
}
