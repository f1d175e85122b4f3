package dev.ioasid.runtime;

import static org.junit.Assert.assertEquals;
import static org.junit.Assert.assertFalse;
import static org.junit.Assert.assertNotNull;
import static org.junit.Assert.assertNotSame;
import static org.junit.Assert.assertNull;
import static org.junit.Assert.assertTrue;

import java.util.List;
import java.util.concurrent.TimeUnit;

import javax.inject.Inject;

import org.junit.Test;
import org.junit.runner.RunWith;
import org.ops4j.pax.exam.junit.PaxExam;
import org.ops4j.pax.exam.spi.reactors.ExamReactorStrategy;
import org.ops4j.pax.exam.spi.reactors.PerClass;
import org.osgi.framework.Bundle;
import org.osgi.service.component.runtime.ServiceComponentRuntime;
import org.osgi.service.component.runtime.dto.ComponentConfigurationDTO;
import org.osgi.util.tracker.ServiceTracker;

import dev.ioasid.api.Context;
import dev.ioasid.api.ContextService;
import dev.ioasid.api.DomainService;
import dev.ioasid.api.Ioasid;
import dev.ioasid.api.IoasidService;
import dev.ioasid.consumer.vdpa.VdpaDevice;
import dev.ioasid.consumer.vdpa.VdpaService;
import dev.ioasid.consumer.vfio.VfioDevice;
import dev.ioasid.consumer.vfio.VfioService;
import dev.ioasid.consumer.vfio.WqDescriptor;
import dev.ioasid.machine.Machine;

/**
 * Both adapters hold static, mandatory references to the core: stopping the core bundle deactivates them (they
 * unbind their devices first), and starting it again makes new ones that work.
 */
@RunWith(PaxExam.class)
@ExamReactorStrategy(PerClass.class)
public class ConsumersRestartIT extends RuntimeTestSupport {
    private static final long SERVICE_TIMEOUT_MS = TimeUnit.SECONDS.toMillis(60);

    @Inject
    ServiceComponentRuntime scr;
    @Inject
    Machine machine;

    private Bundle bundle(String bsn) {
        for (Bundle b : context.getBundles()) {
            if (bsn.equals(b.getSymbolicName())) {
                return b;
            }
        }
        throw new AssertionError("no bundle " + bsn);
    }

    private <T> T await(ServiceTracker<T, T> tracker) throws InterruptedException {
        T s = tracker.waitForService(SERVICE_TIMEOUT_MS);
        assertNotNull(tracker + " is back", s);
        return s;
    }

    @Test
    public void theAdaptersDeactivateAndReactivateWithTheCoreBundle() throws Exception {
        ServiceTracker<VfioService, VfioService> vfioTracker = new ServiceTracker<>(context, VfioService.class, null);
        ServiceTracker<VdpaService, VdpaService> vdpaTracker = new ServiceTracker<>(context, VdpaService.class, null);
        ServiceTracker<ContextService, ContextService> ctxTracker = new ServiceTracker<>(context, ContextService.class, null);
        ServiceTracker<DomainService, DomainService> domTracker = new ServiceTracker<>(context, DomainService.class, null);
        ServiceTracker<IoasidService, IoasidService> idTracker = new ServiceTracker<>(context, IoasidService.class, null);
        List<ServiceTracker<?, ?>> trackers = List.of(vfioTracker, vdpaTracker, ctxTracker, domTracker, idTracker);
        trackers.forEach(ServiceTracker::open);
        try {
            long pins = machine.pins().total();
            VfioService vfio = await(vfioTracker);
            VdpaService vdpa = await(vdpaTracker);
            Context vm = await(ctxTracker).open("before-restart");
            int ioas = await(domTracker).ioasAlloc(vm);
            VfioDevice acc = vfio.device("acc0");
            VdpaDevice net = vdpa.device("vdpa0");
            acc.bindIommufd(vm);
            acc.attachPt(ioas);
            net.bindIommufd(vm);
            net.attachAs(0, ioas);

            Bundle core = bundle("dev.ioasid.core");
            core.stop();
            assertEquals(List.of(ComponentConfigurationDTO.UNSATISFIED_REFERENCE), ConsumersIT.componentStates(scr, context, ConsumersIT.VFIO_BSN));
            assertEquals(List.of(ComponentConfigurationDTO.UNSATISFIED_REFERENCE), ConsumersIT.componentStates(scr, context, ConsumersIT.VDPA_BSN));
            assertNull(context.getServiceReference(VfioService.class));
            assertNull(context.getServiceReference(VdpaService.class));
            assertFalse("the cdev was closed on the way out", acc.isBound());
            assertFalse(net.isBound());
            assertFalse(vm.isOpen());
            assertEquals("every pin went with the context", pins, machine.pins().total());

            core.start();
            VfioService vfio2 = await(vfioTracker);
            VdpaService vdpa2 = await(vdpaTracker);
            assertNotSame(vfio, vfio2);
            assertNotSame(vdpa, vdpa2);
            assertEquals(List.of(ComponentConfigurationDTO.ACTIVE), ConsumersIT.componentStates(scr, context, ConsumersIT.VFIO_BSN));
            assertEquals(List.of(ComponentConfigurationDTO.ACTIVE), ConsumersIT.componentStates(scr, context, ConsumersIT.VDPA_BSN));

            // the new adapters work with the new core
            Context vm2 = await(ctxTracker).open("after-restart");
            try {
                Ioasid p = await(idTracker).alloc(vm2);
                VfioDevice acc2 = vfio2.device("acc0");
                VdpaDevice net2 = vdpa2.device("vdpa0");
                assertFalse(acc2.isBound());
                int accId = acc2.bindIommufd(vm2);
                int ioas2 = await(domTracker).ioasAlloc(vm2);
                int hwpt = await(domTracker).hwptAlloc(vm2, dev.ioasid.api.HwptAlloc.paging(accId, ioas2, dev.ioasid.api.HwptFlags.PASID));
                acc2.attachPt(hwpt, p.hwId());
                acc2.wqEnable(0, p.hwId());
                assertTrue(acc2.submit(0, WqDescriptor.noop()).ok());
                net2.bindIommufd(vm2);
                net2.attachAs(1, ioas2, p.hwId());
                assertTrue(net2.addressSpace(1).attached());
                acc2.close();
                net2.close();
            } finally {
                vm2.close();
            }
        } finally {
            trackers.forEach(ServiceTracker::close);
        }
    }
}
