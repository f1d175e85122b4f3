package dev.ioasid.backend.vtd.internal;

import static dev.ioasid.backend.vtd.internal.Rig.NO_PASID;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;

import org.junit.jupiter.api.Test;

import dev.ioasid.api.Errno;
import dev.ioasid.api.HwInfo;
import dev.ioasid.api.HwptAlloc;
import dev.ioasid.api.HwptDataType;
import dev.ioasid.api.HwptFlags;
import dev.ioasid.api.IommuException;
import dev.ioasid.api.MapFlags;
import dev.ioasid.machine.DmaResult;
import dev.ioasid.machine.UserAddressSpace;

/**
 * Capability profiles through the core: the legacy profile's limits, and a configuration change that replaces
 * the unit (as Config Admin does) while the core rebuilds every domain on the new one.
 */
class ProfileSwapTest {
    static final int RW = MapFlags.READABLE | MapFlags.WRITEABLE;

    @Test
    void a_legacy_unit_has_no_pasid_no_nesting_and_uses_legacy_context_entries() {
        try (CoreRig c = new CoreRig("profile=legacy", Rig.DEVICES)) {
            int ioas = c.core.ioasAlloc(c.ctx);
            int dev = c.core.bind(c.ctx, c.addr("dsa0"));
            int hwpt = c.core.attach(c.ctx, dev, ioas);
            HwInfo info = c.core.hwInfo(c.ctx, dev);
            assertEquals(0, info.maxPasidLog2());
            assertEquals(0, info.capabilities() & HwInfo.CAP_DIRTY_TRACKING);
            assertEquals(java.util.List.of(new dev.ioasid.api.IovaRange(0, 0xfedf_ffffL), new dev.ioasid.api.IovaRange(0xfef0_0000L, (1L << 39) - 1)),
                    c.core.ioasIovaRanges(c.ctx, ioas).ranges(), "a 39-bit aperture without the MSI window");
            long buf = c.ctx.memory().mmap(4L << 20);
            c.ctx.memory().write(buf + (2L << 20), "legacy".getBytes());
            long iova = c.core.ioasMap(c.ctx, ioas, buf, 4L << 20, 0, RW);
            DmaResult r = c.read("dsa0", NO_PASID, iova + (2L << 20), 6);
            assertTrue(r.ok(), r::toString);
            assertArrayEquals("legacy".getBytes(), r.data());
            LegacyContextEntry ce = c.unit.tables.legacyContext(c.machine.device("dsa0").rid());
            assertNotNull(ce);
            assertEquals(1, ce.aw(), "3 levels");
            assertEquals(c.core.domainOf(c.ctx, hwpt).tag(), ce.did());
            assertEquals(21, c.unit.translate(c.machine.device("dsa0"), NO_PASID, iova, 1).isFault() ? -1
                    : ((dev.ioasid.machine.TranslatedPage) c.unit.translate(c.machine.device("dsa0"), NO_PASID, iova, 1)).pageShift(),
                    "a 2 MiB second-stage page");
            int s2 = c.core.hwptAlloc(c.ctx, HwptAlloc.paging(dev, ioas, HwptFlags.PASID));
            assertEquals(Errno.EINVAL, assertThrows(IommuException.class, () -> c.core.attach(c.ctx, dev, s2, 5)).errno());
            assertEquals(Errno.EOPNOTSUPP, assertThrows(IommuException.class,
                    () -> c.core.hwptAlloc(c.ctx, HwptAlloc.paging(dev, ioas, HwptFlags.NEST_PARENT))).errno());
            assertFalse(c.read("dsa0", 5, iova, 4).ok(), "a request with a PASID on a legacy unit");
            c.core.ioasUnmap(c.ctx, ioas, iova, 4L << 20);
            assertFalse(c.read("dsa0", NO_PASID, iova + (2L << 20), 6).ok(), "strict unmap");
            c.core.detach(c.ctx, dev);
            assertNull(c.unit.tables.legacyContext(c.machine.device("dsa0").rid()), "detach clears the context entry");
        }
    }

    @Test
    void a_configuration_change_swaps_the_unit_and_the_core_rebuilds_every_domain() {
        try (CoreRig c = new CoreRig()) {
            UserAddressSpace mem = (UserAddressSpace) c.ctx.memory();
            int ioas = c.core.ioasAlloc(c.ctx);
            int vm = c.core.ioasAlloc(c.ctx);
            long buf = mem.mmap(64 * 4096);
            long ram = mem.mmap(4L << 20);
            mem.write(buf, "host data".getBytes());
            mem.write(ram + 0x30_0000, "guest data".getBytes());
            long iova = c.core.ioasMap(c.ctx, ioas, buf, 64 * 4096, 0, RW);
            c.core.ioasMap(c.ctx, vm, ram, 4L << 20, 0, MapFlags.FIXED_IOVA | RW);
            int dev = c.core.bind(c.ctx, c.addr("dsa0"));
            int rid = c.core.hwptAlloc(c.ctx, HwptAlloc.paging(dev, ioas, HwptFlags.PASID));
            c.core.attach(c.ctx, dev, rid);
            int parent = c.core.hwptAlloc(c.ctx, HwptAlloc.paging(dev, vm, HwptFlags.NEST_PARENT | HwptFlags.PASID));
            GuestTables fs = new GuestTables(c.machine.memory(), gpa -> mem.physical(ram + (gpa & -4096L)) + (gpa & 4095), 0x10_0000, 4);
            fs.map(0x7000_0000L, 0x30_0000, PageTables.FS_USER_RW);
            byte[] s1 = ByteBuffer.allocate(24).order(ByteOrder.LITTLE_ENDIAN).putLong(0).putLong(fs.root).putInt(48).putInt(0).array();
            int nested = c.core.hwptAlloc(c.ctx, HwptAlloc.nested(dev, parent, HwptDataType.VTD_S1, s1).withFlags(HwptFlags.PASID));
            c.core.attach(c.ctx, dev, nested, 9);
            assertArrayEquals("host data".getBytes(), c.read("dsa0", NO_PASID, iova, 9).data());
            assertArrayEquals("guest data".getBytes(), c.read("dsa0", 9, 0x7000_0000L, 10).data());

            // a smaller IOTLB: the unit is replaced, every domain rebuilt, every endpoint attached again
            c.reconfigure("iotlb=64");
            assertEquals(64, c.unit.profile.iotlbEntries());
            assertEquals(2, c.core.generations("vtd0"));
            assertArrayEquals("host data".getBytes(), c.read("dsa0", NO_PASID, iova, 9).data());
            assertArrayEquals("guest data".getBytes(), c.read("dsa0", 9, 0x7000_0000L, 10).data());

            // the legacy profile: the RID's domain is rebuilt, the nest parent and the PASID cannot be
            c.reconfigure("profile=legacy");
            assertEquals("legacy", c.unit.profile());
            assertArrayEquals("host data".getBytes(), c.read("dsa0", NO_PASID, iova, 9).data());
            assertFalse(c.read("dsa0", 9, 0x7000_0000L, 10).ok());
            assertNull(c.core.domainOf(c.ctx, parent), "a legacy unit cannot nest: no domain for the parent");

            // and back: everything works again
            c.reconfigure("profile=server");
            assertArrayEquals("host data".getBytes(), c.read("dsa0", NO_PASID, iova, 9).data());
            assertArrayEquals("guest data".getBytes(), c.read("dsa0", 9, 0x7000_0000L, 10).data());
            assertNotNull(c.core.domainOf(c.ctx, nested));
        }
    }
}
