package dev.ioasid.shell.internal;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.List;
import java.util.stream.Collectors;

import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.function.Executable;

import dev.ioasid.api.Errno;
import dev.ioasid.api.IommuException;
import dev.ioasid.backend.mock.internal.MockUnit;
import dev.ioasid.core.internal.IommuCore;
import dev.ioasid.machine.Machine;
import dev.ioasid.machine.MachineDescription;

/** Every shell command, its result, and at least one error path of each: one line, the errno first. */
class ShellCommandsTest {
    Machine machine;
    IommuCore core;
    MockUnit unit;
    Shell sh;
    ContextCommands ctx;
    MemCommands mem;
    IoasCommands ioas;
    DevCommands dev;
    HwptCommands hwpt;
    PasidCommands pasid;
    FaultCommands fault;
    DirtyCommands dirty;
    DmaCommands dma;
    MachineCommands mach;
    IommuCommands iommu;
    ViewCommands view;

    @BeforeEach
    void boot() {
        machine = new Machine(MachineDescription.parse("memory 1G\nunit mock0 mock\nunit lost0 mock\n"
                + "device 0000:00:01.0 mock0 name=acc0 pasid=20 ats pri\ndevice 0000:00:02.0 mock0 name=nic0\n"
                + "device 0000:00:03.0 lost0 name=orphan\n", "test"));
        core = new IommuCore(machine);
        unit = new MockUnit(machine.unit("mock0"), machine.frames());
        core.bindUnit(unit);
        sh = new Shell(core, core, core, core, core, core, machine);
        sh.bindUnit(unit);
        ctx = new ContextCommands(sh);
        mem = new MemCommands(sh);
        ioas = new IoasCommands(sh);
        dev = new DevCommands(sh);
        hwpt = new HwptCommands(sh);
        pasid = new PasidCommands(sh);
        fault = new FaultCommands(sh);
        dirty = new DirtyCommands(sh);
        dma = new DmaCommands(sh);
        mach = new MachineCommands(sh);
        iommu = new IommuCommands(sh);
        view = new ViewCommands(sh);
    }

    @AfterEach
    void close() {
        core.deactivate();
        assertEquals(0, machine.pins().total());
    }

    static void fails(Errno errno, String fragment, Executable call) {
        IommuException e = assertThrows(IommuException.class, call);
        assertEquals(errno, e.errno(), e.getMessage());
        assertTrue(e.getMessage().startsWith(errno.name() + ": "), e.getMessage());
        assertTrue(e.getMessage().contains(fragment), e.getMessage());
        assertTrue(!e.getMessage().contains("\n"), "one line");
        assertEquals(e.getMessage(), ShellErrors.oneLine(e));
    }

    @Test
    void machine_and_iommu_views() {
        String show = String.join("\n", mach.show());
        assertTrue(show.contains("unit mock0 (mock)"));
        assertTrue(show.contains("acc0") && show.contains("pasid=20 ats pri"));
        assertTrue(show.contains("unit lost0 (mock)") && show.contains("[no backend]"));
        List<String> units = iommu.units();
        assertTrue(units.get(0).contains("backend bound, profile selftest"));
        assertTrue(units.get(1).contains("MISSING"));
        fails(Errno.ENODEV, "no IOMMU unit nope", () -> iommu.events("nope"));
        fails(Errno.ENODEV, "unit lost0 has no backend", () -> iommu.stats("lost0"));
        assertTrue(iommu.stats("mock0").get(0).startsWith("iotlb hits 0 misses 0"));
        assertEquals(List.of("no events"), iommu.events("mock0"));
        assertTrue(dma.read("orphan", "-", "0x1000", "4").startsWith("fault NO_BACKEND"));
        assertTrue(iommu.events("lost0").get(0).startsWith("blocked (no backend)"));
    }

    @Test
    void contexts_memory_and_ioas() {
        assertEquals("vm1", ctx.open("vm1").name());
        fails(Errno.EEXIST, "already open", () -> ctx.open("vm1"));
        fails(Errno.ENOENT, "no context nope", () -> ctx.close("nope"));
        assertEquals(1, ctx.list().size());
        Hex va = mem.alloc("vm1", "16K");
        fails(Errno.EINVAL, "not a number", () -> mem.alloc("vm1", "lots"));
        assertEquals("wrote 5 bytes", mem.write("vm1", va.toString(), "hello"));
        assertEquals("68656c6c6f", mem.read("vm1", va.toString(), "5"));
        assertEquals("wrote 2 bytes", mem.write("vm1", va.toString(), "0xcafe"));
        assertEquals("cafe6c", mem.read("vm1", va.toString(), "3"));
        fails(Errno.EFAULT, "not mapped", () -> mem.read("vm1", "0x10", "4"));
        fails(Errno.EINVAL, "even number", () -> mem.write("vm1", va.toString(), "0xabc"));
        assertEquals(1, mem.regions("vm1").size());

        int io = ioas.alloc("vm1");
        Hex iova = ioas.map("vm1", Integer.toString(io), "auto", "16K", va.toString());
        assertEquals(1, ioas.areas("vm1", Integer.toString(io)).size());
        fails(Errno.EEXIST, "overlaps", () -> ioas.map("vm1", Integer.toString(io), iova.toString(), "4K", va.toString(), "r"));
        fails(Errno.EINVAL, "r, w or rw", () -> ioas.map("vm1", Integer.toString(io), "auto", "4K", va.toString(), "x"));
        fails(Errno.ENOENT, "no IOAS 9", () -> ioas.areas("vm1", "9"));
        assertEquals(List.of("[0x0, 0xffffffffffffffff]", "alignment 0x1"), ioas.ranges("vm1", Integer.toString(io)));
        int io2 = ioas.alloc("vm1");
        assertEquals("0x100000", ioas.copy("vm1", Integer.toString(io2), "0x100000", Integer.toString(io), iova.toString(), "4K").toString());
        fails(Errno.ENOENT, "not fully mapped", () -> ioas.copy("vm1", Integer.toString(io2), "auto", Integer.toString(io), "0x99999000", "4K"));
        fails(Errno.ENOENT, "cuts the mapping", () -> ioas.unmap("vm1", Integer.toString(io), iova.toString(), "4K"));
        assertEquals("0x4000", ioas.unmap("vm1", Integer.toString(io), iova.toString(), "16K").toString());
        assertTrue(ioas.allow("vm1", Integer.toString(io), "0x100000-0x1fffff").startsWith("allowed"));
        fails(Errno.EINVAL, "start-last", () -> ioas.allow("vm1", Integer.toString(io), "0x100000"));
        assertEquals("huge pages off", ioas.hugepages("vm1", Integer.toString(io), "off"));
        fails(Errno.EINVAL, "on or off", () -> ioas.hugepages("vm1", Integer.toString(io), "maybe"));
        assertTrue(ctx.objects("vm1").size() >= 2);
        assertEquals("closed vm1", ctx.close("vm1"));
    }

    @Test
    void write64_writes_little_endian_quadwords_at_a_sum_of_addresses() {
        ctx.open("vm1");
        Hex ram = mem.alloc("vm1", "16K");
        // a guest's page-table entry and a descriptor's two words, at base+offset as a script writes $ram+0x1000
        assertEquals("wrote 1 quadword", mem.write64("vm1", ram + "+0x1000", "0x101007"));
        assertEquals("0710100000000000", mem.read("vm1", ram + "+4K", "8"));
        assertEquals("wrote 2 quadwords", mem.write64("vm1", ram + "+0x2000+8", "0x8000000000000001", "258"));
        assertEquals("01000000000000800201000000000000", mem.read("vm1", Long.toString(ram.value() + 0x2008), "16"));
        fails(Errno.EINVAL, "no values", () -> mem.write64("vm1", ram.toString()));
        fails(Errno.EINVAL, "not a number", () -> mem.write64("vm1", ram.toString(), "0x1g"));
        fails(Errno.EINVAL, "or a sum a+b", () -> mem.write64("vm1", ram + "+", "1"));
        fails(Errno.EINVAL, "overflows 64 bits", () -> mem.write64("vm1", "0x7fffffffffffffff+1", "1"));
        fails(Errno.EFAULT, "not mapped", () -> mem.write64("vm1", ram + "+16K", "1"));
        assertEquals(0x4000 + 0x20, Shell.number("n", "16K+0x20"));
    }

    @Test
    void devices_hwpts_pasids_dma_and_views() {
        ctx.open("vm1");
        Hex va = mem.alloc("vm1", "8K");
        mem.write("vm1", va.toString(), "DMA data");
        int io = ioas.alloc("vm1");
        int d = dev.bind("vm1", "acc0");
        fails(Errno.EBUSY, "is bound", () -> dev.bind("vm1", "0000:00:01.0"));
        fails(Errno.ENODEV, "no device", () -> dev.bind("vm1", "0000:00:1f.7"));
        fails(Errno.EINVAL, "not a PCI address", () -> dev.bind("vm1", "acc9"));
        assertTrue(dma.read("acc0", "-", "0x1000000", "4").startsWith("fault BLOCKED"), "bound but not attached: blocked");
        int h = dev.attach("vm1", Integer.toString(d), Integer.toString(io));
        fails(Errno.EBUSY, "use replace", () -> dev.attach("vm1", Integer.toString(d), Integer.toString(io)));
        Hex iova = ioas.map("vm1", Integer.toString(io), "0x1000000", "8K", va.toString());
        assertEquals("ok 444d412064617461", dma.read("acc0", "-", iova.toString(), "8"));
        assertEquals("ok", dma.write("acc0", "-", iova.toString(), "0x41"));
        assertEquals("414d41", mem.read("vm1", va.toString(), "3"));
        fails(Errno.EINVAL, "20-bit", () -> dma.read("acc0", "2000000", iova.toString(), "4"));
        assertTrue(String.join("\n", dev.info("vm1", Integer.toString(d))).contains("test_reg 0xdeadbeef"));

        int p = pasid.alloc("vm1");
        assertEquals(1, pasid.list("vm1").size());
        int s2 = hwpt.alloc("vm1", Integer.toString(d), Integer.toString(io), "pasid", "nest_parent");
        fails(Errno.EINVAL, "PASID flag", () -> dev.attach("vm1", Integer.toString(d), Integer.toString(s2), Integer.toString(p)));
        assertEquals(s2, dev.replace("vm1", Integer.toString(d), Integer.toString(s2)));
        assertEquals(s2, dev.attach("vm1", Integer.toString(d), Integer.toString(s2), Integer.toString(p)));
        assertEquals("ok 414d41", dma.read("acc0", Integer.toString(p), iova.toString(), "3"));
        int n = hwpt.alloc("vm1", Integer.toString(d), Integer.toString(s2), "pasid", "type=selftest", "iotlb=0xbadbeef");
        fails(Errno.EINVAL, "unknown vendor data type", () -> hwpt.alloc("vm1", Integer.toString(d), Integer.toString(s2), "type=vendorx"));
        fails(Errno.EINVAL, "unknown words", () -> hwpt.alloc("vm1", Integer.toString(d), Integer.toString(s2), "type=selftest", "colour=red"));
        assertEquals("invalidated 2 entries", hwpt.invalidate("vm1", Integer.toString(n), "iotlb=1", "iotlb=2"));
        fails(Errno.EINVAL, "iotlb_id", () -> hwpt.invalidate("vm1", Integer.toString(n), "iotlb=7"));
        fails(Errno.EINVAL, "none of", () -> hwpt.invalidate("vm1", Integer.toString(n), "bogus=1"));
        assertEquals(n, dev.replace("vm1", Integer.toString(d), Integer.toString(n), Integer.toString(p)));
        fails(Errno.EINVAL, "not attached", () -> dev.replace("vm1", Integer.toString(d), Integer.toString(n), "77"));

        String topo = String.join("\n", view.topology("vm1"));
        assertTrue(topo.contains("RID 0000:00:01.0 (acc0, unit mock0"), topo);
        assertTrue(topo.contains("HWPT " + n + " nested on HWPT " + s2), topo);
        assertTrue(topo.contains("[0000:00:01.0, PASID " + p + "]"), topo);
        String tables = String.join("\n", view.tables("acc0", "-", iova.toString()));
        assertTrue(tables.contains("level 0 leaf") && tables.contains("R=1 W=1"), tables);
        fails(Errno.ENODEV, "has no backend", () -> view.tables("orphan"));

        assertTrue(dev.detach("vm1", Integer.toString(d), Integer.toString(p)).contains("blocked"));
        assertTrue(dma.read("acc0", Integer.toString(p), iova.toString(), "3").startsWith("fault BLOCKED"));
        assertEquals("freed PASID " + p, pasid.free("vm1", Integer.toString(p)));
        fails(Errno.ENOENT, "holds no hardware id", () -> pasid.free("vm1", Integer.toString(p)));
        fails(Errno.EINVAL, "pci_pasid or smmu_ssid", () -> pasid.alloc("vm1", "thing"));
        assertTrue(dev.unbind("vm1", Integer.toString(d)).contains("unbound"));
        fails(Errno.ENOENT, "no device", () -> dev.unbind("vm1", Integer.toString(d)));
    }

    @Test
    void viommu_commands_refuse_units_without_one() {
        ctx.open("vm1");
        int io = ioas.alloc("vm1");
        int d = dev.bind("vm1", "acc0");
        int parent = hwpt.alloc("vm1", Integer.toString(d), Integer.toString(io), "nest_parent");
        ViommuCommands viommu = new ViommuCommands(sh);
        fails(Errno.EOPNOTSUPP, "offers no vIOMMU", () -> viommu.alloc("vm1", Integer.toString(d), Integer.toString(parent)));
        fails(Errno.ENOENT, "no vIOMMU 42", () -> viommu.vdevice("vm1", "42", Integer.toString(d), "0x42"));
        fails(Errno.ENOENT, "no vIOMMU 42", () -> viommu.eventq("vm1", "42", "4"));
    }

    @Test
    void faults_dirty_and_background_dma() throws Exception {
        ctx.open("vm1");
        int io = ioas.alloc("vm1");
        int d = dev.bind("vm1", "acc0");
        int q = fault.queue("vm1");
        int h = hwpt.alloc("vm1", Integer.toString(d), Integer.toString(io), "fault=" + q, "dirty");
        dev.attach("vm1", Integer.toString(d), Integer.toString(h));
        int job = dma.start("acc0", "-", "0x2000000", "4");
        var waiting = fault.wait("vm1", Integer.toString(q));
        assertEquals(1, waiting.size());
        Hex va = mem.alloc("vm1", "4K");
        mem.write("vm1", va.toString(), "0x01020304");
        ioas.map("vm1", Integer.toString(io), "0x2000000", "4K", va.toString());
        fails(Errno.EINVAL, "success or invalid", () -> fault.respond("vm1", Integer.toString(q), "1", "maybe"));
        fails(Errno.EINVAL, "no fault group with cookie 9", () -> fault.respond("vm1", Integer.toString(q), "9", "success"));
        fault.respond("vm1", Integer.toString(q), Integer.toString(waiting.get(0).cookie()), "success");
        assertEquals("ok 01020304", dma.wait(Integer.toString(job)));
        fails(Errno.ENOENT, "no DMA job", () -> dma.wait(Integer.toString(job)));
        assertTrue(fault.list("vm1", Integer.toString(q)).isEmpty());

        assertEquals("dirty tracking on", dirty.track("vm1", Integer.toString(h), "on"));
        dma.write("acc0", "-", "0x2000800", "0xff");
        List<String> bm = dirty.bitmap("vm1", Integer.toString(h), "0x2000000", "4K", "2K");
        assertEquals(List.of("bitmap 0000000000000002", "dirty 0x2000800"), bm);
        fails(Errno.EINVAL, "power of two", () -> dirty.bitmap("vm1", Integer.toString(h), "0x2000000", "4K", "3K"));
        fails(Errno.ENOENT, "paging HWPT", () -> dirty.track("vm1", Integer.toString(io), "on"));

        int evq = fault.eventq("vm1", "4");
        fails(Errno.EINVAL, "depth", () -> fault.eventq("vm1", "0"));
        int nic = dev.bind("vm1", "nic0");
        dma.read("nic0", "-", "0x1000", "4");
        List<String> ev = fault.events("vm1", Integer.toString(evq)).stream().map(Object::toString).collect(Collectors.toList());
        assertEquals(1, ev.size(), ev.toString());
        assertTrue(ev.get(0).contains("BLOCKED"), ev.toString());
        assertTrue(nic > 0);
    }

    @Test
    void the_remaining_commands_each_refuse_what_they_cannot_do_in_one_line() {
        fails(Errno.ENOENT, "no context nope", () -> ctx.objects("nope"));
        fails(Errno.ENOENT, "no context nope", () -> mem.regions("nope"));
        fails(Errno.ENOENT, "no context nope", () -> ioas.alloc("nope"));
        fails(Errno.ENOENT, "no context nope", () -> fault.queue("nope"));
        fails(Errno.ENOENT, "no context nope", () -> pasid.list("nope"));
        fails(Errno.ENOENT, "no context nope", () -> view.topology("nope"));
        ctx.open("vm1");
        fails(Errno.ENOENT, "no IOAS 9", () -> ioas.ranges("vm1", "9"));
        fails(Errno.ENOENT, "no device 5", () -> dev.detach("vm1", "5"));
        fails(Errno.ENOENT, "no device 5", () -> dev.info("vm1", "5"));
        fails(Errno.ENOENT, "no fault queue 5", () -> fault.list("vm1", "5"));
        fails(Errno.ENOENT, "no fault queue 5", () -> fault.wait("vm1", "5"));
        fails(Errno.ENOENT, "no event queue or vEVENTQ 5", () -> fault.events("vm1", "5"));
        fails(Errno.EINVAL, "even number", () -> dma.write("acc0", "-", "0x1000", "0xabc"));
        fails(Errno.ENODEV, "no device", () -> dma.start("0000:00:1f.7", "-", "0x1000", "4"));
        fails(Errno.EINVAL, "not a number", () -> dma.start("acc0", "-", "0x1000", "four"));
        int d = dev.bind("vm1", "nic0");
        // a RID that was never attached is blocked already: detaching it is harmless, as VFIO's detach is
        assertEquals("device " + d + " RID blocked", dev.detach("vm1", Integer.toString(d)));
        // none of them left anything behind
        assertEquals(1, ctx.objects("vm1").size(), ctx.objects("vm1").toString());
        assertTrue(String.join("\n", dev.info("vm1", Integer.toString(d))).contains("RID -> blocked"));
        assertTrue(mem.regions("vm1").isEmpty());
    }
}
