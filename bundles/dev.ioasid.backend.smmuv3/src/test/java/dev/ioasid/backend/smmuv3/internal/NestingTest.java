package dev.ioasid.backend.smmuv3.internal;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.util.ArrayList;
import java.util.List;

import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.function.Executable;

import dev.ioasid.api.Errno;
import dev.ioasid.api.HwptDataType;
import dev.ioasid.api.HwptFlags;
import dev.ioasid.api.IommuException;
import dev.ioasid.backend.smmuv3.VirtualSmmu;
import dev.ioasid.machine.Access;
import dev.ioasid.machine.PciDevice;
import dev.ioasid.machine.TranslationFault;
import dev.ioasid.spi.NestedDomain;

/**
 * Nested allocation (only the STE fields iommufd allows, else EIO) and the vIOMMU entry points the core's
 * future vIOMMU, vDEVICE and vEVENTQ objects will call: vSID map, guest commands, event routing.
 */
class NestingTest {
    private final UnitFixture f = new UnitFixture();
    private final PciDevice gpu = f.device("gpu0");
    private final SmmuDomain parent = f.paging(gpu, HwptFlags.NEST_PARENT);

    @AfterEach
    void close() {
        f.close();
    }

    private static byte[] ste(long w0, long w1) {
        return ByteBuffer.allocate(16).order(ByteOrder.LITTLE_ENDIAN).putLong(w0).putLong(w1).array();
    }

    private static void errno(Errno e, Executable x) {
        assertEquals(e, assertThrows(IommuException.class, x).errno());
    }

    private NestedDomain nested(byte[] data) {
        return f.unit.allocNested(gpu, parent, 0, HwptDataType.ARM_SMMUV3, data);
    }

    @Test
    void only_the_allowed_ste_fields_may_be_set() {
        long s1 = 1 | Ste.CONFIG_S1 << 1 | 0x10000L | 2L << 59;
        nested(ste(s1, Ste.S1DSS_BYPASS | 1L << 2 | 1L << 4 | 3L << 6 | 1L << 27 | 1L << 28));
        nested(ste(0, 0)); // V = 0: abort
        nested(ste(1 | Ste.CONFIG_BYPASS << 1, 0));
        errno(Errno.EIO, () -> nested(ste(s1 | 1L << 52, 0))); // a reserved bit of dw0
        errno(Errno.EIO, () -> nested(ste(s1, 1L << 8))); // a field of dw1 the guest does not own
        errno(Errno.EIO, () -> nested(ste(s1, 1L << 44))); // SHCFG
        errno(Errno.EIO, () -> nested(ste(1 | Ste.CONFIG_S2 << 1, 0))); // Config S2
        errno(Errno.EIO, () -> nested(ste(1 | Ste.CONFIG_NESTED << 1, 0))); // Config S1+S2
        errno(Errno.EIO, () -> nested(ste(s1, 2L << 28))); // EATS 2
        errno(Errno.EINVAL, () -> nested(new byte[8]));
        errno(Errno.EINVAL, () -> nested(new byte[24]));
        errno(Errno.EOPNOTSUPP, () -> f.unit.allocNested(gpu, parent, HwptFlags.PASID, HwptDataType.ARM_SMMUV3, ste(s1, 0)));
        errno(Errno.EOPNOTSUPP, () -> f.unit.allocNested(gpu, parent, 0, HwptDataType.VTD_S1, ste(s1, 0)));
        errno(Errno.EINVAL, () -> f.unit.allocNested(gpu, f.paging(gpu, 0), 0, HwptDataType.ARM_SMMUV3, ste(s1, 0)));
    }

    @Test
    void the_host_writes_the_guest_fields_and_its_own_stage_2() {
        long s1 = 1 | Ste.CONFIG_S1 << 1 | 0x10000L | 2L << 59;
        NestedDomain n = nested(ste(s1, Ste.S1DSS_SSID0 | 1L << 28));
        f.unit.attach(gpu, Access.NO_PASID, n);
        Ste ste = f.unit.steOf(gpu);
        assertEquals(Ste.CONFIG_NESTED, ste.Config());
        assertEquals(0x10000L, ste.S1ContextPtr());
        assertEquals(2, ste.S1CDMax());
        assertEquals(Ste.S1DSS_SSID0, ste.S1DSS());
        assertEquals(Ste.EATS_TRANS, ste.EATS(), "the device has ATS");
        assertTrue(ste.S1STALLD(), "gpu0 cannot stall: the host forces S1STALLD");
        assertEquals(parent.vmid(), ste.S2VMID());
        assertEquals(parent.table.root, ste.S2TTB());
        assertEquals(64 - 48, ste.S2T0SZ());
        assertEquals(parent.vmid(), n.tag());
        // a guest STE in bypass puts the stream on stage 2 only
        f.unit.attach(gpu, Access.NO_PASID, nested(ste(1 | Ste.CONFIG_BYPASS << 1, 0)));
        assertEquals(Ste.CONFIG_S2, f.unit.steOf(gpu).Config());
        // the nested domain covers every SSID: no PASID may be attached beside it
        errno(Errno.EINVAL, () -> f.unit.attach(gpu, 3, f.paging(gpu, HwptFlags.PASID)));
    }

    private static byte[] cmds(long[]... c) {
        ByteBuffer b = ByteBuffer.allocate(16 * c.length).order(ByteOrder.LITTLE_ENDIAN);
        for (long[] x : c) {
            b.putLong(x[0]).putLong(x[1]);
        }
        return b.array();
    }

    @Test
    void a_virtual_smmu_maps_virtual_stream_ids_and_routes_events() {
        VirtualSmmu v = f.unit.viommuAlloc(parent);
        assertEquals(parent.vmid(), v.vmid());
        v.vdeviceAdd(0x42, gpu);
        errno(Errno.EEXIST, () -> v.vdeviceAdd(0x42, f.device("nic0")));
        errno(Errno.EEXIST, () -> v.vdeviceAdd(0x43, gpu));
        errno(Errno.EINVAL, () -> v.vdeviceAdd(1L << 32, f.device("nic0")));
        // guest commands: CFGI_CD of the virtual StreamID runs for the physical one
        assertEquals(2, v.invalidate(cmds(Commands.cfgiCd(0x42, 1, true), Commands.tlbiNhAsid(0, 1)), 16, 2));
        IommuException e = assertThrows(IommuException.class, () -> v.invalidate(cmds(Commands.tlbiNhAll(0), Commands.cfgiCdAll(0x99)), 16, 2));
        assertEquals(Errno.EIO, e.errno(), "an unknown virtual StreamID");
        assertEquals(1, e.progress());
        e = assertThrows(IommuException.class, () -> v.invalidate(cmds(Commands.prefetchConfig(0x42)), 16, 1));
        assertEquals(Errno.EIO, e.errno(), "not a command a guest may issue");
        e = assertThrows(IommuException.class, () -> v.invalidate(cmds(Commands.tlbiNhAll(0)), 8, 1));
        assertEquals(Errno.EINVAL, e.errno(), "entries are 16 bytes");

        // the guest's CD table at IPA 0x10000 holds an invalid CD: C_BAD_CD, a guest event, reaches the vIOMMU
        parent.map(0x10000, f.memory(4096), 4096, UnitFixture.RW, false);
        List<long[]> got = new ArrayList<>();
        v.eventSink((vsid, record) -> got.add(new long[] { vsid, EventRecord.fromBytes(record).ID(), EventRecord.fromBytes(record).StreamID() }));
        NestedDomain n = v.allocNested(gpu, 0, ste(1 | Ste.CONFIG_S1 << 1 | 0x10000L, 0));
        f.unit.attach(gpu, Access.NO_PASID, n);
        TranslationFault tf = assertInstanceOf(TranslationFault.class, f.unit.translate(gpu, Access.NO_PASID, 0x1000, Access.READ));
        assertEquals("C_BAD_CD", tf.reason());
        assertEquals(1, got.size());
        assertArrayEquals(new long[] { 0x42, EventRecord.C_BAD_CD, 0x42 }, got.get(0), "the record carries the virtual StreamID");
        assertTrue(f.events.isEmpty(), "routed to the vIOMMU, not the core");
        // a stage 2 fault is the host's: the CD table at an IPA the parent does not map
        f.unit.attach(gpu, Access.NO_PASID, v.allocNested(gpu, 0, ste(1 | Ste.CONFIG_S1 << 1 | 0x80000L, 0)));
        tf = assertInstanceOf(TranslationFault.class, f.unit.translate(gpu, Access.NO_PASID, 0x1000, Access.READ));
        assertEquals("F_TRANSLATION", tf.reason());
        assertEquals(1, got.size());
        assertEquals(1, f.events.size(), "to the core");
        assertTrue(EventRecord.fromBytes(f.events.get(0).record()).S2());
        assertEquals(EventRecord.CLASS_CD, EventRecord.fromBytes(f.events.get(0).record()).CLASS());
        v.vdeviceRemove(0x42);
        errno(Errno.ENOENT, () -> v.vdeviceRemove(0x42));
        v.free();
    }

    @Test
    void the_primitives_execute_guest_commands_and_route_by_stream_id() {
        int[] seen = new int[1];
        f.unit.routeEvents(gpu.rid(), r -> {
            seen[0] = EventRecord.fromBytes(r).ID();
            return true;
        });
        f.unit.attach(gpu, Access.NO_PASID, f.paging(gpu, 0));
        f.unit.attach(gpu, 9, f.paging(gpu, HwptFlags.PASID));
        f.unit.translate(gpu, 5, 0, Access.READ); // no CD at SSID 5
        assertEquals(EventRecord.C_BAD_CD, seen[0]);
        assertTrue(f.events.isEmpty());
        f.unit.unrouteEvents(gpu.rid());
        f.unit.translate(gpu, 5, 0, Access.READ);
        assertEquals(1, f.events.size());
        assertEquals(1, f.unit.executeGuestCommands(parent.vmid(), vsid -> vsid == 7 ? new int[] { gpu.rid() } : null,
                cmds(Commands.cfgiCdAll(7)), 16, 1));
        errno(Errno.EOPNOTSUPP, () -> {
            try (UnitFixture minimal = new UnitFixture("profile=minimal")) {
                minimal.unit.viommuAlloc(parent);
            }
        });
    }
}
