package dev.ioasid.runtime;

import static org.junit.Assert.assertEquals;
import static org.junit.Assert.assertFalse;
import static org.junit.Assert.assertNotEquals;
import static org.junit.Assert.assertTrue;

import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.Map;
import java.util.stream.Collectors;

import javax.inject.Inject;

import org.junit.Test;
import org.junit.runner.RunWith;
import org.ops4j.pax.exam.junit.PaxExam;
import org.ops4j.pax.exam.spi.reactors.ExamReactorStrategy;
import org.ops4j.pax.exam.spi.reactors.PerClass;
import org.osgi.service.component.runtime.ServiceComponentRuntime;
import org.osgi.service.component.runtime.dto.ComponentConfigurationDTO;

import dev.ioasid.api.Context;
import dev.ioasid.api.ContextService;
import dev.ioasid.api.DomainService;
import dev.ioasid.api.EndpointService;
import dev.ioasid.api.HwptAlloc;
import dev.ioasid.api.HwptFlags;
import dev.ioasid.api.Ioasid;
import dev.ioasid.api.IoasidService;
import dev.ioasid.api.MapFlags;
import dev.ioasid.api.ObjectInfo;
import dev.ioasid.api.ObjectType;
import dev.ioasid.api.PciAddress;
import dev.ioasid.consumer.vdpa.VdpaDevice;
import dev.ioasid.consumer.vdpa.VdpaService;
import dev.ioasid.consumer.vdpa.VhostIotlbMsg;
import dev.ioasid.consumer.vfio.VfioDevice;
import dev.ioasid.consumer.vfio.VfioService;
import dev.ioasid.consumer.vfio.WqCompletion;
import dev.ioasid.consumer.vfio.WqDescriptor;
import dev.ioasid.machine.Access;
import dev.ioasid.machine.Machine;

/**
 * The VFIO and vDPA adapters in the shipped runtime, on the demo machine: both components are active, and a
 * VFIO device (acc0) and a vDPA device (vdpa0) bound in one context use the same IOAS and PASIDs from the core's
 * one allocator. The core's restart is {@link ConsumersRestartIT}.
 */
@RunWith(PaxExam.class)
@ExamReactorStrategy(PerClass.class)
public class ConsumersIT extends RuntimeTestSupport {
    static final String VFIO_BSN = "dev.ioasid.consumer.vfio";
    static final String VDPA_BSN = "dev.ioasid.consumer.vdpa";
    static final long GPA = 0x1000000;

    @Inject
    ServiceComponentRuntime scr;
    @Inject
    ContextService contexts;
    @Inject
    DomainService domains;
    @Inject
    EndpointService endpoints;
    @Inject
    IoasidService ioasids;
    @Inject
    Machine machine;
    @Inject
    VfioService vfio;
    @Inject
    VdpaService vdpa;

    /** The states of the configurations of the driver component of a bundle (not its shell commands). */
    static List<Integer> componentStates(ServiceComponentRuntime scr, org.osgi.framework.BundleContext context, String bsn) {
        for (org.osgi.framework.Bundle b : context.getBundles()) {
            if (bsn.equals(b.getSymbolicName())) {
                return scr.getComponentDescriptionDTOs(b).stream().filter(d -> !d.name.endsWith("Commands"))
                        .flatMap(d -> scr.getComponentConfigurationDTOs(d).stream())
                        .map(c -> c.state).collect(Collectors.toList());
            }
        }
        throw new AssertionError("no bundle " + bsn);
    }

    @Test
    public void bothAdaptersAreActiveComponents() {
        assertEquals(List.of(ComponentConfigurationDTO.ACTIVE), componentStates(scr, context, VFIO_BSN));
        assertEquals(List.of(ComponentConfigurationDTO.ACTIVE), componentStates(scr, context, VDPA_BSN));
        List<String> names = vfio.devices().stream().map(VfioDevice::name).collect(Collectors.toList());
        assertTrue("a cdev for every assignable device of the demo machine: " + names, names.containsAll(List.of("acc0", "nic0")));
        assertFalse("the vDPA device is not a cdev", names.contains("vdpa0"));
        assertEquals(List.of("vdpa0"), vdpa.devices().stream().map(VdpaDevice::name).collect(Collectors.toList()));
        assertEquals(4, vfio.device("acc0").wqCount());
    }

    @Test
    public void aVfioAndAVdpaDeviceInOneContextShareTheIoasAndTheAllocator() {
        Context vm = contexts.open("consumers-it");
        VfioDevice acc = vfio.device("acc0");
        VdpaDevice net = vdpa.device("vdpa0");
        try {
            // the VMM: guest RAM in one IOAS, a second IOAS for the control virtqueue, two PASIDs from the core
            int ioas = domains.ioasAlloc(vm);
            long ram = vm.memory().mmap(0x10000);
            domains.ioasMap(vm, ioas, ram, 0x10000, GPA, MapFlags.FIXED_IOVA | MapFlags.READABLE | MapFlags.WRITEABLE);
            int cvqIoas = domains.ioasAlloc(vm);
            Ioasid wq = ioasids.alloc(vm);
            Ioasid cvq = ioasids.alloc(vm);

            int accId = acc.bindIommufd(vm);
            int accHwpt = domains.hwptAlloc(vm, HwptAlloc.paging(accId, ioas, HwptFlags.PASID));
            acc.attachPt(accHwpt, wq.hwId());
            acc.wqEnable(0, wq.hwId());

            int netId = net.bindIommufd(vm);
            int netHwpt = net.attachAs(0, ioas);
            int cvqHwpt = net.attachAs(1, cvqIoas, cvq.hwId());

            // a vDPA IOTLB UPDATE is a map of the shared IOAS, which the VFIO device's work queue then reaches
            long extra = vm.memory().mmap(0x10000);
            vm.memory().write(extra, "from the vDPA side".getBytes(StandardCharsets.UTF_8));
            net.processIotlbMsg(VhostIotlbMsg.update(0, GPA + 0x10000, 0x10000, extra, VhostIotlbMsg.RW));
            WqCompletion c = acc.submit(0, WqDescriptor.memmove(GPA + 0x10000, GPA + 0x8000, 18));
            assertTrue(c.toString(), c.ok());
            assertEquals("from the vDPA side", new String(vm.memory().read(ram + 0x8000, 18), StandardCharsets.UTF_8));

            // the core's state
            Map<Integer, List<Integer>> deps = vm.objects().stream().filter(o -> o.type() == ObjectType.HWPT_PAGING)
                    .collect(Collectors.toMap(ObjectInfo::id, ObjectInfo::dependsOn));
            assertEquals(Map.of(accHwpt, List.of(ioas), netHwpt, List.of(ioas), cvqHwpt, List.of(cvqIoas)), deps);
            assertEquals(Map.of(wq.hwId(), accHwpt), endpoints.device(vm, accId).pasidHwpts());
            assertEquals(netHwpt, endpoints.device(vm, netId).ridHwpt());
            assertEquals(Map.of(cvq.hwId(), cvqHwpt), endpoints.device(vm, netId).pasidHwpts());
            assertEquals(List.of(wq, cvq), ioasids.list(vm));
            assertNotEquals(wq.hwId(), cvq.hwId());
            // the hardware: the ctrl PASID reaches only the ctrl IOAS
            PciAddress vdpa0 = net.address();
            assertTrue(machine.dma().read(vdpa0, Access.NO_PASID, GPA, 4).ok());
            assertFalse(machine.dma().read(vdpa0, cvq.hwId(), GPA, 4).ok());
        } finally {
            acc.close();
            net.close();
            vm.close();
        }
        assertFalse(acc.isBound());
        assertFalse(net.isBound());
    }
}
