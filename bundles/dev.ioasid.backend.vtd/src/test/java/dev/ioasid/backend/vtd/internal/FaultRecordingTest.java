package dev.ioasid.backend.vtd.internal;

import static dev.ioasid.backend.vtd.internal.Rig.NO_PASID;
import static dev.ioasid.backend.vtd.internal.Rig.R;
import static dev.ioasid.backend.vtd.internal.Rig.W;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import org.junit.jupiter.api.Test;

import dev.ioasid.machine.Access;
import dev.ioasid.machine.TranslationFault;

/** Fault-recording registers: FPD, FSTS.PPF/FRI/PFO, write-1-to-clear, and the events the host gets. */
class FaultRecordingTest {

    private static long fsts(Rig rig) {
        return rig.unit.readRegister(Registers.FSTS);
    }

    private static long frcdHi(Rig rig, int i) {
        return rig.unit.readRegister(rig.unit.caps.fro() + 16 * i + 8);
    }

    @Test
    void fpd_suppresses_qualified_faults_but_not_the_others() {
        Rig rig = Rig.server();
        Rig.Scalable s = rig.new Scalable("dsa0", false, true); // FPD in the context entry
        TranslationFault f = rig.expectFault(FaultReason.PASID_ENTRY_P, "dsa0", 5, 0x1000, R);
        assertEquals(0, f.record().length, "not recorded");
        assertEquals(0, rig.events.size(), "not reported");
        assertEquals(0, fsts(rig) & Registers.FSTS_PPF);
        // FPD in a PASID entry suppresses the faults of its walk too
        Rig other = Rig.server();
        Rig.Scalable t = other.new Scalable("dsa0", false, false);
        t.entry(1, new PasidEntry(true, true, 2, PasidEntry.PGTT_SECOND_STAGE, false, PageTables.secondStage(other).root, 3, false, false,
                false, 0, false, false, 0));
        other.expectFault(FaultReason.READ, "dsa0", 1, 0x1000, R);
        assertEquals(0, other.events.size());
        // an unqualified fault (root entry not present) is recorded whatever FPD says
        rig.expectFault(FaultReason.ROOT_ENTRY_P, "far", NO_PASID, 0, W);
        assertEquals(1, rig.events.size());
        assertEquals(1L, rig.unit.stats().caches().get("faults.suppressed"));
        assertTrue(s.sid > 0);
    }

    @Test
    void records_fill_in_turn_set_ppf_and_fri_and_clear_with_f() {
        Rig rig = new Rig("profile=server fault-records=2");
        assertEquals(2, rig.unit.caps.nfr());
        rig.expectFault(FaultReason.ROOT_ENTRY_P, "dsa0", NO_PASID, 0x1000, R);
        assertEquals(Registers.FSTS_PPF, fsts(rig), "PPF, FRI 0");
        rig.expectFault(FaultReason.ROOT_ENTRY_P, "nic0", 7, 0x2000, W | Access.PRIV);
        FaultRecord second = FaultRecord.decode(rig.unit.readRegister(rig.unit.caps.fro() + 16), frcdHi(rig, 1));
        assertEquals(0x2000, second.fi());
        assertEquals(rig.dev("nic0").rid(), second.sid());
        assertTrue(second.pp() && second.priv() && !second.read());
        assertEquals(7, second.pv());
        // both registers hold a fault: the next one overflows
        TranslationFault third = rig.expectFault(FaultReason.ROOT_ENTRY_P, "far", NO_PASID, 0x3000, R);
        assertEquals(0, third.record().length);
        assertEquals(Registers.FSTS_PFO | Registers.FSTS_PPF, fsts(rig), "PFO set on overflow");
        assertEquals(2, rig.events.size(), "the dropped fault is not reported");
        // software clears F of record 0: FRI moves to record 1, but PFO still blocks recording
        rig.unit.writeRegister(rig.unit.caps.fro() + 8, FaultRecord.F);
        assertEquals(0, frcdHi(rig, 0) & FaultRecord.F);
        assertEquals(Registers.FSTS_PFO | Registers.FSTS_PPF | 1 << Registers.FSTS_FRI_SHIFT, fsts(rig));
        rig.expectFault(FaultReason.ROOT_ENTRY_P, "far", NO_PASID, 0x4000, R);
        assertEquals(2, rig.events.size(), "no new fault is recorded while PFO is set");
        rig.unit.writeRegister(Registers.FSTS, Registers.FSTS_PFO);
        rig.expectFault(FaultReason.ROOT_ENTRY_P, "far", NO_PASID, 0x5000, R);
        assertEquals(3, rig.events.size());
        assertEquals(0x5000, FaultRecord.decode(rig.unit.readRegister(rig.unit.caps.fro()), frcdHi(rig, 0)).fi(), "into record 0 again");
        assertEquals(2L, rig.unit.stats().caches().get("faults.dropped"));
        assertEquals(rig.events, rig.unit.events());
        assertNull(FaultReason.of(0x99));
    }
}
