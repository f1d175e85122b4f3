package dev.ioasid.backend.vtd.internal;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.util.Map;

import org.junit.jupiter.api.Test;

import dev.ioasid.api.Errno;
import dev.ioasid.api.HwInfo;
import dev.ioasid.api.HwInfoType;
import dev.ioasid.api.IommuException;
import dev.ioasid.machine.UnitDescription;

/** The CAP and ECAP register images of the profiles, decoded by field, and get_hw_info. */
class CapabilityProfileTest {

    @Test
    void the_server_profile_register_images() {
        Capabilities c = Profile.server().caps();
        // CAP: ND 6, SAGAW (12:8) 0xE, MGAW (21:16) 56, FRO (33:24) 0x20, SLLPS (37:34) 3, PSI (39), NFR (47:40) 7,
        //      MAMV (53:48) 18, DWD (54), DRD (55), FL1GP (56), FL5LP (60)
        assertEquals(0x11D2_078C_2038_0E06L, c.cap());
        // ECAP: C, QI, DT, PT, SC (7), IRO (17:8) 0x10, MHMV (23:20) 0xF, NEST (26), PRS (29), ERS (30), SRS (31), NWFS (33),
        //       EAFS (34), PSS (39:35) 19, PASID (40), SMTS (43), SSADS (45), SSTS (46), FSTS (47)
        assertEquals(0xE99E_E4F0_10C7L, c.ecap());
        assertEquals(1 << 16, c.domains());
        assertEquals(0xE, c.sagaw());
        assertEquals(57, c.mgaw());
        assertEquals(0x200, c.fro());
        assertEquals(0x100, c.iro());
        assertEquals(8, c.nfr());
        assertEquals(18, c.mamv());
        assertEquals(20, c.pasidBits());
        assertTrue(c.fl1gp() && c.fl5lp() && c.nest() && c.prs() && c.ssads() && c.pt() && c.smts());
        assertTrue(c.ssLeafAt(2) && c.ssLeafAt(3) && !c.ssLeafAt(4));
        assertTrue(c.supportsAw(1) && c.supportsAw(2) && c.supportsAw(3));
    }

    @Test
    void the_legacy_profile_has_no_scalable_mode_no_pasid_no_nesting() {
        Profile p = Profile.legacy();
        Capabilities c = p.caps();
        assertFalse(c.smts());
        assertFalse(c.pasid());
        assertEquals(0, c.pasidBits());
        assertFalse(c.nest() || c.prs() || c.ssads());
        assertEquals(0x2, c.sagaw(), "39-bit 3-level only");
        assertEquals(39, c.mgaw());
        assertTrue(c.ssLeafAt(2));
        assertFalse(c.ssLeafAt(3), "no 1 GiB pages");
        assertEquals(39, p.domainWidth());
    }

    @Test
    void unit_settings_override_the_profile() {
        Profile p = Profile.of("server", Map.of("aw", "57", "iotlb", "64", "fault-records", "2", "mamv", "3"));
        assertEquals(57, p.domainWidth());
        assertEquals(64, p.iotlbEntries());
        assertEquals(2, p.caps().nfr());
        assertEquals(3, p.caps().mamv());
        assertThrows(IllegalArgumentException.class, () -> Profile.of("server", Map.of("aw", "52")));
        assertThrows(IllegalArgumentException.class, () -> Profile.of("legacy", Map.of("aw", "48")), "SAGAW of legacy is 39 only");
        assertThrows(IllegalArgumentException.class, () -> Profile.of("server", Map.of("iotlb", "100")));
        assertThrows(IllegalArgumentException.class, () -> Profile.of("client", Map.of()));
    }

    @Test
    void srs_eafs_and_fl5lp_settings_clear_or_set_their_capability_bits() {
        Capabilities server = Profile.server().caps();
        assertTrue(server.srs() && server.eafs() && server.fl5lp(), "the server profile has all three");
        Capabilities c = Profile.of("server", Map.of("srs", "0", "eafs", "0", "fl5lp", "0")).caps();
        assertFalse(c.srs());
        assertFalse(c.eafs());
        assertFalse(c.fl5lp());
        assertEquals(server.ecap() & ~(1L << 31 | 1L << 34), c.ecap(), "ECAP.SRS (31) and ECAP.EAFS (34) only");
        assertEquals(server.cap() & ~(1L << 60), c.cap(), "CAP.FL5LP (60) only");
        Capabilities one = Profile.of("server", Map.of("eafs", "0")).caps();
        assertTrue(one.srs() && !one.eafs() && one.fl5lp());
        assertEquals(server.ecap(), Profile.of("server", Map.of("srs", "1")).caps().ecap(), "1 sets (already set)");
        assertTrue(Profile.of("legacy", Map.of("srs", "1")).caps().srs(), "1 sets a bit the profile lacks");
        assertThrows(IllegalArgumentException.class, () -> Profile.of("server", Map.of("srs", "yes")));
        // through the machine description, as every rig builds its unit
        Rig rig = new Rig("profile=server srs=0 eafs=0 fl5lp=0");
        assertEquals(c.ecap(), rig.unit.readRegister(Registers.ECAP));
        assertEquals(c.cap(), rig.unit.readRegister(Registers.CAP));
        assertEquals(HwInfo.CAP_DIRTY_TRACKING | HwInfo.CAP_PCI_PASID_EXEC, rig.unit.hwInfo(rig.dev("dsa0"), HwInfoType.DEFAULT).capabilities(),
                "no PASID_PRIV without ECAP.SRS");
    }

    @Test
    void config_admin_properties_override_the_machine_description() {
        VtdBackend.Config defaults = new VtdBackend.Config() {
            @Override
            public Class<? extends java.lang.annotation.Annotation> annotationType() {
                return VtdBackend.Config.class;
            }

            @Override
            public String profile() {
                return "server";
            }

            @Override
            public int iotlb() {
                return 0;
            }
        };
        UnitDescription u = new UnitDescription("vtd0", "vtd", Map.of("profile", "server", "iotlb", "512"));
        UnitDescription r = VtdBackend.resolve(u, defaults, Map.of("vtd0.profile", "legacy", "vtd1.profile", "server", "component.id", 3));
        assertEquals("legacy", r.property("profile", null));
        assertEquals("512", r.property("iotlb", null));
        assertEquals("server", VtdBackend.resolve(new UnitDescription("vtd0", "vtd", Map.of()), defaults, Map.of()).property("profile", null));
    }

    @Test
    void get_hw_info_returns_iommu_hw_info_vtd() {
        Rig rig = Rig.server();
        HwInfo info = rig.unit.hwInfo(rig.dev("dsa0"), HwInfoType.DEFAULT);
        assertEquals(HwInfoType.INTEL_VTD, info.type());
        // u32 flags, u32 __reserved, u64 cap_reg, u64 ecap_reg, little-endian
        byte[] expect = ByteBuffer.allocate(24).order(ByteOrder.LITTLE_ENDIAN).putInt(0).putInt(0).putLong(0x11D2_078C_2038_0E06L)
                .putLong(0xE99E_E4F0_10C7L).array();
        assertArrayEquals(expect, info.data());
        assertEquals(0x06, info.data()[8], "CAP low byte first");
        assertEquals(20, info.maxPasidLog2());
        assertEquals(HwInfo.CAP_DIRTY_TRACKING | HwInfo.CAP_PCI_PASID_EXEC | HwInfo.CAP_PCI_PASID_PRIV, info.capabilities());
        assertEquals(0, rig.unit.hwInfo(rig.dev("nic0"), HwInfoType.INTEL_VTD).maxPasidLog2());
        IommuException e = assertThrows(IommuException.class, () -> rig.unit.hwInfo(rig.dev("dsa0"), HwInfoType.ARM_SMMUV3));
        assertEquals(Errno.EOPNOTSUPP, e.errno());

        Rig legacy = Rig.legacy();
        HwInfo l = legacy.unit.hwInfo(legacy.dev("dsa0"), HwInfoType.DEFAULT);
        assertEquals(0, l.maxPasidLog2(), "no PASID on a legacy unit");
        assertEquals(0, l.capabilities());
        assertEquals(Profile.legacy().caps().cap(), ByteBuffer.wrap(l.data()).order(ByteOrder.LITTLE_ENDIAN).getLong(8));
    }

    @Test
    void hw_info_registers_decode_by_their_spec_field_names() {
        Rig rig = Rig.server();
        var d = rig.unit.describeHwInfo(rig.unit.hwInfo(rig.dev("dsa0"), HwInfoType.DEFAULT));
        assertEquals(2, d.size());
        // CAP 0x11d2078c20380e06 by hand: ND 2:0=6, SAGAW 12:8=0xe, MGAW 21:16=56 (+1), SLLPS 37:34=3, PSI 39=1,
        // NFR 47:40=7 (+1), MAMV 53:48=0x12, FL1GP 56=1, FL5LP 60=1
        assertEquals("CAP_REG 0x11d2078c20380e06", d.get(0).structure());
        var cap = d.get(0).fields();
        assertEquals("6", cap.get("ND"));
        assertEquals("0xe", cap.get("SAGAW"));
        assertEquals("57", cap.get("MGAW"));
        assertEquals("0x3", cap.get("SLLPS"));
        assertEquals("1", cap.get("PSI"));
        assertEquals("8", cap.get("NFR"));
        assertEquals("18", cap.get("MAMV"));
        assertEquals("1", cap.get("FL1GP"));
        assertEquals("1", cap.get("FL5LP"));
        // ECAP 0xe99ee4f010c7: QI 1, NEST 26, PRS 29, PSS 39:35=19, SSADS 45
        var ecap = d.get(1).fields();
        assertEquals("1", ecap.get("QI"));
        assertEquals("1", ecap.get("NEST"));
        assertEquals("1", ecap.get("PRS"));
        assertEquals("19", ecap.get("PSS"));
        assertEquals("1", ecap.get("SSADS"));
        Rig legacy = Rig.legacy();
        var l = legacy.unit.describeHwInfo(legacy.unit.hwInfo(legacy.dev("dsa0"), HwInfoType.DEFAULT));
        assertEquals("0", l.get(1).fields().get("SMTS"), "no scalable mode on the legacy profile");
        assertEquals("0", l.get(1).fields().get("NEST"));
        // a hw_info of another type, or cut short, has nothing to decode
        assertTrue(rig.unit.describeHwInfo(new HwInfo(HwInfoType.ARM_SMMUV3, new byte[40], 0, 0)).isEmpty());
        assertTrue(rig.unit.describeHwInfo(new HwInfo(HwInfoType.INTEL_VTD, new byte[8], 0, 0)).isEmpty());
    }

    @Test
    void the_registers_read_back_at_their_offsets() {
        Rig rig = Rig.server();
        assertEquals(0x30, rig.unit.readRegister(Registers.VER));
        assertEquals(rig.unit.caps.cap(), rig.unit.readRegister(Registers.CAP));
        assertEquals(rig.unit.caps.ecap(), rig.unit.readRegister(Registers.ECAP));
        assertEquals(1L << 10, rig.unit.readRegister(Registers.RTADDR) & 0xc00, "TTM 01: scalable mode");
        assertEquals(InvalidationQueue.IQA_DW, rig.unit.readRegister(Registers.IQA) & InvalidationQueue.IQA_DW, "256-bit descriptors");
        assertEquals(0, Rig.legacy().unit.readRegister(Registers.IQA) & InvalidationQueue.IQA_DW);
        // TTM 01 needs ECAP.SMTS: a legacy unit stays in legacy mode
        Rig legacy = Rig.legacy();
        legacy.unit.writeRegister(Registers.RTADDR, 0x5000 | 1L << 10);
        assertEquals(0x5000, legacy.unit.readRegister(Registers.RTADDR));
    }
}
