package dev.ioasid.backend.smmuv3.internal;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.List;

import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

import dev.ioasid.api.HwptFlags;
import dev.ioasid.api.MapFlags;
import dev.ioasid.api.PciAddress;
import dev.ioasid.machine.Access;
import dev.ioasid.machine.DeviceCapabilities;
import dev.ioasid.machine.PciDevice;
import dev.ioasid.machine.TranslatedPage;
import dev.ioasid.machine.Translation;
import dev.ioasid.machine.TranslationFault;
import dev.ioasid.spi.UnitEvent;

/**
 * Every event type of the issue, reached by a transaction: through the driver (a unit with its host) where the
 * driver's own structures can produce it, through hand-written structures (as a guest or broken software writes
 * them) where only those can. Each event is checked in the fault the DMA sees and in the record the event
 * queue carries.
 */
class EventTypesTest {
    private final UnitFixture f = new UnitFixture();
    private final PciDevice gpu = f.device("gpu0");
    private final PciDevice nic = f.device("nic0");

    @AfterEach
    void close() {
        f.close();
    }

    private static TranslationFault fault(Translation t, String reason) {
        TranslationFault tf = assertInstanceOf(TranslationFault.class, t, () -> "expected " + reason + ", got " + t);
        assertEquals(reason, tf.reason(), tf::toString);
        return tf;
    }

    /** The event the host got last: its decoded fields, and that it is the record the fault carries. */
    private EventRecord event(TranslationFault tf, int id, int sid) {
        UnitEvent e = f.lastEvent();
        assertEquals(id, e.code());
        assertEquals(EventRecord.name(id), e.reason());
        assertEquals(sid, e.rid());
        EventRecord r = EventRecord.fromBytes(e.record());
        assertEquals(id, r.ID());
        assertEquals(sid, r.StreamID());
        assertEquals(java.util.HexFormat.of().formatHex(tf.record()), java.util.HexFormat.of().formatHex(e.record()));
        return r;
    }

    private SmmuDomain mapped(PciDevice d, long iova, int prot) {
        SmmuDomain dom = f.paging(d, HwptFlags.PASID);
        dom.map(iova, f.memory(4096), 4096, prot, false);
        return dom;
    }

    @Test
    void c_bad_streamid_for_a_stream_the_driver_never_probed() {
        PciDevice stranger = new PciDevice(PciAddress.parse("0000:7f:00.0"), "stranger", "smmu0", DeviceCapabilities.NONE, java.util.Map.of());
        TranslationFault tf = fault(f.unit.translate(stranger, Access.NO_PASID, 0x1000, Access.READ), "C_BAD_STREAMID");
        event(tf, EventRecord.C_BAD_STREAMID, 0x7f00);
    }

    @Test
    void c_bad_ste_for_an_invalid_ste_of_a_probed_l2_table() {
        // 01:03.0 shares the L2 table of the probed devices, and its STE is still zero (V = 0)
        PciDevice unprobed = new PciDevice(PciAddress.parse("0000:01:03.0"), "x", "smmu0", DeviceCapabilities.NONE, java.util.Map.of());
        TranslationFault tf = fault(f.unit.translate(unprobed, Access.NO_PASID, 0x1000, Access.READ), "C_BAD_STE");
        event(tf, EventRecord.C_BAD_STE, 0x0118);
    }

    @Test
    void an_abort_ste_blocks_without_an_event() {
        TranslationFault tf = fault(f.unit.translate(nic, Access.NO_PASID, 0x1000, Access.READ), "STE_ABORT");
        assertEquals(0, tf.record().length);
        assertTrue(f.events.isEmpty());
    }

    @Test
    void f_translation_for_an_unmapped_iova() {
        f.unit.attach(gpu, Access.NO_PASID, mapped(gpu, 0x10000, UnitFixture.RW));
        TranslationFault tf = fault(f.unit.translate(gpu, Access.NO_PASID, 0x20000, Access.READ), "F_TRANSLATION");
        EventRecord r = event(tf, EventRecord.F_TRANSLATION, 0x100);
        assertEquals(0x20000, r.InputAddr());
        assertTrue(r.RnW());
        assertFalse(r.S2() || r.SSV() || r.Stall());
    }

    @Test
    void f_permission_for_a_write_to_a_read_only_page() {
        f.unit.attach(gpu, Access.NO_PASID, mapped(gpu, 0x10000, MapFlags.READABLE));
        assertInstanceOf(TranslatedPage.class, f.unit.translate(gpu, Access.NO_PASID, 0x10000, Access.READ));
        TranslationFault tf = fault(f.unit.translate(gpu, Access.NO_PASID, 0x10008, Access.WRITE), "F_PERMISSION");
        EventRecord r = event(tf, EventRecord.F_PERMISSION, 0x100);
        assertFalse(r.RnW(), "a write");
    }

    @Test
    void c_bad_substreamid_beyond_s1cdmax_and_for_ssid_0() {
        f.unit.attach(gpu, Access.NO_PASID, mapped(gpu, 0x10000, UnitFixture.RW));
        TranslationFault tf = fault(f.unit.translate(gpu, 1 << 16, 0x10000, Access.READ), "C_BAD_SUBSTREAMID");
        EventRecord r = event(tf, EventRecord.C_BAD_SUBSTREAMID, 0x100);
        assertTrue(r.SSV());
        assertEquals(1 << 16, r.SubstreamID());
        // with S1DSS = substream 0, SSID 0 belongs to the RID's transactions
        fault(f.unit.translate(gpu, 0, 0x10000, Access.READ), "C_BAD_SUBSTREAMID");
        // a stream without stage 1 takes no SubstreamID at all
        SmmuDomain s2 = f.paging(gpu, HwptFlags.NEST_PARENT);
        f.unit.attach(gpu, Access.NO_PASID, s2);
        fault(f.unit.translate(gpu, 3, 0x10000, Access.READ), "C_BAD_SUBSTREAMID");
    }

    @Test
    void c_bad_cd_for_a_pasid_nothing_is_attached_to() {
        f.unit.attach(gpu, Access.NO_PASID, mapped(gpu, 0x10000, UnitFixture.RW));
        TranslationFault tf = fault(f.unit.translate(gpu, 5, 0x10000, Access.READ), "C_BAD_CD");
        EventRecord r = event(tf, EventRecord.C_BAD_CD, 0x100);
        assertEquals(5, r.SubstreamID());
    }

    @Test
    void f_stream_disabled_for_the_rid_of_a_blocked_device_with_pasids() {
        f.unit.attach(gpu, 7, mapped(gpu, 0x10000, UnitFixture.RW));
        assertInstanceOf(TranslatedPage.class, f.unit.translate(gpu, 7, 0x10000, Access.READ));
        assertEquals(Ste.S1DSS_TERMINATE, f.unit.steOf(gpu).S1DSS());
        TranslationFault tf = fault(f.unit.translate(gpu, Access.NO_PASID, 0x10000, Access.READ), "F_STREAM_DISABLED");
        event(tf, EventRecord.F_STREAM_DISABLED, 0x100);
    }

    @Test
    void f_trans_forbidden_for_a_translated_transaction_without_ats() {
        f.unit.attach(nic, Access.NO_PASID, mapped(nic, 0x10000, UnitFixture.RW));
        assertEquals(Ste.EATS_ABT, f.unit.steOf(nic).EATS());
        TranslationFault tf = fault(f.unit.translated(nic, Access.NO_PASID, 0x1234000, Access.WRITE), "F_TRANS_FORBIDDEN");
        EventRecord r = event(tf, EventRecord.F_TRANS_FORBIDDEN, 0x108);
        assertEquals(0x1234000, r.InputAddr());
        // a device with ATS enabled (EATS 1) may send translated transactions
        f.unit.attach(gpu, Access.NO_PASID, mapped(gpu, 0x10000, UnitFixture.RW));
        assertEquals(Ste.EATS_TRANS, f.unit.steOf(gpu).EATS());
        assertInstanceOf(TranslatedPage.class, f.unit.translated(gpu, Access.NO_PASID, 0x1234000, Access.WRITE));
    }

    // ---------------------------------------------------------------- structures written by hand

    private final SmmuHarness h = new SmmuHarness(Profile.server());
    private static final int SID = 3;
    private static final long CD = SmmuHarness.NS + 0x100000;
    private static final long TABLES = SmmuHarness.NS + 0x200000;

    private void s1Stream(Cd cd) {
        h.writeSte(SID, new Ste.Builder().V(true).Config(Ste.CONFIG_S1).S1ContextPtr(CD).build());
        h.write(CD, cd.dwords());
    }

    private static Cd.Builder cd(long ttb) {
        return new Cd.Builder().V(true).AA64(true).A(true).R(true).T0SZ(16).TG0(0).EPD1(true).IPS(5).ASID(9).TTB0(ttb);
    }

    /** A 4-level table at TABLES mapping VA 0 to {@code leaf} (with the leaf's attributes). */
    private void tablesTo(long leaf) {
        for (int l = 0; l < 3; l++) {
            h.memory.store64(TABLES + l * 4096L, Lpae.tableDescriptor(TABLES + (l + 1) * 4096L, Lpae.Granule.G4K));
        }
        h.memory.store64(TABLES + 3 * 4096L, leaf);
    }

    private EventRecord only(int id) {
        List<EventRecord> ev = h.events();
        assertEquals(1, ev.size(), ev::toString);
        assertEquals(id, ev.get(0).ID(), ev::toString);
        return ev.get(0);
    }

    @Test
    void c_bad_streamid_beyond_log2size() {
        fault(h.smmu.translate(0x40, -1, 0, Access.READ, false), "C_BAD_STREAMID");
        assertEquals(0x40, only(EventRecord.C_BAD_STREAMID).StreamID());
    }

    @Test
    void f_ste_fetch_when_the_stream_table_is_not_in_memory() {
        h.smmu.write64(Registers.STRTAB_BASE, 0x1_0000_0000L); // beyond the 2 GiB of memory
        fault(h.smmu.translate(SID, -1, 0, Access.READ, false), "F_STE_FETCH");
        assertEquals(0x1_0000_0000L + SID * 64L, only(EventRecord.F_STE_FETCH).FetchAddr());
    }

    @Test
    void f_cd_fetch_when_the_cd_is_not_in_memory() {
        h.writeSte(SID, new Ste.Builder().V(true).Config(Ste.CONFIG_S1).S1ContextPtr(0x2_0000_0000L).build());
        fault(h.smmu.translate(SID, -1, 0, Access.READ, false), "F_CD_FETCH");
        assertEquals(0x2_0000_0000L, only(EventRecord.F_CD_FETCH).FetchAddr());
    }

    @Test
    void c_bad_cd_for_an_illegal_cd() {
        s1Stream(cd(TABLES).TG0(3).build()); // TG0 3 is reserved
        fault(h.smmu.translate(SID, -1, 0, Access.READ, false), "C_BAD_CD");
        only(EventRecord.C_BAD_CD);
    }

    @Test
    void c_bad_ste_for_an_illegal_ste() {
        // stage 2 with S2SL0 that does not fit S2T0SZ: level 0 of a 32-bit IPA resolves no bit
        h.writeSte(SID, new Ste.Builder().V(true).Config(Ste.CONFIG_S2).S2T0SZ(32).S2SL0(2).S2AA64(true).S2PS(5).S2TTB(TABLES).build());
        fault(h.smmu.translate(SID, -1, 0, Access.READ, false), "C_BAD_STE");
        only(EventRecord.C_BAD_STE);
    }

    @Test
    void f_walk_eabt_when_a_table_is_not_in_memory() {
        s1Stream(cd(0x10_0000_0000L).build()); // within the 48-bit IPS, outside the 2 GiB of memory
        fault(h.smmu.translate(SID, -1, 0x5000, Access.READ, false), "F_WALK_EABT");
        EventRecord r = only(EventRecord.F_WALK_EABT);
        assertEquals(0x10_0000_0000L, r.FetchAddr());
        assertEquals(0x5000, r.InputAddr());
    }

    @Test
    void f_addr_size_when_the_output_exceeds_ips() {
        s1Stream(cd(TABLES).IPS(0).build()); // 32-bit output
        tablesTo(Lpae.s1Leaf(0x1_0000_0000L, Lpae.Granule.G4K, 3, true, true, false, false));
        fault(h.smmu.translate(SID, -1, 0x10, Access.READ, false), "F_ADDR_SIZE");
        only(EventRecord.F_ADDR_SIZE);
    }

    @Test
    void f_access_without_ha_and_the_access_flag_set_with_ha() {
        long leaf = Lpae.s1Leaf(TABLES + 0x10000, Lpae.Granule.G4K, 3, true, true, false, false) & ~Lpae.AF;
        tablesTo(leaf);
        s1Stream(cd(TABLES).build());
        fault(h.smmu.translate(SID, -1, 0x10, Access.READ, false), "F_ACCESS");
        only(EventRecord.F_ACCESS);
        assertEquals(leaf, h.memory.load64(TABLES + 3 * 4096L), "the descriptor is untouched");
        // the same stream with HA: the SMMU sets AF itself and translates
        s1Stream(cd(TABLES).HA(true).build());
        h.command(Commands.cfgiCd(SID, 0, true));
        assertInstanceOf(TranslatedPage.class, h.smmu.translate(SID, -1, 0x10, Access.READ, false));
        assertEquals(leaf | Lpae.AF, h.memory.load64(TABLES + 3 * 4096L), "AF was set by the walk");
        assertTrue(h.events().isEmpty());
    }

    @Test
    void faults_of_a_cd_with_r_clear_are_not_recorded() {
        s1Stream(cd(TABLES).R(false).build());
        TranslationFault tf = fault(h.smmu.translate(SID, -1, 0x10, Access.READ, false), "F_TRANSLATION");
        assertEquals(0, tf.record().length);
        assertTrue(h.events().isEmpty());
    }

    @Test
    void the_event_queue_overflows_as_the_spec_says() {
        try (UnitFixture small = new UnitFixture("profile=server evtq=2")) { // 4 records
            PciDevice d = small.device("gpu0");
            SmmuDomain dom = small.paging(d, 0);
            small.unit.attach(d, Access.NO_PASID, dom);
            small.unit.eventInterrupt(false);
            for (int i = 0; i < 6; i++) {
                fault(small.unit.translate(d, Access.NO_PASID, 0x100000L * (i + 1), Access.READ), "F_TRANSLATION");
            }
            int prod = small.unit.smmu.read32(Registers.EVTQ_PROD);
            int cons = small.unit.smmu.read32(Registers.EVTQ_CONS);
            assertNotEquals(prod & Registers.Q_OVERFLOW, cons & Registers.Q_OVERFLOW, "EVTQ_PROD.OVFLG toggled");
            assertTrue(small.events.isEmpty(), "the interrupt is masked: nothing was read yet");
            small.unit.eventInterrupt(true);
            assertEquals(4, small.events.size(), "the queue held four records; two were lost");
            assertEquals(0x100000L, small.events.get(0).iova());
            assertEquals(1L, small.unit.stats().caches().get("evtq.overflows"));
            assertEquals(2L, small.unit.stats().caches().get("evtq.lost"));
            prod = small.unit.smmu.read32(Registers.EVTQ_PROD);
            cons = small.unit.smmu.read32(Registers.EVTQ_CONS);
            assertEquals(prod & Registers.Q_OVERFLOW, cons & Registers.Q_OVERFLOW, "the driver acknowledged it (OVACKFLG)");
            // recording goes on
            fault(small.unit.translate(d, Access.NO_PASID, 0x900000, Access.READ), "F_TRANSLATION");
            assertEquals(5, small.events.size());
        }
    }
}
