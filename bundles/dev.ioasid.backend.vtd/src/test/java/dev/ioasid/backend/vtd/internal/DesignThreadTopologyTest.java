package dev.ioasid.backend.vtd.internal;

import static dev.ioasid.backend.vtd.internal.Rig.NO_PASID;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.util.HashSet;
import java.util.Set;

import org.junit.jupiter.api.Test;

import dev.ioasid.api.HwptAlloc;
import dev.ioasid.api.HwptDataType;
import dev.ioasid.api.HwptFlags;
import dev.ioasid.api.MapFlags;
import dev.ioasid.machine.Access;
import dev.ioasid.machine.DmaResult;
import dev.ioasid.machine.TranslatedPage;
import dev.ioasid.machine.Translation;
import dev.ioasid.machine.UserAddressSpace;

/**
 * The design thread's example ([T2], Kevin Tian, 30 Jun 2021), end to end through the core on the VT-d model.
 * <pre>
 * RID1 --- domain1 (default, IOVA)  -- [RID1]
 *      |-- domain2 (vm1, GPA)      -- [RID1, PASID-x], [RID1, PASID-a] nested vm1 process1, [RID1, PASID-b] process2
 *      |-- domain3 (vm2, GPA)      -- [RID1, PASID-y], [RID1, PASID-c] nested vm2 process1,
 *                                     [RID2], [RID2, PASID-c], [RID2, PASID-a] nested vm2 process2
 * </pre>
 * RID1 is an accelerator with work queues (WQ1 the host's, WQ2 and WQ3 assigned to VM1 and VM2 by PASID); RID2
 * is a device assigned to VM2. Every path reaches the memory it should, and no VM reaches another's.
 */
class DesignThreadTopologyTest {
    static final int RW = MapFlags.READABLE | MapFlags.WRITEABLE;
    static final long VM_RAM = 8L << 20;
    static final long HOST_IOVA = 0x1_0000_0000L;
    /** One GVA that every guest process uses for its own buffer. */
    static final long GVA = 0x7f00_0000_0000L;

    private CoreRig c;
    private UserAddressSpace mem;

    /** A pattern that names its owner and offset. */
    private static byte[] tag(String owner, long offset) {
        return String.format("%-6s@%08x", owner, offset).getBytes();
    }

    private void fill(long va, long length, String owner) {
        for (long off = 0; off < length; off += 4096) {
            mem.write(va + off, tag(owner, off));
        }
    }

    private byte[] dmaRead(String device, int pasid, long iova) {
        DmaResult r = c.read(device, pasid, iova, 15);
        assertTrue(r.ok(), () -> device + " pasid " + pasid + " iova 0x" + Long.toHexString(iova) + ": " + r);
        return r.data();
    }

    private void expectData(String device, int pasid, long iova, String owner, long offset) {
        assertArrayEquals(tag(owner, offset), dmaRead(device, pasid, iova), () -> device + " pasid " + pasid + " at 0x" + Long.toHexString(iova));
    }

    /** A guest process's first-stage tables, written into the VM's RAM at guest-physical {@code at}. */
    private GuestTables guestTables(long ram, long at) {
        return new GuestTables(c.machine.memory(), gpa -> mem.physical(ram + (gpa & -4096L)) + (gpa & 4095), at, 4);
    }

    private static byte[] vtdS1(long pgtbl) {
        return ByteBuffer.allocate(24).order(ByteOrder.LITTLE_ENDIAN).putLong(0).putLong(pgtbl).putInt(48).putInt(0).array();
    }

    private static byte[] inv(long addr, long npages) {
        return ByteBuffer.allocate(24).order(ByteOrder.LITTLE_ENDIAN).putLong(addr).putLong(npages).putInt(0).putInt(0).array();
    }

    /** Every physical frame of {@code [va, va + length)}. */
    private Set<Long> frames(long va, long length) {
        Set<Long> s = new HashSet<>();
        for (long off = 0; off < length; off += 4096) {
            s.add(mem.physical(va + off));
        }
        return s;
    }

    @Test
    void the_t2_topology_translates_every_path_to_its_own_memory() {
        c = new CoreRig();
        try {
            mem = (UserAddressSpace) c.ctx.memory();
            int pasidX = c.core.alloc(c.ctx).hwId();
            int pasidY = c.core.alloc(c.ctx).hwId();
            int pasidA = c.core.alloc(c.ctx).hwId();
            int pasidB = c.core.alloc(c.ctx).hwId();
            int pasidC = c.core.alloc(c.ctx).hwId();
            assertEquals(5, Set.of(pasidX, pasidY, pasidA, pasidB, pasidC).size());

            long host = mem.mmap(64 * 4096);
            long vm1 = mem.mmap(VM_RAM);
            long vm2 = mem.mmap(VM_RAM);
            fill(host, 64 * 4096, "host");
            fill(vm1, VM_RAM, "vm1");
            fill(vm2, VM_RAM, "vm2");

            int ioasHost = c.core.ioasAlloc(c.ctx);
            int ioasVm1 = c.core.ioasAlloc(c.ctx);
            int ioasVm2 = c.core.ioasAlloc(c.ctx);
            c.core.ioasMap(c.ctx, ioasHost, host, 64 * 4096, HOST_IOVA, MapFlags.FIXED_IOVA | RW);
            c.core.ioasMap(c.ctx, ioasVm1, vm1, VM_RAM, 0, MapFlags.FIXED_IOVA | RW);
            c.core.ioasMap(c.ctx, ioasVm2, vm2, VM_RAM, 0, MapFlags.FIXED_IOVA | RW);

            int rid1 = c.core.bind(c.ctx, c.addr("dsa0"));
            int rid2 = c.core.bind(c.ctx, c.addr("acc1"));
            int domain1 = c.core.hwptAlloc(c.ctx, HwptAlloc.paging(rid1, ioasHost, HwptFlags.PASID));
            int domain2 = c.core.hwptAlloc(c.ctx, HwptAlloc.paging(rid1, ioasVm1, HwptFlags.NEST_PARENT | HwptFlags.PASID));
            int domain3 = c.core.hwptAlloc(c.ctx, HwptAlloc.paging(rid1, ioasVm2, HwptFlags.NEST_PARENT | HwptFlags.PASID));
            c.core.attach(c.ctx, rid1, domain1); // WQ1: the host's DMA API
            c.core.attach(c.ctx, rid1, domain2, pasidX); // WQ2: VM1
            c.core.attach(c.ctx, rid1, domain3, pasidY); // WQ3: VM2
            c.core.attach(c.ctx, rid2, domain3); // RID2 assigned to VM2

            // --- each path reaches its own memory
            expectData("dsa0", NO_PASID, HOST_IOVA + 5 * 4096, "host", 5 * 4096);
            expectData("dsa0", pasidX, 0x12_3000, "vm1", 0x12_3000);
            expectData("dsa0", pasidY, 0x12_3000, "vm2", 0x12_3000);
            expectData("acc1", NO_PASID, 0x12_3000, "vm2", 0x12_3000);
            // a write through WQ2 lands in VM1's RAM and nowhere else
            assertTrue(c.write("dsa0", pasidX, 0x44_4000, "written by wq2".getBytes()).ok());
            assertArrayEquals("written by wq2".getBytes(), mem.read(vm1 + 0x44_4000, 14));
            assertArrayEquals(tag("vm2", 0x44_4000), mem.read(vm2 + 0x44_4000, 15));

            // --- no VM reaches another's memory: every page each path translates lies in its owner's frames
            Set<Long> vm1Frames = frames(vm1, VM_RAM);
            Set<Long> vm2Frames = frames(vm2, VM_RAM);
            for (long gpa = 0; gpa < VM_RAM; gpa += 4096) {
                assertTrue(vm1Frames.contains(physical("dsa0", pasidX, gpa)), "WQ2 stays in VM1");
                assertTrue(vm2Frames.contains(physical("dsa0", pasidY, gpa)), "WQ3 stays in VM2");
                assertTrue(vm2Frames.contains(physical("acc1", NO_PASID, gpa)), "RID2 stays in VM2");
            }
            assertFalse(c.read("dsa0", pasidX, VM_RAM, 4).ok(), "beyond VM1's RAM is nothing");
            assertFalse(c.read("dsa0", pasidX, HOST_IOVA, 4).ok(), "the host's IOVA means nothing in VM1's GPA space");
            assertFalse(c.read("dsa0", NO_PASID, 0x12_3000, 4).ok(), "the host's domain has no GPA mappings");
            assertFalse(c.read("dsa0", pasidX + pasidY + pasidC, 0x12_3000, 4).ok(), "an unattached PASID is blocked");
            assertFalse(c.read("acc1", pasidY, 0x12_3000, 4).ok(), "PASID-y is attached on RID1 only");

            // --- guest SVA: first-stage tables in the guests' own RAM, nested on domain2 and domain3
            GuestTables vm1p1 = guestTables(vm1, 0x10_0000).map(GVA, 0x40_0000, PageTables.FS_USER_RW);
            GuestTables vm1p2 = guestTables(vm1, 0x20_0000).map(GVA, 0x50_0000, PageTables.FS_USER_RW);
            GuestTables vm2p1 = guestTables(vm2, 0x10_0000).map(GVA, 0x60_0000, PageTables.FS_USER_RW);
            GuestTables vm2p2 = guestTables(vm2, 0x20_0000).map(GVA, 0x30_0000, PageTables.FS_USER_RW);
            // VM1's process 2 tries VM2's guest-physical address of its process 2 buffer: it is VM1's page
            vm1p2.map(GVA + 0x1000, 0x30_0000, PageTables.FS_USER_RW);
            int nestedA = c.core.hwptAlloc(c.ctx, HwptAlloc.nested(rid1, domain2, HwptDataType.VTD_S1, vtdS1(vm1p1.root)).withFlags(HwptFlags.PASID));
            int nestedB = c.core.hwptAlloc(c.ctx, HwptAlloc.nested(rid1, domain2, HwptDataType.VTD_S1, vtdS1(vm1p2.root)).withFlags(HwptFlags.PASID));
            int nestedC = c.core.hwptAlloc(c.ctx, HwptAlloc.nested(rid1, domain3, HwptDataType.VTD_S1, vtdS1(vm2p1.root)).withFlags(HwptFlags.PASID));
            int nestedV2p2 = c.core.hwptAlloc(c.ctx, HwptAlloc.nested(rid2, domain3, HwptDataType.VTD_S1, vtdS1(vm2p2.root)).withFlags(HwptFlags.PASID));
            c.core.attach(c.ctx, rid1, nestedA, pasidA);
            c.core.attach(c.ctx, rid1, nestedB, pasidB);
            c.core.attach(c.ctx, rid1, nestedC, pasidC);
            c.core.attach(c.ctx, rid2, nestedC, pasidC);
            c.core.attach(c.ctx, rid2, nestedV2p2, pasidA); // PASID-a on RID2 is VM2's process 2

            expectData("dsa0", pasidA, GVA, "vm1", 0x40_0000);
            expectData("dsa0", pasidB, GVA, "vm1", 0x50_0000);
            expectData("dsa0", pasidC, GVA, "vm2", 0x60_0000);
            expectData("acc1", pasidC, GVA, "vm2", 0x60_0000);
            expectData("acc1", pasidA, GVA, "vm2", 0x30_0000);
            expectData("dsa0", pasidB, GVA + 0x1000, "vm1", 0x30_0000);
            assertFalse(c.read("dsa0", pasidA, GVA + 0x2000, 4).ok(), "a GVA the process did not map");
            // the guests' first-stage A/D bits are set in their own RAM
            assertEquals(FsPte.A, vm1p1.entry(GVA, 1) & (FsPte.A | FsPte.D));
            assertTrue(c.write("dsa0", pasidA, GVA, "sva write".getBytes()).ok());
            assertEquals(FsPte.A | FsPte.D, vm1p1.entry(GVA, 1) & (FsPte.A | FsPte.D));
            assertArrayEquals("sva write".getBytes(), mem.read(vm1 + 0x40_0000, 9));

            for (long page = 0; page < 4; page++) {
                vm1p1.map(GVA + 0x10000 + page * 4096, page * 0x10_0000 + 0x8000, PageTables.FS_USER_RW);
            }
            for (long page = 0; page < 4; page++) {
                assertTrue(vm1Frames.contains(physical("dsa0", pasidA, GVA + 0x10000 + page * 4096)), "SVA in VM1 stays in VM1");
                assertTrue(vm2Frames.contains(physical("acc1", pasidA, GVA)), "PASID-a of RID2 stays in VM2");
            }

            // --- the hardware's view: RID1's PASID table
            VtdUnit u = c.unit;
            int sid1 = c.machine.device("dsa0").rid();
            int sid2 = c.machine.device("acc1").rid();
            assertPasidEntry(u, sid1, IommuDriver.RID_PASID, PasidEntry.PGTT_SECOND_STAGE, domain1, domain1);
            assertPasidEntry(u, sid1, pasidX, PasidEntry.PGTT_SECOND_STAGE, domain2, domain2);
            assertPasidEntry(u, sid1, pasidY, PasidEntry.PGTT_SECOND_STAGE, domain3, domain3);
            assertPasidEntry(u, sid1, pasidA, PasidEntry.PGTT_NESTED, nestedA, domain2);
            assertPasidEntry(u, sid1, pasidB, PasidEntry.PGTT_NESTED, nestedB, domain2);
            assertPasidEntry(u, sid1, pasidC, PasidEntry.PGTT_NESTED, nestedC, domain3);
            assertPasidEntry(u, sid2, IommuDriver.RID_PASID, PasidEntry.PGTT_SECOND_STAGE, domain3, domain3);
            assertPasidEntry(u, sid2, pasidC, PasidEntry.PGTT_NESTED, nestedC, domain3);
            assertPasidEntry(u, sid2, pasidA, PasidEntry.PGTT_NESTED, nestedV2p2, domain3);

            // --- VM1 changes process 1's mapping and invalidates it (VTD_S1), as its vIOMMU driver would
            vm1p1.map(GVA, 0x41_0000, PageTables.FS_USER_RW);
            assertArrayEquals("sva write".getBytes(), java.util.Arrays.copyOf(dmaRead("dsa0", pasidA, GVA), 9), "stale, as hardware");
            assertEquals(1, c.core.hwptInvalidate(c.ctx, nestedA, HwptDataType.INVALIDATE_VTD_S1, 24, inv(GVA, 1), 1));
            expectData("dsa0", pasidA, GVA, "vm1", 0x41_0000);
            expectData("dsa0", pasidB, GVA, "vm1", 0x50_0000);

            // --- VM2's RAM page goes away in the host (strict unmap): its nested users fault at once
            c.core.ioasUnmap(c.ctx, ioasVm2, 0, VM_RAM);
            assertFalse(c.read("acc1", pasidC, GVA, 4).ok());
            assertFalse(c.read("dsa0", pasidY, 0x12_3000, 4).ok());
            expectData("dsa0", pasidX, 0x12_3000, "vm1", 0x12_3000);
            assertNotEquals(nestedA, nestedB);
        } finally {
            c.close();
        }
    }

    private long physical(String device, int pasid, long iova) {
        Translation t = c.unit.translate(c.machine.device(device), pasid, iova, Access.READ);
        return assertInstanceOf(TranslatedPage.class, t, () -> t.toString()).physical(iova) & -4096L;
    }

    private void assertPasidEntry(VtdUnit u, int sid, int pasid, int pgtt, int hwpt, int secondStageHwpt) {
        PasidEntry e = u.tables.pasidEntry(sid, pasid);
        assertEquals(pgtt, e.pgtt(), "PGTT of " + pasid);
        assertEquals(c.core.domainOf(c.ctx, hwpt).tag(), e.did(), "DID of " + pasid);
        assertEquals(((VtdDomain) c.core.domainOf(c.ctx, secondStageHwpt)).table.root, e.ssptptr(), "SSPTPTR of " + pasid);
    }
}
