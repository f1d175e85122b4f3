package dev.ioasid.runtime;

import static org.junit.Assert.assertEquals;
import static org.junit.Assert.assertTrue;

import java.nio.charset.StandardCharsets;
import java.util.Hashtable;
import java.util.List;
import java.util.concurrent.TimeUnit;

import javax.inject.Inject;

import org.junit.Test;
import org.junit.runner.RunWith;
import org.ops4j.pax.exam.junit.PaxExam;
import org.ops4j.pax.exam.spi.reactors.ExamReactorStrategy;
import org.ops4j.pax.exam.spi.reactors.PerClass;
import org.osgi.framework.ServiceRegistration;

import dev.ioasid.api.Context;
import dev.ioasid.api.ContextService;
import dev.ioasid.api.DomainService;
import dev.ioasid.api.EndpointService;
import dev.ioasid.api.FaultListener;
import dev.ioasid.api.FaultService;
import dev.ioasid.api.HwptAlloc;
import dev.ioasid.api.MapFlags;
import dev.ioasid.api.PageFault;
import dev.ioasid.api.PageResponse;
import dev.ioasid.api.PciAddress;
import dev.ioasid.machine.Access;
import dev.ioasid.machine.DmaResult;
import dev.ioasid.machine.Machine;

/**
 * A fault handler registered as an OSGi service (the whiteboard): the core hands it the fault groups of its
 * context, it maps the page and answers, and the device's DMA completes. No polling.
 */
@RunWith(PaxExam.class)
@ExamReactorStrategy(PerClass.class)
public class FaultListenerIT extends RuntimeTestSupport {
    static final PciAddress ACC0 = PciAddress.parse("0000:00:01.0");

    @Inject
    ContextService contexts;
    @Inject
    DomainService domains;
    @Inject
    EndpointService endpoints;
    @Inject
    FaultService faults;
    @Inject
    Machine machine;

    @Test
    public void aWhiteboardListenerServesThePageFaultsOfItsContext() {
        Context vm = contexts.open("iopf-whiteboard");
        ServiceRegistration<FaultListener> reg = null;
        try {
            int ioas = domains.ioasAlloc(vm);
            int dev = endpoints.bind(vm, ACC0);
            int queue = faults.faultQueueAlloc(vm);
            int hwpt = domains.hwptAlloc(vm, HwptAlloc.paging(dev, ioas, 0).withFault(queue));
            endpoints.attach(vm, dev, hwpt);
            long page = vm.memory().mmap(4096);
            vm.memory().write(page, "served by a service".getBytes(StandardCharsets.UTF_8));

            FaultListener handler = (Context c, int q, List<PageFault> group) -> {
                PageFault f = group.get(0);
                domains.ioasMap(c, ioas, page, 4096, f.address() & -4096L, MapFlags.FIXED_IOVA | MapFlags.READABLE);
                faults.faultRespond(c, q, f.cookie(), PageResponse.SUCCESS);
            };
            Hashtable<String, Object> props = new Hashtable<>();
            props.put(FaultListener.CONTEXT, "iopf-whiteboard");
            reg = context.registerService(FaultListener.class, handler, props);

            DmaResult r = machine.dma().read(ACC0, Access.NO_PASID, 0x4000000, 19, 0, TimeUnit.SECONDS.toNanos(60));
            assertTrue(r.toString(), r.ok());
            assertEquals("served by a service", new String(r.data(), StandardCharsets.UTF_8));
            assertTrue(faults.faultPending(vm, queue).isEmpty());
        } finally {
            if (reg != null) {
                reg.unregister();
            }
            vm.close();
        }
    }
}
