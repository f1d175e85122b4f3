package dev.ioasid.backend.smmuv3.internal;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.util.List;
import java.util.Map;

import org.junit.jupiter.api.Test;

import dev.ioasid.api.Errno;
import dev.ioasid.api.HwInfo;
import dev.ioasid.api.HwInfoType;
import dev.ioasid.api.HwptFlags;
import dev.ioasid.api.IommuException;
import dev.ioasid.machine.Access;
import dev.ioasid.machine.Machine;
import dev.ioasid.machine.MachineDescription;

/** Capability profiles, GET_HW_INFO of type ARM_SMMUV3, and unit settings from the machine and Config Admin. */
class ProfileTest {

    private static int u32(byte[] b, int off) {
        return ByteBuffer.wrap(b).order(ByteOrder.LITTLE_ENDIAN).getInt(off);
    }

    @Test
    void server_hw_info_is_iommu_hw_info_arm_smmuv3() {
        try (UnitFixture f = new UnitFixture()) {
            HwInfo info = f.unit.hwInfo(f.device("gpu0"), HwInfoType.DEFAULT);
            assertEquals(HwInfoType.ARM_SMMUV3, info.type());
            byte[] d = info.data();
            assertEquals(40, d.length, "flags, rsvd, idr[6], iidr, aidr");
            assertEquals(0, u32(d, 0));
            assertEquals(0, u32(d, 4));
            int idr0 = u32(d, 8);
            assertEquals(1, idr0 & 1, "S2P");
            assertEquals(1, idr0 >>> 1 & 1, "S1P");
            assertEquals(2, idr0 >>> 2 & 3, "TTF AArch64");
            assertEquals(2, idr0 >>> 6 & 3, "HTTU access and dirty");
            assertEquals(1, idr0 >>> 16 & 1, "PRI");
            assertEquals(0, idr0 >>> 24 & 3, "STALL_MODEL stall and terminate");
            assertEquals(1, idr0 >>> 27 & 3, "2-level stream table");
            assertEquals(16, u32(d, 12) >>> 6 & 0x1f, "IDR1.SSIDSIZE");
            assertEquals(16, u32(d, 12) & 0x3f, "IDR1.SIDSIZE");
            assertEquals(1, u32(d, 20) >>> 10 & 1, "IDR3.RIL");
            assertEquals(5, u32(d, 28) & 7, "IDR5.OAS 48 bits");
            assertEquals(0x43b, u32(d, 32) & 0xfff, "IIDR implementer Arm");
            assertEquals(2, u32(d, 36), "AIDR v3.2");
            for (int i = 0; i < 6; i++) {
                assertEquals(f.unit.smmu.read32(Registers.IDR0 + 4 * i), u32(d, 8 + 4 * i), "the registers, as Linux copies them");
            }
            assertEquals(16, info.maxPasidLog2());
            assertEquals(0, f.unit.hwInfo(f.device("nic0"), HwInfoType.DEFAULT).maxPasidLog2());
            assertEquals(HwInfo.CAP_DIRTY_TRACKING, info.capabilities() & HwInfo.CAP_DIRTY_TRACKING);
            assertEquals(Errno.EOPNOTSUPP, assertThrows(IommuException.class, () -> f.unit.hwInfo(f.device("gpu0"), HwInfoType.INTEL_VTD)).errno());
            assertEquals(HwInfoType.ARM_SMMUV3, f.unit.hwInfo(f.device("gpu0"), HwInfoType.ARM_SMMUV3).type());
        }
    }

    @Test
    void hw_info_registers_decode_by_their_architecture_field_names() {
        try (UnitFixture f = new UnitFixture()) {
            var d = f.unit.describeHwInfo(f.unit.hwInfo(f.device("gpu0"), HwInfoType.DEFAULT));
            assertEquals(List.of("IDR0", "IDR1", "IDR3", "IDR5", "IIDR", "AIDR"), d.stream().map(e -> e.structure().split(" ")[0]).toList());
            assertEquals("1", d.get(0).fields().get("S2P"));
            assertEquals("0x2", d.get(0).fields().get("HTTU"));
            assertEquals("1", d.get(0).fields().get("PRI"));
            assertEquals("0x1", d.get(0).fields().get("ST_LEVEL"));
            assertEquals("0x10", d.get(1).fields().get("SIDSIZE"));
            assertEquals("0x10", d.get(1).fields().get("SSIDSIZE"));
            assertEquals("1", d.get(2).fields().get("RIL"));
            assertEquals("0x5", d.get(3).fields().get("OAS"));
            assertEquals("1", d.get(3).fields().get("GRAN4K"));
            assertEquals("0x43b", d.get(4).fields().get("Implementer"));
            assertEquals("0x2", d.get(5).fields().get("ArchMinorRev"));
            assertTrue(f.unit.describeHwInfo(new HwInfo(HwInfoType.INTEL_VTD, new byte[24], 0, 0)).isEmpty());
            assertTrue(f.unit.describeHwInfo(new HwInfo(HwInfoType.ARM_SMMUV3, new byte[16], 0, 0)).isEmpty());
        }
    }

    @Test
    void minimal_profile_has_one_stage_no_ssids_no_stall_no_pri() {
        try (UnitFixture f = new UnitFixture("profile=minimal")) {
            assertEquals("minimal", f.unit.profile());
            byte[] d = f.unit.hwInfo(f.device("gpu0"), HwInfoType.DEFAULT).data();
            int idr0 = u32(d, 8);
            assertEquals(0, idr0 & 1, "no S2P");
            assertEquals(0, idr0 >>> 16 & 1, "no PRI");
            assertEquals(1, idr0 >>> 24 & 3, "terminate only");
            assertEquals(0, u32(d, 20) >>> 10 & 1, "no RIL");
            assertEquals(0, f.unit.hwInfo(f.device("gpu0"), HwInfoType.DEFAULT).maxPasidLog2(), "no SSIDs");
            assertFalse(f.unit.supportsDirtyTracking(f.device("gpu0")));
            var gpu = f.device("gpu0");
            assertEquals(Errno.EOPNOTSUPP, assertThrows(IommuException.class, () -> f.paging(gpu, HwptFlags.NEST_PARENT)).errno());
            assertEquals(Errno.EOPNOTSUPP, assertThrows(IommuException.class, () -> f.paging(gpu, HwptFlags.DIRTY_TRACKING)).errno());
            SmmuDomain d1 = f.paging(gpu, HwptFlags.PASID);
            assertEquals(Errno.EINVAL, assertThrows(IommuException.class, () -> f.unit.attach(gpu, 1, d1)).errno());
            // a linear stream table, and the stage 1 domain translates
            d1.map(0x1000, f.memory(4096), 4096, UnitFixture.RW, false);
            f.unit.attach(gpu, Access.NO_PASID, d1);
            assertTrue(f.unit.translate(gpu, Access.NO_PASID, 0x1000, Access.READ) instanceof dev.ioasid.machine.TranslatedPage);
            assertEquals(Registers.STRTAB_FMT_LINEAR, f.unit.smmu.read32(Registers.STRTAB_BASE_CFG) >>> 16 & 3);
        }
    }

    @Test
    void unit_settings_override_the_profile() {
        Profile p = Profile.of("server", Map.of("ssidsize", "20", "oas", "44"));
        assertEquals(20, p.ssidSize());
        assertEquals(44, p.oasBits());
        assertThrows(IllegalArgumentException.class, () -> Profile.of("exotic", Map.of()));
        assertThrows(IllegalArgumentException.class, () -> Profile.of("server", Map.of("ssidsize", "21")));
    }

    @Test
    void config_admin_properties_named_by_unit_override_the_machine_description() {
        Machine m = new Machine(MachineDescription.parse("memory 1G\nunit smmu0 smmuv3 profile=server\nunit smmu1 smmuv3\nunit mock0 mock\n"
                + "device 0000:01:00.0 smmu0 pasid=16\n", "t"));
        List<Smmuv3Unit> units = Smmuv3Backend.createUnits(m, Map.of("smmu0.profile", "minimal", "smmu1.tlb", "64", "other", "x"));
        try {
            assertEquals(2, units.size(), "the smmuv3 units, not the mock");
            assertEquals("minimal", units.get(0).profile());
            assertEquals("server", units.get(1).profile(), "the default profile");
            assertEquals(64, units.get(1).smmu.tlb.capacity());
            assertEquals("minimal", Smmuv3Backend.settings(m.unit("smmu0"), Map.of("smmu0.profile", "minimal")).get("profile"));
            assertEquals("server", Smmuv3Backend.settings(m.unit("smmu0"), null).get("profile"));
        } finally {
            units.forEach(Smmuv3Unit::shutdown);
        }
        List<Smmuv3Unit> again = Smmuv3Backend.createUnits(m, Map.of("smmu0.profile", "exotic"));
        try {
            assertEquals(List.of("smmu1"), again.stream().map(u -> u.description().id()).toList(), "a unit with a wrong profile is not started");
        } finally {
            again.forEach(Smmuv3Unit::shutdown);
        }
    }
}
