package dev.ioasid.backend.smmuv3.internal;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.charset.StandardCharsets;
import java.util.List;

import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

import dev.ioasid.api.Errno;
import dev.ioasid.api.IommuException;
import dev.ioasid.api.PciAddress;
import dev.ioasid.api.UnitEventRecord;
import dev.ioasid.machine.Access;
import dev.ioasid.machine.DmaResult;

/**
 * The [T2] topology on SMMUv3 with whole-table delegation ([T4]: "we assign the whole PASID table along with the
 * RID"): two VMs, each owning a device; each guest writes its own CD table in its RAM with two SubstreamIDs for
 * two processes; the host attaches one nested HWPT per RID, on the VM's stage 2. Each SSID translates to its
 * process's memory, and no VM reaches another's memory, whatever its guest writes.
 */
class T2TopologyTest {
    static final long VA = 0x40_0000;
    static final long TABLES_P1 = 0x20000;
    static final long TABLES_P2 = 0x30000;
    static final long TABLES_X = 0x40000;
    static final long DATA = 0x100000;

    private final CoreFixture f = new CoreFixture();
    private GuestSmmu vm1;
    private GuestSmmu vm2;

    @BeforeEach
    void guests() {
        vm1 = guest("vm1", CoreFixture.GPU);
        vm2 = guest("vm2", CoreFixture.ACC);
    }

    @AfterEach
    void close() {
        f.close();
    }

    /** A VM whose guest runs process 1 (SSID 1, ASID 1) and process 2 (SSID 2, ASID 2), each with VA -> its page. */
    private GuestSmmu guest(String name, PciAddress device) {
        GuestSmmu g = new GuestSmmu(f.core, name, device);
        g.writeString(DATA + 0x1000, name + "-proc1");
        g.writeString(DATA + 0x2000, name + "-proc2");
        g.writeString(DATA + 0x3000, name + "-procX");
        g.s1Tables(TABLES_P1, VA, DATA + 0x1000);
        g.s1Tables(TABLES_P2, VA, DATA + 0x2000);
        g.s1Tables(TABLES_X, VA, DATA + 0x3000);
        g.cd(1, 1, TABLES_P1);
        g.cd(2, 2, TABLES_P2);
        g.attachNested();
        return g;
    }

    private String read(PciAddress dev, int ssid) {
        DmaResult r = f.machine.dma().read(dev, ssid, VA, 9);
        assertTrue(r.ok(), r::toString);
        return new String(r.data(), StandardCharsets.UTF_8);
    }

    @Test
    void each_ssid_of_each_vm_translates_to_its_process() {
        assertEquals("vm1-proc1", read(CoreFixture.GPU, 1));
        assertEquals("vm1-proc2", read(CoreFixture.GPU, 2));
        assertEquals("vm2-proc1", read(CoreFixture.ACC, 1));
        assertEquals("vm2-proc2", read(CoreFixture.ACC, 2));
        // the host wrote one STE per RID: nested, the guest's CD table pointer (a GPA), the VM's VMID
        Ste s1 = f.unit.steOf(f.machine.device(CoreFixture.GPU));
        Ste s2 = f.unit.steOf(f.machine.device(CoreFixture.ACC));
        assertEquals(Ste.CONFIG_NESTED, s1.Config());
        assertEquals(GuestSmmu.CD_TABLE, s1.S1ContextPtr());
        assertEquals(GuestSmmu.S1CDMAX, s1.S1CDMax());
        assertNotEquals(s1.S2VMID(), s2.S2VMID(), "each VM has its own VMID");
        // a DMA without a SubstreamID terminates (the guest's S1DSS), an SSID beyond the guest's S1CDMax is refused
        assertEquals("F_STREAM_DISABLED", f.machine.dma().read(CoreFixture.GPU, Access.NO_PASID, VA, 4).fault().reason());
        assertEquals("C_BAD_SUBSTREAMID", f.machine.dma().read(CoreFixture.GPU, 4, VA, 4).fault().reason());
        // the same guest ASIDs in both VMs do not meet in the TLB: entries are tagged with the VMID
        assertEquals(4, f.unit.smmu.tlb.entries().stream().filter(e -> e.stage == Tlb.NESTED).count());
    }

    @Test
    void a_guest_cannot_reach_another_vms_memory() {
        int events = f.core.eventQueueAlloc(vm1.vm, 8);
        assertEquals("vm1-proc2", read(CoreFixture.GPU, 2));
        // guest 1 points process 2 at the host physical address of VM 2's page, used as a GPA
        long vm2Page = vm2.hostPhysical(DATA + 0x1000);
        vm1.s1Tables(TABLES_P2, VA, vm2Page);
        vm1.invalidate(Commands.tlbiNhAsid(0, 2));
        DmaResult r = f.machine.dma().read(CoreFixture.GPU, 2, VA, 9);
        if (r.ok()) {
            assertFalse(new String(r.data(), StandardCharsets.UTF_8).startsWith("vm2"), "never VM 2's data");
        } else {
            // beyond the VM's RAM: a stage 2 fault, with the IPA the guest named
            assertEquals("F_TRANSLATION", r.fault().reason());
            EventRecord e = EventRecord.fromBytes(r.fault().record());
            assertTrue(e.S2());
            assertEquals(EventRecord.CLASS_IN, e.CLASS());
            assertEquals(vm2Page & -4096L, e.IPA());
            List<UnitEventRecord> got = f.core.eventRead(vm1.vm, events, 8);
            assertEquals(1, got.size(), "the stage 2 fault reaches VM 1's event queue");
        }
        // and a GPA beyond its RAM always faults at stage 2
        vm1.s1Tables(TABLES_P2, VA, GuestSmmu.RAM + 0x5000);
        vm1.invalidate(Commands.tlbiNhAsid(0, 2));
        DmaResult beyond = f.machine.dma().read(CoreFixture.GPU, 2, VA, 9);
        assertFalse(beyond.ok());
        assertTrue(EventRecord.fromBytes(beyond.fault().record()).S2());
        assertEquals("vm2-proc1", read(CoreFixture.ACC, 1), "VM 2 is untouched");
    }

    @Test
    void a_guest_that_forgets_cfgi_cd_keeps_translating_with_the_cached_cd() {
        assertEquals("vm1-proc2", read(CoreFixture.GPU, 2));
        // the guest gives process 2 other tables, and flushes its TLB, but forgets CFGI_CD
        vm1.cd(2, 2, TABLES_X);
        assertEquals(1, vm1.invalidate(Commands.tlbiNhAsid(0, 2)));
        assertEquals("vm1-proc2", read(CoreFixture.GPU, 2), "the cached CD still names the old tables");
        // CFGI_CD (the guest's StreamID is replaced by the device's) then TLBI
        assertEquals(2, vm1.invalidate(Commands.cfgiCd(0x7, 2, true), Commands.tlbiNhAsid(0, 2)));
        assertEquals("vm1-procX", read(CoreFixture.GPU, 2));
        assertEquals("vm1-proc1", read(CoreFixture.GPU, 1), "process 1 is untouched");
    }

    @Test
    void guest_invalidation_is_limited_to_the_set_iommufd_allows() {
        // TLBI_NSNH_ALL becomes TLBI_NH_ALL of the VM's VMID: VM 2's entries stay
        read(CoreFixture.GPU, 1);
        read(CoreFixture.ACC, 1);
        assertEquals(1, vm1.invalidate(Commands.tlbiNsnhAll()));
        int vmid2 = f.unit.steOf(f.machine.device(CoreFixture.ACC)).S2VMID();
        assertTrue(f.unit.smmu.tlb.entries().stream().allMatch(e -> e.vmid == vmid2), f.unit.smmu.tlb.entries()::toString);
        assertFalse(f.unit.smmu.tlb.entries().isEmpty());
        // CFGI_STE is not a guest's to issue: EIO, with the entries handled before it
        IommuException e = org.junit.jupiter.api.Assertions.assertThrows(IommuException.class,
                () -> vm1.invalidate(Commands.tlbiNhAll(0), Commands.cfgiSte(0, false), Commands.tlbiNhAll(0)));
        assertEquals(Errno.EIO, e.errno());
        assertEquals(1, e.progress());
        // reserved bits in an allowed command: the SMMU refuses it (CERROR_ILL), EIO
        e = org.junit.jupiter.api.Assertions.assertThrows(IommuException.class,
                () -> vm1.invalidate(new long[] { Commands.tlbiNhAll(0)[0] | 1L << 8, 0 }));
        assertEquals(Errno.EIO, e.errno());
        assertEquals(0, e.progress());
    }
}
